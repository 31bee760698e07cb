"""Per-person state the portal writes: visits, follows, feed tokens, the search log.

Generations under the data dir are immutable snapshots rebuilt from content; this is the one
mutable store beside them (`<data dir>/state.sqlite3`, docs/storage.md). SQLite, because two
processes write it — the portal and the feed server — and SQLite's WAL lets one write while
others read. Every call opens its own short connection: Streamlit runs pages on many threads.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from index.filters import Facets, SearchFilters

STATE_FILE = "state.sqlite3"
VISIT_GAP = dt.timedelta(minutes=30)  # this long without a page view ends a visit

_SCHEMA = """
CREATE TABLE IF NOT EXISTS people (
    person_key TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    groups TEXT NOT NULL DEFAULT '[]',      -- JSON list: the groups seen at the last visit
    groups_seen_at TEXT,
    last_seen TEXT,
    since TEXT,                             -- "what's new" counts from here (end of last visit)
    feed_token TEXT UNIQUE
);
CREATE TABLE IF NOT EXISTS follows (
    follow_id TEXT PRIMARY KEY,
    person_key TEXT NOT NULL,
    label TEXT NOT NULL,
    query TEXT NOT NULL DEFAULT '',
    kinds TEXT NOT NULL DEFAULT '[]',
    facets TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS follows_person ON follows (person_key);
CREATE TABLE IF NOT EXISTS searches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    query TEXT NOT NULL,
    asker TEXT,                -- the person (named mode only)
    session TEXT NOT NULL,     -- a hash of the browser session: counts distinct askers
    matched INTEGER NOT NULL,  -- a document the asker may see contains a word of the query
    hidden INTEGER NOT NULL    -- only documents the asker may not see contain one
);
CREATE INDEX IF NOT EXISTS searches_at ON searches (at);
CREATE TABLE IF NOT EXISTS opens (
    at TEXT NOT NULL,
    session TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS opens_at ON opens (at);
"""


@dataclass(frozen=True)
class Visit:
    """Where a person's "what's new" starts (None: never visited before) and their last view."""

    since: dt.datetime | None
    last_seen: dt.datetime


def next_visit(prev: Visit | None, now: dt.datetime, gap: dt.timedelta = VISIT_GAP) -> Visit:
    """The visit after a page view at NOW: a pause of GAP or more starts a new visit."""
    if prev is None:
        return Visit(since=None, last_seen=now)
    if now - prev.last_seen >= gap:
        return Visit(since=prev.last_seen, last_seen=now)
    return Visit(since=prev.since, last_seen=max(now, prev.last_seen))


@dataclass(frozen=True)
class Person:
    """What the feed server knows of someone: the groups their last portal visit carried."""

    person_key: str
    name: str
    groups: tuple[str, ...]
    groups_seen_at: dt.datetime | None
    feed_token: str | None


@dataclass(frozen=True)
class Follow:
    """A followed search or facet set: a query (keyword match), kinds and facet values."""

    follow_id: str
    person_key: str
    label: str
    query: str = ""
    kinds: tuple[str, ...] = ()
    facets: Facets = ()

    @property
    def filters(self) -> SearchFilters:
        return SearchFilters(kinds=self.kinds, facets=self.facets)


@dataclass(frozen=True)
class LoggedSearch:
    at: dt.datetime
    query: str
    asker: str  # the person in named mode, else the session hash
    matched: bool
    hidden: bool
    opened: bool


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _when(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def session_hash(session: str) -> str:
    """A browser session as the log keeps it: enough to count distinct askers, nothing more."""
    return hashlib.sha256(f"hindsight-session:{session}".encode()).hexdigest()[:16]


class StateStore:
    """The mutable per-person store under DATA_DIR."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / STATE_FILE
        self._ready = False

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=10)
        try:
            if not self._ready:
                con.execute("PRAGMA journal_mode=WAL")
                con.executescript(_SCHEMA)
                self._ready = True
            with con:  # one transaction, committed on success
                yield con
        finally:
            con.close()

    # -- visits and the groups the feed server trusts ------------------------------------

    def visit(self, person_key: str) -> Visit | None:
        with self._connect() as con:
            row = con.execute(
                "SELECT since, last_seen FROM people WHERE person_key = ?", [person_key]
            ).fetchone()
        if row is None or row[1] is None:
            return None
        return Visit(since=_when(row[0]), last_seen=_when(row[1]))  # type: ignore[arg-type]

    def record_visit(
        self,
        person_key: str,
        *,
        name: str,
        groups: tuple[str, ...],
        now: dt.datetime | None = None,
    ) -> Visit:
        """A page view by the person: moves their visit on and stores the groups they carry."""
        now = now or dt.datetime.now()
        with self._connect() as con:
            row = con.execute(
                "SELECT since, last_seen FROM people WHERE person_key = ?", [person_key]
            ).fetchone()
            prev = Visit(_when(row[0]), _when(row[1])) if row and row[1] else None  # type: ignore[arg-type]
            visit = next_visit(prev, now)
            con.execute(
                "INSERT INTO people (person_key, name, groups, groups_seen_at, last_seen, "
                "since) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (person_key) DO UPDATE SET "
                "name = excluded.name, groups = excluded.groups, "
                "groups_seen_at = excluded.groups_seen_at, last_seen = excluded.last_seen, "
                "since = excluded.since",
                [
                    person_key,
                    name,
                    json.dumps(sorted(groups)),
                    now.isoformat(),
                    _iso(visit.last_seen),
                    _iso(visit.since),
                ],
            )
        return visit

    def mark_seen(self, person_key: str, now: dt.datetime | None = None) -> None:
        """Everything up to NOW counts as seen ("mark all as read")."""
        now = now or dt.datetime.now()
        with self._connect() as con:
            con.execute(
                "UPDATE people SET since = ?, last_seen = ? WHERE person_key = ?",
                [now.isoformat(), now.isoformat(), person_key],
            )

    # -- feed tokens ----------------------------------------------------------------------

    def feed_token(self, person_key: str, *, renew: bool = False) -> str:
        """The person's secret feed token (made on first use; RENEW replaces it)."""
        with self._connect() as con:
            row = con.execute(
                "SELECT feed_token FROM people WHERE person_key = ?", [person_key]
            ).fetchone()
            if row is None:
                con.execute("INSERT INTO people (person_key) VALUES (?)", [person_key])
            if row is not None and row[0] and not renew:
                return str(row[0])
            token = secrets.token_urlsafe(24)
            con.execute(
                "UPDATE people SET feed_token = ? WHERE person_key = ?", [token, person_key]
            )
            return token

    def person_by_token(self, token: str) -> Person | None:
        """Whose token TOKEN is (None: nobody's)."""
        if not token:
            return None
        with self._connect() as con:
            row = con.execute(
                "SELECT person_key, name, groups, groups_seen_at, feed_token FROM people "
                "WHERE feed_token = ?",
                [token],
            ).fetchone()
        if row is None or not secrets.compare_digest(str(row[4]), token):
            return None
        return Person(
            person_key=row[0],
            name=row[1],
            groups=tuple(json.loads(row[2] or "[]")),
            groups_seen_at=_when(row[3]),
            feed_token=row[4],
        )

    # -- follows --------------------------------------------------------------------------

    def follow(
        self,
        person_key: str,
        label: str,
        *,
        query: str = "",
        kinds: tuple[str, ...] = (),
        facets: Facets = (),
        now: dt.datetime | None = None,
    ) -> Follow:
        """Follow a query and/or facet set; following the same thing twice returns the first."""
        made = Follow("", person_key, label, query.strip(), tuple(sorted(kinds)), facets)
        filters = made.filters  # normalised kinds and facets
        for existing in self.follows(person_key):
            same = (existing.query, existing.filters) == (made.query, filters)
            if same:
                return existing
        follow_id = uuid.uuid4().hex[:12]
        with self._connect() as con:
            con.execute(
                "INSERT INTO follows VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    follow_id,
                    person_key,
                    label,
                    made.query,
                    json.dumps(list(filters.kinds)),
                    json.dumps([[k, list(v)] for k, v in filters.facets]),
                    (now or dt.datetime.now()).isoformat(),
                ],
            )
        return Follow(follow_id, person_key, label, made.query, filters.kinds, filters.facets)

    def unfollow(self, person_key: str, follow_id: str) -> None:
        with self._connect() as con:
            con.execute(
                "DELETE FROM follows WHERE person_key = ? AND follow_id = ?",
                [person_key, follow_id],
            )

    def follows(self, person_key: str) -> list[Follow]:
        with self._connect() as con:
            rows = con.execute(
                "SELECT follow_id, person_key, label, query, kinds, facets FROM follows "
                "WHERE person_key = ? ORDER BY created_at, follow_id",
                [person_key],
            ).fetchall()
        return [_follow(r) for r in rows]

    def get_follow(self, follow_id: str) -> Follow | None:
        with self._connect() as con:
            row = con.execute(
                "SELECT follow_id, person_key, label, query, kinds, facets FROM follows "
                "WHERE follow_id = ?",
                [follow_id],
            ).fetchone()
        return _follow(row) if row else None

    # -- the search log -------------------------------------------------------------------

    def log_search(
        self,
        *,
        query: str,
        session: str,
        asker: str | None,
        matched: bool,
        hidden: bool,
        now: dt.datetime,
    ) -> None:
        with self._connect() as con:
            con.execute(
                "INSERT INTO searches (at, query, asker, session, matched, hidden) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [now.isoformat(), query, asker, session, int(matched), int(hidden)],
            )

    def log_open(self, *, session: str, now: dt.datetime) -> None:
        with self._connect() as con:
            con.execute("INSERT INTO opens VALUES (?, ?)", [now.isoformat(), session])

    def purge(self, before: dt.datetime) -> int:
        """Forget searches and opens older than BEFORE; returns the searches dropped."""
        with self._connect() as con:
            n = con.execute("DELETE FROM searches WHERE at < ?", [before.isoformat()]).rowcount
            con.execute("DELETE FROM opens WHERE at < ?", [before.isoformat()])
        return int(n)

    def searches(self, open_window: dt.timedelta) -> list[LoggedSearch]:
        """Every logged search, each marked opened when its session opened a document after it
        (before its next search, and within OPEN_WINDOW)."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT at, query, asker, session, matched, hidden FROM searches ORDER BY at, id"
            ).fetchall()
            opens = con.execute("SELECT at, session FROM opens ORDER BY at").fetchall()
        opened_at: dict[str, list[dt.datetime]] = {}
        for at, session in opens:
            opened_at.setdefault(session, []).append(dt.datetime.fromisoformat(at))
        by_session: dict[str, list[tuple[int, dt.datetime]]] = {}
        for i, row in enumerate(rows):
            by_session.setdefault(row[3], []).append((i, dt.datetime.fromisoformat(row[0])))
        opened = [False] * len(rows)
        for session, items in by_session.items():
            times = opened_at.get(session, [])
            for j, (i, at) in enumerate(items):
                end = at + open_window
                if j + 1 < len(items):
                    end = min(end, items[j + 1][1])
                opened[i] = any(at <= t < end for t in times)
        return [
            LoggedSearch(
                at=dt.datetime.fromisoformat(r[0]),
                query=r[1],
                asker=r[2] or r[3],
                matched=bool(r[4]),
                hidden=bool(r[5]),
                opened=opened[i],
            )
            for i, r in enumerate(rows)
        ]

    def raw_search_rows(self) -> list[tuple[object, ...]]:
        """The stored search rows as they are (what the README says is kept; tests read it)."""
        with self._connect() as con:
            return con.execute(
                "SELECT at, query, asker, session, matched, hidden FROM searches ORDER BY id"
            ).fetchall()


def _follow(row: tuple[object, ...]) -> Follow:
    kinds = tuple(json.loads(str(row[4]) or "[]"))
    facets = tuple((str(k), tuple(v)) for k, v in json.loads(str(row[5]) or "[]"))
    return Follow(str(row[0]), str(row[1]), str(row[2]), str(row[3]), kinds, facets)
