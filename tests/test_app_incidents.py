"""The Incidents page's views (AppTest over the real fixture index): recurring, action items,
trends and the similar panel draw from the archive and follow the page's filters."""

from __future__ import annotations

import pytest

from tests.app_helpers import run, texts

INCIDENTS = "portal/pages/incidents.py"
pytestmark = pytest.mark.usefixtures("close_app_resources")


def test_trends_are_vega_lite_charts_following_the_filters(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, INCIDENTS, view="trends")
    charts = [el for kind in ("arrow_vega_lite_chart", "vega_lite_chart") for el in at.get(kind)]
    assert len(charts) >= 5
    narrowed = run(monkeypatch, settings, INCIDENTS, view="trends", severity="SEV2")
    assert any(c.value.startswith("1 incident") for c in narrowed.caption)


def test_action_items_table_filters_and_csv(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, INCIDENTS, view="actions")
    frame = at.dataframe[0].value
    assert "Gate promotion on replay lag" in set(frame["Action"])
    assert [el.proto.label for el in at.get("download_button")] == ["Download CSV"]
    done_only = run(monkeypatch, settings, INCIDENTS, view="actions", open="1")
    still = done_only.dataframe[0].value if done_only.dataframe else None
    assert still is None or "Gate promotion on replay lag" not in set(still["Action"])


def test_detail_shows_the_similar_panel_with_a_reason(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, INCIDENTS, doc="pm-2025-03-14-ledger-replica-lag")
    shown = texts(at)
    assert "Has this happened before?" in shown
    assert (
        "Likely the same failure mode" in shown
        or "Nothing shares its failure mode closely enough" in shown
    )
    assert "score 0." not in shown  # why in words, not raw numbers
    assert "still open" in shown or "Action items" in shown
    # Why reads as words ("both on …", "same cause: …"), never as raw signal numbers.
    assert "score 0." not in shown and "meaning 0." not in shown
    assert any(
        w in shown
        for w in (
            "same cause:",
            "both on ",
            "root causes read alike",
            "shared tags:",
            "same team:",
            "a similar kind of cause:",
            "little in common",
        )
    )


def test_recurring_view_explains_an_empty_result(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, INCIDENTS, view="recurring", q="no such words anywhere")
    assert any("No failure mode recurs" in i.value for i in at.info) or any(
        "No incident matches" in i.value for i in at.info
    )


def test_trends_of_only_undated_incidents_say_so_instead_of_failing() -> None:
    from streamlit.testing.v1 import AppTest

    def script() -> None:
        from index.models import Document
        from index.trends import trends
        from portal import incident_views

        undated = Document("pm-x", "postmortem", "Undated outage", "x.md", None, {})
        incident_views.trends(trends([undated]))

    at = AppTest.from_function(script).run()
    assert not at.exception
    assert any("No dated incidents" in c.value for c in at.caption)
