"""`python -m bench.floor_cv`: choose the relevance floors on held-out folds (issue 24).

Two floors, one rule (index/relevance.py):

- **Search** (`SEARCH_FLOOR`: cosine, keyword coverage and cosine, the cosine when no visible
  document uses a word of the query). Queries: the judged post-mortem dev queries of
  ../shared (grade-2 documents in the top 10 should clear the floor), the clean versions of the
  bundled typo queries (their obvious document should), and the nonsense and off-topic short
  queries of bench/judgements/nonsense_queries.jsonl (nothing should). Utility per query: the
  share of its grade-2 documents kept, or 1 when a nonsense/off-topic query matches nothing.
- **Plans** (`PLAN_FLOOR`: the same rule with the plan cosine; the keyword part is the search
  floor's). Plans: the judged briefs (bench/judgements/briefs.jsonl: utility = incidents
  nDCG@5 with the floor) and the off-topic plans (utility 1 when the brief has no incident and
  no recording, else 0), each as a sentence and as a paragraph, over both corpora.

5 folds by query / plan id (seeded shuffle): each fold's floor is the grid point with the best
mean utility on the other four folds (ties: the point nearest the prior, the floor shipped
before this measurement), scored on the held-out fold. Indexes are the ones `bench.brief_eval`
builds (ingested incrementally here too).

  python -m bench.floor_cv --json bench/results/floor_cv.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from statistics import fmean
from typing import Any

from bench.metrics import ndcg_at_k
from circulation.brief import PER_PASSAGE, fuse_passages, passages
from index.access import Viewer
from index.embedder import SentenceTransformerEmbedder
from index.filters import SearchFilters
from index.kinds import TALK_KINDS
from index.models import SearchHit
from index.opener import open_archive
from index.relevance import PLAN_FLOOR, PLAN_MEDIA_FLOOR, SEARCH_FLOOR, FloorParams, matches
from index.settings import Settings
from ingest.pipeline import Ingestor

ROOT = Path(__file__).resolve().parent.parent
JUDGED = ROOT / "bench" / "judgements"
FOLDS = 5
PRIOR = FloorParams(cosine=0.35, keyword_coverage=0.5, keyword_cosine=0.25, unknown_cosine=0.5)
SEARCH_GRID = [
    FloorParams(c, k, kc, u)
    for c, k, kc, u in itertools.product(
        (0.30, 0.33, 0.35, 0.38, 0.40),
        (0.4, 0.5, 0.6, 0.7),
        (0.15, 0.20, 0.25, 0.30),
        (0.45, 0.50, 0.55, 0.60),
    )
]
PLAN_COSINES = [round(0.34 + 0.02 * i, 2) for i in range(12)]
POSTMORTEMS = SearchFilters(kinds=("postmortem",))
MEDIA = SearchFilters(kinds=("showcase", *TALK_KINDS))


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@dataclass
class Item:
    """One query or plan version, with what the floor decides on: hits and their evidence."""

    id: str
    corpus: str
    kind: str  # "judged", "nonsense", "off-topic"
    relevant: dict[str, int]
    rankings: dict[str, list[list[SearchHit]]]  # "all" | "pm" | "media" → hits per passage
    recordings: tuple[str, ...] = ()  # recordings judged to explain a plan

    def search_utility(self, floor: FloorParams) -> float:
        hits = self.rankings["all"][0]
        if self.kind != "judged":
            return float(not any(matches(h.evidence, floor) for h in hits))
        wanted = [h for h in hits if self.relevant.get(_key(h), 0) == 2]
        return fmean(matches(h.evidence, floor) for h in wanted) if wanted else float("nan")

    def incident_utility(self, floor: FloorParams) -> float:
        """Incidents nDCG@5 of a judged plan; 1 when an off-topic plan gets no incident."""
        incidents = [f.hit for f in fuse_passages(self.rankings["pm"], floor)][:5]
        if self.kind != "judged":
            return float(not incidents)
        return ndcg_at_k([_key(h) for h in incidents], self.relevant, k=5)

    def media_utility(self, floor: FloorParams) -> float:
        """A judged recording in the top 5 (plans that have one); 1 when an off-topic plan
        gets no recording or talk; NaN for plans nothing was judged on."""
        if "media" not in self.rankings or (self.kind == "judged" and not self.recordings):
            return float("nan")
        media = [f.doc_id for f in fuse_passages(self.rankings["media"], floor)][:5]
        if self.kind != "judged":
            return float(not media)
        return float(any(d in self.recordings for d in media))


def _key(hit: SearchHit) -> str:
    """The judged id of a hit: the shared corpus judges by front-matter uuid."""
    return str(hit.metadata.get("uuid") or hit.doc_id)


def collect(shared: Path, data_dir: Path) -> tuple[list[Item], list[Item]]:
    """The search items and the plan items, searched once through the product's door."""
    embedder = SentenceTransformerEmbedder(Settings())
    sources = {"content": ROOT / "content", "shared": shared / "corpus" / "postmortems"}
    briefs, off = _lines(JUDGED / "briefs.jsonl"), _lines(JUDGED / "off_topic_plans.jsonl")
    nonsense, typos = (
        _lines(JUDGED / "nonsense_queries.jsonl"),
        _lines(JUDGED / "typo_queries.jsonl"),
    )
    dev = _lines(shared / "queries" / "postmortems_dev.jsonl")
    searches: list[Item] = []
    plans: list[Item] = []
    for corpus, source in sources.items():
        if not source.exists():
            print(f"{corpus}: skipped ({source} missing)", file=sys.stderr)
            continue
        settings = Settings(data_dir=data_dir / corpus)
        Ingestor(settings, embedder).run([str(source)])
        archive = open_archive(settings, Viewer.everything("bench"), embedder)
        count = archive.count_tokens

        def search(text: str, filters: SearchFilters | None = None) -> list[SearchHit]:
            return archive.search(text, filters, limit=PER_PASSAGE)  # noqa: B023

        def per_passage(text: str, filters: SearchFilters) -> list[list[SearchHit]]:
            return [search(p, filters) for p in passages(text, count)]  # noqa: B023

        queries = [
            (q["id"], "judged", q["query"], q["relevant"]) for q in dev if corpus == "shared"
        ]
        queries += [
            (q["id"], "judged", q["clean"], q["relevant"]) for q in typos if q["corpus"] == corpus
        ]
        queries += [(f"{q['id']}", q["kind"], q["query"], {}) for q in nonsense]
        for qid, kind, text, relevant in queries:
            searches.append(Item(qid, corpus, kind, relevant, {"all": [search(text)]}))
        for plan in [p for p in briefs if p["corpus"] == corpus] + off:
            kind = "judged" if "incidents" in plan else "off-topic"
            for version in ("sentence", "paragraph"):
                rankings = {"pm": per_passage(plan[version], POSTMORTEMS)}
                if corpus == "content":
                    rankings["media"] = per_passage(plan[version], MEDIA)
                relevant, recordings = plan.get("incidents", {}), tuple(plan.get("recordings", ()))
                plans.append(Item(plan["id"], corpus, kind, relevant, rankings, recordings))
    return searches, plans


