"""A reader process for tests/test_concurrent_search.py: query in a loop while a writer works.

`python -m tests.search_worker DATA_DIR EXPECTED.json STOP_FILE RESULT.json` answers every
query of EXPECTED.json over and over — from a snapshot it reopens when stale, like the
portal, and from a fresh snapshot per query, like `hindsight search` — until STOP_FILE
exists. Each result must be exactly one of the complete versions' results; anything else
(an error, a partial result) is written to RESULT.json.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

from index.reader import IndexSnapshot
from index.search import Searcher
from tests.conftest import HashingEmbedder


class Rounds:
    """Each round's snapshot: a fresh one every other round (like `hindsight search`), else the
    kept one, reopened when a newer version is published (like the portal)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.count = 0
        self.kept: IndexSnapshot | None = None

    def next(self) -> tuple[IndexSnapshot, bool]:
        """(the snapshot to read, whether it is this round's own and must be closed after)."""
        self.count += 1
        if self.count % 2 == 0:
            return IndexSnapshot.open(self.root), True
        if self.kept is None or self.kept.is_stale():
            old, self.kept = self.kept, IndexSnapshot.open(self.root)
            if old is not None:
                old.close()
        return self.kept, False


def signature(searcher: Searcher, query: str, mode: str) -> list[list[object]]:
    hits = searcher.search(query, mode=mode, limit=10)  # type: ignore[arg-type]
    return [[h.doc_id, h.chunk_id, h.title] for h in hits]


def main(data_dir: Path, expected_path: Path, stop: Path, result_path: Path) -> None:
    expected: dict[str, list[list[list[object]]]] = json.loads(expected_path.read_text())
    embed = HashingEmbedder().embed_query
    answered = 0
    versions: set[str] = set()
    problems: list[str] = []
    rounds = Rounds(data_dir)
    print("ready", flush=True)
    while not stop.exists() and len(problems) < 20:
        try:
            current, fresh = rounds.next()
            versions.add(current.version)
            searcher = Searcher(current, embed)
            for key, wanted in expected.items():
                mode, query = key.split(":", 1)
                got = signature(searcher, query, mode)
                answered += 1
                if got not in wanted:
                    problems.append(f"{current.version} {key!r}: {got} is no complete version's")
            if fresh:
                current.close()
        except Exception:  # noqa: BLE001 - every failure is the finding
            problems.append(traceback.format_exc())
    result_path.write_text(
        json.dumps(
            {
                "rounds": rounds.count,
                "answered": answered,
                "versions": sorted(versions),
                "problems": problems,
            }
        )
    )


if __name__ == "__main__":
    main(*(Path(a) for a in sys.argv[1:5]))
