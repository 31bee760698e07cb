"""Hybrid search: dense (FAISS) and keyword (BM25) candidates, fused per document.

Both retrievers rank chunks. Documents are ranked by fusing each retriever's *document*
ranking (a document placed where its best chunk is), so a document whose meaning one chunk
carries and whose identifiers another chunk carries still gets both votes. The passage shown
is the document's chunk with the best chunk-level fused score; for a transcript it is the
best *moment*: the passage, or pair of adjacent passages, closest to the query in meaning.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

import duckdb
import numpy as np

from index import catalog
from index.catalog import ChunkRow, SearchFilters
from index.models import SearchHit
from index.reader import IndexSnapshot
from index.tokenize import query_terms

Mode = Literal["hybrid", "dense", "keyword"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "keyword")
SNIPPET_CHARS = 320
T = TypeVar("T", bound=Hashable)


@dataclass(frozen=True)
class FusionParams:
    """How candidates are gathered and fused (defaults measured in docs/quality.md)."""

    # Reciprocal-rank fusion. "convex" (min-max scores, weighted sum) scored higher on SciFact
    # but lost transcript moments at rank 1; both are measured in docs/quality.md.
    fusion: Literal["rrf", "convex"] = "rrf"
    dense_weight: float = 0.5  # weights are normalised to sum to 1
    keyword_weight: float = 0.5
    rrf_k: int = 60  # the usual reciprocal-rank constant: flattens the head, keeps the tail useful
    candidates: int = 200  # chunks each retriever contributes (at least limit × 10)
    moment_pairs: bool = True  # a transcript moment may span two adjacent passages


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[T]], weights: Sequence[float] | None = None, k: int = 60
) -> dict[T, float]:
    """Fused score per item: sum over rankings of weight / (k + rank), rank from 1."""
    fused: dict[T, float] = {}
    weights = weights or [1.0] * len(rankings)
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return fused


def document_ranking(chunk_ranking: Sequence[int], doc_of: dict[int, str]) -> list[str]:
    """Documents in the order of their best chunk in CHUNK_RANKING."""
    return list(dict.fromkeys(doc_of[c] for c in chunk_ranking if c in doc_of))


@dataclass(frozen=True)
class Fused:
    """One document after fusion: its score and the chunk that shows it best."""

    doc_id: str
    score: float
    chunk_id: int


def fuse(
    rankings: Sequence[Sequence[int]],
    doc_of: dict[int, str],
    weights: Sequence[float] | None = None,
    k: int = 60,
) -> list[Fused]:
    """Documents ranked by RRF over per-retriever document rankings, each with its best chunk.

    Args:
        rankings: chunk ids per retriever, best first.
        doc_of: the document of each chunk id (chunks missing here are ignored).
        weights: one per retriever (default 1.0 each).
        k: the reciprocal-rank constant.
    """
    doc_scores = reciprocal_rank_fusion([document_ranking(r, doc_of) for r in rankings], weights, k)
    return _ranked(doc_scores, reciprocal_rank_fusion(rankings, weights, k), doc_of)


@dataclass(frozen=True)
class Moment:
    """Where in a transcript a hit points: passages FIRST..LAST (indexes), BEST the strongest."""

    first: int
    last: int
    best: int
    score: float


def best_moment(
    scores: Sequence[float | None],
    vector_of: Callable[[int], np.ndarray | None],
    *,
    pairs: bool = True,
    seeds: int = 3,
) -> Moment | None:
    """The passage, or adjacent pair, whose meaning is closest to the query.

    A pair is scored as one text: the cosine between the query and the mean of its two unit
    vectors, (s_a + s_b) / |v_a + v_b|. It wins only when both halves carry the answer, which
    is common in speech: a question is set up in one passage and answered in the next.

    Args:
        scores: cosine of each passage (in time order) with the query; None when unknown.
        vector_of: the unit vector of passage i (None when unavailable).
        pairs: consider pairs at all.
        seeds: pairs are tried around this many best single passages.
    """
    known = [(s, i) for i, s in enumerate(scores) if s is not None]
    if not known:
        return None
    score, i = max(known)
    best = Moment(i, i, i, score)
    if not pairs:
        return best
    for _, i in sorted(known, reverse=True)[:seeds]:
        for a, b in ((i - 1, i), (i, i + 1)):
            if a < 0 or b >= len(scores) or scores[a] is None or scores[b] is None:
                continue
            va, vb = vector_of(a), vector_of(b)
            if va is None or vb is None:
                continue
            norm = float(np.linalg.norm(va + vb))
            pair = (scores[a] + scores[b]) / norm if norm else 0.0  # type: ignore[operator]
            if pair > best.score:
                strongest = a if scores[a] >= scores[b] else b  # type: ignore[operator]
                best = Moment(a, b, strongest, pair)
    return best


def fuse_scores(
    results: Sequence[Sequence[tuple[int, float]]],
    doc_of: dict[int, str],
    weights: Sequence[float] | None = None,
) -> list[Fused]:
    """Documents ranked by a convex combination of min-max normalised scores.

    Each retriever's scores are scaled to [0, 1] over its own candidates (a chunk it did not
    return counts 0); a document takes its best chunk's value per retriever, and the weighted
    values are summed. Unlike ranks, scores keep the *gaps*: a passage far ahead in one
    retriever is not overtaken by one that is merely fair in both.

    Args:
        results: (chunk id, score) per retriever, best first.
        doc_of: the document of each chunk id (chunks missing here are ignored).
        weights: one per retriever, summing to 1 (default equal).
    """
    weights = weights or [1.0 / len(results)] * len(results)
    chunk_scores: dict[int, float] = {}
    doc_scores: dict[str, float] = {}
    for result, weight in zip(results, weights, strict=True):
        if not result:
            continue
        values = [score for _, score in result]
        low, span = min(values), max(values) - min(values)
        per_doc: dict[str, float] = {}
        for chunk_id, score in result:
            doc_id = doc_of.get(chunk_id)
            if doc_id is None:
                continue
            value = (score - low) / span if span > 0 else 1.0
            chunk_scores[chunk_id] = chunk_scores.get(chunk_id, 0.0) + weight * value
            per_doc[doc_id] = max(per_doc.get(doc_id, 0.0), value)
        for doc_id, value in per_doc.items():
            doc_scores[doc_id] = doc_scores.get(doc_id, 0.0) + weight * value
    return _ranked(doc_scores, chunk_scores, doc_of)


def _ranked(
    doc_scores: dict[str, float], chunk_scores: dict[int, float], doc_of: dict[int, str]
) -> list[Fused]:
    """Documents by score, each with its best-scoring chunk; ties go to the stronger chunk."""
    best: dict[str, tuple[float, int]] = {}
    for chunk_id, score in chunk_scores.items():
        doc_id = doc_of.get(chunk_id)
        if doc_id is not None and score > best.get(doc_id, (-1.0, 0))[0]:
            best[doc_id] = (score, chunk_id)
    out = [Fused(d, s, best[d][1]) for d, s in doc_scores.items() if d in best]
    out.sort(key=lambda f: (f.score, best[f.doc_id][0]), reverse=True)
    return out


def make_snippet(
    text: str, terms: list[str], width: int = SNIPPET_CHARS
) -> tuple[str, tuple[str, ...]]:
    """A window of TEXT around the first query term found, and the words that matched."""
    flat = " ".join(text.split())
    lowered = flat.lower()
    # A word matches a term of 3+ characters when it starts with the term's first 4 (stems:
    # "replica" meets "replicas", "replication"); set lookups keep this linear in the text.
    prefixes = {t[:4] for t in terms if len(t) >= 3}
    matched = tuple(
        dict.fromkeys(
            w
            for w in re.findall(r"[\w.\-]+", flat)
            if w[:4].lower() in prefixes or w[:3].lower() in prefixes
        )
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

    def __init__(
        self,
        snapshot: IndexSnapshot,
        embed_query: Callable[[str], np.ndarray],
        params: FusionParams | None = None,
    ) -> None:
        self.snapshot = snapshot
        self.embed_query = embed_query
        self.params = params or FusionParams()

    def _dense(
        self, vector: np.ndarray, n: int, allowed: np.ndarray | None
    ) -> list[tuple[int, float]]:
        return self.snapshot.vectors.search(vector, n, allowed=allowed)

    def _keyword(self, query: str, n: int, doc_ids: list[str] | None) -> list[tuple[int, float]]:
        return self.snapshot.keyword.search(query, n, doc_ids=doc_ids)

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        filters: SearchFilters | None = None,
        mode: Mode = "hybrid",
    ) -> list[SearchHit]:
        """Ranked documents for QUERY, each with its best passage.

        Filters restrict both retrievers before their cut-off, so a filtered query still
        returns LIMIT documents when that many match.
        """
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
        n = max(self.params.candidates, limit * 10)
        results: list[list[tuple[int, float]]] = []
        weights: list[float] = []
        vector = self.embed_query(query) if mode in ("hybrid", "dense") else None
        if vector is not None:
            results.append(self._dense(vector, n, allowed))
            weights.append(self.params.dense_weight)
        if mode in ("hybrid", "keyword"):
            results.append(self._keyword(query, n, doc_ids))
            weights.append(self.params.keyword_weight)
        doc_of = _doc_of(cur, list({c for r in results for c, _ in r}))
        weights = [w / sum(weights) for w in weights]
        if self.params.fusion == "rrf":
            rankings = [[c for c, _ in r] for r in results]
            fused = fuse(rankings, doc_of, weights, self.params.rrf_k)[:limit]
        else:
            fused = fuse_scores(results, doc_of, weights)[:limit]
        rows = catalog.chunks_by_id(cur, [f.chunk_id for f in fused])
        shown = {f.doc_id: (f.chunk_id, [f.chunk_id]) for f in fused}
        timed = [
            f.doc_id for f in fused if f.chunk_id in rows and rows[f.chunk_id].start is not None
        ]
        if vector is not None and timed:
            shown.update(self._moments(cur, timed, vector))
            more = [c for _, span in shown.values() for c in span if c not in rows]
            rows.update(catalog.chunks_by_id(cur, more))
        return self._hits(cur, fused, shown, rows, query)

    def _moments(
        self, cur: duckdb.DuckDBPyConnection, doc_ids: list[str], vector: np.ndarray
    ) -> dict[str, tuple[int, list[int]]]:
        """Each transcript's best moment: its strongest passage, and its passages in order."""
        out: dict[str, tuple[int, list[int]]] = {}
        vectors = self.snapshot.vectors
        for doc_id, passages in _timed_passages(cur, doc_ids).items():
            ids = np.array(passages, dtype=np.int64)
            cosine = dict(vectors.search(vector, len(ids), allowed=ids))

            def vector_of(i: int, _passages: list[int] = passages) -> np.ndarray | None:
                try:
                    return vectors.reconstruct(_passages[i])
                except KeyError:
                    return None

            moment = best_moment(
                [cosine.get(p) for p in passages], vector_of, pairs=self.params.moment_pairs
            )
            if moment is not None:
                out[doc_id] = (passages[moment.best], passages[moment.first : moment.last + 1])
        return out

    def _hits(
        self,
        cur: duckdb.DuckDBPyConnection,
        fused: list[Fused],
        shown: dict[str, tuple[int, list[int]]],
        rows: dict[int, ChunkRow],
        query: str,
    ) -> list[SearchHit]:
        docs = catalog.documents_by_id(cur, [f.doc_id for f in fused])
        terms = query_terms(query)
        hits: list[SearchHit] = []
        for f in fused:
            best, span_ids = shown[f.doc_id]
            doc, row = docs.get(f.doc_id), rows.get(best)
            span = [rows[c] for c in span_ids if c in rows]
            if doc is None or row is None or not span:
                continue  # removed by a writer since the candidates were read
            snippet, highlights = make_snippet("\n".join(p.text for p in span), terms)
            hits.append(
                SearchHit(
                    doc_id=f.doc_id,
                    path=doc.path,
                    kind=doc.kind,
                    title=doc.title,
                    score=f.score,
                    snippet=snippet,
                    chunk_id=row.chunk_id,
                    date=doc.date,
                    heading=row.heading,
                    start=span[0].start,
                    end=span[-1].end,
                    speaker=row.speaker,
                    metadata=doc.metadata,
                    highlights=highlights,
                )
            )
        return hits


