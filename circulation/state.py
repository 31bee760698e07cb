"""Per-person state the portal writes: visits, follows, feed and API tokens, the search log,
reviews, feedback.

Generations under the data dir are immutable snapshots rebuilt from content; this is the one
mutable store beside them (`<data dir>/state.sqlite3`, docs/storage.md). SQLite, because two
processes write it — the portal, `hindsight serve` and `hindsight token` — and SQLite's WAL lets
one write while others read. Every call opens its own short connection: Streamlit runs pages on
many threads.

Secrets are stored hashed: a feed token or an API token is shown once, when it is made, and only
its hash (`token_hash`) is kept, so a copy of this file opens no feed and answers no API call.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import HindsightError
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
    feed_token TEXT UNIQUE                  -- before hashing; `_migrate` empties it
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
    matched INTEGER NOT NULL,  -- a document the asker may see matches it (relevance floor)
    hidden INTEGER NOT NULL    -- only documents the asker may not see match it
);
CREATE INDEX IF NOT EXISTS searches_at ON searches (at);
CREATE TABLE IF NOT EXISTS opens (
    at TEXT NOT NULL,
    session TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS opens_at ON opens (at);
CREATE TABLE IF NOT EXISTS api_tokens (
    name TEXT PRIMARY KEY,                  -- who or what holds it ("ana", "ci-bot")
    token_hash TEXT NOT NULL UNIQUE,        -- token_hash(token): the token itself is never kept
    groups TEXT NOT NULL DEFAULT '[]',      -- JSON list: the groups it reads as
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    person_key TEXT NOT NULL,
    surface TEXT NOT NULL,     -- similar | brief | search (circulation/feedback.py)
    subject TEXT NOT NULL,     -- the seed post-mortem (similar), the plan or the query
    doc_id TEXT NOT NULL,      -- the item judged
    verdict TEXT NOT NULL      -- same | unrelated | outdated | helpful
);
CREATE INDEX IF NOT EXISTS feedback_item ON feedback (surface, subject, doc_id);
"""
# Feed tokens were stored as they are before they were hashed: `_migrate` moves each to its hash.
_FEED_HASH_COLUMN = "ALTER TABLE people ADD COLUMN feed_token_hash TEXT"
_FEED_HASH_INDEX = (
    "CREATE UNIQUE INDEX IF NOT EXISTS people_feed_token_hash ON people (feed_token_hash)"
)
API_TOKEN_PREFIX = "hst_"  # recognisable in a leaked log or a secret scanner's rules
TOUCH_EVERY = dt.timedelta(minutes=1)  # last_used_at is written at most this often per token
# Reviews (circulation/review.py): a "Still accurate" or an "Outdated" on a document, by whom.
_REVIEW_SCHEMA = """
CREATE TABLE IF NOT EXISTS reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL,
    person_key TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    verdict TEXT NOT NULL,             -- 'accurate' or 'outdated'
    note TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS reviews_doc ON reviews (doc_id, at);
"""

