"""`python -m bench.brief_eval`: how good is the pre-work brief, on plans judged by reading.

For each plan of bench/judgements/briefs.jsonl (a one-sentence and a full-paragraph version),
builds the brief through the product's own `Archive.brief` over an index of its corpus
(content/, or ../shared/corpus/postmortems: ingested incrementally with the product pipeline)
and scores it against the judgements: nDCG@5 of the incidents (graded 2 = same failure mode,
1 = related), moment hit@5 (a top-5 moment comes from a recording judged to explain it; plans
with such recordings only), whether a judged person is among the top 3 experts (content/ only),
and whether the sentence and the paragraph agree on the top incident (and how much of their top 5
they share), and the recall of open action items (of the open items the judged grade-2 incidents
carry, the share the brief lists). The brief's constants (10 documents a passage, RRF k = 60)
were set before these judgements; its relevance floor was chosen on held-out folds by
`bench.floor_cv`. The off-topic plans of bench/judgements/off_topic_plans.jsonl (nothing in
either corpus is about them, judged by reading) must give an empty brief: their items are
counted per section.

Examples:
  python -m bench.brief_eval
  python -m bench.brief_eval --shared ../shared --json bench/results/brief_eval.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from statistics import fmean
from typing import Any

from bench.metrics import ndcg_at_k
from circulation.brief import build as build_brief
from index.access import Viewer
from index.embedder import SentenceTransformerEmbedder
from index.filters import SearchFilters
from index.opener import open_archive
from index.settings import Settings
from ingest.pipeline import Ingestor

ROOT = Path(__file__).resolve().parent.parent
JUDGEMENTS = ROOT / "bench" / "judgements" / "briefs.jsonl"
OFF_TOPIC = ROOT / "bench" / "judgements" / "off_topic_plans.jsonl"


def score(archive: Any, plan: dict[str, Any], version: str) -> dict[str, Any]:
    started = time.perf_counter()
    brief = build_brief(archive, plan[version])
    seconds = time.perf_counter() - started
    ranked = [i.doc.doc_id for i in brief.incidents]
    out: dict[str, Any] = {
        "id": plan["id"],
        "version": version,
        "ndcg5": ndcg_at_k(ranked, plan["incidents"], k=5),
        "top": ranked[:1],
        "top5": ranked[:5],
        "seconds": seconds,
        "passages": len(brief.passages),
    }
    if plan["recordings"]:
        out["moment_hit5"] = float(any(m.doc_id in plan["recordings"] for m in brief.moments[:5]))
    if plan["experts"]:
        names = [e.match.person.name for e in brief.experts[:3]]
        out["expert_top3"] = float(any(n in plan["experts"] for n in names))
    expected = open_items(archive, [d for d, g in plan["incidents"].items() if g == 2])
    if expected:
        listed = {(i.doc_id, i.title) for i in brief.open_action_items}
        out["open_recall"] = len(expected & listed) / len(expected)
    return out


def open_items(archive: Any, doc_ids: list[str]) -> set[tuple[str, str]]:
    """The open action items of DOC_IDS, as (doc id, title)."""
    if not doc_ids:
        return set()
    items = archive.action_items(SearchFilters(doc_ids=tuple(doc_ids)))
    return {(i.doc_id, i.title) for i in items if i.is_open}


SECTIONS = ("incidents", "open_action_items", "moments", "talks", "experts", "checklist")


def off_topic(archive: Any, plans: list[dict[str, Any]]) -> dict[str, Any]:
    """Items per section over the off-topic plans (each should be 0), and the plans that had any."""
    totals = dict.fromkeys(SECTIONS, 0)
    noisy = []
    for plan in plans:
        for version in ("sentence", "paragraph"):
            brief = build_brief(archive, plan[version])
            counts = {name: len(getattr(brief, name)) for name in SECTIONS}
            for name, n in counts.items():
                totals[name] += n
            if any(counts.values()):
                noisy.append(f"{plan['id']}/{version}")
    return {"plans": len(plans) * 2, "items": totals, "plans_with_items": noisy}


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def avg(key: str) -> float | None:
        values = [r[key] for r in rows if key in r]
        return round(fmean(values), 3) if values else None

    return {
        "plans": len(rows),
        "ndcg5": avg("ndcg5"),
        "moment_hit5": avg("moment_hit5"),
        "moment_plans": sum("moment_hit5" in r for r in rows),
        "expert_top3": avg("expert_top3"),
        "open_recall": avg("open_recall"),
        "open_plans": sum("open_recall" in r for r in rows),
        "mean_seconds": avg("seconds"),
    }


def main() -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".hindsight-bench" / "brief")
    parser.add_argument("--json", type=Path, help="write per-plan rows and the summary here")
    args = parser.parse_args()
    plans = [json.loads(line) for line in JUDGEMENTS.read_text().splitlines() if line.strip()]
    off_plans = [json.loads(line) for line in OFF_TOPIC.read_text().splitlines() if line.strip()]
    embedder = SentenceTransformerEmbedder(Settings())
    sources = {"content": ROOT / "content", "shared": args.shared / "corpus" / "postmortems"}
    report: dict[str, Any] = {}
    rows_all = []
    for corpus, source in sources.items():
        mine = [p for p in plans if p["corpus"] == corpus]
        if not mine or not source.exists():
            print(f"{corpus}: skipped ({source} missing)", file=sys.stderr)
            continue
        settings = Settings(data_dir=args.data_dir / corpus)
        Ingestor(settings, embedder).run([str(source)])
        archive = open_archive(settings, Viewer.everything("bench"), embedder)
        build_brief(archive, "warm up the model and the index")
        rows = [score(archive, p, v) for p in mine for v in ("sentence", "paragraph")]
        rows_all += [dict(r, corpus=corpus) for r in rows]
        by = {v: summary([r for r in rows if r["version"] == v]) for v in ("sentence", "paragraph")}
        tops = {(r["id"], r["version"]): r["top"] for r in rows}
        agree = fmean(
            float(tops[(p["id"], "sentence")] == tops[(p["id"], "paragraph")]) for p in mine
        )
        top5 = {(r["id"], r["version"]): set(r["top5"]) for r in rows}
        overlap = fmean(
            len(top5[(p["id"], "sentence")] & top5[(p["id"], "paragraph")]) / 5 for p in mine
        )
        report[corpus] = {
            **by,
            "top_incident_agreement": round(agree, 3),
            "top5_overlap": round(overlap, 3),
            "off_topic": off_topic(archive, off_plans),
        }
        print(f"{corpus}: {json.dumps(report[corpus], indent=1)}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"summary": report, "rows": rows_all}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
