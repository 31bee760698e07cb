"""What's new, following, the search log and the Gaps page through the portal (AppTest)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import feedparser
import httpx
import pytest

from circulation.state import STATE_FILE, StateStore
from index.access import Viewer
from index.opener import Opener
from index.timefmt import stamp
from portal import auth
from server.app import make_app
from tests.access_fixtures import CANARY, build_restricted_index
from tests.app_helpers import run, texts
from tests.server_helpers import served

pytestmark = pytest.mark.usefixtures("close_app_resources")
ANA = Viewer.of("Ana", "ana@kestrel.example", "sre")
ORGANISER = Viewer.of("Olu", "olu@kestrel.example", "showcase-organisers")


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> Any:
    return build_restricted_index(tmp_path_factory.mktemp("app-circulation"), real_embedder)


@pytest.fixture
def settings(index: Any) -> Any:
    for path in Path(index.data_dir).glob(STATE_FILE + "*"):
        path.unlink()  # every test starts with nobody's state
    return index


def as_viewer(monkeypatch: pytest.MonkeyPatch, viewer: Viewer) -> None:
    monkeypatch.setattr(auth, "current_viewer", lambda settings: viewer)


def test_follow_a_service_and_read_its_feed(monkeypatch, settings) -> None:
    as_viewer(monkeypatch, ANA)
    at = run(monkeypatch, settings, "portal/pages/whats_new.py")
    assert "Your first visit here" in texts(at)
    assert "Incident" in texts(at)  # everything was indexed minutes ago
    at.multiselect(key="follow_service").set_value(["ledger-db"])
    next(b for b in at.button if b.label == "Follow").click()
    at.run()
    assert not at.exception
    shown = texts(at)
    assert "service: ledger-db" in shown
    (url,) = [c.value for c in at.code]
    found = re.fullmatch(r"http://localhost:8502(/feeds/[\w-]+/[0-9a-f]+\.atom)", url)
    assert found, url
    # the follow marks the ledger post-mortem in What's new
    marks = [m.value.replace("\\", "") for m in at.markdown]
    marked = [m for m in marks if ":material/bookmark: service: ledger-db" in m]
    assert len(marked) == 1, marks
    titles = [link.proto.label for link in at.get("page_link")]
    assert "**Payments ledger served stale balances during replica failover**" in titles
    with Opener(settings) as opener, served(make_app(settings, opener=opener)) as base:
        reply = httpx.get(base + found[1], timeout=60)
    feed = feedparser.parse(reply.content)
    assert reply.status_code == 200 and not feed.bozo
    assert [e.title for e in feed.entries] == [
        "Payments ledger served stale balances during replica failover"
    ]


def test_the_search_page_logs_queries_and_opens(monkeypatch, settings) -> None:
    as_viewer(monkeypatch, ANA)
    run(monkeypatch, settings, "portal/pages/search.py", q="replica lag")
    run(monkeypatch, settings, "portal/pages/search.py", q="quantum teleportation budget")
    run(monkeypatch, settings, "portal/pages/search.py", q="leaked runbook template")
    rows = StateStore(settings.data_dir).raw_search_rows()
    assert [(r[1], r[2], r[4], r[5]) for r in rows] == [
        ("replica lag", None, 1, 0),  # anonymous: no asker
        ("quantum teleportation budget", None, 0, 0),
        ("leaked runbook template", None, 0, 1),  # only restricted documents hold it
    ]
    monkeypatch.setenv("HINDSIGHT_SEARCH_LOG", "named")
    run(monkeypatch, settings, "portal/pages/search.py", q="dns ttl")
    assert StateStore(settings.data_dir).raw_search_rows()[-1][2] == "ana@kestrel.example"
    monkeypatch.setenv("HINDSIGHT_SEARCH_LOG", "off")
    run(monkeypatch, settings, "portal/pages/search.py", q="not logged")
    assert len(StateStore(settings.data_dir).raw_search_rows()) == 4


def _ask(monkeypatch, settings, query: str, times: int) -> None:
    for i in range(times):  # each run is a new browser session
        as_viewer(monkeypatch, Viewer.of(f"asker {i}", groups="sre"))
        run(monkeypatch, settings, "portal/pages/search.py", q=query)


def test_the_gaps_page_is_for_organisers_and_reveals_nothing_restricted(
    monkeypatch, settings
) -> None:
    _ask(monkeypatch, settings, "leaked runbook template", 3)
    _ask(monkeypatch, settings, "quantum teleportation budget", 2)
    _ask(monkeypatch, settings, "postgres replication failover", 3)  # results, none opened
    as_viewer(monkeypatch, ANA)
    refused = run(monkeypatch, settings, "portal/pages/gaps.py")
    # not in Ana's navigation: the URL lands on the default page
    assert "Knowledge gaps" not in [t.value for t in refused.title]
    assert "runbook" not in texts(refused)
    as_viewer(monkeypatch, ORGANISER)
    at = run(monkeypatch, settings, "portal/pages/gaps.py")
    assert [t.value for t in at.title] == ["Knowledge gaps"]
    shown = texts(at)
    assert "leaked runbook template" in shown
    assert "exists, but restricted for the people who asked" in shown
    assert "quantum teleportation" not in shown  # two askers: under the threshold of 3
    # Answered (a match above the floor), though nothing was opened: no gap.
    assert "postgres replication failover" not in shown
    assert "3 sessions" in shown  # anonymous log: sessions, not "3 people"
    lowered = shown.lower()
    assert CANARY not in lowered and "ghost analyst" not in lowered and "secops" not in lowered
    # Nobody's evidence is near the restricted topic, so nobody is invited (and never anyone
    # the organiser may not see); invitations themselves: tests/test_gaps.py.
    invites = [b.proto.url for b in at.get("link_button")]
    assert all(u.startswith("mailto:priya.raman@kestrel.example?") for u in invites)


def test_whats_new_counts_from_the_last_visit(monkeypatch, settings) -> None:
    two_days_ago = dt.datetime.now() - dt.timedelta(days=2)
    StateStore(settings.data_dir).record_visit(
        ANA.person_key, name="Ana", groups=("sre",), now=two_days_ago
    )
    as_viewer(monkeypatch, ANA)
    at = run(monkeypatch, settings, "portal/pages/whats_new.py")
    assert f"Since your last visit ({stamp(two_days_ago)})." in texts(at)  # with its zone
    assert "**Incident**: 3 new, 0 changed" in texts(at)  # indexed minutes ago
    next(b for b in at.button if b.label == "Mark everything as seen").click()
    at.run()
    assert [i.value for i in at.info] == ["Nothing new since then."]


def test_feed_links_are_shown_once_and_a_new_token_revokes_the_old(monkeypatch, settings) -> None:
    as_viewer(monkeypatch, ANA)
    at = run(monkeypatch, settings, "portal/pages/whats_new.py")
    at.text_input(key="follow_q").set_value("failover")
    next(b for b in at.button if b.label == "Follow").click()
    at.run()
    (first,) = [c.value for c in at.code]
    # A later visit (a new browser session): the token is stored hashed, so no link is shown.
    later = run(monkeypatch, settings, "portal/pages/whats_new.py")
    assert [c.value for c in later.code] == []
    assert "Hindsight keeps only a hash of it" in texts(later)
    next(b for b in later.button if b.label.startswith("Make a new feed token")).click()
    later.run()
    (second,) = [c.value for c in later.code]
    assert second != first
    with Opener(settings) as opener, served(make_app(settings, opener=opener)) as base:
        old = httpx.get(base + first.split(":8502", 1)[1], timeout=60)
        new = httpx.get(base + second.split(":8502", 1)[1], timeout=60)
    assert (old.status_code, new.status_code) == (404, 200)