# Issue 26: the duplicate-effort radar's shared plans, and the events the coordination figures
# count. Each table is its own migration-safe statement; existing tables only gain columns.
_RADAR_SCHEMA = """
CREATE TABLE IF NOT EXISTS shared_plans (
    plan_id TEXT PRIMARY KEY,   -- random: whoever knows it may withdraw the plan
    owner TEXT NOT NULL,        -- the sharer's person key (withdrawal from the portal)
    team TEXT NOT NULL,
    person TEXT,                -- the name shown to other teams, only when the sharer agreed
    groups TEXT NOT NULL DEFAULT '[]',  -- JSON list: who may see it ([]: everyone)
    first_line TEXT NOT NULL,
    plan TEXT NOT NULL,
    model TEXT NOT NULL,        -- the model that made VECTORS (another model's are re-made)
    dim INTEGER NOT NULL,
    vectors BLOB NOT NULL,      -- float32 rows of DIM, one per passage of the plan
    shared_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS shared_plans_owner ON shared_plans (owner);
CREATE TABLE IF NOT EXISTS briefs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    team TEXT NOT NULL,
    source TEXT NOT NULL,       -- portal or cli
    session TEXT NOT NULL,      -- a hash of the browser session (cli: of the person or OS user)
    asker TEXT                  -- the person (named search log only)
);
CREATE INDEX IF NOT EXISTS briefs_at ON briefs (at);
CREATE TABLE IF NOT EXISTS brief_incidents (
    brief_id INTEGER NOT NULL,
    doc_id TEXT NOT NULL,
    opened INTEGER NOT NULL DEFAULT 0   -- opened from the brief's session afterwards
);
CREATE INDEX IF NOT EXISTS brief_incidents_brief ON brief_incidents (brief_id);
CREATE TABLE IF NOT EXISTS brief_matches (
    brief_id INTEGER NOT NULL,
    team TEXT NOT NULL,                 -- the other team whose shared plan was shown
    groups TEXT NOT NULL DEFAULT '[]'   -- that plan's audience: who may count the match
);
CREATE INDEX IF NOT EXISTS brief_matches_brief ON brief_matches (brief_id);
CREATE TABLE IF NOT EXISTS document_opens (
    at TEXT NOT NULL,
    session TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    team TEXT NOT NULL          -- the opener's team (opens without a known team are not kept)
);
CREATE INDEX IF NOT EXISTS document_opens_at ON document_opens (at);
"""
_ADDED_COLUMNS = (("searches", "team", "TEXT"),)  # (table, column, type), added when missing


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


@dataclass(frozen=True)
class ApiToken:
    """A personal API token as stored: its name, the groups it reads as, and its history."""

    name: str
    groups: tuple[str, ...]
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class TokenError(HindsightError):
    """A token command that cannot be done (the name is taken, or unknown)."""


def token_hash(token: str) -> str:
    """What the store keeps of a secret token. Tokens are 192+ random bits, so one fast hash
    suffices (no salt or stretching: nothing to guess), and lookups stay one indexed read."""
    return hashlib.sha256(f"hindsight-token:{token}".encode()).hexdigest()


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
    team: str = ""  # the asker's team when it was known (coordination figures)
    named: bool = False  # ASKER is a person (named mode), not a browser session


@dataclass(frozen=True)
class ReviewRecord:
    """Someone's verdict on a document: still accurate, or outdated (with a note)."""

    doc_id: str
    person_key: str
    name: str
    verdict: str  # "accurate" | "outdated"
    note: str
    at: dt.datetime


