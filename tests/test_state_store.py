"""The per-person state store: visits, follows, feed tokens and the search log's rows."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path

import pytest

import circulation.state as state_module
from circulation.state import (
    STATE_FILE,
    VISIT_GAP,
    StateStore,
    TokenError,
    Visit,
    next_visit,
    session_hash,
    token_hash,
)

T0 = dt.datetime(2026, 11, 2, 9, 0)


def test_a_first_visit_has_no_since() -> None:
    assert next_visit(None, T0) == Visit(since=None, last_seen=T0)


def test_page_views_within_a_visit_keep_its_since() -> None:
    visit = Visit(since=T0 - dt.timedelta(days=3), last_seen=T0)
    later = next_visit(visit, T0 + dt.timedelta(minutes=10))
    assert later == Visit(since=visit.since, last_seen=T0 + dt.timedelta(minutes=10))
    # a view every 10 minutes for two hours is still the same visit
    for step in range(12):
        later = next_visit(later, T0 + dt.timedelta(minutes=20 + 10 * step))
    assert later.since == visit.since


def test_a_pause_starts_a_new_visit_that_counts_from_the_last_view() -> None:
    visit = Visit(since=None, last_seen=T0)
    after = next_visit(visit, T0 + VISIT_GAP)
    assert after == Visit(since=T0, last_seen=T0 + VISIT_GAP)
    tomorrow = next_visit(after, T0 + dt.timedelta(days=1))
    assert tomorrow.since == T0 + VISIT_GAP


def test_visits_are_stored_per_person(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    assert store.visit("ana@x") is None
    store.record_visit("ana@x", name="Ana", groups=("sre",), now=T0)
    store.record_visit("bo@x", name="Bo", groups=(), now=T0 + dt.timedelta(hours=5))
    back = store.record_visit("ana@x", name="Ana", groups=("sre",), now=T0 + dt.timedelta(days=2))
    assert back.since == T0
    assert store.visit("ana@x") == back
    assert store.visit("bo@x") == Visit(since=None, last_seen=T0 + dt.timedelta(hours=5))
    store.mark_seen("ana@x", now=T0 + dt.timedelta(days=2, minutes=1))
    assert store.visit("ana@x").since == T0 + dt.timedelta(days=2, minutes=1)  # type: ignore[union-attr]


def test_the_token_names_its_person_with_their_last_groups(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.record_visit("ana@x", name="Ana", groups=("sre", "security"), now=T0)
    assert not store.has_feed_token("ana@x")
    token = store.new_feed_token("ana@x")
    assert store.has_feed_token("ana@x")
    person = store.person_by_token(token)
    assert person is not None
    assert (person.person_key, person.groups, person.groups_seen_at) == (
        "ana@x",
        ("security", "sre"),
        T0,
    )
    store.record_visit("ana@x", name="Ana", groups=("sre",), now=T0 + dt.timedelta(days=1))
    assert store.person_by_token(token).groups == ("sre",)  # type: ignore[union-attr]
    renewed = store.new_feed_token("ana@x")
    assert renewed != token
    assert store.person_by_token(token) is None
    assert store.person_by_token("") is None
    assert store.person_by_token(renewed).person_key == "ana@x"  # type: ignore[union-attr]


def test_secrets_are_stored_only_as_hashes(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    feed = store.new_feed_token("ana@x")
    api = store.create_api_token("ana", ("sre",))
    raw = (tmp_path / STATE_FILE).read_bytes()
    for path in tmp_path.glob(STATE_FILE + "-wal"):
        raw += path.read_bytes()
    assert feed.encode() not in raw and api.encode() not in raw
    assert token_hash(feed).encode() in raw and token_hash(api).encode() in raw


def test_plain_feed_tokens_of_an_older_store_are_hashed_and_keep_working(tmp_path: Path) -> None:
    # The store as it was before tokens were hashed: the token in plain text.
    con = sqlite3.connect(tmp_path / STATE_FILE)
    con.executescript(
        "CREATE TABLE people (person_key TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '', "
        "groups TEXT NOT NULL DEFAULT '[]', groups_seen_at TEXT, last_seen TEXT, since TEXT, "
        "feed_token TEXT UNIQUE);"
    )
    con.execute(
        "INSERT INTO people VALUES ('ana@x', 'Ana', '[\"sre\"]', ?, ?, NULL, 'old-plain-token')",
        [T0.isoformat(), T0.isoformat()],
    )
    con.commit()
    con.close()
    store = StateStore(tmp_path)
    person = store.person_by_token("old-plain-token")
    assert person is not None and person.person_key == "ana@x" and person.groups == ("sre",)
    assert store.has_feed_token("ana@x")
    con = sqlite3.connect(tmp_path / STATE_FILE)
    assert con.execute("SELECT feed_token, feed_token_hash FROM people").fetchall() == [
        (None, token_hash("old-plain-token"))
    ]
    con.close()
    assert StateStore(tmp_path).person_by_token("old-plain-token") is not None  # idempotent


def test_api_tokens_are_made_listed_used_and_revoked(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    token = store.create_api_token("ana", ("Security", "sre", "sre"), now=T0)
    assert token.startswith("hst_") and len(token) > 40
    found = store.api_token(token, now=T0 + dt.timedelta(hours=1))
    assert found is not None and (found.name, found.groups) == ("ana", ("Security", "sre"))
    with pytest.raises(TokenError, match="revoke it first"):
        store.create_api_token("ana", ())
    (listed,) = store.api_tokens()
    assert listed.last_used_at == T0 + dt.timedelta(hours=1) and listed.active
    assert store.api_token("hst_not-a-token") is None
    assert store.api_token(token[4:]) is None  # the prefix is part of it
    store.revoke_api_token("ana", now=T0 + dt.timedelta(days=1))
    assert store.api_token(token) is None
    (revoked,) = store.api_tokens()
    assert revoked.revoked_at == T0 + dt.timedelta(days=1) and not revoked.active
    with pytest.raises(TokenError, match="no active token"):
        store.revoke_api_token("ana")
    again = store.create_api_token("ana", ())  # a revoked name may be reused
    assert store.api_token(again) is not None and store.api_token(token) is None
    with pytest.raises(TokenError, match="needs a name"):
        store.create_api_token("  ", ())


def test_follows_are_kept_per_person_and_not_duplicated(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    one = store.follow("ana@x", "ledger", facets=(("service", ("ledger-db",)),))
    again = store.follow("ana@x", "ledger again", facets=(("service", ("ledger-db",)),))
    two = store.follow("ana@x", "query", query=" replica lag ", kinds=("postmortem",))
    store.follow("bo@x", "bo's", query="dns")
    assert again == one
    assert [f.follow_id for f in store.follows("ana@x")] == [one.follow_id, two.follow_id]
    assert two.query == "replica lag" and two.filters.kinds == ("postmortem",)
    assert store.get_follow(one.follow_id) == one
    store.unfollow("bo@x", one.follow_id)  # someone else's: nothing happens
    assert store.get_follow(one.follow_id) == one
    store.unfollow("ana@x", one.follow_id)
    assert store.get_follow(one.follow_id) is None


def test_opens_mark_the_search_before_them_in_the_same_session(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    s1, s2 = session_hash("a"), session_hash("b")
    kw = {"asker": None, "matched": True, "hidden": False}
    store.log_search(query="first", session=s1, now=T0, **kw)
    store.log_search(query="second", session=s1, now=T0 + dt.timedelta(minutes=5), **kw)
    store.log_search(query="other", session=s2, now=T0, **kw)
    store.log_open(session=s1, now=T0 + dt.timedelta(minutes=6))
    store.log_search(query="late", session=s2, now=T0 + dt.timedelta(minutes=1), **kw)
    store.log_open(session=s2, now=T0 + dt.timedelta(hours=2))  # too late to count
    opened = {s.query: s.opened for s in store.searches(dt.timedelta(minutes=30))}
    assert opened == {"first": False, "second": True, "other": False, "late": False}


@pytest.mark.parametrize("raw", ["a", "a session id"])
def test_session_hashes_are_short_and_stable(raw: str) -> None:
    assert session_hash(raw) == session_hash(raw) != raw
    assert len(session_hash(raw)) == 16


def test_a_kept_connection_sees_other_writers_and_a_replaced_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server keeps one connection per thread: it must read what another process (the
    # CLI revoking a token) wrote at once, and follow the file when it is removed and made
    # anew (checked every RECHECK_S; here, on every read).
    monkeypatch.setattr(state_module, "RECHECK_S", 0.0)
    server, cli = StateStore(tmp_path), StateStore(tmp_path)
    token = cli.create_api_token("ana", ("sre",), now=T0)
    assert server.api_token(token, now=T0) is not None
    cli.revoke_api_token("ana", now=T0)
    assert server.api_token(token, now=T0) is None
    (tmp_path / STATE_FILE).unlink()
    for stale in tmp_path.glob(f"{STATE_FILE}-*"):  # the WAL and its index
        stale.unlink()
    assert server.api_tokens() == []  # not the deleted file's rows
    again = cli.create_api_token("ben", (), now=T0)
    assert server.api_token(again, now=T0) is not None
    server.close()
    assert server.api_token(again, now=T0) is not None  # reopened on the next read


def test_a_forked_child_opens_its_own_connection(tmp_path: Path) -> None:
    # A worker forked from a process that already read the store (Ray, a prefork server) must
    # not use, nor close, its parent's connection.
    store = StateStore(tmp_path)
    token = store.create_api_token("ana", ("sre",), now=T0)
    parent = store._kept()
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only if it reads through a connection of its own
        ok = store.api_token(token, now=T0) is not None and store._kept() is not parent
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store._kept() is parent and store.api_token(token, now=T0) is not None
