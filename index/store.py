"""The DuckDB catalog of one generation: documents, chunks, experts, file state, runs."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from index.facets import document_facets
from index.migrations import migrate
from index.models import Chunk, ParsedDocument

CATALOG_FILE = "catalog.duckdb"
# The layout of a generation's files; an index built under another is rebuilt by the next
# ingest and refused by readers until then. 2: the keyword index gained a `day` field.
SCHEMA_VERSION = "2"


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


class CatalogWriter:
    """Write side of the catalog, used by one ingest inside one transaction."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.dirty = False  # set by every change; a clean session need not be published

    def get_meta(self, key: str) -> str | None:
        row = self.con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.con.execute("DELETE FROM meta WHERE key = ?", [key])
        self.con.execute("INSERT INTO meta VALUES (?, ?)", [key, value])

    def file_states(self) -> dict[str, FileState]:
        rows = self.con.execute(
            "SELECT source_key, path, root, size, mtime_ns, content_hash, doc_id, state, "
            "reason, line, updated_at FROM files"
        ).fetchall()
        return {row[0]: FileState(*row) for row in rows}

    def put_file_state(self, state: FileState) -> None:
        self.dirty = True
        self.con.execute("DELETE FROM files WHERE source_key = ?", [state.source_key])
        self.con.execute(
            "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
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
            ],
        )

    def drop_file_state(self, source_key: str) -> None:
        self.dirty = True
        self.con.execute("DELETE FROM files WHERE source_key = ?", [source_key])

    def doc_owner(self, doc_id: str) -> str | None:
        row = self.con.execute(
            "SELECT source_key FROM documents WHERE doc_id = ?", [doc_id]
        ).fetchone()
        return row[0] if row else None

    def chunk_ids(self, doc_id: str) -> list[int]:
        rows = self.con.execute("SELECT chunk_id FROM chunks WHERE doc_id = ?", [doc_id])
        return [r[0] for r in rows.fetchall()]

    def delete_document(self, doc_id: str) -> list[int]:
        """Remove a document and everything hanging off it; returns its chunk ids."""
        self.dirty = True
        ids = self.chunk_ids(doc_id)
        for table in ("chunks", "segments", "doc_facets", "documents"):
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
        self, doc: ParsedDocument, *, path: str, source_key: str, chunks: list[Chunk]
    ) -> None:
        self.dirty = True
        self.con.execute(
            "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                doc.doc_id,
                doc.kind,
                doc.title,
                path,
                source_key,
                doc.date,
                json.dumps(doc.metadata, default=_json_default),
                doc.body,
                dt.datetime.now(),
            ],
        )
        facets = document_facets(doc.metadata)
        if facets:
            self.con.executemany(
                "INSERT INTO doc_facets VALUES (?, ?, ?)",
                [[doc.doc_id, facet, value] for facet, value in facets],
            )
        if chunks:
            self.con.executemany(
                "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    [
                        c.chunk_id,
                        c.doc_id,
                        c.ordinal,
                        c.text,
                        c.context,
                        c.heading,
                        c.text_hash,
                        c.n_tokens,
                        c.start,
                        c.end,
                        c.speaker,
                    ]
                    for c in chunks
                ],
            )
        if doc.segments:
            self.con.executemany(
                "INSERT INTO segments VALUES (?, ?, ?, ?, ?, ?)",
                [
                    [doc.doc_id, i, s.start, s.end, s.speaker, s.text]
                    for i, s in enumerate(doc.segments)
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
