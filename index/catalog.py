"""Read queries over a snapshot's catalog, returning records — never raw rows."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from index.models import Chapter, Document, Expert, OfficeHour, Segment
from index.store import FileState


@dataclass(frozen=True)
class SearchFilters:
    """Restrictions applied before ranking's cut-off. Empty means no restriction."""

    kinds: tuple[str, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    facets: dict[str, tuple[str, ...]] = field(default_factory=dict)  # facet -> any of values
    doc_ids: tuple[str, ...] | None = None

    def is_empty(self) -> bool:
        return (
            not self.kinds
            and self.date_from is None
            and self.date_to is None
            and not any(self.facets.values())
            and self.doc_ids is None
        )


@dataclass(frozen=True)
class ChunkRow:
    chunk_id: int
    doc_id: str
    text: str
    heading: str
    start: float | None
    end: float | None
    speaker: str | None


_DOC_COLUMNS = "doc_id, kind, title, path, date, metadata, body"


def _document(row: tuple[Any, ...], n_chunks: int = 0) -> Document:
    doc_id, kind, title, path, date, metadata, body = row
    return Document(
        doc_id=doc_id,
        kind=kind,
        title=title,
        path=path,
        date=date,
        metadata=json.loads(metadata) if metadata else {},
        body=body or "",
        n_chunks=n_chunks,
    )


def filter_clause(filters: SearchFilters) -> tuple[str, list[Any]]:
    """SQL condition over `documents d` for FILTERS, with its parameters."""
    parts: list[str] = []
    params: list[Any] = []
    if filters.kinds:
        parts.append(f"d.kind IN ({', '.join('?' * len(filters.kinds))})")
        params.extend(filters.kinds)
    if filters.date_from is not None:
        parts.append("d.date >= ?")
        params.append(filters.date_from)
    if filters.date_to is not None:
        parts.append("d.date <= ?")
        params.append(filters.date_to)
    for facet, values in filters.facets.items():
        if values:
            parts.append(
                "d.doc_id IN (SELECT doc_id FROM doc_facets WHERE facet = ? "
                f"AND value IN ({', '.join('?' * len(values))}))"
            )
            params.extend([facet, *values])
    if filters.doc_ids is not None:
        if not filters.doc_ids:
            parts.append("FALSE")
        else:
            parts.append(f"d.doc_id IN ({', '.join('?' * len(filters.doc_ids))})")
            params.extend(filters.doc_ids)
    return (" AND ".join(parts) or "TRUE"), params


def allowed_doc_ids(cur: duckdb.DuckDBPyConnection, filters: SearchFilters) -> list[str]:
    where, params = filter_clause(filters)
    return [
        r[0]
        for r in cur.execute(f"SELECT doc_id FROM documents d WHERE {where}", params).fetchall()
    ]


def docs_with_facet(cur: duckdb.DuckDBPyConnection, facet: str, values: Sequence[str]) -> list[str]:
    """Documents with any of VALUES under FACET (as filter_clause matches them)."""
    rows = cur.execute(
        "SELECT DISTINCT doc_id FROM doc_facets WHERE facet = ? "
        f"AND value IN ({', '.join('?' * len(values))})",
        [facet, *values],
    ).fetchall()
    return [r[0] for r in rows]


def allowed_chunk_ids(cur: duckdb.DuckDBPyConnection, filters: SearchFilters) -> list[int]:
    """The chunks FILTERS allow, in SQL: the reference the chunk table is tested against."""
    where, params = filter_clause(filters)
    rows = cur.execute(
        f"SELECT c.chunk_id FROM chunks c JOIN documents d USING (doc_id) WHERE {where}", params
    ).fetchall()
    return [r[0] for r in rows]


def documents(
    cur: duckdb.DuckDBPyConnection,
    filters: SearchFilters | None = None,
    *,
    limit: int | None = None,
) -> list[Document]:
    """Documents matching FILTERS, newest first."""
    where, params = filter_clause(filters or SearchFilters())
    sql = f"SELECT {_DOC_COLUMNS} FROM documents d WHERE {where} ORDER BY d.date DESC NULLS LAST, d.title"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [_document(r) for r in cur.execute(sql, params).fetchall()]


def document(cur: duckdb.DuckDBPyConnection, doc_id: str) -> Document | None:
    row = cur.execute(
        f"SELECT {_DOC_COLUMNS} FROM documents d WHERE doc_id = ?", [doc_id]
    ).fetchone()
    if row is None:
        return None
    n = cur.execute("SELECT count(*) FROM chunks WHERE doc_id = ?", [doc_id]).fetchone()
    return _document(row, n[0] if n else 0)


def documents_by_id(
    cur: duckdb.DuckDBPyConnection, doc_ids: list[str], *, body: bool = True
) -> dict[str, Document]:
    """Documents by id; without BODY their body is empty (a transcript's is ~50 KB)."""
    if not doc_ids:
        return {}
    columns = _DOC_COLUMNS if body else _DOC_COLUMNS.replace("body", "NULL AS body")
    rows = cur.execute(
        f"SELECT {columns} FROM documents d WHERE doc_id IN ({', '.join('?' * len(doc_ids))})",
        doc_ids,
    ).fetchall()
    return {r[0]: _document(r) for r in rows}


def chunks_by_id(cur: duckdb.DuckDBPyConnection, chunk_ids: list[int]) -> dict[int, ChunkRow]:
    if not chunk_ids:
        return {}
    rows = cur.execute(
        "SELECT chunk_id, doc_id, text, heading, start_s, end_s, speaker FROM chunks "
        f"WHERE chunk_id IN ({', '.join('?' * len(chunk_ids))})",
        chunk_ids,
    ).fetchall()
    return {r[0]: ChunkRow(*r) for r in rows}


def chapters(cur: duckdb.DuckDBPyConnection, doc_id: str) -> list[Chapter]:
    """A recording's chapters in time order (computed at ingest; [] for other documents)."""
    rows = cur.execute(
        "SELECT ordinal, start_s, end_s, label FROM chapters WHERE doc_id = ? ORDER BY ordinal",
        [doc_id],
    ).fetchall()
    return [Chapter(ordinal=r[0], start=r[1], end=r[2], label=r[3]) for r in rows]


def segments(cur: duckdb.DuckDBPyConnection, doc_id: str) -> list[Segment]:
    rows = cur.execute(
        "SELECT start_s, end_s, text, speaker FROM segments WHERE doc_id = ? ORDER BY ordinal",
        [doc_id],
    ).fetchall()
    return [Segment(start=r[0], end=r[1], text=r[2], speaker=r[3]) for r in rows]


def facet_counts(
    cur: duckdb.DuckDBPyConnection, filters: SearchFilters | None = None
) -> dict[str, list[tuple[str, int]]]:
    """Per facet, (value, documents) among documents matching FILTERS, most common first."""
    where, params = filter_clause(filters or SearchFilters())
    rows = cur.execute(
        "SELECT f.facet, f.value, count(DISTINCT f.doc_id) AS n FROM doc_facets f "
        f"JOIN documents d USING (doc_id) WHERE {where} GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2",
        params,
    ).fetchall()
    kinds = cur.execute(
        f"SELECT kind, count(*) FROM documents d WHERE {where} GROUP BY 1 ORDER BY 2 DESC, 1",
        params,
    ).fetchall()
    out: dict[str, list[tuple[str, int]]] = {"kind": [(k, n) for k, n in kinds]}
    for facet, value, n in rows:
        out.setdefault(facet, []).append((value, n))
    return out


def experts(cur: duckdb.DuckDBPyConnection) -> list[Expert]:
    rows = cur.execute(
        "SELECT expert_id, doc_id, name, role, team, email, chat, booking, topics, bio "
        "FROM experts ORDER BY name"
    ).fetchall()
    slots: dict[str, list[OfficeHour]] = {}
    for expert_id, weekday, start, end, tz, where in cur.execute(
        "SELECT expert_id, weekday, start_time, end_time, timezone, location FROM office_hours "
        "ORDER BY weekday, start_time"
    ).fetchall():
        slots.setdefault(expert_id, []).append(OfficeHour(weekday, start, end, tz, where or ""))
    return [
        Expert(
            expert_id=r[0],
            doc_id=r[1],
            name=r[2],
            role=r[3] or "",
            team=r[4] or "",
            email=r[5] or "",
            chat=r[6] or "",
            booking=r[7] or "",
            topics=tuple(r[8] or ()),
            bio=r[9] or "",
            office_hours=tuple(slots.get(r[0], ())),
        )
        for r in rows
    ]


def documents_by_person(cur: duckdb.DuckDBPyConnection, name: str) -> list[Document]:
    """Documents a person wrote, presented or spoke in, newest first."""
    rows = cur.execute(
        f"SELECT {_DOC_COLUMNS} FROM documents d WHERE doc_id IN "
        "(SELECT doc_id FROM doc_facets WHERE facet = 'person' AND value = ?) "
        "ORDER BY date DESC NULLS LAST",
        [name],
    ).fetchall()
    return [_document(r) for r in rows]


def related(cur: duckdb.DuckDBPyConnection, doc: Document) -> list[Document]:
    """Documents DOC names in `related`, and those that name DOC."""
    named = [str(x) for x in doc.metadata.get("related") or [] if x]
    rows = cur.execute(
        f"SELECT {_DOC_COLUMNS} FROM documents d WHERE doc_id IN "
        "(SELECT doc_id FROM doc_facets WHERE facet = 'related' AND value = ?)",
        [doc.doc_id.lower()],
    ).fetchall()
    found = documents_by_id(cur, named)
    out = [found[i] for i in named if i in found]
    out += [_document(r) for r in rows if r[0] not in found and r[0] != doc.doc_id]
    return out


def file_states(cur: duckdb.DuckDBPyConnection) -> list[FileState]:
    rows = cur.execute(
        "SELECT source_key, path, root, size, mtime_ns, content_hash, doc_id, state, reason, "
        "line, updated_at FROM files ORDER BY path"
    ).fetchall()
    return [FileState(*r) for r in rows]


@dataclass(frozen=True)
class IndexStats:
    documents_by_kind: dict[str, int]
    chunks_by_kind: dict[str, int]
    experts: int
    model_id: str
    last_ingest: dt.datetime | None
    files_by_state: dict[str, int]


def stats(cur: duckdb.DuckDBPyConnection) -> IndexStats:
    docs = dict(
        cur.execute("SELECT kind, count(*) FROM documents GROUP BY 1 ORDER BY 1").fetchall()
    )
    chunks = dict(
        cur.execute(
            "SELECT d.kind, count(*) FROM chunks c JOIN documents d USING (doc_id) GROUP BY 1 ORDER BY 1"
        ).fetchall()
    )
    n_experts = cur.execute("SELECT count(*) FROM experts").fetchone()
    model = cur.execute("SELECT value FROM meta WHERE key = 'model_id'").fetchone()
    last = cur.execute("SELECT max(finished_at) FROM ingest_runs").fetchone()
    files = dict(cur.execute("SELECT state, count(*) FROM files GROUP BY 1").fetchall())
    return IndexStats(
        documents_by_kind=docs,
        chunks_by_kind=chunks,
        experts=n_experts[0] if n_experts else 0,
        model_id=model[0] if model else "",
        last_ingest=last[0] if last else None,
        files_by_state=files,
    )
