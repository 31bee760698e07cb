"""What's new, follows and the digest over a real index (DuckDB, FAISS, tantivy).

Times are what matters here, not ranking, so the index is built with the hashing embedder.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest

from circulation import digest
from circulation.follows import matching, recent
from circulation.state import Follow
from circulation.whats_new import whats_new
from cli import main
from index.access import Viewer
from index.opener import open_archive
from index.settings import Settings
from ingest.pipeline import Ingestor
from tests.conftest import HashingEmbedder, write_content

LEDGER = "pm-2025-03-14-ledger-replica-lag"
DNS = "pm-2025-06-02-dns-ttl"
NEW_PM = """\
---
id: pm-2025-09-09-ledger-disk-full
title: Ledger database ran out of disk during vacuum
date: 2025-09-09
severity: SEV3
services: [ledger-db]
teams: [payments]
tags: [postgres, <script>alert(1)</script>]
---
# Ledger database ran out of disk during vacuum

A manual VACUUM FULL needed twice the table's size on disk.
"""


@pytest.fixture
def changed_index(tmp_path: Path):
    """An index, then (after `since`) one document changed and one added: (settings, since)."""
    content = write_content(tmp_path / "content")
    settings = Settings(data_dir=tmp_path / "data")
    embedder = HashingEmbedder()
    Ingestor(settings, embedder).run([str(content)])
    since = dt.datetime.now()
    dns = content / "postmortems/2025-06-02-dns-ttl.md"
    dns.write_text(dns.read_text() + "\n## Follow-up\nTTLs are now lowered a week ahead.\n")
    (content / "postmortems/2025-09-09-ledger-disk-full.md").write_text(NEW_PM)
    Ingestor(settings, embedder).run([str(content)])
    return settings, since, embedder


def _archive(settings: Settings, embedder: HashingEmbedder, viewer: Viewer | None = None):
    return open_archive(settings, viewer or Viewer(name="someone"), embedder)  # type: ignore[arg-type]


def test_new_and_changed_since_a_moment_are_told_apart(changed_index) -> None:
    settings, since, embedder = changed_index
    news = whats_new(_archive(settings, embedder), since)
    status = {i.document.doc_id: i.status for i in news.items}
    assert status == {"pm-2025-09-09-ledger-disk-full": "new", DNS: "changed"}
    (group,) = news.groups
    assert (group.kind, group.new, group.changed) == ("postmortem", 1, 1)
    # from before the first ingest, everything is new
    everything = whats_new(_archive(settings, embedder), since - dt.timedelta(days=1))
    assert everything.total > 2 and {i.status for i in everything.items} == {"new"}


def test_follows_match_by_facet_and_by_words(changed_index) -> None:
    settings, since, embedder = changed_index
    archive = _archive(settings, embedder)
    ids = [d.doc_id for d in archive.documents()]
    ledger_db = Follow("f1", "p", "ledger-db", facets=(("service", ("ledger-db",)),))
    vacuum = Follow("f2", "p", "vacuum", query="vacuum")
    showcase_drills = Follow("f3", "p", "drills", query="drills", kinds=("showcase",))
    assert matching(archive, ledger_db, ids) == {LEDGER, "pm-2025-09-09-ledger-disk-full"}
    assert matching(archive, vacuum, ids) == {"pm-2025-09-09-ledger-disk-full"}
    assert matching(archive, showcase_drills, ids) == {"showcase-2025-05-failover-drills"}
    assert matching(archive, vacuum, []) == set()
    news = whats_new(archive, since, [ledger_db, vacuum, showcase_drills])
    followed = {i.document.doc_id: {f.label for f in i.follows} for i in news.followed}
    assert followed == {"pm-2025-09-09-ledger-disk-full": {"ledger-db", "vacuum"}}
    only = whats_new(archive, since, [ledger_db], only_followed=True)
    assert [i.document.doc_id for i in only.items] == ["pm-2025-09-09-ledger-disk-full"]
    assert [c.document.doc_id for c in recent(archive, ledger_db)] == [
        "pm-2025-09-09-ledger-disk-full",
        LEDGER,
    ]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [name for name, _ in attrs]


def test_the_html_digest_is_mail_safe(changed_index) -> None:
    settings, since, embedder = changed_index
    news = whats_new(_archive(settings, embedder), since)
    page = digest.to_html(news, "https://hindsight.example")
    parsed = _Tags()
    parsed.feed(page)
    assert "script" not in parsed.tags and "style" not in parsed.tags
    assert not [a for a in parsed.attrs if a.startswith("on")]
    assert "<script>" not in page  # the tag in the content is escaped
    assert "Ledger database ran out of disk during vacuum" in page
    assert "https://hindsight.example/incidents?doc=pm-2025-09-09-ledger-disk-full" in page
    assert "Incident (1 new, 1 changed)" in page
    assert parsed.tags.count("a") == 3  # the two documents and What's new in the portal
    assert 'href="https://hindsight.example/whats_new"' in page


def test_markdown_json_and_atom_digests(changed_index) -> None:
    settings, since, embedder = changed_index
    news = whats_new(_archive(settings, embedder), since)
    md = digest.to_markdown(news, "http://p")
    assert re.search(
        r"\[Ledger database ran out of disk during vacuum\]\(http://p/incidents\?doc=", md
    )
    data = json.loads(digest.to_json(news, "http://p"))
    assert [(g["kind"], g["new"], g["changed"]) for g in data["groups"]] == [("postmortem", 1, 1)]
    feed = feedparser.parse(digest.to_atom(news, "http://p", key="d", now=dt.datetime.now()))
    assert not feed.bozo, feed.bozo_exception
    assert {e.title for e in feed.entries} == {
        "Ledger database ran out of disk during vacuum",
        "Shipment tracking unreachable after DNS provider migration",
    }


def test_digest_command(real_index, capsys) -> None:
    settings, _ = real_index
    data = ["--data-dir", str(settings.data_dir)]
    assert main(["digest", "--since", "1d", "--format", "json", *data]) == 0
    kinds = {g["kind"] for g in json.loads(capsys.readouterr().out)["groups"]}
    assert "postmortem" in kinds and "showcase" in kinds
    assert main(["digest", "--since", "2999-01-01", *data]) == 0
    assert "Nothing new." in capsys.readouterr().out
    assert main(["digest", "--since", "last tuesday", *data]) == 2


def test_a_generation_from_before_first_times_reads_every_change_as_new(changed_index) -> None:
    import duckdb

    from index.generations import current_generation
    from index.store import CATALOG_FILE

    settings, since, embedder = changed_index
    generation = current_generation(settings.data_dir)
    assert generation is not None
    con = duckdb.connect(str(generation / CATALOG_FILE))
    con.execute("ALTER TABLE documents DROP COLUMN first_indexed_at")
    con.close()
    news = whats_new(_archive(settings, embedder), since)
    assert {i.document.doc_id: i.status for i in news.items} == {
        "pm-2025-09-09-ledger-disk-full": "new",
        DNS: "new",
    }
