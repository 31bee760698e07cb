"""Links that leave the portal (feeds, digests, the downloaded brief) follow its real address.

`make run` on another PORT exports that address; feed and digest entries, a digest's self link
and the brief's links all use it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
from pathlib import Path
from urllib.parse import quote

import feedparser
import pytest

from circulation import atom, digest
from circulation.brief import build
from circulation.feeds import answer
from circulation.links import decode_plan
from circulation.state import StateStore
from circulation.whats_new import whats_new
from cli import main
from index.access import Viewer
from index.opener import open_archive
from index.settings import Settings
from ingest.pipeline import Ingestor
from tests.conftest import HashingEmbedder, write_content

ROOT = Path(__file__).resolve().parent.parent
PORTAL = "http://portal.example:9000"


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, HashingEmbedder]:
    base = tmp_path_factory.mktemp("links")
    content = write_content(base / "content")
    settings = Settings(data_dir=base / "data", portal_url=PORTAL)
    embedder = HashingEmbedder()
    Ingestor(settings, embedder).run([str(content)])
    return settings, embedder


def _make_env(port: str | None, portal_url: str | None) -> str:
    """HINDSIGHT_PORTAL_URL as `make run` has it (and exports to the portal, server, watcher)."""
    env = {k: v for k, v in os.environ.items() if k != "HINDSIGHT_PORTAL_URL"}
    if portal_url:
        env["HINDSIGHT_PORTAL_URL"] = portal_url
    args = ["make", "-n", "--no-print-directory", "run", *([f"PORT={port}"] if port else [])]
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    (said,) = re.findall(r'echo "Portal: (\S+)', done.stdout)
    return said


def test_make_run_exports_the_portal_address_of_its_port() -> None:
    assert _make_env(None, None) == "http://localhost:8501"
    assert _make_env("9000", None) == "http://localhost:9000"
    # an address set by the operator (a proxy's public URL) is kept whatever the port
    assert _make_env("9000", "https://hindsight.example") == "https://hindsight.example"


def test_a_follow_feed_links_to_itself_and_to_the_portal_where_it_runs(small_index) -> None:
    settings, embedder = small_index
    store = StateStore(settings.data_dir / "feeds-state")
    store.record_visit("ann@x", name="Ann", groups=())
    follow = store.follow("ann@x", "ledger", query="ledger")
    token = store.new_feed_token("ann@x")
    self_url = f"http://portal.example:9002/feeds/{token}/x.atom"
    got = answer(
        store,
        settings,
        lambda viewer: open_archive(settings, viewer, embedder),
        token,
        follow.follow_id,
        self_url=self_url,
    )
    feed = feedparser.parse(got.body)
    links = {link.rel: link.href for link in feed.feed.links}
    assert links == {"self": self_url, "alternate": f"{PORTAL}/whats_new"}
    assert feed.entries and all(e.link.startswith(f"{PORTAL}/") for e in feed.entries)


def test_the_digest_atom_self_link_is_the_feed_never_the_portal(small_index) -> None:
    settings, embedder = small_index
    news = whats_new(
        open_archive(settings, Viewer.everything("t"), embedder), dt.datetime(2000, 1, 1)
    )
    now = dt.datetime.now()
    served = feedparser.parse(
        digest.to_atom(news, PORTAL, key="d", now=now, feed_url="https://intra.example/h.atom")
    )
    assert {link.rel: link.href for link in served.feed.links} == {
        "self": "https://intra.example/h.atom",
        "alternate": f"{PORTAL}/whats_new",
    }
    # Written to a file nobody serves yet: no self link at all rather than a wrong one.
    unserved = feedparser.parse(digest.to_atom(news, PORTAL, key="d", now=now))
    assert [link.rel for link in unserved.feed.links] == ["alternate"]
    assert all(e.link.startswith(f"{PORTAL}/") for e in unserved.entries)


def test_entry_ids_survive_a_move_of_the_portal() -> None:
    assert atom.entry_id("pm-1") == atom.entry_id("pm-1") != atom.entry_id("pm-2")
    doc = _doc("pm-1")
    assert atom.document_url("http://a:1/", doc) == "http://a:1/incidents?doc=pm-1"


def _doc(doc_id: str):  # type: ignore[no-untyped-def]
    from index.models import Document

    return Document(doc_id, "postmortem", "T", "p.md", None, {})


def test_digest_command_follows_the_configured_address(real_index, monkeypatch, capsys) -> None:
    settings, _ = real_index
    monkeypatch.setenv("HINDSIGHT_PORTAL_URL", "http://localhost:9123")
    data = ["--data-dir", str(settings.data_dir), "--all", "--since", "2000-01-01"]
    assert main(["digest", *data]) == 0
    out = capsys.readouterr().out
    assert "http://localhost:9123/incidents?doc=pm-2025-03-14-ledger-replica-lag" in out
    assert "localhost:8501" not in out
    assert re.search(r"since 2000-01-01 00:00 \S+", out), out.splitlines()[0]  # a named zone
    feed_args = ["--format", "atom", "--feed-url", "https://intra.example/d.atom"]
    assert main(["digest", *data, *feed_args]) == 0
    assert 'rel="self"' in capsys.readouterr().out
    assert main(["digest", *data, "--feed-url", "https://intra.example/d.atom"]) == 2
    assert "--format atom" in capsys.readouterr().err


def test_the_downloaded_brief_links_back_into_the_portal(small_index) -> None:
    settings, embedder = small_index
    archive = open_archive(settings, Viewer.everything("t"), embedder)
    plan = "We will promote a Postgres replica of ledger-db during the failover drill."
    brief = build(archive, plan)
    assert brief.incidents
    md = brief.to_markdown(PORTAL)
    opened = re.search(r"\[Open this brief in Hindsight\]\((\S+)\)", md)
    assert opened and opened.group(1).startswith(f"{PORTAL}/brief?plan=")
    assert decode_plan(opened.group(1).split("plan=", 1)[1]) == plan
    for inc in brief.incidents:
        assert f"]({PORTAL}/incidents?doc={quote(inc.doc.doc_id, safe='')})" in md
    for m in brief.moments:
        page = "showcase" if m.kind == "showcase" else "talks"
        assert f"({PORTAL}/{page}?doc={quote(m.doc_id, safe='')}&t={int(m.start)})" in md
    for e in brief.experts:
        key = e.match.person.expert_id or e.match.person.key
        assert f"({PORTAL}/experts?expert={quote(key, safe='')})" in md
    # Without an address (an old caller), the brief is plain text as before.
    assert "](" not in brief.to_markdown().replace("- [ ]", "")
