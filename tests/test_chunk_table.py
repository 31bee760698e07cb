"""The in-memory chunk table agrees with the catalog it was read from, filter for filter."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pytest

from index import catalog
from index.errors import IncompatibleIndexError
from index.filters import SearchFilters
from index.reader import IndexSnapshot
from index.settings import Settings
from index.store import CATALOG_FILE
from ingest.pipeline import Ingestor
from tests.conftest import HashingEmbedder, write_content

FILTERS = [
    SearchFilters(kinds=("postmortem",)),
    SearchFilters(kinds=("showcase", "talk")),
    SearchFilters(date_from=dt.date(2025, 3, 14)),  # inclusive: the ledger incident's day
    SearchFilters(date_to=dt.date(2025, 3, 14)),
    SearchFilters(date_from=dt.date(2025, 3, 1), date_to=dt.date(2025, 5, 31)),
    SearchFilters(date_from=dt.date(2030, 1, 1)),  # nothing
    SearchFilters(facets={"tag": ("postgres",)}),
    SearchFilters(facets={"team": ("sre", "edge")}, kinds=("postmortem",)),
    SearchFilters(facets={"team": ()}),  # an empty facet restricts nothing
    SearchFilters(doc_ids=("pm-2025-03-14-ledger-replica-lag", "no-such-doc")),
    SearchFilters(doc_ids=()),
]


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> IndexSnapshot:
    base = tmp_path_factory.mktemp("table")
    settings = Settings(data_dir=base / "data")
    Ingestor(settings, HashingEmbedder()).run([str(write_content(base / "content"))])
    return IndexSnapshot.open(settings.data_dir)


@pytest.mark.parametrize("filters", FILTERS, ids=repr)
def test_allowed_chunks_and_documents_match_the_catalogs_sql(
    snapshot: IndexSnapshot, filters: SearchFilters
) -> None:
    cur = snapshot.cursor()
    docs, chunks = snapshot.table.allowed(cur, filters)
    assert sorted(chunks.tolist()) == sorted(catalog.allowed_chunk_ids(cur, filters))
    allowed_docs = {snapshot.table.doc_ids[i] for i in np.flatnonzero(docs)}
    assert allowed_docs == set(catalog.allowed_doc_ids(cur, filters))
    assert list(chunks) == sorted(chunks)  # sorted: the vector index relies on it
    again = snapshot.table.allowed(cur, filters)  # a repeated filter comes from the cache
    assert again[1] is chunks


def test_the_date_filters_exercise_dated_and_undated_documents(snapshot: IndexSnapshot) -> None:
    """Guards the table above: a filter set that never excluded anything would prove little."""
    cur = snapshot.cursor()
    every = set(catalog.allowed_doc_ids(cur, SearchFilters(doc_ids=tuple(snapshot.table.doc_ids))))
    dated = set(catalog.allowed_doc_ids(cur, SearchFilters(date_from=dt.date(1900, 1, 1))))
    assert dated and every - dated  # some documents have no date and no range admits them


def test_every_chunk_maps_to_its_document(snapshot: IndexSnapshot) -> None:
    rows = snapshot.cursor().execute("SELECT chunk_id, doc_id FROM chunks").fetchall()
    table = snapshot.table
    numbers = table.docs_of(np.array([c for c, _ in rows], dtype=np.int64))
    assert [table.doc_ids[n] for n in numbers] == [d for _, d in rows]
    assert table.docs_of(np.array([12345, -1], dtype=np.int64)).tolist() == [-1, -1]
    assert table.number("no-such-doc") is None


def test_passages_are_a_transcripts_timed_chunks_in_time_order(snapshot: IndexSnapshot) -> None:
    cur = snapshot.cursor()
    table = snapshot.table
    for doc_id, kind in cur.execute("SELECT doc_id, kind FROM documents").fetchall():
        expected = [
            r[0]
            for r in cur.execute(
                "SELECT chunk_id FROM chunks WHERE doc_id = ? AND start_s IS NOT NULL "
                "ORDER BY ordinal",
                [doc_id],
            ).fetchall()
        ]
        number = table.number(doc_id)
        assert number is not None
        assert table.passages(number).tolist() == expected
        assert bool(expected) == (kind == "showcase"), doc_id


def test_a_reader_refuses_an_index_of_another_layout(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    content = write_content(tmp_path / "content")
    Ingestor(settings, HashingEmbedder()).run([str(content)])
    generation = IndexSnapshot.open(settings.data_dir).generation
    with duckdb.connect(str(generation / CATALOG_FILE)) as con:
        con.execute("UPDATE meta SET value = '1' WHERE key = 'schema'")
    with pytest.raises(IncompatibleIndexError, match="re-run: hindsight ingest"):
        IndexSnapshot.open(settings.data_dir)
    report = Ingestor(settings, HashingEmbedder()).run([str(content)])  # rebuilds every file
    assert report.count("indexed") >= 8
    assert len(IndexSnapshot.open(settings.data_dir).table) > 0


def test_a_large_vectors_file_is_read_through_once_per_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Snapshots of later generations share the base by hard link: it is warmed once."""
    import threading

    from index import reader

    seen: list[Path] = []
    done = threading.Event()

    def record(path: Path) -> None:
        seen.append(path)
        done.set()

    monkeypatch.setattr(reader, "_read_through", record)
    monkeypatch.setattr(reader, "WARM_MIN_BYTES", 10)
    base = tmp_path / "g1.faiss"
    base.write_bytes(b"x" * 100)
    (tmp_path / "g2.faiss").hardlink_to(base)
    small = tmp_path / "small.faiss"
    small.write_bytes(b"x")
    for path in (base, tmp_path / "g2.faiss", small):
        reader._warm(path)
    assert done.wait(5)
    for thread in threading.enumerate():
        if thread.name == "hindsight-warm":
            thread.join(5)
    assert seen == [base]
