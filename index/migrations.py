"""Numbered schema migrations for the catalog; each runs once, in order."""

from __future__ import annotations

from collections.abc import Callable

import duckdb

Migration = Callable[[duckdb.DuckDBPyConnection], None]


def m001_documents(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""
        CREATE TABLE documents (
            doc_id VARCHAR PRIMARY KEY,
            kind VARCHAR NOT NULL,
            title VARCHAR NOT NULL,
            path VARCHAR NOT NULL,
            source_key VARCHAR NOT NULL,
            date DATE,
            metadata JSON,
            body VARCHAR,
            indexed_at TIMESTAMP
        )""")
    con.execute("""
        CREATE TABLE chunks (
            chunk_id BIGINT PRIMARY KEY,
            doc_id VARCHAR NOT NULL,
            ordinal INTEGER NOT NULL,
            text VARCHAR NOT NULL,
            context VARCHAR,
            heading VARCHAR,
            text_hash VARCHAR NOT NULL,
            n_tokens INTEGER,
            start_s DOUBLE,
            end_s DOUBLE,
            speaker VARCHAR
        )""")
    con.execute("CREATE INDEX chunks_doc ON chunks (doc_id)")
    # Normalised filter values (team, service, severity, outcome, tag, person) per document.
    con.execute("""
        CREATE TABLE doc_facets (
            doc_id VARCHAR NOT NULL,
            facet VARCHAR NOT NULL,
            value VARCHAR NOT NULL
        )""")
    con.execute("""
        CREATE TABLE segments (
            doc_id VARCHAR NOT NULL,
            ordinal INTEGER NOT NULL,
            start_s DOUBLE,
            end_s DOUBLE,
            speaker VARCHAR,
            text VARCHAR
        )""")


def m002_experts(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""
        CREATE TABLE experts (
            expert_id VARCHAR PRIMARY KEY,
            doc_id VARCHAR NOT NULL,
            name VARCHAR NOT NULL,
            role VARCHAR, team VARCHAR, email VARCHAR, chat VARCHAR, booking VARCHAR,
            topics VARCHAR[],
            bio VARCHAR
        )""")
    con.execute("""
        CREATE TABLE office_hours (
            expert_id VARCHAR NOT NULL,
            weekday INTEGER NOT NULL,
            start_time TIME NOT NULL,
            end_time TIME NOT NULL,
            timezone VARCHAR NOT NULL,
            location VARCHAR
        )""")


def m003_ingest_state(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""
        CREATE TABLE files (
            source_key VARCHAR PRIMARY KEY,
            path VARCHAR NOT NULL,
            root VARCHAR NOT NULL,
            size BIGINT,
            mtime_ns BIGINT,
            content_hash VARCHAR,
            doc_id VARCHAR,
            state VARCHAR NOT NULL,
            reason VARCHAR,
            line INTEGER,
            updated_at TIMESTAMP
        )""")
    con.execute("""
        CREATE TABLE ingest_runs (
            run_id INTEGER PRIMARY KEY,
            started_at TIMESTAMP,
            finished_at TIMESTAMP,
            roots VARCHAR[],
            indexed INTEGER, unchanged INTEGER, skipped INTEGER, failed INTEGER,
            removed INTEGER, chunks_embedded INTEGER, seconds DOUBLE
        )""")
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")


def m004_document_first_seen(con: duckdb.DuckDBPyConnection) -> None:
    # `indexed_at` moves on every re-index; "new" vs "changed" needs when a document first came.
    con.execute("ALTER TABLE documents ADD COLUMN first_indexed_at TIMESTAMP")
    con.execute("UPDATE documents SET first_indexed_at = indexed_at")


def m005_chapters(con: duckdb.DuckDBPyConnection) -> None:
    """Chapters of recordings: topic segments computed at ingest (ingest/chapters.py)."""
    con.execute("""
        CREATE TABLE chapters (
            doc_id VARCHAR NOT NULL,
            ordinal INTEGER NOT NULL,
            start_s DOUBLE NOT NULL,
            end_s DOUBLE NOT NULL,
            label VARCHAR NOT NULL
        )""")


def m006_chunk_slide(con: duckdb.DuckDBPyConnection) -> None:
    """Slide decks: the slide a chunk comes from (NULL for everything else)."""
    con.execute("ALTER TABLE chunks ADD COLUMN slide INTEGER")


def m007_incident_vectors(con: duckdb.DuckDBPyConnection) -> None:
    """Per post-mortem: its cause and account embedded without surface (index.incidents)."""
    con.execute("""
        CREATE TABLE IF NOT EXISTS incident_vectors (
            doc_id VARCHAR PRIMARY KEY,
            cause FLOAT[] NOT NULL,
            account FLOAT[] NOT NULL
        )""")


def m008_failure_mode_vectors(con: duckdb.DuckDBPyConnection) -> None:
    """The failure-mode vocabulary's descriptions embedded at ingest (index.failure_modes), by
    the hash of each description's text: readers no longer run the model over the vocabulary
    on every cold start (~1 s of a cold brief under load)."""
    con.execute("""
        CREATE TABLE IF NOT EXISTS failure_mode_vectors (
            text_hash VARCHAR PRIMARY KEY,
            vector FLOAT[] NOT NULL
        )""")


MIGRATIONS: list[Migration] = [
    m001_documents,
    m002_experts,
    m003_ingest_state,
    m004_document_first_seen,
    m005_chapters,
    m006_chunk_slide,
    m007_incident_vectors,
    m008_failure_mode_vectors,
]


def migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Bring a catalog up to the newest schema."""
    con.execute("CREATE TABLE IF NOT EXISTS _migrations (name VARCHAR PRIMARY KEY)")
    done = {row[0] for row in con.execute("SELECT name FROM _migrations").fetchall()}
    for migration in MIGRATIONS:
        if migration.__name__ not in done:
            con.execute("BEGIN")
            migration(con)
            con.execute("INSERT INTO _migrations VALUES (?)", [migration.__name__])
            con.execute("COMMIT")
