"""Hybrid search: dense (FAISS) and keyword (BM25) candidates, fused, grouped per document."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from index import catalog
from index.catalog import ChunkRow, SearchFilters
from index.models import SearchHit
from index.reader import IndexSnapshot
from index.tokenize import query_terms

Mode = Literal["hybrid", "dense", "keyword"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "keyword")
RRF_K = 60  # the usual reciprocal-rank constant: flattens the head, keeps the tail useful
SNIPPET_CHARS = 320


@dataclass(frozen=True)
class Candidate:
    chunk_id: int
    score: float


def reciprocal_rank_fusion(
    rankings: list[list[int]], weights: list[float] | None = None, k: int = RRF_K
) -> dict[int, float]:
    """Fused score per id: sum over rankings of weight / (k + rank), rank from 1."""
    fused: dict[int, float] = {}
    weights = weights or [1.0] * len(rankings)
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return fused


def make_snippet(text: str, terms: list[str], width: int = SNIPPET_CHARS) -> tuple[str, tuple[str, ...]]:
    """A window of TEXT around the first query term found, and the words that matched."""
    flat = " ".join(text.split())
    lowered = flat.lower()
    words = [w for w in re.findall(r"[\w.\-]+", flat)]
    matched = tuple(
        dict.fromkeys(w for w in words if any(w.lower().startswith(t[:4]) for t in terms if len(t) >= 3))
    )
    first = min((lowered.find(m.lower()) for m in matched), default=0)
    if len(flat) <= width:
        return flat, matched
    start = max(0, first - width // 3)
    if start:
        space = flat.find(" ", start)
        start = space + 1 if 0 <= space < first else start
    snippet = flat[start : start + width].rsplit(" ", 1)[0]
    return ("… " if start else "") + snippet + " …", matched


class Searcher:
    """Answers queries from one snapshot with one embedder."""

    def __init__(self, snapshot: IndexSnapshot, embed_query: Callable[[str], np.ndarray]) -> None:
        self.snapshot = snapshot
        self.embed_query = embed_query

    def _dense(self, query: str, n: int, allowed: np.ndarray | None) -> list[int]:
        vector = self.embed_query(query)
        return [cid for cid, _ in self.snapshot.vectors.search(vector, n, allowed=allowed)]

    def _keyword(self, query: str, n: int, doc_ids: list[str] | None) -> list[int]:
        return [cid for cid, _ in self.snapshot.keyword.search(query, n, doc_ids=doc_ids)]

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        filters: SearchFilters | None = None,
        mode: Mode = "hybrid",
    ) -> list[SearchHit]:
        """Ranked documents for QUERY, each with its best passage."""
        query = query.strip()
        if not query or limit <= 0:
            return []
        cur = self.snapshot.cursor()
        filters = filters or SearchFilters()
        doc_ids = None if filters.is_empty() else catalog.allowed_doc_ids(cur, filters)
        if doc_ids is not None and not doc_ids:
            return []
        allowed = (
            None
            if doc_ids is None
            else np.array(catalog.allowed_chunk_ids(cur, filters), dtype=np.int64)
        )
        n = max(100, limit * 10)
        rankings: list[list[int]] = []
        if mode in ("hybrid", "dense"):
            rankings.append(self._dense(query, n, allowed))
        if mode in ("hybrid", "keyword"):
            rankings.append(self._keyword(query, n, doc_ids))
        fused = reciprocal_rank_fusion(rankings)
        ordered = sorted(fused.items(), key=lambda kv: kv[1], reverse=True)
        return self._group(cur, ordered, query, limit)

    def _group(self, cur, ordered: list[tuple[int, float]], query: str, limit: int) -> list[SearchHit]:  # type: ignore[no-untyped-def]
        rows = catalog.chunks_by_id(cur, [cid for cid, _ in ordered])
        best: dict[str, tuple[ChunkRow, float]] = {}
        for cid, score in ordered:
            row = rows.get(cid)
            if row is not None and row.doc_id not in best:
                best[row.doc_id] = (row, score)
                if len(best) == limit:
                    break
        docs = catalog.documents_by_id(cur, list(best))
        terms = query_terms(query)
        hits: list[SearchHit] = []
        for doc_id, (row, score) in best.items():
            doc = docs.get(doc_id)
            if doc is None:
                continue
            snippet, highlights = make_snippet(row.text, terms)
            hits.append(
                SearchHit(
                    doc_id=doc_id, path=doc.path, kind=doc.kind, title=doc.title, score=score,
                    snippet=snippet, chunk_id=row.chunk_id, date=doc.date, heading=row.heading,
                    start=row.start, end=row.end, speaker=row.speaker, metadata=doc.metadata,
                    highlights=highlights,
                )
            )
        return hits
