"""AppTest: Incidents, Showcase archive, Talks, Experts and Document pages, through their URLs."""

from __future__ import annotations

import pytest
from conftest import write_content
from streamlit.testing.v1 import AppTest

from index.settings import Settings
from ingest.pipeline import Ingestor
from portal.transcript import Turn, current
from tests.app_helpers import link_params, run, texts

INCIDENTS = "portal/pages/incidents.py"
SHOWCASE = "portal/pages/showcase.py"
TALKS = "portal/pages/talks.py"
EXPERTS = "portal/pages/experts.py"
LEDGER_ID = "pm-2025-03-14-ledger-replica-lag"
DRILLS_ID = "showcase-2025-05-failover-drills"


pytestmark = pytest.mark.usefixtures("close_app_resources")


def param(at: AppTest, name: str) -> str | None:
    value = at.query_params.get(name)
    return value[0] if isinstance(value, list) else value


def labels(at: AppTest, kind: str) -> list[str]:
    return [el.proto.label.replace("\\", "").strip("*") for el in at.get(kind)]


# --- Incidents -------------------------------------------------------------------------------


def test_incident_table_lists_every_postmortem_newest_first(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, INCIDENTS)
    table = at.dataframe[0].value
    assert list(table["Title"]) == [
        "Shipment tracking unreachable after DNS provider migration",
        "Payments ledger served stale balances during replica failover",
        "Café outage",
    ]
    assert list(table["Severity"])[:2] == ["SEV1", "SEV2"]
    assert list(table["Services"][1]) == ["payments-ledger", "ledger-db"]
    assert list(table["Duration"])[1] == "47m"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"severity": "SEV2"}, ["Payments ledger served stale balances during replica failover"]),
        ({"team": "edge"}, ["Shipment tracking unreachable after DNS provider migration"]),
        ({"q": "replica"}, ["Payments ledger served stale balances during replica failover"]),
        (
            {"sort": "oldest"},
            [
                "Café outage",
                "Payments ledger served stale balances during replica failover",
                "Shipment tracking unreachable after DNS provider migration",
            ],
        ),
        (
            {"sort": "duration", "service": ["ledger-db", "shipment-tracker"]},
            [
                "Payments ledger served stale balances during replica failover",
                "Shipment tracking unreachable after DNS provider migration",
            ],
        ),
    ],
)
def test_incident_filters_and_sort_from_url(monkeypatch, real_index, params, expected) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, INCIDENTS, **params)
    assert list(at.dataframe[0].value["Title"]) == expected


def test_incident_filter_widget_writes_the_url(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, INCIDENTS)
    at.selectbox(key="incidents.w.sort").select("severity").run()
    assert param(at, "sort") == "severity"
    assert list(at.dataframe[0].value["Severity"])[0] == "SEV1"
    at.multiselect(key="incidents.w.severity").select("SEV2").run()
    assert at.query_params.get("severity") in ("SEV2", ["SEV2"])
    assert len(at.dataframe[0].value) == 1


def test_incident_words_that_match_nothing_lead_to_search(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, INCIDENTS, q="shorten the TTL before we move providers")
    assert "No incident matches these filters." in at.info[0].value
    (link,) = [
        el.proto for el in at.get("page_link") if "Search every post-mortem" in el.proto.label
    ]
    assert link.page.endswith("search") and "kind=postmortem" in link.query_string
    assert "q=shorten" in link.query_string


def test_incident_detail(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, INCIDENTS, doc=LEDGER_ID)
    assert (  # the page's h1
        at.title[0].value.replace("\\", "")
        == "Payments ledger served stale balances during replica failover"
    )
    body = texts(at)
    assert "**Severity:** :orange-badge[SEV2]" in body and "**Duration:** 47m" in body
    for heading in ("#### Summary", "#### Root cause", "#### Lessons learned", "#### Action items"):
        assert heading in body
    assert "| Gate promotion on replay lag | Priya Raman | :green-badge[done] |" in body
    assert "0 of 1 done" not in body and "1 of 1 done" in body
    related = labels(at, "page_link")
    assert "Failover drills we automated — and the one that bit us" in related
    assert "Priya Raman" in related  # people to ask


