"""BM25 keyword index over chunks (tantivy), fed with our own technical tokenisation.

Tantivy was chosen over bm25s and DuckDB fts: it updates incrementally (add/delete a file's
chunks with a small commit), answers in about a millisecond at 100k chunks (docs/benchmarks.md),
and installs from PyPI. Text is tokenised in Python (index/tokenize.py) and indexed with tantivy's
whitespace tokenizer, so index and query terms always agree.

Title, headings and key metadata are indexed twice: as part of the chunk's body (so BM25
sees one text, as if the chunk started with its title) and again in a `title` field searched
with a small boost. Measured (docs/quality.md), a title-only field boosted ×2 cost keyword
search 3 (post-mortems) to 6 (SciFact) points of nDCG@10: one title word outranked the passage
that answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tantivy

from index import fields
from index.tokenize import query_terms, tokens

KEYWORD_DIR = "keyword"
TITLE_BOOST = 0.3  # on top of their occurrence in the body: titles weigh ~1.3× body text


@dataclass(frozen=True)
class KeywordEntry:
    """What the keyword index needs of one chunk."""

    chunk_id: int
    doc_id: str
    kind: str
    title: str  # document title, heading path and key metadata
    body: str
    day: int | None = None  # the document's date, in days since 1970-01-01


def title_text(title: str, heading: str, metadata: Mapping[str, Any]) -> str:
    """The boosted field: title, heading path and the metadata people search by name."""
    extra: list[str] = []
    for name in ("services", "teams", "tags", "keywords", "product"):
        extra.extend(fields.raw_values(metadata, name))
    company = metadata.get("company")
    if company and not isinstance(company, dict | list):
        extra.append(str(company))
    return " ".join([title, heading, *extra])


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("chunk_id", stored=True, indexed=True, fast=True)
    builder.add_text_field("doc_id", tokenizer_name="raw")
    builder.add_text_field("kind", tokenizer_name="raw")
    # A fast field: a date range is a filter inside tantivy, not a term set of documents.
    builder.add_integer_field("day", indexed=True, fast=True)
    builder.add_text_field("title", tokenizer_name="whitespace", index_option="freq")
    builder.add_text_field("body", tokenizer_name="whitespace", index_option="freq")
    return builder.build()


class KeywordIndex:
    """add / delete / search by chunk id, persisted in one generation's folder."""

    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.schema = _schema()
        self.index = tantivy.Index(self.schema, path=str(path), reuse=True)
        self._writer: tantivy.IndexWriter | None = None
        self._reader: tantivy.Searcher | None = None  # until the next save: one per commit

    def _writer_handle(self) -> tantivy.IndexWriter:
        if self._writer is None:
            self._writer = self.index.writer(heap_size=64_000_000, num_threads=1)
        return self._writer

    def add(self, entries: Iterable[KeywordEntry]) -> None:
        writer = self._writer_handle()
        for e in entries:
            title = tokens(e.title)
            fields: dict[str, object] = {
                "chunk_id": e.chunk_id,
                "doc_id": e.doc_id,
                "kind": e.kind,
                "title": " ".join(title),
                "body": " ".join(title + tokens(e.body)),
            }
            if e.day is not None:
                fields["day"] = e.day  # undated: outside every date range, as in the catalog
            writer.add_document(tantivy.Document(**fields))

    def delete(self, chunk_ids: Iterable[int]) -> None:
        writer = self._writer_handle()
        for chunk_id in chunk_ids:
            writer.delete_documents_by_term("chunk_id", chunk_id)

    def save(self) -> None:
        if self._writer is not None:
            self._writer.commit()
            self._writer.wait_merging_threads()
            self._writer = None
        self.index.reload()
        self._reader = None

    def search(
        self,
        query: str | list[str],
        k: int,
        *,
        doc_ids: Iterable[str] | None = None,
        kinds: Iterable[str] | None = None,
        days: tuple[int | None, int | None] | None = None,
    ) -> list[tuple[int, float]]:
        """Top K (chunk_id, bm25) for QUERY, restricted before the cut-off when asked.

        QUERY is text, or index terms as `tokens` makes them (taken as they are). DAYS is an
        inclusive (first, last) range of document dates in days since 1970-01-01, either end
        open when None; undated documents are outside every range.
        """
        terms = query_terms(query) if isinstance(query, str) else list(query)
        if not terms:
            return []
        clauses = []
        for term in terms:
            clauses.append(
                (
                    tantivy.Occur.Should,
                    tantivy.Query.boost_query(
                        tantivy.Query.term_query(self.schema, "title", term), TITLE_BOOST
                    ),
                )
            )
            clauses.append(
                (tantivy.Occur.Should, tantivy.Query.term_query(self.schema, "body", term))
            )
        text_query = tantivy.Query.boolean_query(clauses)
        filters = []
        if doc_ids is not None:
            filters.append(tantivy.Query.term_set_query(self.schema, "doc_id", list(doc_ids)))
        if kinds is not None:
            filters.append(tantivy.Query.term_set_query(self.schema, "kind", list(kinds)))
        if days is not None:
            first, last = days
            if first is None and last is None:
                first = -(2**62)  # any date: only undated documents are left out
            filters.append(
                tantivy.Query.range_query(
                    self.schema, "day", tantivy.FieldType.Integer, first, last
                )
            )
        if filters:
            text_query = tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, text_query)] + [(tantivy.Occur.Must, f) for f in filters]
            )
        searcher = self._tantivy_searcher()
        found = searcher.search(text_query, k).hits
        # One read of the ids' fast column for all hits: a stored-document read per hit let go
        # of the GIL each time, and under concurrent searches every one waited to get it back.
        ids = searcher.fast_field_values("chunk_id", [address for _, address in found])
        return [
            (int(i), float(score))
            for i, (score, _) in zip(ids, found, strict=True)
            if i is not None  # every chunk has an id; a column-less segment has none to give
        ]

    def _tantivy_searcher(self) -> tantivy.Searcher:
        """The searcher of the last commit, kept: a snapshot's index never changes, and a
        writer's own changes are seen after `save`."""
        if self._reader is None:
            self._reader = self.index.searcher()
        return self._reader

    def count(self) -> int:
        return int(self._tantivy_searcher().num_docs)

    def doc_freqs(self, terms: Iterable[str]) -> tuple[dict[str, int], int]:
        """Chunks that contain each term (over the whole index), and the chunks in all."""
        searcher = self._tantivy_searcher()
        return {t: int(searcher.doc_freq("body", t)) for t in terms}, int(searcher.num_docs)

    def ids(self) -> set[int]:
        """Every chunk id in the index (for consistency checks against the vectors)."""
        searcher = self.index.searcher()
        if not searcher.num_docs:
            return set()
        result = searcher.search(tantivy.Query.all_query(), searcher.num_docs)
        return {int(searcher.doc(address)["chunk_id"][0]) for _, address in result.hits}
