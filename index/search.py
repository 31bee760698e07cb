"""Hybrid search: dense (FAISS) and keyword (BM25) candidates, fused per document.

Both retrievers score chunks. A document takes its best chunk's score from each retriever,
put on a common scale (`normalised`), and the two are summed (`fuse_scores`; reciprocal ranks
of the two document rankings, `fuse`, are the alternative), so a document whose meaning one
chunk carries and whose identifiers another chunk carries still gets both votes. The passage shown
is the document's chunk with the best chunk-level fused score; a transcript shows its best few
*moments* (index/moments.py), chosen by meaning and keywords at passage level.
"""

from __future__ import annotations

import math
import re
import threading
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from typing import Literal, TypeVar

import numpy as np

from index import catalog
from index.cache import ResultCache, RowCache
from index.catalog import ChunkRow
from index.chunk_table import ChunkTable
from index.filters import SearchFilters
from index.keyword import title_text
from index.lifecycle import Mark, currency, follow
from index.models import Document, MomentHit, SearchHit
from index.moments import Cues, MomentParams, Windows, choose, spoken_at, windows
from index.reader import IndexSnapshot
from index.relevance import SEARCH_FLOOR, Evidence, FloorParams, coverage, idf, matches
from index.timefmt import day_number
from index.tokenize import CUE_TERMS_KEPT, query_terms, term_set, tokens

CUE_CACHE_RECORDINGS = 256  # recordings whose cues a searcher keeps in memory
# Rows a searcher keeps of its snapshot (a search shows ~10 documents from ~30 passages):
# at most ~16 MB of passages, and documents without their bodies.
CHUNK_ROWS_KEPT = 8192
DOCUMENT_ROWS_KEPT = 2048
WORDS_KEPT = 16384  # query words whose use a searcher remembers (spelling)
# Recordings whose passage vectors a searcher keeps for moments (~150 KB an hour of talk).
RECORDINGS_KEPT = 128

Mode = Literal["hybrid", "dense", "keyword"]
Normalise = Literal["minmax", "zscore"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "keyword")
SNIPPET_CHARS = 320
# Keyword hits read per shown recording for its moments (~10 µs each): passages beyond a
# recording's best ~40 by BM25 count as saying none of the query's terms.
MOMENT_KEYWORD_HITS = 40
KEYWORD_HIT_COST = 10  # one keyword hit read costs about ten documents in a term set
T = TypeVar("T", bound=Hashable)
_WRITTEN = re.compile(r"[^\W_](?:[\w.\-/]*[^\W_])?")  # a word as the tokenizer reads it
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

    # A weighted sum of scores, each retriever's divided by its candidates' spread: it keeps
    # the gaps that ranks lose. Against reciprocal-rank fusion it gained 0.014 nDCG@10 on
    # SciFact's 300 queries and held-out transcript queries; measured in docs/quality.md.
    fusion: Literal["rrf", "convex"] = "convex"
    normalise: Normalise = "zscore"  # how "convex" puts the two retrievers' scores on one scale
    dense_weight: float = 0.5  # weights are normalised to sum to 1
    keyword_weight: float = 0.5
    rrf_k: int = 60  # the usual reciprocal-rank constant: flattens the head, keeps the tail useful
    candidates: int = 200  # chunks each retriever contributes (at least limit × 10)
    moments: MomentParams = MomentParams()  # how a recording's moments are chosen
    floor: FloorParams = SEARCH_FLOOR  # which hits match, and which are only the nearest
    # A superseded or obsolete document's score is multiplied by this (a prior: no judged set
    # measures it); its successor, when it matches too, is moved above it in any case.
    retired_weight: float = 0.6


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
class Shown:
    """What a hit shows: its strongest chunk, the chunks of the span, and the span's score."""

    best: int
    span: list[int]
    score: float


