"""`python -m bench.moments_cv`: choose the moment parameters on held-out queries.

Every judged transcript query is searched under each candidate `MomentParams` (the product's
own `Searcher`, hybrid mode, top 10). Leave-one-out: for each query, the parameters that score
best on the *other* queries are chosen and scored on it; the mean of those is the held-out
figure, reported beside the in-sample (dev) figure of the parameters best on all queries.
Objective: hit@1 + hit@5 + nDCG@10 of the moments in the order they are shown; ties go to the
earlier candidate of the grid (the simpler one).

Examples:
  python -m bench.moments_cv --shared ../shared
  python -m bench.moments_cv --shared ../shared --extra bench/transcripts_extra.jsonl
"""

from __future__ import annotations

import argparse
import functools
import itertools
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from bench.eval import moment_metrics
from bench.eval_data import Query, transcript_queries
from index.moments import MomentParams
from index.search import FusionParams, Mode, Searcher

METRICS = ("hit@1", "hit@5", "nDCG@10")


def grid() -> list[MomentParams]:
    """Candidates, simplest first: dense alone, keyword alone, then fused ones."""
    out = [
        MomentParams(width=w, dense_weight=1.0, min_share=s) for w in (1, 2, 3) for s in (0.0, 0.9)
    ]
    out += [
        MomentParams(width=w, dense_weight=0.0, min_share=s) for w in (1, 2, 3) for s in (0.0, 0.9)
    ]
    for fusion, k in [("rrf", 1.0), ("rrf", 5.0), ("rrf", 20.0), ("rrf", 60.0), ("convex", 0.0)]:
        for w, dw, s in itertools.product((1, 2, 3), (0.3, 0.5, 0.7), (0.0, 0.7, 0.9)):
            out.append(
                MomentParams(width=w, fusion=fusion, rrf_k=k, dense_weight=dw, min_share=s)  # type: ignore[arg-type]
            )
    return out


def table(
    searcher: Searcher, queries: list[Query], candidates: list[MomentParams], mode: Mode
) -> np.ndarray:
    """scores[candidate, query, metric]."""
    out = np.zeros((len(candidates), len(queries), len(METRICS)))
    base = searcher.params
    for c, params in enumerate(candidates):
        searcher.params = replace(base, moments=params)
        for q, query in enumerate(queries):
            hits = searcher.search(query.text, limit=10, mode=mode)
            m = moment_metrics(hits, query)
            out[c, q] = [m[name] for name in METRICS]
        print(f"\r{c + 1}/{len(candidates)}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    searcher.params = base
    return out


def leave_one_out(scores: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """Held-out metrics per query, and the candidate chosen for each."""
    objective = scores.sum(axis=2)  # [candidate, query]
    total = objective.sum(axis=1)
    held, chosen = [], []
    for q in range(scores.shape[1]):
        c = int(np.argmax(total - objective[:, q]))  # first best: the simpler candidate
        chosen.append(c)
        held.append(scores[c, q])
    return np.array(held), chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.moments_cv", description=__doc__)
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--data-dir", type=Path, default=Path(".hindsight-bench"))
    parser.add_argument("--extra", type=Path, help="further judged queries, scored held out")
    parser.add_argument("--mode", default="hybrid")
    parser.add_argument("--all", type=Path, metavar="FILE", help="every candidate's dev figures")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from index.embedder import SentenceTransformerEmbedder
    from index.opener import open_searcher
    from index.settings import Settings

    embedder = SentenceTransformerEmbedder(Settings())
    searcher = open_searcher(Settings(data_dir=args.data_dir / "transcripts" / "data"), embedder)
    embed: Callable[[str], np.ndarray] = functools.lru_cache(maxsize=None)(searcher.embed_query)
    searcher.embed_query = embed
    searcher.params = FusionParams()
    queries = transcript_queries(args.shared / "queries" / "transcripts_dev.jsonl")
    candidates = grid()
    scores = table(searcher, queries, candidates, args.mode)
    held, chosen = leave_one_out(scores)
    if args.all:
        with args.all.open("w", encoding="utf-8") as fh:
            for c, params in enumerate(candidates):
                means = " ".join(f"{v:.3f}" for v in scores[c].mean(axis=0))
                fh.write(f"{means}\t{params}\n")
    best = int(np.argmax(scores.sum(axis=2).sum(axis=1)))
    default = candidates.index(MomentParams()) if MomentParams() in candidates else None

    def line(name: str, values: np.ndarray) -> str:
        return f"| {name} | " + " | ".join(f"{v:.3f}" for v in values) + " |"

    print("| figure | " + " | ".join(METRICS) + " |")
    print("|---|" + "---:|" * len(METRICS))
    print(line("dev, parameters best on all dev queries (in-sample)", scores[best].mean(axis=0)))
    print(line("dev, leave-one-out (held out)", held.mean(axis=0)))
    if default is not None:
        print(line("dev, product default", scores[default].mean(axis=0)))
    print()
    print(f"best on all: {candidates[best]}")
    counts: dict[int, int] = {}
    for c in chosen:
        counts[c] = counts.get(c, 0) + 1
    for c, n in sorted(counts.items(), key=lambda x: -x[1]):
        print(f"chosen in {n} folds: {candidates[c]}")
    styles = sorted({q.style for q in queries})
    print()
    print("| style | queries | hit@5 held out | hit@5 in-sample |")
    print("|---|---:|---:|---:|")
    for style in styles:
        ids = [i for i, q in enumerate(queries) if q.style == style]
        print(
            f"| {style} | {len(ids)} | {held[ids, 1].mean():.3f} | "
            f"{scores[best, ids, 1].mean():.3f} |"
        )
    if args.extra:
        extra = transcript_queries(args.extra)
        picks = [candidates[best]] + ([candidates[default]] if default is not None else [])
        ex = table(searcher, extra, picks, args.mode)
        print()
        print(line(f"extra ({len(extra)} q), best-on-dev parameters", ex[0].mean(axis=0)))
        if len(picks) > 1:
            print(line(f"extra ({len(extra)} q), product default", ex[1].mean(axis=0)))
    searcher.snapshot.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
