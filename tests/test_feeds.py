"""Follow feeds: the token names the person, their access is checked at every fetch, the XML
is Atom (parsed with feedparser), and `hindsight serve` answers it over real HTTP."""

from __future__ import annotations

import datetime as dt
from typing import Any

import feedparser
import httpx
import pytest

from circulation.feeds import answer, feed_path, feed_url
from circulation.state import StateStore
from index.opener import Opener, open_archive
from index.settings import Settings
from server.app import make_app
from tests.access_fixtures import CANARY, RESTRICTED_IDS, build_restricted_index
from tests.server_helpers import served

RESTRICTED_PM = RESTRICTED_IDS[0]
LEDGER = "pm-2025-03-14-ledger-replica-lag"


@pytest.fixture(scope="module")
def restricted(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> Settings:
    return build_restricted_index(tmp_path_factory.mktemp("feeds"), real_embedder)  # type: ignore[return-value]


@pytest.fixture
def people(restricted: Settings, tmp_path) -> tuple[Settings, StateStore]:
    """A fresh state store beside the shared index: a member and an outsider, each following
    the word "failover" (public and restricted documents use it)."""
    settings = restricted.model_copy(update={"portal_url": "https://hindsight.example"})
    store = StateStore(tmp_path / "state")
    store.record_visit("mem@x", name="Mem", groups=("security",))
    store.record_visit("out@x", name="Out", groups=("sre",))
    return settings, store


def _fetch(settings: Settings, store: StateStore, embedder: Any, token: str, follow_id: str, **kw):
    def archive_for(viewer):
        return open_archive(settings, viewer, embedder)

    return answer(store, settings, archive_for, token, follow_id, self_url="http://f/x", **kw)


def test_a_feed_carries_what_its_owner_may_see_and_nothing_else(people, real_embedder) -> None:
    settings, store = people
    feeds = {}
    for person in ("mem@x", "out@x"):
        follow = store.follow(person, "failover", query="failover")
        got = _fetch(settings, store, real_embedder, store.new_feed_token(person), follow.follow_id)
        assert got.status == 200 and got.content_type.startswith("application/atom+xml")
        feeds[person] = got.body
    member, outsider = (feedparser.parse(feeds[p]) for p in ("mem@x", "out@x"))
    for feed in (member, outsider):
        assert not feed.bozo, feed.bozo_exception
        assert feed.feed.id.startswith("urn:uuid:") and feed.feed.updated
        for entry in feed.entries:
            assert entry.id.startswith("urn:uuid:") and entry.updated
            assert entry.link.startswith("https://hindsight.example/")
    member_links = {e.link for e in member.entries}
    assert f"https://hindsight.example/incidents?doc={RESTRICTED_PM}" in member_links
    assert f"https://hindsight.example/incidents?doc={LEDGER}" in member_links
    assert f"https://hindsight.example/incidents?doc={LEDGER}" in {e.link for e in outsider.entries}
    lowered = feeds["out@x"].lower()
    assert CANARY not in lowered and not any(i.lower() in lowered for i in RESTRICTED_IDS)


def test_access_is_checked_at_fetch_time(people, real_embedder) -> None:
    settings, store = people
    follow = store.follow("mem@x", "failover", query="failover")
    token = store.new_feed_token("mem@x")
    assert CANARY in _fetch(settings, store, real_embedder, token, follow.follow_id).body.lower()
    # the member leaves the group: the next portal visit stores it, the next fetch obeys it
    store.record_visit("mem@x", name="Mem", groups=("sre",))
    after = _fetch(settings, store, real_embedder, token, follow.follow_id)
    assert after.status == 200 and CANARY not in after.body.lower()
    # groups seen too long ago are not trusted at all
    later = dt.datetime.now() + dt.timedelta(days=settings.feed_groups_days + 1)
    stale = _fetch(settings, store, real_embedder, token, follow.follow_id, now=later)
    assert stale.status == 403 and CANARY not in stale.body.lower()


def test_wrong_tokens_and_other_peoples_follows_are_not_found(people, real_embedder) -> None:
    settings, store = people
    mine = store.follow("mem@x", "failover", query="failover")
    theirs = store.new_feed_token("out@x")
    token = store.new_feed_token("mem@x")
    answers = [
        _fetch(settings, store, real_embedder, "not-a-token-at-all", mine.follow_id),
        _fetch(settings, store, real_embedder, theirs, mine.follow_id),
        _fetch(settings, store, real_embedder, token, "000000000000"),
        _fetch(settings, store, real_embedder, "", mine.follow_id),
    ]
    assert {(a.status, a.body) for a in answers} == {(404, "No such feed.\n")}
    old = token
    store.new_feed_token("mem@x")
    assert _fetch(settings, store, real_embedder, old, mine.follow_id).status == 404


def test_feed_urls_point_at_the_feed_server() -> None:
    settings = Settings(portal_url="https://hindsight.example:8501/", feeds_port=9000)
    assert feed_url(settings, "tok", "abc") == "https://hindsight.example:9000/feeds/tok/abc.atom"
    moved = Settings(feeds_url="https://feeds.example/")
    assert feed_url(moved, "tok", "abc") == "https://feeds.example/feeds/tok/abc.atom"


def test_the_server_serves_the_feed_over_http(people, restricted, real_embedder) -> None:
    settings, _ = people
    store = StateStore(settings.data_dir)  # the store beside the index, as `hindsight serve` reads
    store.record_visit("mem@x", name="Mem", groups=("security",))
    follow = store.follow("mem@x", "failover", query="failover")
    path = feed_path(store.new_feed_token("mem@x"), follow.follow_id)
    direct = _fetch(settings, store, real_embedder, path.split("/")[2], follow.follow_id)
    with (
        Opener(settings, real_embedder) as opener,
        served(make_app(settings, opener=opener)) as url,
    ):
        reply = httpx.get(url + path, timeout=60)
        assert reply.status_code == 200
        assert reply.headers["content-type"].startswith("application/atom+xml")
        assert reply.headers["cache-control"] == "private, no-store"
        served_feed = feedparser.parse(reply.content)
        assert not served_feed.bozo and served_feed.entries
        assert [e.id for e in served_feed.entries] == [
            e.id for e in feedparser.parse(direct.body).entries
        ]
        head = httpx.head(url + path, timeout=60)
        assert head.status_code == 200 and head.content == b""
        for wrong in ("/feeds/x/y.atom", "/feeds/not-a-token-at-all/abcdef.atom", path[:-5]):
            missing = httpx.get(url + wrong, timeout=60)
            assert missing.status_code == 404, wrong
        assert httpx.post(url + path, timeout=60).status_code == 405
