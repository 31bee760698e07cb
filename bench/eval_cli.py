"""Score `hindsight search --queries` output, so the CLI path can be checked against bench.eval.

Examples:
  hindsight search --data-dir .hindsight-bench/postmortems/data --mode hybrid \\
      --queries ../shared/queries/postmortems_dev.jsonl > /tmp/pm.jsonl
  python -m bench.eval_cli /tmp/pm.jsonl --judged ../shared/queries/postmortems_dev.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench.eval import doc_metrics, moment_metrics
from bench.eval_data import postmortem_queries, transcript_queries
from bench.metrics import mean
from index.models import MomentHit, SearchHit


def _hit(item: dict) -> SearchHit:
    return SearchHit(
        doc_id=item["doc_id"],
        path=item["path"],
        kind=item["kind"],
        title=item["title"],
        score=item["score"],
        snippet=item["snippet"],
        chunk_id=0,
        start=item.get("start"),
        end=item.get("end"),
        moments=tuple(
            MomentHit(m["start"], m["end"], m.get("speaker"), m.get("snippet", ""), m["score"])
            for m in item.get("moments", [])
        ),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.eval_cli", description=__doc__)
    parser.add_argument("results", type=Path, help="JSONL written by hindsight search --queries")
    parser.add_argument("--judged", type=Path, required=True, help="a *_dev.jsonl query file")
    args = parser.parse_args(argv)
    moments = "relevant" in (first := json.loads(args.judged.read_text().splitlines()[0])) and (
        isinstance(first["relevant"], list)
    )
    queries = {
        q.query_id: q for q in (transcript_queries if moments else postmortem_queries)(args.judged)
    }
    scores = []
    for line in args.results.read_text().splitlines():
        row = json.loads(line)
        query = queries[row["id"]]
        hits = [_hit(h) for h in row["hits"]]
        scores.append(
            moment_metrics(hits, query)
            if moments
            else doc_metrics([h.doc_id for h in hits], query.relevant)
        )
    for name in scores[0] if scores else []:
        print(f"{name}\t{mean(s[name] for s in scores):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
