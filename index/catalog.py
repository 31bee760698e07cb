"""Read queries over a snapshot's catalog, returning records — never raw rows."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np

from index import lifecycle
from index.fields import severity_rank
from index.filters import SearchFilters
from index.models import Chapter, Document, Expert, OfficeHour, Segment
from index.store import FileState


@dataclass(frozen=True)
class ChunkRow:
    chunk_id: int
    doc_id: str
    text: str
    heading: str
    start: float | None
    end: float | None
    speaker: str | None
    slide: int | None = None


_DOC_COLUMNS = "doc_id, kind, title, path, date, metadata, body"
_DOC_COLUMNS_NO_BODY = _DOC_COLUMNS.replace("body", "NULL AS body")  # a transcript's is ~50 KB


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
    for facet, values in filters.facets:
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
    if filters.access is not None:
        clause, access_params = access_clause(filters.access)
        parts.append(clause)
        params.extend(access_params)
    return (" AND ".join(parts) or "TRUE"), params


def access_clause(access: tuple[str, ...], column: str = "d.doc_id") -> tuple[str, list[Any]]:
    """SQL condition: COLUMN is a document the access key ACCESS may see (index.access)."""
    open_ = f"{column} NOT IN (SELECT doc_id FROM doc_facets WHERE facet = 'access')"
    if not access:
        return f"({open_})", []
    member = (
        f"{column} IN (SELECT doc_id FROM doc_facets WHERE facet = 'access' "
        f"AND value IN ({', '.join('?' * len(access))}))"
    )
    return f"({open_} OR {member})", list(access)


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
    found = [_document(r) for r in cur.execute(sql, params).fetchall()]
    return followable(cur, found, (filters or SearchFilters()).access)


def document(
    cur: duckdb.DuckDBPyConnection, doc_id: str, filters: SearchFilters | None = None
) -> Document | None:
    """DOC_ID's document, or None when it is missing or outside FILTERS (alike, on purpose)."""
    where, params = filter_clause(filters or SearchFilters())
    row = cur.execute(
        f"SELECT {_DOC_COLUMNS} FROM documents d WHERE doc_id = ? AND {where}", [doc_id, *params]
    ).fetchone()
    if row is None:
        return None
    n = cur.execute("SELECT count(*) FROM chunks WHERE doc_id = ?", [doc_id]).fetchone()
    found = _document(row, n[0] if n else 0)
    return followable(cur, [found], (filters or SearchFilters()).access)[0]


def documents_by_id(
    cur: duckdb.DuckDBPyConnection, doc_ids: list[str], *, body: bool = True
) -> dict[str, Document]:
    """Documents by id, as stored; without BODY their body is empty (a transcript's is ~50 KB).

    Their successors are not checked: a caller handing them to a reader passes them through
    `followable` or `lifecycle.follow` first.
    """
    if not doc_ids:
        return {}
    columns = _DOC_COLUMNS if body else _DOC_COLUMNS_NO_BODY
    rows = cur.execute(
        f"SELECT {columns} FROM documents d WHERE doc_id IN ({', '.join('?' * len(doc_ids))})",
        doc_ids,
    ).fetchall()
    return {r[0]: _document(r) for r in rows}


def followable(
    cur: duckdb.DuckDBPyConnection, docs: list[Document], access: tuple[str, ...] | None
) -> list[Document]:
    """DOCS with every successor ACCESS may not see (or that is missing) left unnamed.

    A document superseded by one the reader may not open reads exactly like one whose
    successor does not exist: `superseded: true`, no id (index/lifecycle.py).
    """
    wanted = sorted({s for d in docs if (s := lifecycle.successor_id(d.metadata))})
    if not wanted:
        return docs
    visible = set(allowed_doc_ids(cur, SearchFilters(doc_ids=tuple(wanted), access=access)))
    return lifecycle.follow(docs, visible.__contains__)


