"""`python -m bench.experts_eval`: who knows, by evidence vs by declared topics, on content/.

Indexes content/ with the product's own ingest (incremental), then for each judged topic of
bench/judgements/experts_content.jsonl ranks people two ways: today's declared-topic ranking
(index.experts.find_experts: declared topics first, then profile text by meaning) and the
evidence model (index.expertise). Role weights and the half-life are chosen by grid search on
cross-validation folds: each fold's topics are ranked with the parameters that scored best on
the other folds' topics (dev), so the held-out figure never saw its own judgements.

Examples:
  python -m bench.experts_eval
  python -m bench.experts_eval --data-dir .hindsight-bench/experts --json bench/results/experts.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from statistics import fmean

from bench.metrics import ndcg_at_k
from index.access import Viewer
from index.embedder import SentenceTransformerEmbedder
from index.expertise import ExpertiseParams, PeopleIndex, Vote, rank, topic_votes
from index.experts import find_experts
from index.opener import open_archive
from index.people import name_key
from index.settings import Settings
from ingest.pipeline import Ingestor

K = 5
FOLDS = 4
JUDGEMENTS = Path("bench/judgements/experts_content.jsonl")
# Evidence ages against a fixed day, so the figures do not drift as the calendar moves.
TODAY = dt.date(2026, 11, 1)
GRID = {
    "action_owner": (0.25, 0.5, 1.0),
    "presenter": (0.5, 0.8, 1.0),
    "speaker": (0.4, 0.8, 1.2),
    "talk_speaker": (0.5, 0.8, 1.0),
    "reviewer": (0.4, 0.6, 1.0),
    "declared": (0.0, 0.25, 0.5, 1.0),
    "half_life_days": (0.0, 365.0, 730.0, 1460.0),
}
MIN_COSINES = (0.25, 0.3, 0.35)


@dataclass(frozen=True)
class Topic:
    id: str
    query: str
    relevant: dict[str, int]


def load(path: Path) -> list[Topic]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [Topic(r["id"], r["query"], r["relevant"]) for r in rows]


def candidates() -> list[tuple[float, ExpertiseParams]]:
    """Every grid point as (min cosine, params); the author weight is the unit (1.0)."""
    keys = list(GRID)
    out = []
    for min_cos in MIN_COSINES:
        for values in itertools.product(*(GRID[k] for k in keys)):
            chosen = dict(zip(keys, values, strict=True))
            half_life = chosen.pop("half_life_days")
            params = ExpertiseParams(half_life_days=half_life, min_cosine=min_cos)
            out.append((min_cos, params.with_weights(**chosen)))
    return out


def distance(candidate: tuple[float, ExpertiseParams]) -> float:
    """How far a grid point is from the prior defaults (relative differences, summed)."""
    min_cos, params = candidate
    prior = ExpertiseParams()
    out = abs(min_cos - prior.min_cosine) / prior.min_cosine
    out += abs(params.half_life_days - prior.half_life_days) / prior.half_life_days
    for role, weight in prior.weights:
        out += abs(params.weight(role) - weight) / weight
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--content", default="content")
    parser.add_argument("--data-dir", default=".hindsight-bench/experts")
    parser.add_argument("--judgements", default=str(JUDGEMENTS))
    parser.add_argument("--json", metavar="FILE", help="write figures and chosen params here")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    settings = Settings(data_dir=Path(args.data_dir))
    embedder = SentenceTransformerEmbedder(settings)
    Ingestor(settings, embedder).run([args.content])
    archive = open_archive(settings, Viewer(name="bench"), embedder)
    searcher = archive._searcher
    people: PeopleIndex = archive._people_index()
    topics = load(Path(args.judgements))

    declared = {
        t.id: [
            name_key(m.expert.name) for m in find_experts(searcher, t.query, limit=10, access=())
        ]
        for t in topics
    }
    votes: dict[tuple[float, str], list[Vote]] = {}
    for min_cos in MIN_COSINES:
        for t in topics:
            params = ExpertiseParams(min_cosine=min_cos)
            votes[(min_cos, t.id)] = topic_votes(searcher, t.query, archive.scope(), params)

    def ranked(t: Topic, min_cos: float, params: ExpertiseParams) -> list[str]:
        found = rank(people, votes[(min_cos, t.id)], t.query, params, today=TODAY, limit=10)
        return [m.person.key for m in found]

    grid = candidates()
    # nDCG of every grid point on every topic, once: folds only pick rows of this table.
    table = [[ndcg_at_k(ranked(t, *c), t.relevant, K) for t in topics] for c in grid]
    column = {t.id: i for i, t in enumerate(topics)}

    def score(ts: list[Topic], n: int) -> float:
        return fmean(table[n][column[t.id]] for t in ts)

    def pick(ts: list[Topic]) -> int:
        """The best grid point on TS; among ties, the one nearest the prior defaults."""
        return max(range(len(grid)), key=lambda n: (round(score(ts, n), 6), -distance(grid[n])))

    folds = [[t for i, t in enumerate(topics) if i % FOLDS == f] for f in range(FOLDS)]
    held_out: dict[str, float] = {}
    dev: list[float] = []
    chosen_per_fold = []
    for f, test in enumerate(folds):
        train = [t for g, fold in enumerate(folds) if g != f for t in fold]
        best = pick(train)
        dev.append(score(train, best))
        chosen_per_fold.append(grid[best])
        for t in test:
            held_out[t.id] = table[best][column[t.id]]
    best_all = pick(topics)
    overall = grid[best_all]
    default = (ExpertiseParams().min_cosine, ExpertiseParams())
    no_declared = (default[0], default[1].with_weights(declared=0.0))
    no_decay = (default[0], replace(default[1], half_life_days=0.0))
    baseline = {t.id: ndcg_at_k(declared[t.id], t.relevant, K) for t in topics}
    shipped = {t.id: ndcg_at_k(ranked(t, *default), t.relevant, K) for t in topics}

    rows = [
        ("Declared topics + profile text (today's directory)", fmean(baseline.values()), "—"),
        ("Evidence, shipped defaults", fmean(shipped.values()), "—"),
        (
            "Evidence, shipped defaults, no declared vote",
            fmean(ndcg_at_k(ranked(t, *no_declared), t.relevant, K) for t in topics),
            "—",
        ),
        (
            "Evidence, shipped defaults, no decay",
            fmean(ndcg_at_k(ranked(t, *no_decay), t.relevant, K) for t in topics),
            "—",
        ),
        ("Evidence, tuned per fold", fmean(dev), fmean(held_out.values())),
    ]
    print(f"Judged topics: {len(topics)} · folds: {FOLDS} · grid points: {len(grid)}\n")
    print(f"| ranking | nDCG@{K} (all / dev) | nDCG@{K} held-out |")
    print("|---|---:|---:|")
    for name, a, b in rows:
        print(f"| {name} | {a:.3f} | {b if isinstance(b, str) else f'{b:.3f}'} |")
    print("\nPer topic (declared → evidence defaults → evidence held-out):")
    for t in topics:
        print(
            f"  {t.id} {t.query!r}: {baseline[t.id]:.2f} → {shipped[t.id]:.2f} → "
            f"{held_out[t.id]:.2f}   declared top: {declared[t.id][:3]} · evidence top: "
            f"{ranked(t, *default)[:3]}"
        )
    print("\nChosen per fold:")
    for min_cos, p in chosen_per_fold:
        print(f"  min_cosine={min_cos} half_life={p.half_life_days} weights={dict(p.weights)}")
    print(
        f"Chosen on all topics: min_cosine={overall[0]} half_life={overall[1].half_life_days} "
        f"weights={dict(overall[1].weights)} (nDCG@{K} {score(topics, best_all):.3f}, dev)"
    )
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(
            json.dumps(
                {
                    "k": K,
                    "baseline": baseline,
                    "shipped": shipped,
                    "held_out": held_out,
                    "dev": dev,
                    "folds": [asdict(replace(p, min_cosine=m)) for m, p in chosen_per_fold],
                    "overall": asdict(replace(overall[1], min_cosine=overall[0])),
                },
                indent=2,
            )
        )
    archive._searcher.snapshot.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