def normalised(result: Sequence[tuple[int, float]], how: Normalise) -> dict[int, float]:
    """Each chunk's score on a common scale: 0 at the weakest candidate, 1 per unit of spread.

    The spread is the candidates' range for "minmax" (so the best scores 1) and their
    standard deviation for "zscore", where one outlier at the top does not squash every
    other candidate towards 0.
    """
    if not result:
        return {}
    values = np.array([score for _, score in result], dtype=np.float64)
    low = float(values.min())
    spread = float(values.std()) if how == "zscore" else float(values.max()) - low
    if spread <= 0:  # one candidate, or all alike: each counts fully
        return {chunk_id: 1.0 for chunk_id, _ in result}
    return {chunk_id: (score - low) / spread for chunk_id, score in result}


def fuse_scores(
    results: Sequence[Sequence[tuple[int, float]]],
    doc_of: dict[int, str],
    weights: Sequence[float] | None = None,
    normalise: Normalise = "minmax",
) -> list[Fused]:
    """Documents ranked by a convex combination of normalised scores.

    Each retriever's scores are put on a common scale over its own candidates (`normalised`;
    a chunk it did not return counts 0); a document takes its best chunk's value per
    retriever, and the weighted values are summed. Unlike ranks, scores keep the *gaps*: a
    passage far ahead in one retriever is not overtaken by one that is merely fair in both.

    Args:
        results: (chunk id, score) per retriever, best first.
        doc_of: the document of each chunk id (chunks missing here are ignored).
        weights: one per retriever, summing to 1 (default equal).
        normalise: "minmax" or "zscore".
    """
    weights = weights or [1.0 / len(results)] * len(results)
    chunk_scores: dict[int, float] = {}
    doc_scores: dict[str, float] = {}
    for result, weight in zip(results, weights, strict=True):
        per_doc: dict[str, float] = {}
        for chunk_id, value in normalised(result, normalise).items():
            doc_id = doc_of.get(chunk_id)
            if doc_id is None:
                continue
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


def demote_retired(fused: list[Fused], marks: dict[str, Mark], weight: float) -> list[Fused]:
    """FUSED with superseded and obsolete documents demoted, each below its successor.

    A retired document's score is multiplied by WEIGHT. Its successor, when it is among the
    candidates, is then moved to just above it, taking its score when its own is lower (so the
    order and the scores agree): whoever finds the old document sees the current one first —
    also when only the old one matches (the successor keeps its own `weak` mark). Candidates
    are what the reader may see, so a successor they may not see moves nothing.
    """
    if not marks:
        return fused
    retired = [Fused(f.doc_id, f.score * weight, f.chunk_id) for f in fused if f.doc_id in marks]
    if not retired:
        return fused
    out = [f for f in fused if f.doc_id not in marks]  # still best first
    below = [-f.score for f in out]
    for f in sorted(retired, key=lambda f: f.score, reverse=True):
        i = bisect_right(below, -f.score)  # after the current ones it ties with
        out.insert(i, f)
        below.insert(i, -f.score)
    pairs = [(f.doc_id, then) for f in retired if (then := marks[f.doc_id].successor)]
    moved: set[tuple[str, str]] = set()
    changed = bool(pairs)
    while changed:  # chains (a → b → c) settle in a few passes; each pair moves once
        changed = False
        at = {f.doc_id: i for i, f in enumerate(out)}
        for old, new in sorted(pairs, key=lambda p: at[p[0]]):
            i, j = at[old], at.get(new)
            if j is None or j < i or (old, new) in moved:
                continue
            successor = out.pop(j)
            out.insert(i, replace(successor, score=max(successor.score, out[i].score)))
            moved.add((old, new))
            changed = True
            break
    return out


_LIST_MARK = re.compile(r"(?m)^[ \t]*(?:[-*+]|\d{1,3}[.)])[ \t]+")


def flatten(text: str) -> str:
    """TEXT on one line; a Markdown list's items stay apart ("a · b", not "a - b")."""
    flat = " ".join(_LIST_MARK.sub("· ", text).split())
    return flat[2:] if flat.startswith("· ") else flat