def _mean(values: Sequence[float]) -> float:
    kept = [v for v in values if v == v]  # NaN: a query without a grade-2 document in its top 10
    return fmean(kept) if kept else float("nan")


def _distance(a: FloorParams, b: FloorParams) -> float:
    return sum(abs(x - y) for x, y in zip(asdict(a).values(), asdict(b).values(), strict=True))


def cross_validate(
    items: list[Item],
    grid: list[FloorParams],
    utility: Callable[[Item, FloorParams], float],
    prior: FloorParams,
) -> dict[str, Any]:
    """Each fold's choice on the other folds, and its utility held out."""
    ids = sorted({i.id for i in items})
    random.Random(24).shuffle(ids)
    fold_of = {qid: n % FOLDS for n, qid in enumerate(ids)}
    scores = {p: [utility(i, p) for i in items] for p in grid}
    folds: list[dict[str, Any]] = []
    for fold in range(FOLDS):
        dev = [n for n, i in enumerate(items) if fold_of[i.id] != fold]
        held = [n for n, i in enumerate(items) if fold_of[i.id] == fold]
        best = max(
            grid, key=lambda p: (round(_mean([scores[p][n] for n in dev]), 9), -_distance(p, prior))
        )
        folds.append(
            {
                "chosen": asdict(best),
                "dev": _mean([scores[best][n] for n in dev]),
                "held_out": _mean([scores[best][n] for n in held]),
            }
        )
    return {
        "folds": folds,
        "dev": fmean(f["dev"] for f in folds),
        "held_out": fmean(f["held_out"] for f in folds),
    }


def breakdown(
    items: list[Item], floor: FloorParams, utility: Callable[[Item, FloorParams], float]
) -> dict[str, Any]:
    """Utility per corpus and kind of item under FLOOR."""
    by: dict[str, list[float]] = defaultdict(list)
    for item in items:
        by[f"{item.corpus}/{item.kind}"].append(utility(item, floor))
    return {kind: round(_mean(values), 3) for kind, values in sorted(by.items())}


def main() -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".hindsight-bench" / "brief")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    searches, plans = collect(args.shared, args.data_dir)
    report: dict[str, Any] = {}
    found = cross_validate(searches, SEARCH_GRID, Item.search_utility, PRIOR)
    report["search"] = found
    report["search"]["shipped"] = asdict(SEARCH_FLOOR)
    report["search"]["shipped_breakdown"] = breakdown(searches, SEARCH_FLOOR, Item.search_utility)
    grid = [replace(SEARCH_FLOOR, cosine=c) for c in PLAN_COSINES]
    prior = replace(SEARCH_FLOOR, cosine=PRIOR.cosine)
    for name, utility, shipped in (
        ("plan incidents", Item.incident_utility, PLAN_FLOOR),
        ("plan recordings and talks", Item.media_utility, PLAN_MEDIA_FLOOR),
    ):
        found = cross_validate(plans, grid, utility, prior)
        found["shipped"] = asdict(shipped)
        found["curve"] = {str(p.cosine): breakdown(plans, p, utility) for p in grid}
        report[name] = found
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
