"""Similar incidents against the judged set (bench/judgements): ours vs "more like this".

Ingests ../shared/corpus/postmortems with the product pipeline (incremental), then for each
judged seed ranks the other post-mortems three ways: the old similar_incidents query (title,
tags, root cause through hybrid search), Archive.more_like, and index.incidents. Weights and
thresholds are chosen on k-fold splits over seeds: each fold's parameters are picked on the
other folds (dev) and scored on the held-out fold; both are reported.

Examples:
  python -m bench.similar_eval --shared ../shared
  python -m bench.similar_eval --shared ../shared --folds 5 --json bench/results/similar.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bench.metrics import mean, ndcg_at_k, recall_at_k
from index import incidents, recurrence
from index.access import Viewer
from index.archive import Archive
from index.filters import SearchFilters
from index.models import Document

JUDGED = Path(__file__).parent / "judgements"
K = 5


@dataclass(frozen=True)
class Seed:
    doc_id: str
    relevant: dict[str, int]
    lookalikes: frozenset[str]


def load_seeds(path: Path) -> list[Seed]:
    out = []
    for line in path.read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            out.append(Seed(row["seed"], row["relevant"], frozenset(row.get("lookalikes", []))))
    return out


def metrics(ranked: Sequence[str], seed: Seed) -> dict[str, float]:
    same = {d: 1 for d, g in seed.relevant.items() if g == 2}
    top = list(ranked[:K])
    return {
        "ndcg@5 (same)": ndcg_at_k(top, same, K),
        "recall@5 (same)": recall_at_k(top, same, K),
        "ndcg@5 (graded)": ndcg_at_k(top, seed.relevant, K),
        "recall@5 (same+related)": recall_at_k(top, seed.relevant, K),
        "look-alikes in top 5": sum(d in seed.lookalikes for d in top) / K,
    }


def tier_metrics(
    panels: dict[str, incidents.SimilarPanel], seeds: Sequence[Seed]
) -> dict[str, float]:
    """Precision of each tier against the judgements, and how often a panel is empty."""
    same_hits, same_n, rel_hits, rel_n, empty = 0, 0, 0, 0, 0
    for seed in seeds:
        panel = panels[seed.doc_id]
        same_n += len(panel.same)
        same_hits += sum(seed.relevant.get(s.doc.doc_id, 0) == 2 for s in panel.same)
        rel_n += len(panel.related)
        rel_hits += sum(seed.relevant.get(s.doc.doc_id, 0) >= 1 for s in panel.related)
        empty += not panel.items
    return {
        "same-tier precision (grade 2)": same_hits / same_n if same_n else 0.0,
        "same-tier items per seed": same_n / len(seeds),
        "related-tier precision (grade ≥1)": rel_hits / rel_n if rel_n else 0.0,
        "seeds with an empty panel": empty / len(seeds),
    }


def averaged(rows: list[dict[str, float]]) -> dict[str, float]:
    return {name: mean(r[name] for r in rows) for name in rows[0]} if rows else {}


def old_query(doc: Document) -> str:
    """The query the old Archive.similar_incidents made of a post-mortem."""
    tags = [str(t) for t in doc.metadata.get("tags") or []]
    return " ".join([doc.title, *tags, str(doc.metadata.get("root_cause") or "")])


def baselines(archive: Archive, seeds: Sequence[Seed]) -> dict[str, dict[str, float]]:
    pm = SearchFilters(kinds=("postmortem",))
    runs: dict[str, Callable[[Document], list[str]]] = {
        "old similar_incidents (search)": lambda d: [
            h.doc_id for h in archive.search(old_query(d), pm, limit=K + 1) if h.doc_id != d.doc_id
        ],
        "more_like": lambda d: [h.doc_id for h in archive.more_like(d.doc_id, pm, limit=K)[1]],
    }
    out = {}
    for name, run in runs.items():
        rows = []
        for seed in seeds:
            doc = archive.document(seed.doc_id)
            assert doc is not None, seed.doc_id
            rows.append(metrics(run(doc), seed))
        out[name] = averaged(rows)
    return out


def ranking_of(iset: incidents.IncidentSet, doc_id: str) -> list[str]:
    i = iset.index_of(doc_id)
    assert i is not None, doc_id
    return [iset.profiles[j].doc_id for j, _ in incidents.ranked(iset, i)]


GRID_WEIGHTS = [
    (cause, whole, tags)
    for cause, whole, tags in itertools.product(
        (0.3, 0.45, 0.6, 0.75), (0.0, 0.15, 0.3), (0.0, 0.06, 0.15)
    )
]
GRID_FLOORS = (0.15, 0.25, 0.35)
GRID_SAME = (0.12, 0.16, 0.2, 0.24, 0.28, 0.32, 0.36, 0.4, 0.45, 0.5)
GRID_GATE = (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)
BETA = 0.5  # thresholds maximise F0.5: "likely the same" should be right more than complete


def rank_score(iset: incidents.IncidentSet, seeds: Sequence[Seed]) -> float:
    return mean(metrics(ranking_of(iset, s.doc_id), s)["ndcg@5 (same)"] for s in seeds)


def tier_f(iset: incidents.IncidentSet, seeds: Sequence[Seed], limit: int = K) -> float:
    """F-beta of the "same" tier against grade 2 (recall over grade-2 ids, capped at LIMIT)."""
    hits = shown = wanted = 0
    for seed in seeds:
        doc = next(p.doc for p in iset.profiles if p.doc_id == seed.doc_id)
        panel = incidents.similar(iset, doc, limit=limit)
        shown += len(panel.same)
        hits += sum(seed.relevant.get(s.doc.doc_id, 0) == 2 for s in panel.same)
        wanted += min(limit, sum(g == 2 for g in seed.relevant.values()))
    p = hits / shown if shown else 0.0
    r = hits / wanted if wanted else 0.0
    b2 = BETA * BETA
    return (1 + b2) * p * r / (b2 * p + r) if p + r else 0.0


def choose(base: incidents.IncidentSet, seeds: Sequence[Seed]) -> incidents.SimilarityParams:
    """Weights by nDCG@5 on SEEDS, then the "same" threshold and gate by tier F0.5."""
    best: tuple[float, incidents.SimilarityParams] | None = None
    for (cause, whole, tags), floor in itertools.product(GRID_WEIGHTS, GRID_FLOORS):
        params = replace(base.params, cause=cause, whole=whole, tags=tags, floor=floor)
        score = rank_score(base.with_params(params), seeds)
        if best is None or score > best[0] + 1e-9:
            best = (score, params)
    assert best is not None
    params = best[1]
    tiered: tuple[float, incidents.SimilarityParams] | None = None
    for same, gate in itertools.product(GRID_SAME, GRID_GATE):
        trial = replace(params, same=same, gate=gate, related=same * 0.7, related_gate=gate - 0.1)
        f1 = tier_f(base.with_params(trial), seeds)
        if tiered is None or f1 > tiered[0] + 1e-9:
            tiered = (f1, trial)
    assert tiered is not None
    return tiered[1]


def evaluate(iset: incidents.IncidentSet, seeds: Sequence[Seed]) -> dict[str, float]:
    rows = averaged([metrics(ranking_of(iset, s.doc_id), s) for s in seeds])
    docs = {p.doc_id: p.doc for p in iset.profiles}
    panels = {s.doc_id: incidents.similar(iset, docs[s.doc_id], limit=K) for s in seeds}
    return rows | tier_metrics(panels, seeds)


def folds(seeds: Sequence[Seed], k: int, rng: random.Random) -> list[list[Seed]]:
    shuffled = list(seeds)
    rng.shuffle(shuffled)
    return [shuffled[i::k] for i in range(k)]


def cluster_metrics(iset: incidents.IncidentSet, families: dict[str, str]) -> dict[str, float]:
    """Pairwise precision/recall and ARI of the recurrence clusters against judged families."""
    found = recurrence.clusters(iset)
    ours: dict[str, int] = {}
    for n, c in enumerate(found):
        for d in c.doc_ids:
            ours[d] = n
    ids = [p.doc_id for p in iset.profiles if p.doc_id in families]
    ours_full = {d: ours.get(d, -1 - i) for i, d in enumerate(ids)}  # singletons: own cluster
    tp = fp = fn = 0
    for a, b in itertools.combinations(ids, 2):
        same_ours = ours_full[a] == ours_full[b]
        same_truth = families[a] == families[b]
        tp += same_ours and same_truth
        fp += same_ours and not same_truth
        fn += same_truth and not same_ours
    return {
        "clusters": float(len(found)),
        "clustered documents": float(len(ours)),
        "pairwise precision": tp / (tp + fp) if tp + fp else 0.0,
        "pairwise recall": tp / (tp + fn) if tp + fn else 0.0,
        "ARI": ari([ours_full[d] for d in ids], [families[d] for d in ids]),
    }


def ari(a: Sequence[Any], b: Sequence[Any]) -> float:
    """Adjusted Rand index of two labelings of the same items."""
    from math import comb

    pairs = {}
    for x, y in zip(a, b, strict=True):
        pairs[(x, y)] = pairs.get((x, y), 0) + 1
    rows: dict[Any, int] = {}
    cols: dict[Any, int] = {}
    for (x, y), n in pairs.items():
        rows[x] = rows.get(x, 0) + n
        cols[y] = cols.get(y, 0) + n
    index = sum(comb(n, 2) for n in pairs.values())
    sum_a = sum(comb(n, 2) for n in rows.values())
    sum_b = sum(comb(n, 2) for n in cols.values())
    expected = sum_a * sum_b / comb(len(a), 2)
    top = (sum_a + sum_b) / 2
    return (index - expected) / (top - expected) if top != expected else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.similar_eval",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--data-dir", type=Path, default=Path(".hindsight-bench/similar/data"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3, help="k-fold repeats (seeded shuffles)")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)

    from bench.eval import build
    from index.embedder import SentenceTransformerEmbedder
    from index.opener import open_archive
    from index.settings import Settings

    settings = Settings(data_dir=args.data_dir)
    embedder = SentenceTransformerEmbedder(settings)
    build(args.data_dir, [args.shared / "corpus" / "postmortems"], embedder, args.quiet)
    archive = open_archive(settings, Viewer.everything(), embedder)
    seeds = load_seeds(JUDGED / "similar_incidents.jsonl")
    families = {
        r["uuid"]: r["failure_mode"]
        for r in map(json.loads, (JUDGED / "failure_modes.jsonl").read_text().splitlines())
    }
    out: dict[str, Any] = {"seeds": len(seeds)}
    out["baselines"] = baselines(archive, seeds)
    variants = (
        ("passages", False, False),
        ("cause text", True, False),
        ("cause text, gated support", True, True),
    )
    for variant, text, gated in variants:
        archive.incident_text = text
        archive.incident_params = replace(archive.incident_params, gated_support=gated)
        base = archive.incident_set()
        out["documents"] = len(base)
        found: dict[str, Any] = {"defaults": evaluate(base, seeds)}
        dev_rows: list[dict[str, float]] = []
        held_rows: list[dict[str, float]] = []
        chosen = []
        for repeat in range(args.repeats):
            for held in folds(seeds, args.folds, random.Random(repeat)):
                dev = [s for s in seeds if s not in held]
                params = choose(base, dev)
                chosen.append(params)
                tuned = base.with_params(params)
                dev_rows.append(evaluate(tuned, dev))
                held_rows.append(evaluate(tuned, held))
                print(f"{variant} fold: {params}", file=sys.stderr)
        found["dev"] = averaged(dev_rows)
        found["held-out"] = averaged(held_rows)
        found["chosen"] = [p.__dict__ for p in chosen]
        found["clusters (defaults)"] = cluster_metrics(base, families)
        if chosen:
            found["clusters (last fold's choice)"] = cluster_metrics(
                base.with_params(chosen[-1]), families
            )
        out[variant] = found
    print(json.dumps(out, indent=2, default=str))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