_WORD_CHAR = re.compile(r"[\w.\-]")
_WORD_REST = re.compile(r"[\w.\-]*")


def _words_starting_with(flat: str, lowered: str, prefixes: Iterable[str]) -> list[str]:
    """The words of FLAT (runs of letters, digits, `_`, `.`, `-`) that start with one of
    PREFIXES (lower case), in text order, each once. LOWERED is FLAT in lower case, of the same
    length: `str.find` scans for each prefix, and only its hits are looked at in Python."""
    found: dict[int, str] = {}
    for prefix in prefixes:
        at = lowered.find(prefix)
        while at >= 0:
            if at == 0 or not _WORD_CHAR.match(flat, at - 1):
                rest = _WORD_REST.match(flat, at + len(prefix))
                found[at] = flat[at : rest.end() if rest else at + len(prefix)]
            at = lowered.find(prefix, at + 1)
    return list(dict.fromkeys(found[at] for at in sorted(found)))


def make_snippet(
    text: str, terms: list[str], width: int = SNIPPET_CHARS
) -> tuple[str, tuple[str, ...]]:
    """A window of TEXT around the first query term found, and the words that matched."""
    flat = flatten(text)
    lowered = flat.lower()
    # A word matches a term of 3+ characters when it starts with the term's first 4 (stems:
    # "replica" meets "replicas", "replication").
    prefixes = {t[:4] for t in terms if len(t) >= 3}
    if len(lowered) == len(flat):
        matched = tuple(_words_starting_with(flat, lowered, prefixes))
    else:  # a letter whose lower case is longer ("İ"): test word by word
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
        count_tokens: Callable[[str], int] | None = None,
    ) -> None:
        self.snapshot = snapshot
        self.embed_query = embed_query
        self.count_tokens = count_tokens  # the model's word pieces (long queries are split)
        self.params = params or FusionParams()
        # Results of this snapshot, shared by every reader of it; keys carry the access key.
        self.cache = ResultCache()
        # Recordings' cues, for where a moment's words are said (internal: never returned).
        self._cue_cache: OrderedDict[str, Cues] = OrderedDict()
        self._cue_lock = threading.Lock()
        self._marks: dict[str, Mark] | None = None
        self._terms_cache = ResultCache(CHUNK_ROWS_KEPT)  # chunk id → its terms
        self._word_use = ResultCache(WORDS_KEPT)  # (term, filters) → some document uses it
        self._recordings = ResultCache(RECORDINGS_KEPT)  # doc id → passage vectors, windows
        self._term_chunks = ResultCache(WORDS_KEPT)  # index term → chunks holding it
        self._chunks_indexed: int | None = None
        self.chunk_rows: RowCache[int, ChunkRow] = RowCache(
            lambda ids: catalog.chunks_by_id(snapshot.cursor(), ids), CHUNK_ROWS_KEPT
        )
        self.document_rows: RowCache[str, Document] = RowCache(
            lambda ids: catalog.documents_by_id(snapshot.cursor(), ids, body=False),
            DOCUMENT_ROWS_KEPT,
        )

    def warm(self) -> None:
        """Read now, in one scan each, what the first searches would read a few rows at a
        time: every chunk row and document (without its body), and every recording's cues,
        passage vectors and windows — each only when the whole archive's fit what a searcher
        keeps — and the terms the floor and moments read of them. A larger archive warms as
        it is searched."""
        cur = self.snapshot.cursor()
        table = self.snapshot.table
        rows = catalog.every_chunk_row(cur) if len(table) <= CHUNK_ROWS_KEPT else {}
        self.chunk_rows.put_many(rows)
        docs = catalog.every_document(cur) if len(table.doc_ids) <= DOCUMENT_ROWS_KEPT else {}
        self.document_rows.put_many(docs)
        for row in rows.values():  # the floor's terms of every passage (~0.25 s at 5,000)
            if (doc := docs.get(row.doc_id)) is not None:
                self._passage_terms(doc, row)
        recordings = [
            (doc_id, table.passages(n))
            for n, doc_id in enumerate(table.doc_ids)
            if len(table.passages(n))
        ]
        if len(recordings) <= min(RECORDINGS_KEPT, CUE_CACHE_RECORDINGS):
            cues = self._cues([doc_id for doc_id, _ in recordings])
            for doc_id, passages in recordings:
                self._recording(doc_id, passages)
            said = [c[2] for found in cues.values() for c in found.items]
            if len(said) <= CUE_TERMS_KEPT:  # what moments read of each cue (~0.2 s at 28,000)
                for text in said:
                    term_set(text)

    @property
    def marks(self) -> dict[str, Mark]:
        """The snapshot's superseded and obsolete documents (read once; a snapshot never changes)."""
        if self._marks is None:
            self._marks = catalog.lifecycle_marks(self.snapshot.cursor())
        return self._marks

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
            fused = fuse(rankings, doc_of, weights, self.params.rrf_k)
        else:
            fused = fuse_scores(results, doc_of, weights, self.params.normalise)
        keyword = mode in ("hybrid", "keyword")
        fused = demote_retired(fused, self.marks, self.params.retired_weight)[:limit]
        # Documents not read before are fetched on another thread (DuckDB releases the GIL)
        # while the moments are found and the passages fetched here: ~1 ms of a query.
        doc_ids = [f.doc_id for f in fused]
        fetching = (
            _FETCHER.submit(self.document_rows.get_many, doc_ids)
            if self.document_rows.missing(doc_ids)
            else None
        )
        shown: dict[str, list[Shown]] = {
            f.doc_id: [Shown(f.chunk_id, [f.chunk_id], f.score)] for f in fused
        }
        shown.update(self._moments([f.doc_id for f in fused], query, vector, keyword))
        wanted = [c for spans in shown.values() for s in spans for c in s.span]
        dense = _best_per_doc(results[0], doc_of) if vector is not None else {}
        said = _best_per_doc(results[-1], doc_of) if keyword else {}
        wanted += [said[f.doc_id][0] for f in fused if f.doc_id in said]
        rows = self.chunk_rows.get_many(wanted)
        docs = fetching.result() if fetching else self.document_rows.get_many(doc_ids)
        # A successor the reader may not see is not named (it reads like a missing one).
        found = follow(list(docs.values()), partial(table.visible, access=filters.access))
        floor = _Floor(
            cosine={d: score for d, (_, score) in dense.items()} if vector is not None else None,
            said={d: chunk for d, (chunk, _) in said.items()},
            weights=self._query_weights(query) if keyword else {},
            known_words=bool(results[-1]) if keyword else True,
            terms_of=self._passage_terms,
        )
        return self._hits(fused, {d.doc_id: d for d in found}, shown, rows, query, floor)

    def _passage_terms(self, doc: Document, row: ChunkRow) -> frozenset[str]:
        """ROW's index terms as keyword search reads it (its title, heading and fields too),
        tokenized once per snapshot: the floor reads a few passages of every search."""

        def read() -> frozenset[str]:
            return frozenset(
                tokens(title_text(doc.title, row.heading, doc.metadata) + " " + row.text)
            )

        return self._terms_cache.get(row.chunk_id, read)

    def _query_weights(self, query: str) -> dict[str, float]:
        """Each query term's IDF over the whole index (how much saying it counts)."""
        found, total = self._doc_freqs(query_terms(query))
        return {term: idf(n, total) for term, n in found.items()}

    def _doc_freqs(self, terms: Iterable[str]) -> tuple[dict[str, int], int]:
        """Chunks holding each term, and the chunks in all, over the whole index: kept per
        term (the floor and spelling ask them of every query's words)."""
        keyword = self.snapshot.keyword

        def chunks_holding(term: str) -> int:
            return self._term_chunks.get(term, lambda: keyword.doc_freqs([term])[0][term])

        found = {t: chunks_holding(t) for t in dict.fromkeys(terms)}
        if self._chunks_indexed is None:
            self._chunks_indexed = keyword.count()
        return found, self._chunks_indexed

    def documents_using(
        self, word: str, filters: SearchFilters | None = None, *, cap: int = 100
    ) -> int:
        """Documents under FILTERS that use WORD (its index term), counted up to about CAP."""
        terms = tokens(word)[:1]  # a compound's whole, or the word's stem
        if not terms or not self.known_words([word]):
            return 0
        cur = self.snapshot.cursor()
        table = self.snapshot.table
        filters = table.effective(filters or SearchFilters())
        allowed = None if filters.is_empty() else Allowed(*table.allowed(cur, filters), filters)
        if allowed is not None and not len(allowed.chunks):
            return 0
        hits = self._keyword(terms, cap, allowed)
        docs = table.docs_of(np.array([c for c, _ in hits], dtype=np.int64))
        return len({int(d) for d in docs.tolist() if d >= 0})

    def uses(self, word: str, filters: SearchFilters | None = None) -> bool:
        """True when a document under FILTERS uses WORD's index term. Spelling asks it of every
        word of every query, and words recur: kept per term and filter (the access key too)."""
        terms = tokens(word)[:1]
        if not terms:
            return False
        scope = self.snapshot.table.effective(filters or SearchFilters())
        return self._word_use.get(
            (terms[0], scope), lambda: self.documents_using(word, scope, cap=1) > 0
        )

    def written(
        self, word: str, filters: SearchFilters | None = None, *, cap: int = 20
    ) -> set[str]:
        """How the passages under FILTERS that use WORD's index term write it (lower case)."""
        terms = tokens(word)[:1]
        if not terms:
            return set()
        cur = self.snapshot.cursor()
        table = self.snapshot.table
        filters = table.effective(filters or SearchFilters())
        allowed = None if filters.is_empty() else Allowed(*table.allowed(cur, filters), filters)
        if allowed is not None and not len(allowed.chunks):
            return set()
        rows = catalog.chunks_by_id(cur, [c for c, _ in self._keyword(terms, cap, allowed)])
        docs = catalog.documents_by_id(cur, sorted({r.doc_id for r in rows.values()}), body=False)
        texts = [
            title_text(doc.title, row.heading, doc.metadata) + " " + row.text
            for row in rows.values()
            if (doc := docs.get(row.doc_id)) is not None
        ]
        return {w.lower() for t in texts for w in _WRITTEN.findall(t) if tokens(w)[:1] == terms}

    def known_words(self, words: Iterable[str]) -> set[str]:
        """The WORDS whose index term some chunk holds (anyone's: a pre-filter, not an answer)."""
        first = {w: t[0] for w in words if (t := tokens(w)[:1])}
        found, _ = self._doc_freqs(first.values())
        return {w for w, term in first.items() if found.get(term, 0) > 0}

    def _keyword(
        self, query: str | list[str], n: int, allowed: Allowed | None
    ) -> list[tuple[int, float]]:
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
        self, doc_ids: list[str], query: str, vector: np.ndarray | None, keyword: bool
    ) -> dict[str, list[Shown]]:
        """Each recording's best few moments, by meaning and keywords (index/moments.py).

        Every passage of the shown recordings is scored: its cosine from the stored vectors
        (no embedding at query time) and its BM25 from one keyword query restricted to those
        recordings, so a passage that says the query's terms counts even when the corpus-wide
        keyword candidates did not reach it.
        """
        table = self.snapshot.table
        plans: dict[str, np.ndarray] = {}
        for doc_id in doc_ids:
            number = table.number(doc_id)
            if number is not None and len(table.passages(number)):
                plans[doc_id] = table.passages(number)
        if not plans:
            return {}
        every = np.concatenate(list(plans.values()))
        query_vector = None if vector is None else np.asarray(vector, dtype=np.float32).reshape(-1)
        kept = {d: self._recording(d, p) for d, p in plans.items()} if vector is not None else {}
        cosine: dict[int, int] = {}
        vectors = np.zeros((0, 0), dtype=np.float32)
        scores = np.zeros(0, dtype=np.float32)
        partial_ones = [p for d, p in plans.items() if vector is not None and kept[d] is None]
        if partial_ones and query_vector is not None:
            ids, vectors = self.snapshot.vectors.vectors_of(np.concatenate(partial_ones))
            scores = vectors @ query_vector
            cosine = {c: i for i, c in enumerate(ids.tolist())}
        bm25: dict[int, float] = {}
        if keyword:
            k = min(len(every), MOMENT_KEYWORD_HITS * len(plans))
            bm25 = dict(self.snapshot.keyword.search(query, k, doc_ids=list(plans)))
        out: dict[str, list[Shown]] = {}
        for doc_id, passages in plans.items():
            chunk_ids = passages.tolist()
            dense = vecs = shape = None
            held = kept.get(doc_id)
            if held is not None and query_vector is not None:
                vecs, shape = held
                dense = (vecs @ query_vector).astype(np.float64)
            elif vector is not None:
                rows = [cosine.get(c, -1) for c in chunk_ids]
                if min(rows) < 0:  # removed by a writer since: score what is left as 0
                    present = [r for r in rows if r >= 0]
                    if not present:
                        continue
                    vecs = np.zeros((len(rows), vectors.shape[1]), dtype=np.float32)
                    dense = np.zeros(len(rows))
                    for i, r in enumerate(rows):
                        if r >= 0:
                            vecs[i], dense[i] = vectors[r], scores[r]
                else:
                    vecs, dense = vectors[rows], scores[rows].astype(np.float64)
            said = np.array([bm25.get(c, 0.0) for c in chunk_ids]) if keyword else None
            spans = choose(dense, said, vecs, self.params.moments, shape)
            if spans:
                out[doc_id] = [
                    Shown(chunk_ids[m.best], chunk_ids[m.first : m.last + 1], m.score)
                    for m in spans
                ]
        return out

    def _recording(self, doc_id: str, passages: np.ndarray) -> tuple[np.ndarray, Windows] | None:
        """A recording's passage vectors (time order) and its windows: read once per snapshot,
        as every query that shows the recording needs them. None when a passage has no vector
        (removed by a writer since): the caller scores what is left."""

        width = self.params.moments.width  # a tuning run may change it on a live searcher

        def read() -> tuple[np.ndarray, Windows] | None:
            ids, vectors = self.snapshot.vectors.vectors_of(passages)
            if len(ids) != len(passages):
                return None
            return vectors, windows(len(passages), width, vectors)

        return self._recordings.get((doc_id, width), read)

    def _cues(self, doc_ids: list[str]) -> dict[str, Cues]:
        """The timed cues of these recordings: (start, end, text), in time order.

        Read once per recording and snapshot (one query for those not yet read, ~3 ms for ten
        recordings), then kept: a snapshot never changes, and popular recordings recur.
        """
        with self._cue_lock:
            missing = [d for d in doc_ids if d not in self._cue_cache]
        found = catalog.cues(self.snapshot.cursor(), missing) if missing else {}
        with self._cue_lock:
            for doc_id in missing:
                self._cue_cache[doc_id] = Cues(found.get(doc_id, []))
            out = {d: self._cue_cache[d] for d in doc_ids if d in self._cue_cache}
            for doc_id in doc_ids:
                if doc_id in self._cue_cache:
                    self._cue_cache.move_to_end(doc_id)
            while len(self._cue_cache) > CUE_CACHE_RECORDINGS:
                self._cue_cache.popitem(last=False)
        return out

    def _hits(
        self,
        fused: list[Fused],
        docs: dict[str, Document],
        shown: dict[str, list[Shown]],
        rows: dict[int, ChunkRow],
        query: str,
        floor: _Floor,
    ) -> list[SearchHit]:
        terms = query_terms(query)
        recordings = [
            f.doc_id
            for f in fused
            if any(c in rows and rows[c].start is not None for c in shown[f.doc_id][0].span)
        ]
        cues = self._cues(recordings)
        hits: list[SearchHit] = []
        for f in fused:
            first = shown[f.doc_id][0]
            doc, row = docs.get(f.doc_id), rows.get(first.best)
            span = [rows[c] for c in first.span if c in rows]
            if doc is None or row is None or not span:
                continue  # removed by a writer since the candidates were read
            snippet, _ = make_snippet("\n".join(p.text for p in span), terms)
            now = currency(doc.metadata)  # successors the reader may not see are unnamed
            moments = []
            for m in shown[f.doc_id]:
                timed = [rows[c] for c in m.span if c in rows and rows[c].start is not None]
                if not timed or m.best not in rows:
                    continue
                # The moment starts where the query's words are said, not with its passage.
                start = timed[0].start
                last = timed[-1]
                end = last.end if last.end is not None else last.start
                assert start is not None and end is not None  # only timed passages are here
                said = (
                    spoken_at(cues[f.doc_id].within(start, end), start, end, set(terms))
                    if f.doc_id in cues
                    else None
                )
                moments.append(
                    MomentHit(
                        start=said if said is not None else start,
                        end=end,
                        speaker=rows[m.best].speaker,
                        snippet=make_snippet("\n".join(p.text for p in timed), terms)[0],
                        score=m.score,
                    )
                )
            evidence = floor.evidence(doc, rows)
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
                    start=moments[0].start if moments else span[0].start,
                    end=span[-1].end,
                    speaker=row.speaker,
                    metadata=doc.metadata,
                    moments=tuple(moments) if span[0].start is not None else (),
                    weak=not matches(evidence, self.params.floor),
                    evidence=evidence,
                    superseded_by=now.superseded_by,
                    obsolete=now.obsolete,
                    obsolete_reason=now.reason if now.obsolete else "",
                    slide=row.slide,
                )
            )
        return hits


