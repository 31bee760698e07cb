"""Every chunk's document, in memory: the joins and filters of a query as numpy lookups.

A hybrid query meets ~400 candidate chunks and needs each one's document, the timed passages
of the transcripts it shows and, under a filter, the chunks of the allowed documents. Asked
of DuckDB, each is a join or scan: 2–5 ms at 100k chunks, 10–35 ms at 1M. A snapshot never
changes, so its table is read once (~60 ms at 100k chunks, ~400 ms at 1M; 13 bytes a chunk)
and each query then costs microseconds to a few milliseconds.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import replace

import duckdb
import numpy as np

from index import catalog
from index.access import may_see
from index.filters import SearchFilters
from index.timefmt import day_number

NO_DATE = np.iinfo(np.int32).min  # a document without a date: outside every date range
_CACHED_FILTERS = 32  # a portal session applies a handful of filters to many queries


class ChunkTable:
    """Chunk ids (sorted) → document numbers; documents numbered in doc_id order."""

    def __init__(
        self,
        ids: np.ndarray,
        doc: np.ndarray,
        doc_ids: list[str],
        doc_kind: list[str],
        doc_day: np.ndarray,
        passages: np.ndarray,
        passage_start: np.ndarray,
        doc_access: dict[int, tuple[str, ...]] | None = None,
    ) -> None:
        self.ids = ids  # int64, sorted
        self.doc = doc  # int32: the document number of ids[i]
        self.doc_ids = doc_ids  # document number → doc_id
        self._kind = np.asarray(doc_kind, dtype=object)
        self._day = doc_day  # int32 days since 1970-01-01, NO_DATE when undated
        self._passages = passages  # timed chunk ids, grouped by document, in time order
        self._passage_start = passage_start  # document number → offset into _passages
        self._number = {d: i for i, d in enumerate(doc_ids)}
        self._access = doc_access or {}  # document number → its access groups (restricted only)
        self._allowed: OrderedDict[SearchFilters, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def load(cls, cur: duckdb.DuckDBPyConnection) -> ChunkTable:
        """Read the table of one snapshot's catalog (its cursor: the same read-only state)."""
        docs = cur.execute(
            "SELECT doc_id, kind, coalesce(date_diff('day', DATE '1970-01-01', date), ?) "
            "FROM documents ORDER BY doc_id",
            [int(NO_DATE)],
        ).fetchall()
        cols = cur.execute(
            "SELECT c.chunk_id, d.n::INTEGER AS doc, c.ordinal, c.start_s IS NOT NULL AS timed "
            "FROM chunks c JOIN (SELECT doc_id, row_number() OVER (ORDER BY doc_id) - 1 AS n "
            "FROM documents) d USING (doc_id) ORDER BY c.chunk_id"
        ).fetchnumpy()
        ids = np.asarray(cols["chunk_id"], dtype=np.int64)
        doc = np.asarray(cols["doc"], dtype=np.int32)
        timed = np.asarray(cols["timed"], dtype=bool)
        order = np.lexsort((np.asarray(cols["ordinal"])[timed], doc[timed]))
        counts = np.bincount(doc[timed], minlength=len(docs))
        number = {r[0]: i for i, r in enumerate(docs)}
        access: dict[int, list[str]] = {}
        for doc_id, group in cur.execute(
            "SELECT doc_id, value FROM doc_facets WHERE facet = 'access'"
        ).fetchall():
            if doc_id in number:
                access.setdefault(number[doc_id], []).append(group)
        return cls(
            ids=ids,
            doc=doc,
            doc_ids=[r[0] for r in docs],
            doc_kind=[r[1] for r in docs],
            doc_day=np.array([r[2] for r in docs], dtype=np.int32),
            passages=ids[timed][order],
            passage_start=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
            doc_access={n: tuple(sorted(g)) for n, g in access.items()},
        )

    def __len__(self) -> int:
        return len(self.ids)

    def docs_of(self, chunk_ids: np.ndarray) -> np.ndarray:
        """The document number of each chunk id; -1 for an id not in this snapshot."""
        chunk_ids = np.asarray(chunk_ids, dtype=np.int64)
        if not len(self.ids):
            return np.full(len(chunk_ids), -1, dtype=np.int32)
        pos = np.searchsorted(self.ids, chunk_ids).clip(max=len(self.ids) - 1)
        return np.where(self.ids[pos] == chunk_ids, self.doc[pos], -1).astype(np.int32)

    def number(self, doc_id: str) -> int | None:
        """The number of DOC_ID (None when it is not in this snapshot)."""
        return self._number.get(doc_id)

    def visible(self, doc_id: str, access: tuple[str, ...] | None) -> bool:
        """True when DOC_ID is in this snapshot and the access key ACCESS may see it."""
        number = self._number.get(doc_id)
        return number is not None and may_see(access, self._access.get(number, ()))

    def passages(self, number: int) -> np.ndarray:
        """Chunk ids of document NUMBER's timed passages (transcripts), in time order."""
        return self._passages[self._passage_start[number] : self._passage_start[number + 1]]

    @property
    def has_restricted(self) -> bool:
        """True when some document carries access groups."""
        return bool(self._access)

    def effective(self, filters: SearchFilters) -> SearchFilters:
        """FILTERS without an access restriction that cannot exclude anything here."""
        if filters.access is None:
            return filters
        if not self._access or all(
            set(groups) & set(filters.access) for groups in self._access.values()
        ):
            return replace(filters, access=None)
        return filters

    def allowed(
        self, cur: duckdb.DuckDBPyConnection, filters: SearchFilters
    ) -> tuple[np.ndarray, np.ndarray]:
        """(a boolean per document, the sorted chunk ids) that FILTERS allow.

        Same meaning as catalog.filter_clause; kind, date and access are tested here, facets
        asked of the catalog. The last few results are kept: filters repeat across queries
        (the filter is the key, and it carries the viewer's access key).
        """
        key = filters
        with self._lock:
            if key in self._allowed:
                self._allowed.move_to_end(key)
                return self._allowed[key]
        mask = self._doc_mask(cur, filters)
        result = (mask, self.ids[mask[self.doc]])
        with self._lock:
            self._allowed[key] = result
            while len(self._allowed) > _CACHED_FILTERS:
                self._allowed.popitem(last=False)
        return result

    def _doc_mask(self, cur: duckdb.DuckDBPyConnection, filters: SearchFilters) -> np.ndarray:
        mask = np.ones(len(self.doc_ids), dtype=bool)
        if filters.kinds:
            mask &= np.isin(self._kind, list(filters.kinds))
        if filters.date_from is not None or filters.date_to is not None:
            mask &= self._day != NO_DATE
        if filters.date_from is not None:
            mask &= self._day >= day_number(filters.date_from)
        if filters.date_to is not None:
            mask &= self._day <= day_number(filters.date_to)
        for facet, values in filters.facets:
            mask &= self._mask_of(catalog.docs_with_facet(cur, facet, values))
        if filters.doc_ids is not None:
            mask &= self._mask_of(filters.doc_ids)
        if filters.access is not None:
            for number, groups in self._access.items():
                if not may_see(filters.access, groups):
                    mask[number] = False
        return mask

    def _mask_of(self, doc_ids: Iterable[str]) -> np.ndarray:
        mask = np.zeros(len(self.doc_ids), dtype=bool)
        numbers = [n for n in map(self._number.get, doc_ids) if n is not None]
        mask[numbers] = True
        return mask
