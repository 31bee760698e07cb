"""Hybrid search: dense (FAISS) and keyword (BM25) candidates, fused per document.

Both retrievers rank chunks. Documents are ranked by fusing each retriever's *document*
ranking (a document placed where its best chunk is), so a document whose meaning one chunk
carries and whose identifiers another chunk carries still gets both votes. The passage shown
is the document's chunk with the best chunk-level fused score; for a transcript it is the
best *moment*: the passage, or pair of adjacent passages, closest to the query in meaning.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from typing import Literal, TypeVar

import numpy as np

from index import catalog
from index.cache import ResultCache
from index.catalog import ChunkRow
from index.chunk_table import ChunkTable
from index.filters import SearchFilters
from index.models import Document, SearchHit
from index.reader import IndexSnapshot
from index.timefmt import day_number
from index.tokenize import query_terms

Mode = Literal["hybrid", "dense", "keyword"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "keyword")
SNIPPET_CHARS = 320
MOMENT_SEEDS = 3  # pairs are tried around this many best passages of a transcript
KEYWORD_HIT_COST = 10  # one keyword hit read costs about ten documents in a term set
T = TypeVar("T", bound=Hashable)
# Shared by every searcher of the process: a document fetch per query in flight, at most 4.
_FETCHER = ThreadPoolExecutor(4, thread_name_prefix="hindsight-fetch")


@dataclass(frozen=True)
class Allowed:
    """What a filter lets through: a boolean per document number, and sorted chunk ids."""

    docs: np.ndarray
    chunks: np.ndarray
    filters: SearchFilters


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
        # Results of this snapshot, shared by every reader of it; keys carry the access key.
        self.cache = ResultCache()

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
        table = self.snapshot.table
        filters = table.effective(filters or SearchFilters())
        allowed = None if filters.is_empty() else Allowed(*table.allowed(cur, filters), filters)
        if allowed is not None and not len(allowed.chunks):
            return []
        n = max(self.params.candidates, limit * 10)
        results: list[list[tuple[int, float]]] = []
        weights: list[float] = []
        vector = self.embed_query(query) if mode in ("hybrid", "dense") else None
        if vector is not None:
            chunks = None if allowed is None else allowed.chunks
            results.append(self.snapshot.vectors.search(vector, n, allowed=chunks))
            weights.append(self.params.dense_weight)
        if mode in ("hybrid", "keyword"):
            results.append(self._keyword(query, n, allowed))
            weights.append(self.params.keyword_weight)
        doc_of = _doc_of(table, results)
        weights = [w / sum(weights) for w in weights]
        if self.params.fusion == "rrf":
            rankings = [[c for c, _ in r] for r in results]
            fused = fuse(rankings, doc_of, weights, self.params.rrf_k)[:limit]
        else:
            fused = fuse_scores(results, doc_of, weights)[:limit]
        # The documents are fetched on another thread (DuckDB releases the GIL) while the
        # moments are found and the passages fetched here: ~2 ms of a ~15 ms query.
        docs = _FETCHER.submit(
            catalog.documents_by_id, self.snapshot.cursor(), [f.doc_id for f in fused], body=False
        )
        shown = {f.doc_id: (f.chunk_id, [f.chunk_id]) for f in fused}
        if vector is not None:
            dense = dict(results[0])
            shown.update(self._moments([f.doc_id for f in fused], vector, dense))
        rows = catalog.chunks_by_id(cur, [c for _, span in shown.values() for c in span])
        return self._hits(fused, docs.result(), shown, rows, query)

    def _keyword(self, query: str, n: int, allowed: Allowed | None) -> list[tuple[int, float]]:
        """Top N keyword hits among the allowed chunks.

        Kinds and dates are filters inside tantivy. Facets and document lists become a term
        set of allowed documents (~1 µs a document) unless fetching enough unfiltered hits
        to keep N of them is cheaper (~10 µs a hit: tantivy reads each hit's stored id).
        """
        keyword = self.snapshot.keyword
        if allowed is None:
            return keyword.search(query, n)
        f = allowed.filters
        days = None
        if f.date_from is not None or f.date_to is not None:
            days = (day_number(f.date_from), day_number(f.date_to))
        native = partial(keyword.search, kinds=f.kinds or None, days=days)
        if replace(f, kinds=(), date_from=None, date_to=None).is_empty():
            return native(query, n)
        table = self.snapshot.table
        numbers = np.flatnonzero(allowed.docs)
        share = len(allowed.chunks) / max(1, len(table))
        fetch = math.ceil(n * 1.5 / share)
        if len(numbers) <= KEYWORD_HIT_COST * fetch:
            doc_ids = [table.doc_ids[i] for i in numbers]
            return native(query, n, doc_ids=doc_ids)
        while True:
            hits = native(query, fetch)
            docs = table.docs_of(np.array([c for c, _ in hits], dtype=np.int64))
            ok = (docs >= 0) & allowed.docs[docs.clip(min=0)]
            keep = [h for h, good in zip(hits, ok.tolist(), strict=True) if good]
            if len(keep) >= n or len(hits) < fetch:
                return keep[:n]
            fetch *= 4

    def _moments(
        self, doc_ids: list[str], vector: np.ndarray, dense: dict[int, float]
    ) -> dict[str, tuple[int, list[int]]]:
        """Each transcript's best moment: its strongest passage, and its passages in order.

        A transcript's best passage is the best of its chunks among the dense candidates
        (they are the corpus's top chunks by cosine), so only its seed passages and their
        neighbours are read back and scored; a transcript found by keyword alone has every
        passage scored. Reading back every passage of ten long talks cost ~5 ms a query.
        """
        table = self.snapshot.table
        dense_ids = np.fromiter(dense, dtype=np.int64, count=len(dense))
        plans: dict[str, tuple[np.ndarray, dict[int, float], list[int]]] = {}
        for doc_id in doc_ids:
            number = table.number(doc_id)
            passages = table.passages(number) if number is not None else np.zeros(0, np.int64)
            if not len(passages):
                continue
            candidates = np.flatnonzero(np.isin(passages, dense_ids))
            known = {int(i): dense[int(passages[i])] for i in candidates}
            seeds = sorted(known, key=known.__getitem__, reverse=True)[:MOMENT_SEEDS]
            read = (
                sorted({j for i in seeds for j in (i - 1, i, i + 1) if 0 <= j < len(passages)})
                if known
                else list(range(len(passages)))
            )
            plans[doc_id] = (passages, known, read)
        if not plans:
            return {}
        wanted = np.concatenate([p[r] for p, _, r in plans.values()])
        ids, vectors = self.snapshot.vectors.vectors_of(wanted)
        row_of = {c: i for i, c in enumerate(ids.tolist())}
        cosine = vectors @ np.asarray(vector, dtype=np.float32).reshape(-1)
        out: dict[str, tuple[int, list[int]]] = {}
        for doc_id, (passages, known, read) in plans.items():
            rows: dict[int, int] = {}
            scores: list[float | None] = [None] * len(passages)
            for i, score in known.items():
                scores[i] = score
            for i in read:
                row = row_of.get(int(passages[i]))
                if row is not None:
                    rows[i] = row
                    scores[i] = float(cosine[row])

            def vector_of(i: int, _rows: dict[int, int] = rows) -> np.ndarray | None:
                return vectors[_rows[i]] if i in _rows else None

            moment = best_moment(
                scores, vector_of, pairs=self.params.moment_pairs, seeds=MOMENT_SEEDS
            )
            if moment is not None:
                span = [int(c) for c in passages[moment.first : moment.last + 1]]
                out[doc_id] = (int(passages[moment.best]), span)
        return out

    def _hits(
        self,
        fused: list[Fused],
        docs: dict[str, Document],
        shown: dict[str, tuple[int, list[int]]],
        rows: dict[int, ChunkRow],
        query: str,
    ) -> list[SearchHit]:
        terms = query_terms(query)
        hits: list[SearchHit] = []
        for f in fused:
            best, span_ids = shown[f.doc_id]
            doc, row = docs.get(f.doc_id), rows.get(best)
            span = [rows[c] for c in span_ids if c in rows]
            if doc is None or row is None or not span:
                continue  # removed by a writer since the candidates were read
            snippet, _ = make_snippet("\n".join(p.text for p in span), terms)
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
                )
            )
        return hits


def _doc_of(table: ChunkTable, results: list[list[tuple[int, float]]]) -> dict[int, str]:
    """The document of each candidate chunk (chunks this snapshot lacks are left out)."""
    ids = np.array(sorted({c for r in results for c, _ in r}), dtype=np.int64)
    docs = table.docs_of(ids)
    names = table.doc_ids
    return {c: names[d] for c, d in zip(ids.tolist(), docs.tolist(), strict=True) if d >= 0}