def lifecycle_marks(cur: duckdb.DuckDBPyConnection) -> dict[str, lifecycle.Mark]:
    """Every superseded or obsolete document's mark (as stored; ranking checks successors)."""
    words = " OR ".join("metadata ILIKE ?" for _ in lifecycle.MARK_WORDS)
    rows = cur.execute(
        f"SELECT doc_id, metadata FROM documents WHERE {words}",
        [f"%{w}%" for w in lifecycle.MARK_WORDS],
    ).fetchall()
    return lifecycle.marks((doc_id, json.loads(meta) if meta else {}) for doc_id, meta in rows)


def predecessors(
    cur: duckdb.DuckDBPyConnection, doc_id: str, filters: SearchFilters
) -> list[Document]:
    """Documents within FILTERS that name DOC_ID as their successor, newest first."""
    named = [d for d, mark in lifecycle_marks(cur).items() if mark.successor == doc_id]
    return documents(cur, filters.with_doc_ids(named)) if named else []


def cues(
    cur: duckdb.DuckDBPyConnection, doc_ids: list[str]
) -> dict[str, list[tuple[float, float, str]]]:
    """Each recording's cues as (start, end, text), in time order."""
    rows = cur.execute(
        "SELECT doc_id, start_s, end_s, text FROM segments "
        f"WHERE doc_id IN ({', '.join('?' * len(doc_ids))}) ORDER BY doc_id, ordinal",
        doc_ids,
    ).fetchall()
    out: dict[str, list[tuple[float, float, str]]] = {}
    for doc_id, start, end, text in rows:
        if start is not None:
            out.setdefault(doc_id, []).append((start, end if end is not None else start, text))
    return out


_CHUNK_ROW = "SELECT chunk_id, doc_id, text, heading, start_s, end_s, speaker, slide FROM chunks"


def chunks_by_id(cur: duckdb.DuckDBPyConnection, chunk_ids: list[int]) -> dict[int, ChunkRow]:
    if not chunk_ids:
        return {}
    rows = cur.execute(
        f"{_CHUNK_ROW} WHERE chunk_id IN ({', '.join('?' * len(chunk_ids))})", chunk_ids
    ).fetchall()
    return {r[0]: ChunkRow(*r) for r in rows}


def every_chunk_row(cur: duckdb.DuckDBPyConnection) -> dict[int, ChunkRow]:
    """Every chunk's row, in one scan (a reader warming a small archive's rows)."""
    return {r[0]: ChunkRow(*r) for r in cur.execute(_CHUNK_ROW).fetchall()}


def every_document(cur: duckdb.DuckDBPyConnection) -> dict[str, Document]:
    """Every document as stored, without its body, in one scan (successors unchecked, as in
    `documents_by_id`)."""
    rows = cur.execute(f"SELECT {_DOC_COLUMNS_NO_BODY} FROM documents").fetchall()
    return {r[0]: _document(r) for r in rows}


def chapters(cur: duckdb.DuckDBPyConnection, doc_id: str) -> list[Chapter]:
    """A recording's chapters in time order (computed at ingest; [] for other documents)."""
    rows = cur.execute(
        "SELECT ordinal, start_s, end_s, label FROM chapters WHERE doc_id = ? ORDER BY ordinal",
        [doc_id],
    ).fetchall()
    return [Chapter(ordinal=r[0], start=r[1], end=r[2], label=r[3]) for r in rows]


def chunk_headings(
    cur: duckdb.DuckDBPyConnection, doc_ids: list[str]
) -> list[tuple[int, str, str]]:
    """(chunk_id, doc_id, heading) of every chunk of DOC_IDS, in document order."""
    if not doc_ids:
        return []
    rows = cur.execute(
        "SELECT chunk_id, doc_id, coalesce(heading, '') FROM chunks "
        f"WHERE doc_id IN ({', '.join('?' * len(doc_ids))}) ORDER BY doc_id, ordinal",
        doc_ids,
    ).fetchall()
    return [(int(r[0]), r[1], r[2]) for r in rows]