def test_incident_back_and_unknown(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, INCIDENTS, doc=LEDGER_ID, severity="SEV2")
    at.button(key="back").click().run()
    assert "doc" not in at.query_params and param(at, "severity") == "SEV2"
    assert len(at.dataframe[0].value) == 1
    at = run(monkeypatch, settings, INCIDENTS, doc="pm-nope")
    assert "not in the archive" in at.warning[0].value


# --- Showcase --------------------------------------------------------------------------------


def test_showcase_archive_by_month_team_outcome(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, SHOWCASE)
    # The .srt and .json sessions have no sidecar: the month in their file names dates them.
    assert [s.value for s in at.subheader] == ["May 2025", "April 2025", "March 2025"]
    at = run(monkeypatch, settings, SHOWCASE, month="2025-05", team="sre", outcome="mixed")
    assert [s.value for s in at.subheader] == ["May 2025"]
    assert "Failover drills we automated — and the one that bit us" in labels(at, "page_link")
    at = run(monkeypatch, settings, SHOWCASE, outcome="failure")
    assert "No session matches these filters." in at.info[0].value


def test_showcase_open_a_session_from_the_list(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, SHOWCASE, month="2025-05")
    target = link_params(at, "Failover drills we automated — and the one that bit us")
    assert target == {"doc": DRILLS_ID, "month": "2025-05"}  # the list's filters ride along
    at = run(monkeypatch, settings, SHOWCASE, **target)
    assert (
        at.title[0].value.replace("\\", "")
        == "Failover drills we automated — and the one that bit us"
    )
    at.button(key="back").click().run()  # back to the same list
    assert "doc" not in at.query_params and param(at, "month") == "2025-05"


def test_showcase_session_plays_from_the_url_moment(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, SHOWCASE, doc=DRILLS_ID, t="20")
    (watch,) = [b.proto for b in at.get("link_button") if b.proto.label.startswith("Watch")]
    assert watch.label == "Watch from 0:20"
    assert watch.url == "https://video.kestrel.example/showcase/2025-05-failover-drills#t=20"
    body = texts(at)
    assert "**0:20** Jonas Becker — The drill that bit us" in body
    seek = at.button(key="seek-1")
    assert seek.proto.type == "primary"  # the turn playing is highlighted


def test_showcase_turn_click_seeks(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, SHOWCASE, doc=DRILLS_ID)
    turns = [b for b in at.button if b.key and b.key.startswith("seek-")]
    assert [b.label for b in turns] == ["0:01", "0:20", "0:55"]  # speaker turns
    at.button(key="seek-1").click().run()
    assert param(at, "t") == "20"
    assert any(b.proto.url.endswith("#t=20") for b in at.get("link_button"))


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(None, None), (0, None), (10, 0), (231, 1), (232, 1), (235, 2), (9999, 2)],
)
def test_the_turn_playing_at_a_whole_second(seconds, expected) -> None:
    # Seek buttons and links write whole seconds: t=231 must light the turn at 231.63 s.
    items = [
        Turn(1.2, 200.0, "A", "a"),
        Turn(231.63, 234.0, "B", "b"),
        Turn(235.0, 240.0, "A", "c"),
    ]
    assert current(items, seconds) == expected


def test_showcase_search_inside_transcript(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, SHOWCASE, doc=DRILLS_ID, tq="promote")
    assert "1 of 3 turns says “promote”." in texts(at)  # both of Jonas's cues: one turn
    at.text_input(key="showcase.w.tq").input("gpu inference").run()
    assert param(at, "tq") == "gpu inference"
    assert [b.label for b in at.button if b.key and b.key.startswith("seek-")] == ["0:55"]
    at.text_input(key="showcase.w.tq").input("kubernetes").run()
    assert "Nobody says “kubernetes” in this session." in texts(at)


# --- Talks -----------------------------------------------------------------------------------


def test_talks_list_and_detail(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, TALKS)
    assert "Zero-downtime schema migrations" in labels(at, "page_link")
    at = run(monkeypatch, settings, TALKS, kind="paper-review")
    assert "No talk matches these filters." in at.info[0].value
    at = run(monkeypatch, settings, TALKS, doc="talk-2025-02-zero-downtime-migrations")
    assert at.title[0].value.replace("\\", "") == "Zero-downtime schema migrations"
    assert "NOT VALID first" in texts(at)
    assert "#### Key ideas" in "\n".join(m.value for m in at.markdown)  # demoted under the title