@dataclass(frozen=True)
class Judgement:
    """One person's verdict on one item of a surface, and when they gave it."""

    at: dt.datetime
    person_key: str
    surface: str
    subject: str
    doc_id: str
    verdict: str


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _when(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def session_hash(session: str) -> str:
    """A browser session as the log keeps it: enough to count distinct askers, nothing more."""
    return hashlib.sha256(f"hindsight-session:{session}".encode()).hexdigest()[:16]


# How often a thread's kept connection checks that its file is still the store's: every
# check is a stat, and an API request asks the store three times.
RECHECK_S = 1.0
_INHERITED: list[sqlite3.Connection] = []  # a forked child's copies of its parent's connections


@dataclass
class _Kept:
    """A thread's open connection: its process, the file it opened, when that was checked."""

    con: sqlite3.Connection
    pid: int
    file: tuple[int, int]
    checked: float


class StateStore:
    """The mutable per-person store under DATA_DIR."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / STATE_FILE
        self._ready = False
        # One connection per thread, kept: a new one reads the schema on its first statement
        # (~0.3 ms, three times in every API request), a kept one answers in microseconds.
        self._local = threading.local()

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        con = self._kept()
        with con:  # one transaction, committed on success
            yield con

    def _kept(self) -> sqlite3.Connection:
        """This thread's connection, (re)opened when it has none, the process forked, or the
        file it holds was removed or replaced (a kept handle would read a deleted file: a
        restored backup is followed within RECHECK_S)."""
        kept: _Kept | None = getattr(self._local, "kept", None)
        now = time.monotonic()
        if kept is not None and kept.pid == os.getpid() and now - kept.checked < RECHECK_S:
            return kept.con
        try:
            info = self.path.stat()
            here = (info.st_dev, info.st_ino)
        except FileNotFoundError:
            here = None
        if kept is not None and kept.pid == os.getpid() and kept.file == here:
            kept.checked = now
            return kept.con
        if kept is not None:
            self._local.kept = None
            if kept.pid == os.getpid():
                kept.con.close()
            else:  # the parent's, inherited by fork: never closed here (SQLite's rule)
                _INHERITED.append(kept.con)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=10, check_same_thread=True)
        try:
            if not self._ready or here is None:
                con.execute("PRAGMA journal_mode=WAL")
                con.executescript(_SCHEMA + _REVIEW_SCHEMA + _RADAR_SCHEMA)
                with con:
                    _migrate(con)
                    _add_columns(con)
                self._ready = True
            info = self.path.stat()
        except BaseException:
            con.close()
            raise
        self._local.kept = _Kept(con, os.getpid(), (info.st_dev, info.st_ino), now)
        return con

    def _present(self) -> bool:
        """True when the store's file exists (a read-only replica may have none, and reading
        must not create one); a connection checked within RECHECK_S says so without a stat."""
        kept: _Kept | None = getattr(self._local, "kept", None)
        if kept is not None and kept.pid == os.getpid():
            return time.monotonic() - kept.checked < RECHECK_S or self.path.exists()
        return self.path.exists()

    def close(self) -> None:
        """Close this thread's kept connection (others close with their threads)."""
        kept: _Kept | None = getattr(self._local, "kept", None)
        self._local.kept = None
        if kept is not None and kept.pid == os.getpid():
            kept.con.close()
        elif kept is not None:
            _INHERITED.append(kept.con)

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

    def has_feed_token(self, person_key: str) -> bool:
        """True when the person has made a feed token (its links work; it is not shown again)."""
        with self._connect() as con:
            row = con.execute(
                "SELECT feed_token_hash FROM people WHERE person_key = ?", [person_key]
            ).fetchone()
        return bool(row and row[0])

    def new_feed_token(self, person_key: str) -> str:
        """A new secret feed token for the person, returned once: the old one stops working."""
        token = secrets.token_urlsafe(24)
        with self._connect() as con:
            con.execute(
                "INSERT INTO people (person_key, feed_token_hash) VALUES (?, ?) ON CONFLICT "
                "(person_key) DO UPDATE SET feed_token_hash = excluded.feed_token_hash",
                [person_key, token_hash(token)],
            )
        return token

    def person_by_token(self, token: str) -> Person | None:
        """Whose feed token TOKEN is (None: nobody's)."""
        if not token:
            return None
        with self._connect() as con:
            row = con.execute(
                "SELECT person_key, name, groups, groups_seen_at FROM people "
                "WHERE feed_token_hash = ?",
                [token_hash(token)],
            ).fetchone()
        if row is None:
            return None
        return Person(
            person_key=row[0],
            name=row[1],
            groups=tuple(json.loads(row[2] or "[]")),
            groups_seen_at=_when(row[3]),
        )

    # -- API tokens -----------------------------------------------------------------------

    def create_api_token(
        self, name: str, groups: tuple[str, ...], *, now: dt.datetime | None = None
    ) -> str:
        """A new API token NAME reading as GROUPS, returned once (only its hash is stored).

        A revoked token's name may be used again; an active one's may not (revoke it first).
        """
        name = " ".join(name.split())
        if not name:
            raise TokenError("a token needs a name")
        token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = now or dt.datetime.now()
        with self._connect() as con:
            row = con.execute("SELECT revoked_at FROM api_tokens WHERE name = ?", [name]).fetchone()
            if row is not None and row[0] is None:
                raise TokenError(
                    f"a token named {name!r} exists; revoke it first (hindsight token revoke "
                    f"{name!r}) or pick another name"
                )
            con.execute(
                "INSERT OR REPLACE INTO api_tokens (name, token_hash, groups, created_at) "
                "VALUES (?, ?, ?, ?)",
                [name, token_hash(token), json.dumps(sorted(set(groups))), now.isoformat()],
            )
        return token

    def revoke_api_token(self, name: str, *, now: dt.datetime | None = None) -> None:
        """Revoke the active token NAME: the next request carrying it is refused (401)."""
        with self._connect() as con:
            done = con.execute(
                "UPDATE api_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                [(now or dt.datetime.now()).isoformat(), " ".join(name.split())],
            ).rowcount
        if not done:
            raise TokenError(f"no active token named {name!r} (hindsight token list shows them)")

    def api_tokens(self) -> list[ApiToken]:
        """Every token made here, revoked ones included, by name."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT name, groups, created_at, last_used_at, revoked_at FROM api_tokens "
                "ORDER BY name"
            ).fetchall()
        return [_api_token(r) for r in rows]

    def api_token(self, token: str, *, now: dt.datetime | None = None) -> ApiToken | None:
        """The active token TOKEN is (None: unknown or revoked); notes when it was last used."""
        if not token.startswith(API_TOKEN_PREFIX):
            return None
        with self._connect() as con:
            row = con.execute(
                "SELECT name, groups, created_at, last_used_at, revoked_at FROM api_tokens "
                "WHERE token_hash = ? AND revoked_at IS NULL",
                [token_hash(token)],
            ).fetchone()
            if row is None:
                return None
            found = _api_token(row)
            now = now or dt.datetime.now()
            # Written at most once a minute: 32 clients must not queue on one SQLite writer.
            if found.last_used_at is None or now - found.last_used_at >= TOUCH_EVERY:
                con.execute(
                    "UPDATE api_tokens SET last_used_at = ? WHERE name = ?",
                    [now.isoformat(), found.name],
                )
        return found

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
        team: str = "",
    ) -> None:
        with self._connect() as con:
            con.execute(
                "INSERT INTO searches (at, query, asker, session, matched, hidden, team) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [now.isoformat(), query, asker, session, int(matched), int(hidden), team or None],
            )

    def log_open(self, *, session: str, now: dt.datetime) -> None:
        with self._connect() as con:
            con.execute("INSERT INTO opens VALUES (?, ?)", [now.isoformat(), session])

    def purge(self, before: dt.datetime) -> int:
        """Forget searches and opens older than BEFORE; returns the searches dropped."""
        with self._connect() as con:
            n = con.execute("DELETE FROM searches WHERE at < ?", [before.isoformat()]).rowcount
            con.execute("DELETE FROM opens WHERE at < ?", [before.isoformat()])
            _purge_events(con, before)
        return int(n)

    def searches(self, open_window: dt.timedelta) -> list[LoggedSearch]:
        """Every logged search, each marked opened when its session opened a document after it
        (before its next search, and within OPEN_WINDOW)."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT at, query, asker, session, matched, hidden, team FROM searches "
                "ORDER BY at, id"
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
                team=r[6] or "",
                named=r[2] is not None,
            )
            for i, r in enumerate(rows)
        ]

    # -- feedback -------------------------------------------------------------------------

    def add_judgement(self, judgement: Judgement) -> None:
        with self._connect() as con:
            con.execute(
                "INSERT INTO feedback (at, person_key, surface, subject, doc_id, verdict) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    judgement.at.isoformat(),
                    judgement.person_key,
                    judgement.surface,
                    judgement.subject,
                    judgement.doc_id,
                    judgement.verdict,
                ],
            )

    def judgements(self, surface: str | None = None) -> list[Judgement]:
        """Every verdict given (of SURFACE when given), oldest first; none without a store."""
        if not self._present():
            return []  # reading never creates the store (a read-only replica has none)
        where, args = ("WHERE surface = ?", [surface]) if surface else ("", [])
        with self._connect() as con:
            rows = con.execute(
                "SELECT at, person_key, surface, subject, doc_id, verdict FROM feedback "
                f"{where} ORDER BY at, id",
                args,
            ).fetchall()
        return [Judgement(dt.datetime.fromisoformat(r[0]), *r[1:]) for r in rows]

    def raw_search_rows(self) -> list[tuple[object, ...]]:
        """The stored search rows as they are (what the README says is kept; tests read it)."""
        with self._connect() as con:
            return con.execute(
                "SELECT at, query, asker, session, matched, hidden FROM searches ORDER BY id"
            ).fetchall()

    # -- reviews ----------------------------------------------------------------------------

    def record_review(
        self,
        doc_id: str,
        *,
        person_key: str,
        name: str,
        verdict: str,
        note: str = "",
        now: dt.datetime | None = None,
    ) -> ReviewRecord:
        record = ReviewRecord(
            doc_id, person_key, name, verdict, note.strip(), now or dt.datetime.now()
        )
        with self._connect() as con:
            con.execute(
                "INSERT INTO reviews (doc_id, person_key, name, verdict, note, at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [doc_id, person_key, name, verdict, record.note, record.at.isoformat()],
            )
        return record

    def reviews(self, doc_ids: list[str] | None = None) -> list[ReviewRecord]:
        """Recorded verdicts (on DOC_IDS, when given), oldest first."""
        if not self._present():  # nobody recorded anything (and a replica may be read-only)
            return []
        sql = "SELECT doc_id, person_key, name, verdict, note, at FROM reviews"
        params: list[str] = []
        if doc_ids is not None:
            if not doc_ids:
                return []
            sql += f" WHERE doc_id IN ({', '.join('?' * len(doc_ids))})"
            params = list(doc_ids)
        with self._connect() as con:
            rows = con.execute(sql + " ORDER BY at, id", params).fetchall()
        return [
            ReviewRecord(r[0], r[1], r[2], r[3], r[4], dt.datetime.fromisoformat(r[5]))
            for r in rows
        ]

    # -- the duplicate-effort radar's shared plans (issue 26) ------------------------------

    def share_plan(self, plan: SharedPlan) -> SharedPlan:
        """Keep PLAN; the same owner sharing the same text again replaces their earlier copy."""
        with self._connect() as con:
            con.execute(
                "DELETE FROM shared_plans WHERE owner = ? AND plan = ?", [plan.owner, plan.plan]
            )
            con.execute(
                "INSERT INTO shared_plans (plan_id, owner, team, person, groups, first_line, "
                "plan, model, dim, vectors, shared_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    plan.plan_id,
                    plan.owner,
                    plan.team,
                    plan.person or None,
                    json.dumps(sorted(plan.groups)),
                    plan.first_line,
                    plan.plan,
                    plan.model,
                    int(plan.vectors.shape[1]),
                    np.ascontiguousarray(plan.vectors, dtype=np.float32).tobytes(),
                    plan.shared_at.isoformat(),
                ],
            )
        return plan

    def shared_plans(self, *, owner: str | None = None) -> list[SharedPlan]:
        """Every kept shared plan (of OWNER when given), newest first."""
        where, params = ("WHERE owner = ?", [owner]) if owner is not None else ("", [])
        with self._connect() as con:
            rows = con.execute(
                "SELECT plan_id, owner, team, person, groups, first_line, plan, model, dim, "
                f"vectors, shared_at FROM shared_plans {where} ORDER BY shared_at DESC, plan_id",
                params,
            ).fetchall()
        return [_shared_plan(r) for r in rows]

    def withdraw_plan(self, plan_id: str, *, owner: str | None = None) -> bool:
        """Forget the shared plan PLAN_ID (only OWNER's, when given); False when none was kept."""
        sql, params = "DELETE FROM shared_plans WHERE plan_id = ?", [plan_id]
        if owner is not None:
            sql, params = sql + " AND owner = ?", [plan_id, owner]
        return self._erase(sql, params) > 0

    def purge_plans(self, before: dt.datetime) -> int:
        """Forget plans shared before BEFORE; returns how many."""
        return self._erase("DELETE FROM shared_plans WHERE shared_at < ?", [before.isoformat()])

    def _erase(self, sql: str, params: list[Any]) -> int:
        """Delete rows so that their text leaves the files too: freed pages are zeroed
        (secure_delete) and the write-ahead log that still held them is truncated."""
        with self._connect() as con:
            con.execute("PRAGMA secure_delete = ON")
            n = int(con.execute(sql, params).rowcount)
        if n:
            con = sqlite3.connect(self.path, timeout=10)
            try:
                con.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # best effort while others read
            finally:
                con.close()
        return n

    # -- events the coordination figures count (issue 26) ----------------------------------

    def log_brief(self, event: BriefEvent) -> int:
        """Keep a brief that was run (never its plan); returns its id."""
        with self._connect() as con:
            cur = con.execute(
                "INSERT INTO briefs (at, team, source, session, asker) VALUES (?, ?, ?, ?, ?)",
                [event.at.isoformat(), event.team, event.source, event.session, event.asker],
            )
            brief_id = int(cur.lastrowid or 0)
            con.executemany(
                "INSERT INTO brief_incidents (brief_id, doc_id) VALUES (?, ?)",
                [(brief_id, d) for d in dict.fromkeys(event.incidents)],
            )
            con.executemany(
                "INSERT INTO brief_matches (brief_id, team, groups) VALUES (?, ?, ?)",
                [(brief_id, team, json.dumps(sorted(g))) for team, g in event.matches],
            )
        return brief_id

    def mark_brief_incident_opened(self, brief_id: int, doc_id: str) -> bool:
        """DOC_ID, shown by brief BRIEF_ID, was opened afterwards; False when it was not shown."""
        with self._connect() as con:
            cur = con.execute(
                "UPDATE brief_incidents SET opened = 1 WHERE brief_id = ? AND doc_id = ?",
                [brief_id, doc_id],
            )
            return cur.rowcount > 0

    def log_document_open(self, *, doc_id: str, team: str, session: str, now: dt.datetime) -> None:
        with self._connect() as con:
            con.execute(
                "INSERT INTO document_opens (at, session, doc_id, team) VALUES (?, ?, ?, ?)",
                [now.isoformat(), session, doc_id, team],
            )

    def briefs(self) -> list[BriefEvent]:
        """Every kept brief event, oldest first, with the incidents it showed and its matches."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT id, at, team, source, session, asker FROM briefs ORDER BY at, id"
            ).fetchall()
            shown = con.execute("SELECT brief_id, doc_id, opened FROM brief_incidents").fetchall()
            matched = con.execute("SELECT brief_id, team, groups FROM brief_matches").fetchall()
        incidents: dict[int, list[tuple[str, bool]]] = {}
        for brief_id, doc_id, opened in shown:
            incidents.setdefault(brief_id, []).append((doc_id, bool(opened)))
        matches: dict[int, list[tuple[str, tuple[str, ...]]]] = {}
        for brief_id, team, groups in matched:
            matches.setdefault(brief_id, []).append((team, tuple(json.loads(groups or "[]"))))
        return [
            BriefEvent(
                at=dt.datetime.fromisoformat(r[1]),
                team=r[2],
                source=r[3],
                session=r[4],
                asker=r[5],
                incidents=tuple(d for d, _ in incidents.get(r[0], [])),
                opened=tuple(d for d, o in incidents.get(r[0], []) if o),
                matches=tuple(matches.get(r[0], [])),
                brief_id=r[0],
            )
            for r in rows
        ]

    def document_opens(self) -> list[DocumentOpen]:
        with self._connect() as con:
            rows = con.execute(
                "SELECT at, session, doc_id, team FROM document_opens ORDER BY at"
            ).fetchall()
        return [DocumentOpen(dt.datetime.fromisoformat(r[0]), r[1], r[2], r[3]) for r in rows]


def _migrate(con: sqlite3.Connection) -> None:
    """Bring an older store up to date: plain feed tokens become their hashes.

    A feed link made before keeps working (its token hashes to the stored hash); the plain
    token is gone from the file.
    """
    columns = {r[1] for r in con.execute("PRAGMA table_info(people)")}
    if "feed_token_hash" not in columns:
        con.execute(_FEED_HASH_COLUMN)
    con.execute(_FEED_HASH_INDEX)
    plain = con.execute(
        "SELECT person_key, feed_token FROM people WHERE feed_token IS NOT NULL"
    ).fetchall()
    for person_key, token in plain:
        con.execute(
            "UPDATE people SET feed_token_hash = ?, feed_token = NULL WHERE person_key = ?",
            [token_hash(str(token)), person_key],
        )


def _api_token(row: tuple[object, ...]) -> ApiToken:
    return ApiToken(
        name=str(row[0]),
        groups=tuple(json.loads(str(row[1]) or "[]")),
        created_at=dt.datetime.fromisoformat(str(row[2])),
        last_used_at=_when(row[3]),  # type: ignore[arg-type]
        revoked_at=_when(row[4]),  # type: ignore[arg-type]
    )


def _follow(row: tuple[object, ...]) -> Follow:
    kinds = tuple(json.loads(str(row[4]) or "[]"))
    facets = tuple((str(k), tuple(v)) for k, v in json.loads(str(row[5]) or "[]"))
    return Follow(str(row[0]), str(row[1]), str(row[2]), str(row[3]), kinds, facets)


@dataclass(frozen=True)
class SharedPlan:
    """A plan its sharer let other teams' briefs find (the radar), as kept."""

    plan_id: str
    owner: str
    team: str
    person: str | None
    groups: tuple[str, ...]  # who may see it; empty: everyone
    first_line: str
    plan: str
    model: str
    vectors: np.ndarray = field(compare=False, repr=False)  # float32, a unit row per passage
    shared_at: dt.datetime = dt.datetime.min


