"""`python -m bench.brief_latency`: how long a brief takes in a warm process.

Opens the index (default .hindsight/, built by `hindsight ingest content/`) as the portal and
the CLI do, warms the model and the index with one brief, then times `Archive.brief` for each
paragraph plan of bench/judgements/briefs.jsonl (content/) and for a two-page design doc
(bench/plans/ledger-hardware-move.md), edited each round so that no passage's search is answered
from the result cache. Reports the median and the worst.

Examples:
  python -m bench.brief_latency
  python -m bench.brief_latency --data-dir .hindsight --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from circulation.brief import build as build_brief
from index.access import Viewer
from index.opener import open_archive
from index.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def timed(archive, plan: str) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    build_brief(archive, plan)
    return time.perf_counter() - started


def main() -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".hindsight")
    parser.add_argument("--rounds", type=int, default=3, help="timed runs of the long doc")
    args = parser.parse_args()
    archive = open_archive(Settings(data_dir=args.data_dir), Viewer(name="bench"))
    judged = ROOT / "bench" / "judgements" / "briefs.jsonl"
    plans = [json.loads(line) for line in judged.read_text().splitlines() if line.strip()]
    paragraphs = [p["paragraph"] for p in plans if p["corpus"] == "content"]
    doc = (ROOT / "bench" / "plans" / "ledger-hardware-move.md").read_text()
    timed(archive, "warm up: promote a replica during a failover")
    short = [timed(archive, p) for p in paragraphs]
    # Each round edits every paragraph, so no passage is answered from the result cache (what
    # stays cached is per snapshot, as in the portal: the incident set and the people index).
    variants = [doc.replace("\n\n", f"\n\n(rev {r}) ") for r in range(args.rounds)]
    long = [timed(archive, v) for v in variants]
    n = len(build_brief(archive, doc).passages)
    print(
        f"paragraph ({len(paragraphs)} plans): median {statistics.median(short):.2f} s, "
        f"worst {max(short):.2f} s"
    )
    print(
        f"two-page doc ({len(doc.split())} words, {n} passages, {args.rounds} runs): "
        f"median {statistics.median(long):.2f} s, worst {max(long):.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