# --- Experts ---------------------------------------------------------------------------------


def test_experts_search_by_topic(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, EXPERTS, topic="failover", tz="America/New_York")
    assert labels(at, "page_link")[0] == "Priya Raman"
    body = texts(at)
    assert ":green-badge[failover]" in body  # the matching topic stands out
    assert "Next office hours:" in body and "America/New_York" in body
    assert "Europe/London for them" in body
    assert [b.proto.url for b in at.get("link_button")] == [
        "https://cal.kestrel.example/priya-raman",
        "mailto:priya.raman@kestrel.example",
    ]
    assert labels(at, "download_button") == ["Add office hours to calendar"]
    at = run(monkeypatch, settings, EXPERTS, topic="sourdough baking")
    assert "Nobody has written, presented or spoken about “sourdough baking”" in at.info[0].value


def test_experts_cite_their_evidence(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, EXPERTS, topic="replication lag during failover drills")
    cited = labels(at, "page_link")
    assert (
        "wrote “Payments ledger served stale balances during replica failover” (SEV2, 2025-03)"
        in cited
    )
    moment = next(c for c in cited if c.startswith("explained it at 0:20 in “Failover drills"))
    assert moment  # Jonas Becker speaks on it from 0:20 in the recording
    body = texts(at)
    assert "No profile yet" in body  # Jonas Becker has none in the fixture
    assert ":violet-badge[also knows: replication lag during failover drills]" in body


def test_a_person_without_a_profile_has_a_page(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, EXPERTS, expert="jonas-becker")
    assert at.title[0].value.replace("\\", "") == "Jonas Becker"
    assert "No profile yet" in texts(at)
    cited = labels(at, "page_link")
    assert any(c.startswith("presented “Failover drills") for c in cited)
    assert any(c.startswith("spoke in “Failover drills") for c in cited)
    at = run(monkeypatch, settings, EXPERTS, expert="nobody-at-all")
    assert "not in the directory" in at.warning[0].value


def test_expert_profile_with_evidence(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, EXPERTS, expert="priya-raman", tz="Asia/Tokyo")
    assert at.title[0].value.replace("\\", "") == "Priya Raman"
    body = texts(at)
    assert "**Tuesdays** 15:00–16:00 Europe/London" in body and "Asia/Tokyo" in body
    evidence = labels(at, "page_link")
    assert evidence == [  # a timeline, newest first; her own profile is not evidence
        "presented “Failover drills we automated — and the one that bit us” (2025-05)",
        "spoke in “Failover drills we automated — and the one that bit us” from 0:01 (34s in all)",
        "wrote “Payments ledger served stale balances during replica failover” (SEV2, 2025-03)",
        "owns 1 action item on payments-ledger (all done) in “Payments ledger served stale "
        "balances during replica failover”",
        "gave the talk “Zero-downtime schema migrations” (2025-02)",
    ]
    assert "**Knows about**" in body and ":violet-badge[postgres]" in body
    at.selectbox(key="experts.w.tz").select("Europe/Berlin").run()
    assert param(at, "tz") == "Europe/Berlin" and param(at, "expert") == "priya-raman"


def test_expert_picked_from_popular_topics(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, EXPERTS, tz="Not/AZone")
    assert "tz" not in at.query_params  # an unknown zone is dropped, the browser's is used
    at.get("button_group")[0].set_value("replication").run()
    assert param(at, "topic") == "replication"
    target = link_params(at, "Priya Raman")
    assert target == {"topic": "replication", "expert": "experts/priya-raman"}
    at = run(monkeypatch, settings, EXPERTS, **target)
    assert at.title[0].value.replace("\\", "") == "Priya Raman"


