"""AppTest: the rough edges a new user hit (issue 28), each checked where it can fail."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import write_content

from circulation.whats_new import OWN_PROBLEMS
from index.access import Viewer
from index.experts import Occurrence, upcoming
from index.models import Expert, OfficeHour
from index.settings import Settings
from index.textmatch import TextQuery, find
from ingest.pipeline import Ingestor
from portal import auth, office_hours
from tests.app_helpers import run, texts

pytestmark = pytest.mark.usefixtures("close_app_resources")

SEARCH = "portal/pages/search.py"
SHOWCASE = "portal/pages/showcase.py"
INCIDENTS = "portal/pages/incidents.py"
LEDGER_ID = "pm-2025-03-14-ledger-replica-lag"
DRILLS_ID = "showcase-2025-05-failover-drills"
ANA = Viewer.of("Ana Ortiz", "ana.ortiz@kestrel.example", "sre")
BOB = Viewer.of("Bob Brandt", "bob@kestrel.example", "sre")

YOUTUBE_VTT = """\
WEBVTT

00:00:00.000 --> 00:00:30.000
<v Lee Park>Welcome. Today: why the cache stampede took the API down.

00:05:26.000 --> 00:05:40.000
<v Lee Park>Here is where it went wrong: every pod refilled the same key at once.
"""
YOUTUBE_SIDECAR = """\
---
id: showcase-2025-10-cache-stampede
title: The cache stampede that took the API down
date: 2025-10-09
team: platform
presenters: [Lee Park]
outcome: failure
recording: https://www.youtube.com/watch?v=dQw4w9WgXcQ
---
"""
BROKEN = """\
---
title: [oops, never closed
authors: [Ana Ortiz]
---
The YAML above does not parse.
"""
TALK = """\
---
kind: talk
title: Talk number {n} about queues
date: 2025-0{n}-02
speakers: [Lee Park]
---
Queues, number {n}.
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> Settings:
    base = tmp_path_factory.mktemp("polish")
    content = write_content(base / "content")
    (content / "showcases/2025-10-cache-stampede.vtt").write_text(YOUTUBE_VTT)
    (content / "showcases/2025-10-cache-stampede.md").write_text(YOUTUBE_SIDECAR)
    (content / "postmortems/2025-11-01-ana-broken.md").write_text(BROKEN)
    for n in range(1, 8):
        (content / f"talks/2025-0{n}-queues-{n}.md").write_text(TALK.format(n=n))
    settings = Settings(data_dir=base / "data")
    report = Ingestor(settings, real_embedder).run([str(content)])
    assert report.count("failed") == 1, report.outcomes
    return settings


def charts(at: Any) -> list[dict[str, Any]]:
    """The Vega-Lite specs of the page's charts (AppTest has no element class for them)."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if getattr(node, "type", None) == "vega_lite_chart":
            found.append(json.loads(node.proto.spec))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


def as_viewer(monkeypatch: pytest.MonkeyPatch, viewer: Viewer) -> None:
    monkeypatch.setattr(auth, "current_viewer", lambda settings: viewer)


def param(at: Any, name: str) -> list[str]:
    value = at.query_params.get(name)
    return value if isinstance(value, list) else [value] if value else []


# -- 19: what a link or a box carries is checked, and echoed short -------------------------


def test_made_up_filter_values_are_dropped_and_said(monkeypatch, site) -> None:
    at = run(monkeypatch, site, SEARCH, q="replica", severity=["SEV9", "sev2"], team="nobody")
    pills = [o for g in at.get("button_group") for o in g.proto.options]
    labels = " ".join(getattr(o, "content", str(o)) for o in pills)
    assert "SEV9" not in labels and "nobody" not in labels
    assert "Not in the archive, so not applied: severity “SEV9”, team “nobody”" in texts(at)
    assert param(at, "severity") == ["SEV2"] and not param(at, "team")  # sev2 read as SEV2


def test_a_long_query_is_echoed_short(monkeypatch, site) -> None:
    query = "qqzzxv " * 40  # nothing uses these words
    at = run(monkeypatch, site, SEARCH, q=query)
    (said,) = [i.value for i in at.info if "No document uses the words" in i.value]
    assert "…" in said and len(said) < 220, said


def test_the_sidebar_says_nothing_for_developers(monkeypatch, site) -> None:
    at = run(monkeypatch, site, SEARCH)
    sidebar = "\n".join(c.value for c in at.sidebar.caption)
    assert "HINDSIGHT_DATA_DIR" not in sidebar and "Data:" not in sidebar
    health = run(monkeypatch, site, "portal/pages/health.py")
    assert "HINDSIGHT_DATA_DIR" in texts(health)  # the operator finds it where it belongs


def test_a_speaker_nobody_named_reads_the_same_everywhere(monkeypatch, site) -> None:
    at = run(monkeypatch, site, SEARCH, q="cosine similarity finds passages")
    assert "**Unnamed speaker** at" in texts(at)
    at = run(monkeypatch, site, SHOWCASE, doc="showcases/2025-03-embeddings-101")
    assert ":gray[Unnamed speaker]" in texts(at)
    assert "Someone" not in texts(at) and ":gray[Speaker]" not in texts(at)


# -- 8: transcript search by stem and phrase ------------------------------------------------


@pytest.mark.parametrize(
    ("query", "text", "found"),
    [
        ("went wrong", "Here is where it goes wrong: every pod", True),
        ("went wrong", "It went fine, nothing wrong", False),
        ("not found", "The key was not found in the cache", True),
        ("not found", "We found the replica was not ready", False),
        ("failing", "the drill failed twice", True),
        ('"lag replay"', "refuses to promote unless replay lag is low", False),
        ('"replay lag" promote', "refuses to promote unless replay lag is low", True),
    ],
)
def test_transcript_phrases_match_as_a_reader_means(query, text, found) -> None:
    assert (find(TextQuery.parse(query), text, "phrase") is not None) is found


def test_transcript_search_says_when_words_are_not_together(monkeypatch, site) -> None:
    at = run(monkeypatch, site, SHOWCASE, doc=DRILLS_ID, tq="promoting unless")
    assert "1 of 3 turns says “promoting unless”." in texts(at)
    at = run(monkeypatch, site, SHOWCASE, doc=DRILLS_ID, tq="lag replay")
    assert "No turn says “lag replay” in that order; 1 of 3 turns uses all of its words." in (
        texts(at)
    )


# -- 3: recordings on YouTube play in the page, from the moment -----------------------------


def test_a_youtube_recording_plays_embedded_from_the_moment(monkeypatch, site) -> None:
    at = run(monkeypatch, site, SHOWCASE, doc="showcase-2025-10-cache-stampede", t="326")
    (frame,) = [el.proto for el in at.get("iframe")]
    assert frame.src.startswith("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?start=326&")
    assert "[Open on YouTube](https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=326s)" in texts(at)
    assert not [b for b in at.get("link_button") if b.proto.label.startswith("Watch")]


# -- 10: the Showcase archive finds and shows its sessions -----------------------------------


def test_the_showcase_archive_finds_what_was_said(monkeypatch, site) -> None:
    at = run(monkeypatch, site, SHOWCASE, q="cache stampede")
    shown = texts(at)
    assert "match “cache stampede”, best first." in shown
    assert "The cache stampede that took the API down" in [
        el.proto.label.replace("\\", "").strip("*") for el in at.get("page_link")
    ]
    assert "**5:40** · YouTube" in shown  # the tile: how long, and where it plays
    assert "Failover drills" not in shown.split("best first.", 1)[1]  # not a match


# -- 11: trend charts ------------------------------------------------------------------------


def test_trend_charts_keep_quiet_months_and_whole_ticks(monkeypatch, site) -> None:
    at = run(monkeypatch, site, INCIDENTS, view="trends")
    specs = charts(at)
    month = next(s for s in specs if s["encoding"]["x"].get("field") == "month")
    assert month["encoding"]["x"]["sort"][:3] == ["2024-01", "2024-02", "2024-03"]
    assert len(month["encoding"]["x"]["sort"]) == 18  # Jan 2024 … Jun 2025, quiet ones too
    for spec in specs[:4]:
        counts = [
            e
            for e in spec["encoding"].values()
            if isinstance(e, dict) and e.get("title") == "incidents"
        ]
        assert counts and all(c["axis"]["format"] == "d" for c in counts)
    assert any(s.get("params") for s in specs)  # bars take clicks (they filter the table)
    assert "2 incidents without a duration are left out of time to resolve" in texts(at)


def test_the_overview_counts_incidents_per_quarter(monkeypatch, site) -> None:
    at = run(monkeypatch, site, "portal/pages/overview.py")
    (chart,) = charts(at)
    quarters = chart["encoding"]["x"]["sort"]
    assert quarters[0] == "Q1 2024" and quarters[-1] == "Q2 2025"  # 2024-01 … 2025-06
    assert len(quarters) == 6  # the quiet quarters between them too
    assert chart["encoding"]["y"]["axis"]["format"] == "d"


def test_a_picked_month_narrows_the_table_and_can_be_removed(monkeypatch, site) -> None:
    at = run(monkeypatch, site, INCIDENTS, month="2025-03", detection="bogus")
    titles = list(at.dataframe[0].value["Title"])
    assert titles == ["Payments ledger served stale balances during replica failover"]
    assert "detection" not in at.query_params  # a made-up value is not a filter
    at.button(key="unpick-month").click().run()
    assert len(at.dataframe[0].value) == 3 and "month" not in at.query_params


# -- 15: raw values --------------------------------------------------------------------------


def test_action_items_show_no_none(monkeypatch, site) -> None:
    at = run(monkeypatch, site, INCIDENTS, view="actions")
    table = at.dataframe[0].value
    assert "None" not in {str(v) for v in table["Due"]} and "NaT" not in set(map(str, table["Due"]))
    assert "Click a row to open its incident." in texts(at)


def test_weaker_matches_are_counted_in_words(monkeypatch, site) -> None:
    at = run(monkeypatch, site, SEARCH, q="replica promoted while lagging")
    labels = [b.label for b in at.button if "weaker" in b.label]
    assert labels and all("+" not in label for label in labels), labels


# -- 12: people to ask and office hours ------------------------------------------------------


def test_people_to_ask_come_with_their_next_office_hours(monkeypatch, site) -> None:
    at = run(monkeypatch, site, INCIDENTS, doc=LEDGER_ID)
    shown = texts(at)
    assert "**People to ask**" in shown
    assert ":material/event: **Next office hours:" in shown and " UTC · " in shown


def _slot(hour: int, tz: str) -> Occurrence:
    expert = Expert(
        "e",
        "E",
        office_hours=(OfficeHour(1, dt.time(hour), dt.time(hour + 1), "Europe/London", ""),),
    )
    return upcoming(expert, dt.datetime(2026, 1, 5, 8, tzinfo=dt.UTC), tz)[0]


def test_slots_outside_the_readers_working_day_are_flagged(monkeypatch, site) -> None:
    assert not office_hours.outside_workday(_slot(15, "Europe/Berlin"))  # 16:00 there
    assert office_hours.outside_workday(_slot(15, "Asia/Tokyo"))  # midnight there
    at = run(monkeypatch, site, "portal/pages/experts.py", expert="priya-raman", tz="Asia/Tokyo")
    assert "outside 09:00–18:00 your time" in texts(at)
    at = run(monkeypatch, site, "portal/pages/experts.py", expert="priya-raman", tz="Europe/Paris")
    assert "outside 09:00–18:00 your time" not in texts(at)


def test_the_zone_picker_lists_common_zones_with_offsets_first() -> None:
    from zoneinfo import ZoneInfo

    options = office_hours.zone_options()
    common = options[: len(office_hours.COMMON)]
    assert set(common) == set(office_hours.COMMON)
    now = dt.datetime.now(dt.UTC)
    offsets = [now.astimezone(ZoneInfo(z)).utcoffset() for z in common]
    assert offsets == sorted(offsets)  # west to east
    assert "Africa/Asmera" not in options and "Asia/Calcutta" not in options
    assert "Africa/Asmara" in options and "Asia/Kolkata" in options
    assert office_hours.zone_label("Asia/Kolkata") == "(UTC+05:30) Asia/Kolkata"
    assert "Asia/Calcutta" in office_hours.zone_options("Asia/Calcutta")  # the reader's own


# -- 7: a broken file reaches its author -----------------------------------------------------


def test_an_author_hears_that_their_file_failed(monkeypatch, site) -> None:
    as_viewer(monkeypatch, ANA)
    at = run(monkeypatch, site, "portal/pages/whats_new.py")
    shown = texts(at)
    assert OWN_PROBLEMS in shown and "2025-11-01-ana-broken.md:3 (failed): invalid YAML" in shown, (
        shown
    )
    sidebar = [el.proto.label for el in at.sidebar.get("page_link")]
    assert "1 of your files did not make it into the index" in sidebar
    health = run(monkeypatch, site, "portal/pages/health.py")
    files = list(health.dataframe[0].value["File"])
    assert [Path(f).name for f in files] == ["2025-11-01-ana-broken.md"]
    as_viewer(monkeypatch, BOB)  # not theirs: nothing, anywhere
    at = run(monkeypatch, site, "portal/pages/whats_new.py")
    assert OWN_PROBLEMS not in texts(at)
    assert not [el for el in at.sidebar.get("page_link") if "files" in el.proto.label]


# -- 4: the follow form ----------------------------------------------------------------------


def test_the_follow_form_clears_and_says_what_it_did(monkeypatch, site) -> None:
    for path in Path(site.data_dir).glob("state.sqlite3*"):
        path.unlink()
    as_viewer(monkeypatch, BOB)
    at = run(monkeypatch, site, "portal/pages/whats_new.py")
    follow = next(b for b in at.button if b.label == "Follow")
    follow.click().run()
    said = [w.value.replace("\\", "") for w in at.warning]
    assert said == ["Pick a kind, service, team or tag, or type words."]
    at.multiselect(key="follow_service").set_value(["ledger-db"])
    next(b for b in at.button if b.label == "Follow").click().run()
    said = [m.value.replace("\\", "") for m in at.success]
    assert said == ["Now following service: ledger-db. Its feed is below."]
    # (the form clears itself in the browser: tests/test_browser_polish.py)
    at.multiselect(key="follow_service").set_value(["ledger-db"])
    next(b for b in at.button if b.label == "Follow").click().run()
    assert [i.value.replace("\\", "") for i in at.info] == [
        "You already follow service: ledger-db."
    ]


def test_a_first_visit_lists_a_few_of_each_kind(monkeypatch, site) -> None:
    as_viewer(monkeypatch, BOB)
    at = run(monkeypatch, site, "portal/pages/whats_new.py")
    talks = [el for el in at.get("page_link") if "queues" in el.proto.label]
    assert len(talks) == 5
    more = next(b for b in at.button if b.key == "all-talk")
    assert more.label == "Show all 8 (3 more)"
    more.click().run()
    assert len([el for el in at.get("page_link") if "queues" in el.proto.label]) == 7


# -- 13: the downloaded brief links back ----------------------------------------------------


def test_the_downloaded_brief_links_into_this_portal(monkeypatch, site) -> None:
    from circulation.links import encode_plan

    plan = encode_plan("We will promote a lagging Postgres replica of ledger-db.")
    at = run(monkeypatch, site, "portal/pages/brief.py", plan=plan)
    (md,) = [b for b in at.get("download_button") if b.proto.label == "Download Markdown"]
    assert md  # its data is served by URL; the links are built by circulation.brief (tested)


# -- 16: snippets ----------------------------------------------------------------------------


def test_snippets_keep_list_items_apart_and_spaces_around_marks() -> None:
    from index.search import make_snippet
    from portal import ui

    text = "Lessons learned\n- Check lag before any promotion, planned or not.\n- A replica"
    snippet, _ = make_snippet(text, ["promot"])
    assert (
        snippet == "Lessons learned · Check lag before any promotion, planned or not. · A replica"
    )
    marked = ui.highlight("We promoted it, after promotion.", ["promot"])
    assert marked == (
        "We :orange-background[**promoted**] it, after :orange-background[**promotion**]\\."
    )