def _doc_of(cur: duckdb.DuckDBPyConnection, chunk_ids: list[int]) -> dict[int, str]:
    """The document of each chunk id (a join on a list parameter: ~4× faster than IN (?, …))."""
    if not chunk_ids:
        return {}
    rows = cur.execute(
        "SELECT c.chunk_id, c.doc_id FROM chunks c "
        "JOIN (SELECT unnest(?::BIGINT[]) AS id) wanted ON c.chunk_id = wanted.id",
        [chunk_ids],
    ).fetchall()
    return dict(rows)


def _timed_passages(cur: duckdb.DuckDBPyConnection, doc_ids: list[str]) -> dict[str, list[int]]:
    """Chunk ids of each document's timed passages (transcript chunks), in time order."""
    if not doc_ids:
        return {}
    rows = cur.execute(
        "SELECT c.doc_id, c.chunk_id FROM chunks c "
        "JOIN (SELECT unnest(?::VARCHAR[]) AS id) wanted ON c.doc_id = wanted.id "
        "WHERE c.start_s IS NOT NULL ORDER BY c.doc_id, c.ordinal",
        [doc_ids],
    ).fetchall()
    out: dict[str, list[int]] = {}
    for doc_id, chunk_id in rows:
        out.setdefault(doc_id, []).append(chunk_id)
    return out