def test_document_page_and_unknown_documents(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, "portal/pages/document.py", doc=LEDGER_ID)
    assert (
        at.title[0].value.replace("\\", "")
        == "Payments ledger served stale balances during replica failover"
    )
    at = run(monkeypatch, settings, "portal/pages/document.py", doc="nope")
    assert "not in the archive" in at.warning[0].value
    for page in (SHOWCASE, TALKS):
        assert "not in the archive" in run(monkeypatch, settings, page, doc="nope").warning[0].value
    assert (
        "not in the directory"
        in run(monkeypatch, settings, EXPERTS, expert="nobody").warning[0].value
    )


NEW_POSTMORTEM = """\
---
id: pm-2025-09-09-cert-expiry
title: Carrier gateway certificate expired on a Sunday
date: 2025-09-09
severity: SEV2
services: [carrier-gateway]
---
## Summary
The TLS certificate of the carrier gateway expired; renewals had been failing silently.
"""


def test_a_reingest_is_picked_up_without_a_restart(monkeypatch, tmp_path, real_embedder) -> None:
    content = write_content(tmp_path / "content")
    settings = Settings(data_dir=tmp_path / "data")
    Ingestor(settings, real_embedder).run([str(content)])
    at = run(monkeypatch, settings, INCIDENTS)
    assert len(at.dataframe[0].value) == 3
    (content / "postmortems/2025-09-09-cert-expiry.md").write_text(NEW_POSTMORTEM)
    Ingestor(settings, real_embedder).run([str(content)])
    at.run()  # the same session, the same process: the next run opens the new generation
    assert not at.exception
    assert "Carrier gateway certificate expired on a Sunday" in list(at.dataframe[0].value["Title"])


# --- Index health ----------------------------------------------------------------------------


def test_health_view_says_why_a_file_is_missing(monkeypatch, tmp_path, fake_embedder) -> None:
    content = write_content(tmp_path / "content")
    (content / "postmortems/broken.md").write_text("---\ntitle: [oops\n---\n")
    settings = Settings(data_dir=tmp_path / "data")
    Ingestor(settings, fake_embedder).run([str(content)])
    monkeypatch.setenv("HINDSIGHT_MODEL", fake_embedder.model_id)
    at = run(monkeypatch, settings, "portal/pages/health.py")
    table = at.dataframe[0].value
    row = table[table["File"].str.endswith("postmortems/broken.md")].iloc[0]
    assert row["State"] == "failed" and row["Line"] == "2" and "YAML" in row["Reason"]
    assert "None" not in set(table["Line"]) | set(table["When"])  # blanks, never "None"
    assert {m.label: m.value for m in at.metric}["Failed"] == "1"
    # Failed files are shown by default; indexed ones on request.
    assert set(table["State"]) == {"failed"}
    at = run(monkeypatch, settings, "portal/pages/health.py", state=["indexed"])
    assert len(at.dataframe[0].value) == 8


def test_chips_filter_and_names_open_their_page(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, INCIDENTS, doc=LEDGER_ID)
    shown = "\n".join(m.value for m in at.markdown) + "\n".join(c.value for c in at.caption)
    assert "](search?service=ledger-db)" in shown
    assert "](search?tag=postgres)" in shown
    assert "](search?kind=postmortem&severity=SEV2)" in shown
    assert "](search?team=sre)" in shown
    assert "](experts?expert=Priya+Raman)" in shown
    # The name in the link opens that person's page.
    profile = run(monkeypatch, settings, EXPERTS, expert="priya  raman")
    assert [t.value for t in profile.title] == ["Priya Raman"]


def test_showcase_chapters_are_a_table_of_contents_that_seeks(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, SHOWCASE, doc=DRILLS_ID)
    assert "**Chapters**" in texts(at)
    chapters = [b for b in at.button if b.key and b.key.startswith("chapter-")]
    assert chapters and chapters[0].label.startswith("0:0")  # the first starts the recording
    last = chapters[-1]
    last.click().run()
    assert param(at, "t") == str(int(last.label.split(":")[0]) * 60 + int(last.label[2:4]))


def test_documents_and_results_have_a_copy_link(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, INCIDENTS, doc=LEDGER_ID)
    assert [c.value for c in at.code] == [f"incidents?doc={LEDGER_ID}"]
    at = run(monkeypatch, settings, "portal/pages/search.py", q="replica failover")
    links = [c.value for c in at.code]
    assert f"incidents?doc={LEDGER_ID}" in links and len(links) >= 2
