"""`python -m bench.typo_eval`: do one-edit typos still find the obvious document?

For each query of bench/judgements/typo_queries.jsonl (one or two words of a judged query
misspelt by one edit, written by hand before this ran: 21 over content/, 20 over the shared
post-mortems' dev queries), the rank of its grade-2 documents three ways through the product's
door (`Archive.find`): the words as typed (`exact`), with the spelling correction, and the
words meant (bench/judgements/typo_queries.jsonl `fixed`: the typed query with its typos
fixed; `clean`: the judged query it came from). Also: how often the search restores the words
meant, how often a correction is
proposed for a clean query or a nonsense one (it should not be), and the nonsense queries'
matches (bench/judgements/nonsense_queries.jsonl: there should be none). Nothing here is tuned.

  python -m bench.typo_eval --json bench/results/typo_eval.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from statistics import fmean
from typing import Any

from index.access import Viewer
from index.embedder import SentenceTransformerEmbedder
from index.opener import open_archive
from index.settings import Settings
from index.tokenize import query_terms
from ingest.pipeline import Ingestor

ROOT = Path(__file__).resolve().parent.parent
JUDGED = ROOT / "bench" / "judgements"


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _rank(hits: Any, relevant: dict[str, int]) -> int | None:
    """Rank (from 1) of the first grade-2 document among the matches; None when absent."""
    wanted = {d for d, g in relevant.items() if g == 2}
    for n, hit in enumerate([h for h in hits if not h.weak], start=1):
        if str(hit.metadata.get("uuid") or hit.doc_id) in wanted:
            return n
    return None


def _summary(ranks: list[int | None]) -> dict[str, float]:
    return {
        "hit@1": round(fmean(r == 1 for r in ranks), 3),
        "hit@3": round(fmean(r is not None and r <= 3 for r in ranks), 3),
        "mrr@10": round(fmean(1 / r if r else 0.0 for r in ranks), 3),
    }


def main() -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".hindsight-bench" / "brief")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    embedder = SentenceTransformerEmbedder(Settings())
    typos, nonsense = (
        _lines(JUDGED / "typo_queries.jsonl"),
        _lines(JUDGED / "nonsense_queries.jsonl"),
    )
    dev = _lines(args.shared / "queries" / "postmortems_dev.jsonl") if args.shared.exists() else []
    sources = {"content": ROOT / "content", "shared": args.shared / "corpus" / "postmortems"}
    report: dict[str, Any] = {}
    for corpus, source in sources.items():
        if not source.exists():
            print(f"{corpus}: skipped ({source} missing)", file=sys.stderr)
            continue
        settings = Settings(data_dir=args.data_dir / corpus)
        Ingestor(settings, embedder).run([str(source)])
        archive = open_archive(settings, Viewer.everything("bench"), embedder)
        rows = [q for q in typos if q["corpus"] == corpus]
        ranks: dict[str, list[int | None]] = {"typed": [], "corrected": [], "meant": []}
        restored, suggested_right, suggested = [], 0, 0
        missed: list[str] = []
        for q in rows:
            exact = archive.find(q["query"], exact=True)
            found = archive.find(q["query"])
            meant = archive.find(q["fixed"], exact=True)
            ranks["typed"].append(_rank(exact.hits, q["relevant"]))
            ranks["corrected"].append(_rank(found.hits, q["relevant"]))
            ranks["meant"].append(_rank(meant.hits, q["relevant"]))
            # The search the reader gets indexes like the words they meant (a typo the stemmer
            # already folds, "embeding", needs no correction), and a suggestion shown is the word.
            searched = found.correction.query if found.correction else q["query"]
            restored.append(query_terms(searched) == query_terms(q["fixed"]))
            if not restored[-1]:
                missed.append(f"{q['query']} → {searched}")
            if found.correction is not None:
                suggested += 1
                suggested_right += found.correction.query.lower() == q["fixed"].lower()
        cleans = [q["clean"] for q in rows] + [q["query"] for q in dev if corpus == "shared"]
        miscorrected = [c for c in cleans if archive.find(c).correction is not None]
        silly = [q["query"] for q in nonsense if archive.find(q["query"]).correction is not None]
        matched = {
            q["query"]: len(archive.find(q["query"]).matches)
            for q in nonsense
            if q["kind"] == "nonsense"
        }
        report[corpus] = {
            "typo_queries": len(rows),
            **{name: _summary(r) for name, r in ranks.items()},
            "search_restored_to_the_meant_words": round(fmean(restored), 3),
            "not_restored": missed,
            "suggestions_shown": suggested,
            "suggestions_exactly_the_meant_words": suggested_right,
            "clean_queries_corrected": f"{len(miscorrected)}/{len(cleans)}",
            "clean_queries_corrected_examples": miscorrected[:5],
            "nonsense_or_off_topic_with_a_suggestion": silly,
            "nonsense_matches": sum(matched.values()),
        }
        print(f"{corpus}: {json.dumps(report[corpus], indent=1)}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
