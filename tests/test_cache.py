"""The snapshot caches: a result LRU keyed by the caller, and rows kept by id."""

from __future__ import annotations

from index.cache import RowCache


def test_rows_are_read_once_and_the_least_recent_go_first() -> None:
    reads: list[list[int]] = []

    def fetch(ids: list[int]) -> dict[int, str]:
        reads.append(ids)
        return {i: f"row {i}" for i in ids if i != 404}  # 404: not in the snapshot

    rows = RowCache(fetch, max_entries=3)
    assert rows.get_many([1, 2, 2, 404]) == {1: "row 1", 2: "row 2"}
    assert reads == [[1, 2, 404]]  # one read, each id once
    assert rows.get_many([2, 1]) == {2: "row 2", 1: "row 1"}  # in the order asked
    assert reads == [[1, 2, 404]]  # held: nothing read
    assert rows.missing([1, 3, 3]) == [3]
    rows.get_many([3, 4])  # 1 was used after 2: 2 is the least recent, and goes
    assert reads[-1] == [3, 4] and len(rows) == 3
    assert rows.missing([1, 2, 3, 4]) == [2]
    assert rows.get_many([4]) == {4: "row 4"} and reads[-1] == [3, 4]
