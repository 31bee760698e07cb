"""The pre-work brief: long plans read whole, each section on a small written corpus, exports.

The corpus is the conftest tree plus a second replica-promotion incident with open items and a
Showcase whose outcome was a failure, indexed with the real model.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest

from circulation.brief import Brief, build, passages
from circulation.links import decode_plan, encode_plan
from cli import main
from index.access import Viewer
from index.opener import open_archive
from index.settings import Settings
from ingest.pipeline import Ingestor
from tests.conftest import HashingEmbedder, write_content

ORDERS_PM = """\
---
id: pm-2026-02-10-orders-replica-promotion
title: Orders database promoted a lagging replica during maintenance
date: 2026-02-10
severity: SEV2
services: [orders-db, ledger-db]
teams: [sre]
authors: [Jonas Becker]
trigger: "Planned maintenance failover of orders-db"
root_cause: "The failover tool promoted the replica without checking replay lag"
lessons:
  - Promotion must wait for replay lag under one second.
action_items:
  - {title: Share the lag gate between the ledger and orders failover tools, owner: Jonas Becker, status: open, due: 2026-03-01}
  - {title: Alert on replay lag above five seconds, owner: Priya Raman, status: done, due: 2026-02-20}
---
# Orders database promoted a lagging replica during maintenance

## Summary
During planned maintenance the orders-db replica was promoted while 12 seconds behind; orders
placed in that window vanished from the new primary.
"""

FAILED_VTT = """\
WEBVTT

00:00:01.000 --> 00:00:10.000
<v Jonas Becker>This is the DNS cutover that went wrong for us last spring.

00:00:10.000 --> 00:00:25.000
<v Jonas Becker>We changed NS records at the new DNS provider but the TTL was two days, so resolvers kept the old records.

00:00:25.000 --> 00:00:40.000
<v Jonas Becker>Lower the TTL a week before any DNS migration, then move the records.
"""

FAILED_SIDECAR = """\
---
id: showcase-2025-09-dns-cutover-gone-wrong
title: A DNS cutover that went wrong
date: 2025-09-10
team: edge
presenters: [Jonas Becker]
outcome: failure
---
Why our DNS provider migration failed.
"""

LEDGER = "pm-2025-03-14-ledger-replica-lag"
ORDERS = "pm-2026-02-10-orders-replica-promotion"
NOW = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
SENTENCE = (
    "We will fail over ledger-db to a new Postgres replica and promote it during the migration."
)
DESIGN_DOC = f"""\
# Design: moving the payments ledger to new hardware

## Context
The payments ledger runs on ledger-db, a Postgres primary with two streaming replicas in the
same zone. The hardware is five years old and the vendor stops support next year. Finance
needs month-end close to keep working throughout, and the reconciliation jobs read from a
replica every night.

## Plan
{SENTENCE} Clients reconnect through the connection pooler, which we will repoint once the new
primary accepts writes. We expect under a minute of read-only time.

## Rollout
We do staging first, then production on a Sunday morning. The on-call engineer from payments
and one from SRE run the runbook together, and the status page is updated before we start.

## Open questions
How long do we keep the old hardware around? Who signs off on the reconciliation job results
after the move? Do we need to tell the auditors in advance?
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> Settings:
    base = tmp_path_factory.mktemp("brief")
    root = write_content(base / "content")
    extra = {
        "postmortems/2026-02-10-orders-replica-promotion.md": ORDERS_PM,
        "showcases/2025-09-dns-cutover-gone-wrong.vtt": FAILED_VTT,
        "showcases/2025-09-dns-cutover-gone-wrong.md": FAILED_SIDECAR,
    }
    for rel, text in extra.items():
        (root / rel).write_text(text, encoding="utf-8")
    settings = Settings(data_dir=base / "data")
    Ingestor(settings, real_embedder).run([str(root)])
    return settings


def _brief(settings: Settings, embedder: Any, plan: str, tz: str = "UTC") -> Brief:
    archive = open_archive(settings, Viewer(name="local"), embedder)
    return build(archive, plan, viewer_tz=tz, now=NOW)


# -- passages: a long plan is read whole -----------------------------------------------------


@pytest.mark.parametrize("count", ["model", "hashing"])
def test_a_long_plan_is_split_into_passages_that_fit_and_lose_nothing(real_embedder, count):
    counter = real_embedder.count_tokens if count == "model" else HashingEmbedder().count_tokens
    run_on = " ".join(f"word{i}" for i in range(600))  # one "sentence" far past 256 pieces
    plan = DESIGN_DOC * 4 + "\n\n" + run_on + "\n\nLast line without a full stop"
    parts = passages(plan, counter)
    assert len(parts) > 5
    assert all(counter(p) <= 200 for p in parts)
    assert " ".join(parts).split() == plan.split()  # every word, once, in order
    assert passages(SENTENCE, counter) == [SENTENCE]
    assert passages("  \n\n ", counter) == []