@dataclass(frozen=True)
class BriefEvent:
    """A brief that was run: when, by which team, what it showed. Never the plan."""

    at: dt.datetime
    team: str
    source: str  # portal or cli
    session: str
    asker: str | None = None
    incidents: tuple[str, ...] = ()
    opened: tuple[str, ...] = ()  # of INCIDENTS, those opened afterwards from its session
    matches: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (other team, its plan's groups)
    brief_id: int = 0


@dataclass(frozen=True)
class DocumentOpen:
    at: dt.datetime
    session: str
    doc_id: str
    team: str


def _shared_plan(row: tuple[Any, ...]) -> SharedPlan:
    vectors = np.frombuffer(row[9], dtype=np.float32).reshape(-1, int(row[8]))
    return SharedPlan(
        plan_id=row[0],
        owner=row[1],
        team=row[2],
        person=row[3],
        groups=tuple(json.loads(row[4] or "[]")),
        first_line=row[5],
        plan=row[6],
        model=row[7],
        vectors=vectors,
        shared_at=dt.datetime.fromisoformat(row[10]),
    )


def _purge_events(con: sqlite3.Connection, before: dt.datetime) -> None:
    """The coordination events older than BEFORE (they follow the search log's retention)."""
    old = "SELECT id FROM briefs WHERE at < ?"
    con.execute(f"DELETE FROM brief_incidents WHERE brief_id IN ({old})", [before.isoformat()])
    con.execute(f"DELETE FROM brief_matches WHERE brief_id IN ({old})", [before.isoformat()])
    con.execute("DELETE FROM briefs WHERE at < ?", [before.isoformat()])
    con.execute("DELETE FROM document_opens WHERE at < ?", [before.isoformat()])


def _add_columns(con: sqlite3.Connection) -> None:
    """Columns later releases added to existing tables, added to an older store in place."""
    for table, column, kind in _ADDED_COLUMNS:
        have = {r[1] for r in con.execute(f"PRAGMA table_info({table})")}
        if column not in have:
            con.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