def incident_vectors(
    cur: duckdb.DuckDBPyConnection, doc_ids: list[str]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(cause, account) vectors stored at ingest for those of DOC_IDS that have them."""
    if not doc_ids:
        return {}
    rows = cur.execute(
        "SELECT doc_id, cause, account FROM incident_vectors "
        f"WHERE doc_id IN ({', '.join('?' * len(doc_ids))})",
        doc_ids,
    ).fetchall()
    return {
        r[0]: (np.asarray(r[1], dtype=np.float32), np.asarray(r[2], dtype=np.float32)) for r in rows
    }


def failure_mode_vectors(
    cur: duckdb.DuckDBPyConnection, hashes: list[str]
) -> dict[str, np.ndarray]:
    """Description vectors stored at ingest, by text hash (none in a version written before)."""
    # Asked first, not caught: for a missing table DuckDB's Python client would look for a
    # Python object of that name to scan instead (and find this function).
    table = cur.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'failure_mode_vectors'"
    ).fetchone()
    if not hashes or not table or not table[0]:
        return {}
    rows = cur.execute(
        "SELECT text_hash, vector FROM failure_mode_vectors "
        "WHERE text_hash IN (SELECT unnest(?::VARCHAR[]))",
        [hashes],
    ).fetchall()
    return {r[0]: np.asarray(r[1], dtype=np.float32) for r in rows}


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
        f"JOIN documents d USING (doc_id) WHERE f.facet NOT IN ('access', 'related') "
        f"AND {where} GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2",
        params,
    ).fetchall()
    kinds = cur.execute(
        f"SELECT kind, count(*) FROM documents d WHERE {where} GROUP BY 1 ORDER BY 2 DESC, 1",
        params,
    ).fetchall()
    out: dict[str, list[tuple[str, int]]] = {"kind": [(k, n) for k, n in kinds]}
    for facet, value, n in rows:
        out.setdefault(facet, []).append((value, n))
    if "severity" in out:  # SEV1 → SEV4, not by how common each is
        out["severity"].sort(key=lambda pair: (severity_rank(pair[0]), pair[0]))
    return out


def experts(cur: duckdb.DuckDBPyConnection, access: tuple[str, ...] | None) -> list[Expert]:
    """Expert profiles whose document ACCESS may see (None: all), by name."""
    where, params = access_clause(access, "doc_id") if access is not None else ("TRUE", [])
    rows = cur.execute(
        "SELECT expert_id, doc_id, name, role, team, email, chat, booking, topics, bio "
        f"FROM experts WHERE {where} ORDER BY name",
        params,
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


def documents_by_person(
    cur: duckdb.DuckDBPyConnection, name: str, filters: SearchFilters
) -> list[Document]:
    """Documents a person wrote, presented or spoke in (within FILTERS), newest first."""
    where, params = filter_clause(filters)
    rows = cur.execute(
        f"SELECT {_DOC_COLUMNS} FROM documents d WHERE doc_id IN "
        "(SELECT doc_id FROM doc_facets WHERE facet = 'person' AND value = ?) "
        f"AND {where} ORDER BY date DESC NULLS LAST",
        [name, *params],
    ).fetchall()
    return followable(cur, [_document(r) for r in rows], filters.access)


def related(
    cur: duckdb.DuckDBPyConnection, doc: Document, filters: SearchFilters
) -> list[Document]:
    """Documents DOC names in `related`, and those that name DOC (within FILTERS)."""
    named = [str(x) for x in doc.metadata.get("related") or [] if x]
    where, params = filter_clause(filters)
    rows = cur.execute(
        f"SELECT {_DOC_COLUMNS} FROM documents d WHERE doc_id IN "
        f"(SELECT doc_id FROM doc_facets WHERE facet = 'related' AND value = ?) AND {where}",
        [doc.doc_id.lower(), *params],
    ).fetchall()
    found = {d.doc_id: d for d in documents(cur, filters.with_doc_ids(named))} if named else {}
    out = [found[i] for i in named if i in found]
    naming = [_document(r) for r in rows if r[0] not in found and r[0] != doc.doc_id]
    return out + followable(cur, naming, filters.access)


def file_states(
    cur: duckdb.DuckDBPyConnection,
    access: tuple[str, ...] | None = None,
    *,
    unparsed: bool = True,
) -> list[FileState]:
    """Every file's ingest state; under ACCESS, files of documents it may not see are left out.

    Files that made no document (skipped, failed) have no access groups to check: UNPARSED says
    whether to list them at all.
    """
    where, params = _files_clause(access)
    if not unparsed:
        where += " AND doc_id IS NOT NULL"
    rows = cur.execute(
        "SELECT source_key, path, root, size, mtime_ns, content_hash, doc_id, state, reason, "
        f"line, updated_at FROM files WHERE {where} ORDER BY path",
        params,
    ).fetchall()
    return [FileState(*r) for r in rows]


def _files_clause(access: tuple[str, ...] | None) -> tuple[str, list[Any]]:
    # A file that made no document (skipped, failed) has no access groups to check.
    if access is None:
        return "TRUE", []
    clause, params = access_clause(access, "doc_id")
    return f"(doc_id IS NULL OR {clause})", params


@dataclass(frozen=True)
class IndexStats:
    documents_by_kind: dict[str, int]
    chunks_by_kind: dict[str, int]
    experts: int
    model_id: str
    last_ingest: dt.datetime | None
    files_by_state: dict[str, int]


def stats(cur: duckdb.DuckDBPyConnection, filters: SearchFilters) -> IndexStats:
    """What the archive holds, counting only documents (and their files) within FILTERS."""
    where, params = filter_clause(filters)
    docs = dict(
        cur.execute(
            f"SELECT kind, count(*) FROM documents d WHERE {where} GROUP BY 1 ORDER BY 1", params
        ).fetchall()
    )
    chunks = dict(
        cur.execute(
            "SELECT d.kind, count(*) FROM chunks c JOIN documents d USING (doc_id) "
            f"WHERE {where} GROUP BY 1 ORDER BY 1",
            params,
        ).fetchall()
    )
    model = cur.execute("SELECT value FROM meta WHERE key = 'model_id'").fetchone()
    last = cur.execute("SELECT max(finished_at) FROM ingest_runs").fetchone()
    files_where, files_params = _files_clause(filters.access)
    files = dict(
        cur.execute(
            f"SELECT state, count(*) FROM files WHERE {files_where} GROUP BY 1", files_params
        ).fetchall()
    )
    return IndexStats(
        documents_by_kind=docs,
        chunks_by_kind=chunks,
        experts=len(experts(cur, filters.access)),
        model_id=model[0] if model else "",
        last_ingest=last[0] if last else None,
        files_by_state=files,
    )


@dataclass(frozen=True)
class DocumentChange:
    """A document indexed at or after some moment: new (first seen then) or changed."""

    document: Document  # without its body
    first_indexed_at: dt.datetime
    indexed_at: dt.datetime

    def is_new(self, since: dt.datetime) -> bool:
        return self.first_indexed_at >= since


def changes_since(
    cur: duckdb.DuckDBPyConnection, since: dt.datetime, filters: SearchFilters
) -> list[DocumentChange]:
    """Documents within FILTERS (re)indexed at or after SINCE, most recent first."""
    where, params = filter_clause(filters)
    has_first = cur.execute(
        "SELECT count(*) FROM information_schema.columns "
        "WHERE table_name = 'documents' AND column_name = 'first_indexed_at'"
    ).fetchone()
    # A generation written before migration m004 has no first time: every change reads as new.
    first = (
        "coalesce(d.first_indexed_at, d.indexed_at)"
        if has_first and has_first[0]
        else "d.indexed_at"
    )
    columns = _DOC_COLUMNS_NO_BODY
    rows = cur.execute(
        f"SELECT {columns}, {first}, d.indexed_at FROM documents d "
        f"WHERE d.indexed_at >= ? AND {where} ORDER BY d.indexed_at DESC, d.title",
        [since, *params],
    ).fetchall()
    docs = followable(cur, [_document(r[:7]) for r in rows], filters.access)
    return [DocumentChange(d, r[7], r[8]) for d, r in zip(docs, rows, strict=True)]