def test_a_plan_travels_in_a_link_and_garbage_links_decode_to_nothing() -> None:
    plan = DESIGN_DOC + "ünïcode ✓"
    token = encode_plan(plan)
    assert token.isascii() and "=" not in token and "/" not in token and "+" not in token
    assert len(token) < len(plan)
    assert decode_plan(token) == plan
    assert decode_plan("not-a-plan!") == decode_plan("") == ""
    bomb = encode_plan("a" * 1_000_000)
    assert decode_plan(bomb) == ""  # past the cap: refused, not inflated


# -- each section on the written corpus ------------------------------------------------------


def test_incidents_with_why_root_cause_lessons_and_open_items(corpus, real_embedder) -> None:
    brief = _brief(corpus, real_embedder, SENTENCE)
    ids = [i.doc.doc_id for i in brief.incidents]
    assert set(ids[:2]) == {LEDGER, ORDERS}
    ledger = next(i for i in brief.incidents if i.doc.doc_id == LEDGER)
    assert ledger.plan_passage == SENTENCE
    assert "ledger-db" in ledger.shared_services
    assert ledger.severity == "SEV2"
    assert "pg_last_wal_replay_lsn" in ledger.root_cause  # from the body's Root cause section
    assert ledger.lessons == ("Check replication lag before any promotion.",)
    orders = next(i for i in brief.incidents if i.doc.doc_id == ORDERS)
    assert orders.root_cause.startswith("The failover tool promoted")
    # Still open: only open items, the overdue one flagged, with owner and due date.
    assert [(a.title, a.owner, a.overdue) for a in brief.open_action_items][:1] == [
        ("Share the lag gate between the ledger and orders failover tools", "Jonas Becker", True)
    ]
    assert all(a.is_open for a in brief.open_action_items)


OFF_TOPIC = (
    "Repaint the marketing website in the new brand colours. Design delivered the palette last "
    "week: teal replaces orange on buttons and headers, the logo gets the new wordmark, and "
    "headings switch to the Inter typeface. I will update the hero photos, ask the copywriters "
    "to refresh the About page, and get sign-off from the brand team before the campaign starts."
)


@pytest.mark.parametrize("plan", [OFF_TOPIC, OFF_TOPIC.split(". ")[0] + "."])
def test_an_off_topic_plan_gets_an_honest_empty_brief(corpus, real_embedder, plan: str) -> None:
    brief = _brief(corpus, real_embedder, plan)
    data = brief.to_json()
    for section in ("incidents", "open_action_items", "moments", "talks", "experts", "checklist"):
        assert data[section] == [], section
    assert brief.found_nothing and "Nothing in the archive" in data["notice"]
    md = brief.to_markdown()
    assert "Nothing in the archive you can see clearly matches this plan" in md
    assert "## Past incidents like this" not in md  # no empty headings posing as a brief


def test_on_topic_plans_keep_their_sections_above_the_floor(corpus, real_embedder) -> None:
    brief = _brief(corpus, real_embedder, DESIGN_DOC)
    assert not brief.found_nothing and brief.notice == ""
    assert brief.incidents and brief.moments and brief.experts and brief.checklist
    # Each is above its floor: a weaker (below-floor) neighbour would have been cut.
    assert LEDGER in [i.doc.doc_id for i in brief.incidents[:2]]


def test_why_quotes_the_sentence_of_the_plan_that_met_the_incident(corpus, real_embedder):
    brief = _brief(corpus, real_embedder, DESIGN_DOC)
    ledger = next(i for i in brief.incidents if i.doc.doc_id == LEDGER)
    quoted = ledger.plan_passage
    assert quoted in " ".join(DESIGN_DOC.split())  # the plan's own words…
    assert quoted.count(". ") == 0 and len(quoted) < 200  # …one sentence, not the passage
    assert "promote" in quoted or "replica" in quoted


def test_moments_playable_from_the_second_and_failures_first(corpus, real_embedder) -> None:
    brief = _brief(corpus, real_embedder, SENTENCE)
    drills = [m for m in brief.moments if m.doc_id == "showcase-2025-05-failover-drills"]
    assert drills and drills[0].start in (1.0, 8.0, 20.0, 40.0)
    assert any("promoted" in m.snippet for m in drills)
    dns = _brief(corpus, real_embedder, "We are migrating our DNS zone to a new DNS provider.")
    assert dns.moments[0].doc_id == "showcase-2025-09-dns-cutover-gone-wrong"
    assert dns.moments[0].failure
    assert dns.incidents[0].doc.doc_id == "pm-2025-06-02-dns-ttl"


