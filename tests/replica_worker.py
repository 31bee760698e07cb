"""A portal replica for tests/test_publish.py: answer queries from a published folder in a loop.

`python -m tests.replica_worker DEST QUERIES.json STOP_FILE RESULT.json` answers every query
over and over until STOP_FILE exists — from a snapshot it reopens when stale (like the portal:
queries started on the old version finish there), and from a fresh snapshot per round (like
`hindsight search`). RESULT.json gets, per version, every distinct answer it gave, and every
error. DEST may be a read-only mount: the replica only reads.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

from index.reader import IndexSnapshot
from index.search import Searcher
from tests.conftest import HashingEmbedder
from tests.search_worker import Rounds


def answer(snapshot: IndexSnapshot, queries: list[str]) -> list[list[str]]:
    searcher = Searcher(snapshot, HashingEmbedder().embed_query)
    out = []
    for key in queries:
        mode, query = key.split(":", 1)
        hits = searcher.search(query, mode=mode, limit=10)  # type: ignore[arg-type]
        out.append([h.doc_id for h in hits])
    return out


def main(dest: Path, queries_path: Path, stop: Path, result_path: Path) -> None:
    queries: list[str] = json.loads(queries_path.read_text())
    seen: dict[str, list[str]] = {}  # version -> distinct answers (JSON text)
    problems: list[str] = []
    rounds = Rounds(dest)
    print("ready", flush=True)
    while not stop.exists() and len(problems) < 20:
        try:
            current, fresh = rounds.next()
            current.require_model(HashingEmbedder.model_id)
            got = json.dumps(answer(current, queries))
            known = seen.setdefault(current.version, [])
            if got not in known:
                known.append(got)
            if fresh:
                current.close()
        except Exception:  # noqa: BLE001 - every failure is the finding
            problems.append(traceback.format_exc())
    result_path.write_text(json.dumps({"rounds": rounds.count, "seen": seen, "problems": problems}))


if __name__ == "__main__":
    main(*(Path(a) for a in sys.argv[1:5]))
