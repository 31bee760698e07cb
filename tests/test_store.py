"""The catalog writer's buffered inserts are invisible to its callers: reads see every write."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from index.models import Chunk, ParsedDocument, Segment
from index.store import CatalogWriter, FileState, open_catalog


@pytest.fixture
def writer(tmp_path: Path) -> CatalogWriter:
    return CatalogWriter(open_catalog(tmp_path, read_only=False))


def _doc(
    doc_id: str, n_chunks: int, title: str = "Replica lag"
) -> tuple[ParsedDocument, list[Chunk]]:
    doc = ParsedDocument(
        doc_id=doc_id,
        kind="showcase",
        title=title,
        date=dt.date(2025, 3, 14),
        body="body",
        sections=(),
        metadata={"team": "sre", "tags": ["postgres"]},
        segments=(Segment(start=0.0, end=5.0, text="hello", speaker="Ana"),),
    )
    chunks = [
        Chunk(
            hash((doc_id, i)) & (2**62 - 1),
            doc_id,
            i,
            f"text {i}",
            title,
            f"h{i}",
            3,
            "",
            1.0 * i,
            1.0 * i + 1,
            None,
        )
        for i in range(n_chunks)
    ]
    return doc, chunks


def _count(writer: CatalogWriter, table: str, doc_id: str) -> int:
    writer.flush()
    row = writer.con.execute(f"SELECT count(*) FROM {table} WHERE doc_id = ?", [doc_id]).fetchone()
    return int(row[0]) if row else 0


def test_a_buffered_document_is_seen_replaced_and_deleted(writer: CatalogWriter) -> None:
    doc, chunks = _doc("a", 3)
    assert writer.doc_owner("a") is None  # the owners are read now, then kept in step
    writer.insert_document(doc, path="a.vtt", source_key="/c/a.vtt", chunks=chunks)
    assert writer.doc_owner("a") == "/c/a.vtt"  # still buffered
    assert sorted(writer.chunk_ids("a")) == sorted(c.chunk_id for c in chunks)
    assert sorted(writer.delete_document("a")) == sorted(c.chunk_id for c in chunks)
    assert writer.doc_owner("a") is None and writer.chunk_ids("a") == []
    doc2, chunks2 = _doc("a", 2, title="Replica lag, revised")
    writer.insert_document(doc2, path="a.vtt", source_key="/c/a.vtt", chunks=chunks2)
    assert writer.delete_document("b") == []  # unknown: nothing happens
    for table, n in (("documents", 1), ("chunks", 2), ("segments", 1), ("doc_facets", 2)):
        assert _count(writer, table, "a") == n, table
    row = writer.con.execute(
        "SELECT title, date, metadata->>'team' FROM documents WHERE doc_id = 'a'"
    ).fetchone()
    assert row == ("Replica lag, revised", dt.date(2025, 3, 14), "sre")


def test_the_last_state_of_a_file_wins_and_a_dropped_one_is_gone(writer: CatalogWriter) -> None:
    def state(key: str, value: str) -> FileState:
        return FileState(key, key, "/c", 1, 2, "hash", None, value, None, None)

    writer.put_file_state(state("/c/x.md", "failed"))
    writer.put_file_state(state("/c/x.md", "indexed"))
    writer.put_file_state(state("/c/y.md", "skipped"))
    assert {k: s.state for k, s in writer.file_states().items()} == {
        "/c/x.md": "indexed",
        "/c/y.md": "skipped",
    }
    writer.put_file_state(state("/c/y.md", "indexed"))  # buffered again, then dropped
    writer.drop_file_state("/c/y.md")
    writer.put_file_state(state("/c/x.md", "failed"))  # replaces a stored state
    assert {k: s.state for k, s in writer.file_states().items()} == {"/c/x.md": "failed"}