def test_people_to_ask_with_evidence_and_office_hours_in_the_viewers_zone(
    corpus, real_embedder
) -> None:
    brief = _brief(corpus, real_embedder, SENTENCE, tz="America/New_York")
    names = [e.match.person.name for e in brief.experts]
    assert "Priya Raman" in names
    priya = brief.experts[names.index("Priya Raman")]
    assert priya.match.evidence
    nxt = priya.next_office_hours
    assert nxt is not None and nxt.viewer_start > NOW
    assert str(nxt.viewer_start.tzinfo) == "America/New_York"
    # Tuesday 15:00 in London is 10:00 in New York (both on summer time in April).
    assert (nxt.viewer_start.weekday(), nxt.viewer_start.hour) == (1, 10)


def test_checklist_is_the_incidents_own_words_each_cited(corpus, real_embedder) -> None:
    brief = _brief(corpus, real_embedder, SENTENCE)
    assert brief.checklist
    archive = open_archive(corpus, Viewer(name="local"), real_embedder)
    for item in brief.checklist:
        doc = archive.document(item.doc_id)
        assert doc is not None
        source = " ".join((doc.body + " " + json.dumps(doc.metadata)).split())
        assert item.text in source  # extractive: nothing generated
    assert {c.doc_id for c in brief.checklist} >= {LEDGER, ORDERS}


def test_a_sentence_and_the_doc_that_contains_it_agree(corpus, real_embedder) -> None:
    short = _brief(corpus, real_embedder, SENTENCE)
    long = _brief(corpus, real_embedder, DESIGN_DOC)
    assert len(long.passages) > 1
    assert {i.doc.doc_id for i in long.incidents[:2]} == {i.doc.doc_id for i in short.incidents[:2]}


# -- exports ---------------------------------------------------------------------------------


def test_json_export_has_the_documented_fields(corpus, real_embedder) -> None:
    data = json.loads(json.dumps(_brief(corpus, real_embedder, SENTENCE).to_json()))
    incident = data["incidents"][0]
    for key in ("doc_id", "path", "title", "date", "score", "why", "root_cause", "lessons"):
        assert key in incident
    assert incident["action_items"] is not None
    assert set(data["open_action_items"][0]) >= {"title", "owner", "status", "due", "doc_id"}
    assert set(data["moments"][0]) >= {"doc_id", "path", "title", "start", "end", "speaker"}
    assert set(data["experts"][0]) >= {"name", "expert_id", "score", "evidence"}
    assert "next_office_hours" in data["experts"][0]
    assert set(data["checklist"][0]) == {"text", "source", "doc_id"}
    assert "talks" in data


def test_markdown_export_has_every_section_and_stays_inert(corpus, real_embedder) -> None:
    # In the sentence the "why" quotes back: the plan's own words are escaped, never live.
    plan = SENTENCE[:-1] + " <script>alert(1)</script> [click](javascript:alert(1))."
    md = _brief(corpus, real_embedder, plan).to_markdown()
    for heading in (
        "## Past incidents like this",
        "## Still open",
        "## Where it was explained",
        "## People to ask",
        "## Questions to answer before you start",
    ):
        assert heading in md
    assert "Payments ledger served stale balances during replica failover" in md
    assert "<script>" not in md and "\\<script\\>" in md
    assert "\\[click\\]" in md  # a link the plan did not make is not a link
    assert "- [ ] " in md


def test_cli_reads_a_file_or_stdin(corpus, tmp_path: Path, capsys, monkeypatch) -> None:
    plan = tmp_path / "plan.md"
    plan.write_text(SENTENCE, encoding="utf-8")
    data = ["--data-dir", str(corpus.data_dir)]
    assert main(["brief", *data, "--json", str(plan)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert LEDGER in [i["doc_id"] for i in out["incidents"][:2]]
    monkeypatch.setattr("sys.stdin", io.StringIO(SENTENCE))
    assert main(["brief", *data, "--format", "md", "-"]) == 0
    assert "## Past incidents like this" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("   "))
    assert main(["brief", *data, "-"]) == 2
    assert main(["brief", *data, str(tmp_path / "missing.md")]) == 2


def test_the_cli_brief_embeds_each_plan_passage_once(corpus, tmp_path: Path, capsys, monkeypatch):
    # Incidents, action items, moments and experts each search every passage: one opener's
    # query cache means the model embeds each passage once, not once per section.
    from index.embedder import SentenceTransformerEmbedder

    calls: list[str] = []
    original = SentenceTransformerEmbedder.embed_query

    def counting(self: Any, text: str) -> Any:
        calls.append(text)
        return original(self, text)

    monkeypatch.setattr(SentenceTransformerEmbedder, "embed_query", counting)
    plan = tmp_path / "plan.md"
    plan.write_text(
        f"{SENTENCE}\n\n" + "We will also lower DNS TTLs before the provider migration. " * 30,
        encoding="utf-8",
    )
    assert main(["brief", "--data-dir", str(corpus.data_dir), "--json", str(plan)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["incidents"]
    parts = [c for c in calls if c != "warm up the index"]
    assert len(parts) >= 2, "a long plan is read in several passages"
    assert len(parts) == len(set(parts)), f"a passage was embedded {len(parts)} times"
