"""The DuckDB catalog of one generation: documents, chunks, experts, file state, runs."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from index.facets import document_facets
from index.migrations import migrate
from index.models import Chapter, Chunk, ParsedDocument

CATALOG_FILE = "catalog.duckdb"
# The layout of a generation's files; an index built under another is rebuilt by the next
# ingest and refused by readers until then. 2: the keyword index gained a `day` field;
# 3: recordings gained chapters (computed at ingest, so every recording is re-read);
# 4: document fields are folded and normalised at ingest (index/fields.py).
# 5: chunks gained `slide` (slide decks name the slide of a hit).
# 6: post-mortems' incident vectors (index/incidents.py; chunk vectors come from the cache).
# 7: chapter titles are clauses of the chapter's own words (ingest/chapters.py).
SCHEMA_VERSION = "7"


@dataclass(frozen=True)
class FileState:
    """What the last ingest made of one source file."""

    source_key: str
    path: str
    root: str
    size: int | None
    mtime_ns: int | None
    content_hash: str | None
    doc_id: str | None
    state: str  # indexed | skipped | failed
    reason: str | None = None
    line: int | None = None
    updated_at: dt.datetime | None = None


def open_catalog(generation: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    path = generation / CATALOG_FILE
    con = duckdb.connect(str(path), read_only=read_only)
    if not read_only:
        migrate(con)
    return con


def _json_default(value: Any) -> str:
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return str(value)


_TEXT, _INT, _BIG, _REAL = pa.string(), pa.int32(), pa.int64(), pa.float64()
_WHEN = pa.timestamp("us")
# The buffered tables' columns, in table order, with the Arrow type each is inserted as.
_COLUMNS: dict[str, list[tuple[str, pa.DataType]]] = {
    "documents": [("doc_id", _TEXT), ("kind", _TEXT), ("title", _TEXT), ("path", _TEXT),
                  ("source_key", _TEXT), ("date", pa.date32()), ("metadata", _TEXT),
                  ("body", _TEXT), ("indexed_at", _WHEN), ("first_indexed_at", _WHEN)],
    "doc_facets": [("doc_id", _TEXT), ("facet", _TEXT), ("value", _TEXT)],
    "chunks": [("chunk_id", _BIG), ("doc_id", _TEXT), ("ordinal", _INT), ("text", _TEXT),
               ("context", _TEXT), ("heading", _TEXT), ("text_hash", _TEXT),
               ("n_tokens", _INT), ("start_s", _REAL), ("end_s", _REAL), ("speaker", _TEXT),
               ("slide", _INT)],
    "segments": [("doc_id", _TEXT), ("ordinal", _INT), ("start_s", _REAL), ("end_s", _REAL),
                 ("speaker", _TEXT), ("text", _TEXT)],
    "chapters": [("doc_id", _TEXT), ("ordinal", _INT), ("start_s", _REAL), ("end_s", _REAL),
                 ("label", _TEXT)],
    "incident_vectors": [("doc_id", _TEXT), ("cause", pa.list_(pa.float32())),
                         ("account", pa.list_(pa.float32()))],
    "files": [("source_key", _TEXT), ("path", _TEXT), ("root", _TEXT), ("size", _BIG),
              ("mtime_ns", _BIG), ("content_hash", _TEXT), ("doc_id", _TEXT), ("state", _TEXT),
              ("reason", _TEXT), ("line", _INT), ("updated_at", _WHEN)],
}  # fmt: skip
FLUSH_ROWS = 50_000  # buffered rows are inserted at the latest at this many


class CatalogWriter:
    """Write side of the catalog, used by one ingest inside one transaction.

    Documents, their chunks, segments and facets, and file states are buffered and
    inserted set-wise (Arrow tables): row-by-row statements cost ~1-3 ms each, as much as
    everything else an ingest does besides the model (docs/benchmarks.md). Every read of
    rows that may be buffered flushes first, so the buffer is invisible to callers.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.dirty = False  # set by every change; a clean session need not be published
        self._rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in _COLUMNS}
        self._buffered_docs: set[str] = set()
        self._buffered_files: set[str] = set()
        self._owners: dict[str, str] | None = None
        self._first_seen: dict[str, dt.datetime] = {}  # of documents deleted to be re-inserted

    def flush(self) -> None:
        """Insert every buffered row (a file state replaces the one stored before)."""
        files = self._rows["files"]
        if files:
            self.con.execute(
                "DELETE FROM files WHERE source_key IN (SELECT unnest(?::VARCHAR[]))",
                [sorted(self._buffered_files)],
            )
            # Only the last state buffered for a file counts.
            self._rows["files"] = list({row[0]: row for row in files}.values())
        for table, rows in self._rows.items():
            if not rows:
                continue
            names = [name for name, _ in _COLUMNS[table]]
            columns = list(zip(*rows, strict=True))
            arrays = [
                pa.array(col, type) for col, (_, type) in zip(columns, _COLUMNS[table], strict=True)
            ]
            self.con.register("incoming_rows", pa.Table.from_arrays(arrays, names=names))
            try:
                self.con.execute(f"INSERT INTO {table} SELECT * FROM incoming_rows")
            finally:
                self.con.unregister("incoming_rows")
            rows.clear()
        self._buffered_docs.clear()
        self._buffered_files.clear()

    def _buffer(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        self._rows[table].extend(rows)
        if sum(len(r) for r in self._rows.values()) >= FLUSH_ROWS:
            self.flush()

    def get_meta(self, key: str) -> str | None:
        row = self.con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.con.execute("DELETE FROM meta WHERE key = ?", [key])
        self.con.execute("INSERT INTO meta VALUES (?, ?)", [key, value])

    def file_states(self) -> dict[str, FileState]:
        self.flush()
        rows = self.con.execute(
            "SELECT source_key, path, root, size, mtime_ns, content_hash, doc_id, state, "
            "reason, line, updated_at FROM files"
        ).fetchall()
        return {row[0]: FileState(*row) for row in rows}

    def put_file_state(self, state: FileState) -> None:
        self.dirty = True
        self._buffered_files.add(state.source_key)
        self._buffer(
            "files",
            [
                (
                    state.source_key,
                    state.path,
                    state.root,
                    state.size,
                    state.mtime_ns,
                    state.content_hash,
                    state.doc_id,
                    state.state,
                    state.reason,
                    state.line,
                    state.updated_at or dt.datetime.now(),
                )
            ],
        )

    def drop_file_state(self, source_key: str) -> None:
        if source_key in self._buffered_files:
            self.flush()
        self.dirty = True
        self.con.execute("DELETE FROM files WHERE source_key = ?", [source_key])

    def _owner_map(self) -> dict[str, str]:
        """doc_id -> source_key of every document, read once and kept in step by this writer."""
        if self._owners is None:
            self.flush()
            rows = self.con.execute("SELECT doc_id, source_key FROM documents").fetchall()
            self._owners = dict(rows)
        return self._owners

    def doc_owner(self, doc_id: str) -> str | None:
        return self._owner_map().get(doc_id)

    def chunk_ids(self, doc_id: str) -> list[int]:
        if doc_id not in self._owner_map():
            return []
        if doc_id in self._buffered_docs:
            self.flush()
        rows = self.con.execute("SELECT chunk_id FROM chunks WHERE doc_id = ?", [doc_id])
        return [r[0] for r in rows.fetchall()]

    def delete_document(self, doc_id: str) -> list[int]:
        """Remove a document and everything hanging off it; returns its chunk ids."""
        if doc_id not in self._owner_map():
            return []  # a new document: nothing to delete, no statement run
        ids = self.chunk_ids(doc_id)
        del self._owner_map()[doc_id]
        first = self.con.execute(
            "SELECT coalesce(first_indexed_at, indexed_at) FROM documents WHERE doc_id = ?",
            [doc_id],
        ).fetchone()
        if first and first[0] is not None:
            self._first_seen[doc_id] = first[0]
        self.dirty = True
        for table in (
            "chunks",
            "segments",
            "chapters",
            "doc_facets",
            "incident_vectors",
            "documents",
        ):
            self.con.execute(f"DELETE FROM {table} WHERE doc_id = ?", [doc_id])
        expert_ids = [
            r[0]
            for r in self.con.execute(
                "SELECT expert_id FROM experts WHERE doc_id = ?", [doc_id]
            ).fetchall()
        ]
        for expert_id in expert_ids:
            self.con.execute("DELETE FROM office_hours WHERE expert_id = ?", [expert_id])
        self.con.execute("DELETE FROM experts WHERE doc_id = ?", [doc_id])
        return ids

    def insert_document(
        self,
        doc: ParsedDocument,
        *,
        path: str,
        source_key: str,
        chunks: list[Chunk],
        chapters: Sequence[Chapter] = (),
        incident: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        self.dirty = True
        self._buffered_docs.add(doc.doc_id)
        if self._owners is not None:
            self._owners[doc.doc_id] = source_key
        metadata = json.dumps(doc.metadata, default=_json_default)
        now = dt.datetime.now()
        first = self._first_seen.pop(doc.doc_id, now)  # a changed document keeps its first time
        self._buffer(
            "documents",
            [(doc.doc_id, doc.kind, doc.title, path, source_key, doc.date, metadata, doc.body,
              now, first)],
        )  # fmt: skip
        self._buffer("doc_facets", [(doc.doc_id, f, v) for f, v in document_facets(doc.metadata)])
        self._buffer(
            "chunks",
            [(c.chunk_id, c.doc_id, c.ordinal, c.text, c.context, c.heading, c.text_hash,
              c.n_tokens, c.start, c.end, c.speaker, c.slide) for c in chunks],
        )  # fmt: skip
        self._buffer(
            "segments",
            [
                (doc.doc_id, i, s.start, s.end, s.speaker, s.text)
                for i, s in enumerate(doc.segments)
            ],
        )
        self._buffer(
            "chapters", [(doc.doc_id, c.ordinal, c.start, c.end, c.label) for c in chapters]
        )
        if incident is not None:
            cause, account = incident
            self._buffer(
                "incident_vectors",
                [
                    (
                        doc.doc_id,
                        cause.astype(np.float32).tolist(),
                        account.astype(np.float32).tolist(),
                    )
                ],
            )
        if doc.expert is not None:
            e = doc.expert
            self.con.execute(
                "INSERT INTO experts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    e.expert_id,
                    doc.doc_id,
                    e.name,
                    e.role,
                    e.team,
                    e.email,
                    e.chat,
                    e.booking,
                    list(e.topics),
                    e.bio,
                ],
            )
            for slot in e.office_hours:
                self.con.execute(
                    "INSERT INTO office_hours VALUES (?, ?, ?, ?, ?, ?)",
                    [e.expert_id, slot.weekday, slot.start, slot.end, slot.timezone, slot.where],
                )

    def record_run(self, row: dict[str, Any]) -> int:
        run_id = self.con.execute(
            "SELECT coalesce(max(run_id), 0) + 1 FROM ingest_runs"
        ).fetchone()[0]  # type: ignore[index]
        self.con.execute(
            "INSERT INTO ingest_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                row["started_at"],
                row["finished_at"],
                row["roots"],
                row["indexed"],
                row["unchanged"],
                row["skipped"],
                row["failed"],
                row["removed"],
                row["chunks_embedded"],
                row["seconds"],
            ],
        )
        return int(run_id)
