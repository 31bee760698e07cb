"""`python -m bench.fusion_cv`: document-level fusion variants, chosen on held-out folds.

Tries how the two retrievers' document rankings are fused — reciprocal ranks or a convex
combination of scores, a document's aggregate evidence (its second-best chunk counting
`evidence` × as much as its best), and a query-dependent dense share (short queries lean on
keywords) — over every judged set at once: SciFact nDCG@10, post-mortems nDCG@10, transcripts
moment hit@1. 5-fold cross-validation: each fold's queries are scored with the variant that is
best on the other folds (mean over the three sets, each weighted equally); the held-out means
are reported beside each variant's in-sample figures.

  python -m bench.fusion_cv --shared ../shared --extra bench/transcripts_extra.jsonl
  python -m bench.fusion_cv --shared ../shared --weigh queries   # every query counts once
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

import index.search as search_module
from bench.eval import doc_metrics, moment_metrics
from bench.eval_data import Query, beir_queries, postmortem_queries, transcript_queries
from index.search import (
    Fused,
    FusionParams,
    Searcher,
    _ranked,
    normalised,
    reciprocal_rank_fusion,
)
from index.tokenize import query_terms

FOLDS = 5
PRODUCT_FUSE_SCORES = search_module.fuse_scores


@dataclass(frozen=True)
class Variant:
    name: str
    fusion: str = "rrf"
    dense_share: float = 0.5
    short_share: float | None = None  # dense share for queries of <= SHORT terms
    evidence: float = 0.0
    normalise: str = "minmax"


SHORT = 4


def _values(
    result: Sequence[tuple[int, float]], doc_of: dict[int, str], evidence: float
) -> tuple[dict[str, float], dict[int, float]]:
    """Per document: best min-max chunk score + EVIDENCE × second best; per chunk: its own."""
    per: dict[str, list[float]] = {}
    chunks: dict[int, float] = {}
    for chunk_id, value in normalised(result, "minmax").items():  # best first, as RESULT
        doc_id = doc_of.get(chunk_id)
        if doc_id is None:
            continue
        chunks[chunk_id] = value
        per.setdefault(doc_id, []).append(value)
    docs = {d: v[0] + evidence * (v[1] if len(v) > 1 else 0.0) for d, v in per.items()}
    return docs, chunks


def make_fuser(variant: Variant) -> Callable[..., list[Fused]]:
    def fuser(
        results: Sequence[Sequence[tuple[int, float]]],
        doc_of: dict[int, str],
        weights: Sequence[float] | None = None,
        normalise: str = "minmax",
    ) -> list[Fused]:
        weights = list(weights or [1.0 / len(results)] * len(results))
        doc_scores: dict[str, float] = {}
        chunk_scores: dict[int, float] = {}
        if variant.fusion == "rrf":
            rankings, chunk_rankings = [], []
            for result in results:
                docs, _ = _values(result, doc_of, variant.evidence)
                rankings.append(sorted(docs, key=lambda d, docs=docs: -docs[d]))
                chunk_rankings.append([c for c, _ in result])
            doc_scores = reciprocal_rank_fusion(rankings, weights, 60)
            chunk_scores = reciprocal_rank_fusion(chunk_rankings, weights, 60)
        else:
            for result, weight in zip(results, weights, strict=True):
                docs, chunks = _values(result, doc_of, variant.evidence)
                for d, v in docs.items():
                    doc_scores[d] = doc_scores.get(d, 0.0) + weight * v
                for c, v in chunks.items():
                    chunk_scores[c] = chunk_scores.get(c, 0.0) + weight * v
        return _ranked(doc_scores, chunk_scores, doc_of)

    return fuser


def variants() -> list[Variant]:
    out = [Variant("rrf")]
    for share in (0.3, 0.4, 0.5, 0.6):
        out.append(Variant(f"convex {share}", "convex", share))
    for share in (0.4, 0.5, 0.6):
        out.append(Variant(f"convex z-score {share}", "convex", share, normalise="zscore"))
    for ev in (0.1, 0.25):
        out.append(Variant(f"rrf evidence {ev}", "rrf", 0.5, evidence=ev))
        out.append(Variant(f"convex 0.4 evidence {ev}", "convex", 0.4, evidence=ev))
    for short, long in ((0.3, 0.5), (0.3, 0.6), (0.4, 0.6)):
        out.append(Variant(f"rrf dense {short} short / {long} long", "rrf", long, short))
        out.append(Variant(f"convex {short} short / {long} long", "convex", long, short))
    return out


def run(searcher: Searcher, queries: list[Query], variant: Variant, score) -> np.ndarray:
    # The product's own fusion unless the variant needs aggregate evidence (not in the product).
    search_module.fuse_scores = make_fuser(variant) if variant.evidence else PRODUCT_FUSE_SCORES  # type: ignore[assignment]
    out = []
    for q in queries:
        share = variant.dense_share
        if variant.short_share is not None and len(query_terms(q.text)) <= SHORT:
            share = variant.short_share
        searcher.params = replace(
            FusionParams(),
            fusion="convex" if variant.evidence else variant.fusion,  # type: ignore[arg-type]
            normalise=variant.normalise,  # type: ignore[arg-type]
            dense_weight=share,
            keyword_weight=1 - share,
        )
        out.append(score(searcher.search(q.text, limit=10), q))
    return np.array(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fusion_cv", description=__doc__)
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--data-dir", type=Path, default=Path(".hindsight-bench"))
    parser.add_argument("--sets", default="scifact,postmortems,transcripts")
    parser.add_argument(
        "--weigh",
        choices=["sets", "queries"],
        default="sets",
        help="what the folds' objective averages: each set equally, or each query once",
    )
    parser.add_argument(
        "--extra", type=Path, help="held-out transcript queries: scored, never used to choose"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from index.embedder import SentenceTransformerEmbedder
    from index.opener import open_searcher
    from index.settings import Settings

    embedder = SentenceTransformerEmbedder(Settings())
    shared = args.shared
    sets = {
        "scifact": (beir_queries(shared / "benchmarks" / "scifact"), "nDCG@10", False),
        "postmortems": (
            postmortem_queries(shared / "queries" / "postmortems_dev.jsonl"),
            "nDCG@10",
            False,
        ),
        "transcripts": (
            transcript_queries(shared / "queries" / "transcripts_dev.jsonl"),
            "hit@1",
            True,
        ),
    }
    chosen_sets = [s for s in args.sets.split(",") if s in sets]
    scored_sets = chosen_sets + (["extra"] if args.extra else [])
    if args.extra:
        sets["extra"] = (transcript_queries(args.extra), "hit@1", True)
    cands = variants()
    per_set: dict[str, np.ndarray] = {}  # [variant, query]
    styles: dict[str, list[str]] = {}
    for name in scored_sets:
        queries, metric, moments = sets[name]
        styles[name] = [q.style or "-" for q in queries]
        folder = "transcripts" if name == "extra" else name
        searcher = open_searcher(Settings(data_dir=args.data_dir / folder / "data"), embedder)
        searcher.embed_query = functools.lru_cache(maxsize=None)(searcher.embed_query)

        def score(hits, q, moments=moments, metric=metric):  # noqa: ANN001, ANN202
            m = (
                moment_metrics(hits, q)
                if moments
                else doc_metrics([h.doc_id for h in hits], q.relevant)
            )
            return m[metric]

        rows = []
        for i, v in enumerate(cands):
            rows.append(run(searcher, queries, v, score))
            print(f"\r{name} {i + 1}/{len(cands)}", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
        per_set[name] = np.array(rows)
        searcher.snapshot.close()
    # 5-fold CV; a variant's objective = mean over sets of its mean on the training folds
    # ("sets"), or the mean over every training query, each counting once ("queries").
    held: dict[str, list[float]] = {s: [] for s in chosen_sets}
    picks = []
    for fold in range(FOLDS):
        objective = np.zeros(len(cands))
        for s in chosen_sets:
            n = per_set[s].shape[1]
            train = [i for i in range(n) if i % FOLDS != fold]
            if args.weigh == "sets":
                objective += per_set[s][:, train].mean(axis=1)
            else:
                objective += per_set[s][:, train].sum(axis=1)
        best = int(np.argmax(objective))
        picks.append(cands[best].name)
        for s in chosen_sets:
            n = per_set[s].shape[1]
            test = [i for i in range(n) if i % FOLDS == fold]
            held[s].extend(per_set[s][best, test].tolist())
    print("| variant | " + " | ".join(scored_sets) + " |")
    print("|---|" + "---:|" * len(scored_sets))
    for i, v in enumerate(cands):
        print(
            f"| {v.name} | " + " | ".join(f"{per_set[s][i].mean():.3f}" for s in scored_sets) + " |"
        )
    print(
        "| **5-fold held out** | "
        + " | ".join(f"**{np.mean(held[s]):.3f}**" for s in chosen_sets)
        + " |"
    )
    print("picked per fold:", picks)
    print()
    print("paired bootstrap against the first variant (5,000 resamples of the queries):")
    print("share of resamples where the variant is not ahead, per set")
    rng = np.random.default_rng(0)
    for i, v in enumerate(cands[1:], start=1):
        cells = []
        for s in scored_sets:
            diff = per_set[s][i] - per_set[s][0]
            draws = rng.integers(0, len(diff), (5000, len(diff)))
            cells.append(f"{s} {diff.mean():+.3f} p={np.mean(diff[draws].mean(axis=1) <= 0):.3f}")
        print(f"  {v.name:36s} " + "  ".join(cells))
    for s in scored_sets:
        print()
        print(f"{s} by style (in-sample):")
        st = styles[s]
        for style in sorted(set(st)):
            ids = [i for i, x in enumerate(st) if x == style]
            cells = " ".join(f"{per_set[s][i, ids].mean():.3f}" for i in range(len(cands)))
            print(f"  {style:14s} {len(ids):3d} {cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
