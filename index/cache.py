"""Small thread-safe LRUs for what is read or computed from one immutable snapshot."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class ResultCache:
    """Least-recently-used results by key. Callers put the viewer's access key in every key."""

    def __init__(self, max_entries: int = 512) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached value of KEY, computing it (outside the lock) when missing."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]  # type: ignore[no-any-return]
        value = compute()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._items)


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class RowCache(Generic[K, V]):
    """Rows of one immutable snapshot by id, least recently used out: a point read from DuckDB
    costs ~1 ms whatever its size, which is most of a search's rows, so rows read once are kept.
    Rows, not answers: the callers ask only for ids the viewer's search already allowed."""

    def __init__(self, fetch: Callable[[list[K]], dict[K, V]], max_entries: int) -> None:
        self.fetch = fetch
        self.max_entries = max_entries
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def missing(self, keys: Iterable[K]) -> list[K]:
        """Those of KEYS not held (in order, once each)."""
        with self._lock:
            return [k for k in dict.fromkeys(keys) if k not in self._items]

    def get_many(self, keys: Iterable[K]) -> dict[K, V]:
        """The rows of KEYS that exist, fetching those not held in one read."""
        wanted = list(dict.fromkeys(keys))
        found: dict[K, V] = {}
        with self._lock:
            for key in wanted:
                if key in self._items:
                    self._items.move_to_end(key)
                    found[key] = self._items[key]
        missing = [k for k in wanted if k not in found]
        if missing:
            fetched = self.fetch(missing)
            found.update(fetched)
            with self._lock:
                self._items.update(fetched)
                while len(self._items) > self.max_entries:
                    self._items.popitem(last=False)
        return {k: found[k] for k in wanted if k in found}

    def put_many(self, rows: dict[K, V]) -> None:
        """Hold ROWS (read in bulk) as if each had been asked for, up to the cache's size."""
        with self._lock:
            self._items.update(rows)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)