@dataclass(frozen=True)
class _Floor:
    """What the relevance floor reads of one query's candidates (index/relevance.py)."""

    cosine: dict[str, float] | None  # each document's best passage cosine (None: not measured)
    said: dict[str, int]  # each document's best keyword passage
    weights: dict[str, float]  # query term → IDF
    known_words: bool  # a visible document uses a word of the query

    terms_of: Callable[[Document, ChunkRow], frozenset[str]]  # a passage's terms, as indexed

    def evidence(self, doc: Document, rows: dict[int, ChunkRow]) -> Evidence:
        row = rows.get(self.said.get(doc.doc_id, -1))
        covered = 0.0
        if row is not None and self.weights:
            covered = coverage(self.weights, self.terms_of(doc, row))
        cosine = None if self.cosine is None else self.cosine.get(doc.doc_id, 0.0)
        return Evidence(cosine, covered, self.known_words)


def _best_per_doc(
    result: Sequence[tuple[int, float]], doc_of: dict[int, str]
) -> dict[str, tuple[int, float]]:
    """Each document's best-scoring chunk among one retriever's candidates, and its score."""
    best: dict[str, tuple[int, float]] = {}
    for chunk_id, score in result:
        doc_id = doc_of.get(chunk_id)
        if doc_id is not None and (doc_id not in best or score > best[doc_id][1]):
            best[doc_id] = (chunk_id, score)
    return best


def _doc_of(table: ChunkTable, results: list[list[tuple[int, float]]]) -> dict[int, str]:
    """The document of each candidate chunk (chunks this snapshot lacks are left out)."""
    ids = np.array(sorted({c for r in results for c, _ in r}), dtype=np.int64)
    docs = table.docs_of(ids)
    names = table.doc_ids
    return {c: names[d] for c, d in zip(ids.tolist(), docs.tolist(), strict=True) if d >= 0}
