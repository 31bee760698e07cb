"""Access control through the portal's pages (AppTest): what an outsider and a member are shown.

Every page reads through the one door with the viewer of the run; an outsider's pages carry
no trace of the restricted documents (titles, canary word, counts, people), a member's do.
"""

from __future__ import annotations

from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from circulation.links import encode_plan
from index.access import Viewer
from portal import auth
from tests.access_fixtures import (
    CANARY,
    PUBLIC_SUCCESSOR,
    PUBLIC_SUPERSEDED,
    RESTRICTED_EXPORT,
    RESTRICTED_IDS,
    RESTRICTED_RUNBOOK,
    build_restricted_index,
    seed_radar,
)
from tests.app_helpers import run

RESTRICTED_PM, RESTRICTED_SHOWCASE, RESTRICTED_EXPERT = RESTRICTED_IDS
# A shared "Check a plan" link: the plan travels in the URL, the brief is the opener's.
PLAN_LINK = {"plan": encode_plan("Signing key leaked in a failover runbook: rotate it first.")}
MEMBER = Viewer.of("member", groups="security")
OUTSIDER = Viewer.of("outsider", groups="sre")

pytestmark = pytest.mark.usefixtures("close_app_resources")

# (page, URL params, whether a member's page shows a restricted document)
PAGES: list[tuple[str, dict[str, Any]]] = [
    ("portal/pages/overview.py", {}),
    ("portal/pages/search.py", {"q": f"{CANARY} key"}),
    # A typo of the canary: only a member is told "showing results for zorbulon".
    ("portal/pages/search.py", {"q": "zorbulan key"}),
    ("portal/pages/search.py", {"q": "zorbulan key", "weak": "1"}),
    ("portal/pages/search.py", {}),
    ("portal/pages/search.py", {"q": "failover", "team": "secops"}),
    ("portal/pages/search.py", {"like": "pm-2025-03-14-ledger-replica-lag"}),
    ("portal/pages/search.py", {"like": RESTRICTED_PM}),
    ("portal/pages/incidents.py", {}),
    ("portal/pages/incidents.py", {"doc": RESTRICTED_PM}),
    ("portal/pages/incidents.py", {"doc": RESTRICTED_EXPORT}),  # Open original, Download
    ("portal/pages/document.py", {"doc": RESTRICTED_EXPORT}),
    ("portal/pages/incidents.py", {"doc": "pm-2025-03-14-ledger-replica-lag"}),
    ("portal/pages/incidents.py", {"view": "recurring"}),
    ("portal/pages/incidents.py", {"view": "actions"}),
    ("portal/pages/incidents.py", {"view": "actions", "open": "1", "overdue": "1"}),
    ("portal/pages/incidents.py", {"view": "trends"}),
    ("portal/pages/showcase.py", {}),
    ("portal/pages/showcase.py", {"doc": RESTRICTED_SHOWCASE}),
    ("portal/pages/document.py", {"doc": RESTRICTED_SHOWCASE}),
    ("portal/pages/experts.py", {}),
    ("portal/pages/experts.py", {"topic": CANARY}),
    ("portal/pages/experts.py", {"expert": RESTRICTED_EXPERT}),
    ("portal/pages/experts.py", {"expert": "experts/priya-raman"}),
    ("portal/pages/whats_new.py", {}),
    ("portal/pages/experts.py", {"topic": "signing key leaked in a failover runbook"}),
    ("portal/pages/experts.py", {"expert": "ghost-analyst"}),
    ("portal/pages/brief.py", PLAN_LINK),
    ("portal/pages/brief.py", {}),
    # Currency: a public talk superseded by a restricted one, what the public successor
    # replaces, the labels in results, and the review queue over a restricted runbook.
    ("portal/pages/talks.py", {"doc": PUBLIC_SUPERSEDED}),
    ("portal/pages/talks.py", {"doc": PUBLIC_SUCCESSOR}),
    ("portal/pages/search.py", {"q": "schema migrations by hand"}),
    ("portal/pages/review.py", {}),
    ("portal/pages/review.py", {"owner": "Priya Raman"}),
    ("portal/pages/review.py", {"show": "overdue"}),
    ("portal/pages/document.py", {"doc": RESTRICTED_RUNBOOK}),
    ("portal/pages/metrics.py", {}),
]


def everything(at: AppTest) -> str:
    """All the text a page shows: Markdown, captions, headings, alerts, metrics, tables, labels."""
    parts: list[str] = []
    for kind in ("markdown", "caption", "title", "header", "subheader", "info", "warning"):
        parts += [str(el.value) for el in at.get(kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [df.value.to_csv() for df in at.dataframe]
    for kind in ("button", "page_link", "download_button", "link_button"):
        parts += [el.proto.label for el in at.get(kind)]
    for widget in (*at.multiselect, *at.selectbox):
        parts += [str(o) for o in widget.options]
    for kind in ("arrow_vega_lite_chart", "vega_lite_chart"):  # the name varies by release
        parts += [str(el.proto) for el in at.get(kind)]
    return "\n".join(parts).replace("\\", "")


def traces(text: str, echoed: dict[str, Any] | None = None) -> list[str]:
    """Marks of the restricted documents in TEXT, except words the URL itself put there."""
    lowered = text.lower()
    asked = " ".join(str(v) for v in (echoed or {}).values()).lower()
    marks = (CANARY, "red team", "ghost analyst", "secops", *RESTRICTED_IDS)
    return [m for m in marks if m.lower() in lowered and m.lower() not in asked]


@pytest.fixture(scope="module")
def restricted_settings(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> Any:
    settings = build_restricted_index(tmp_path_factory.mktemp("app-access"), real_embedder)
    seed_radar(settings, real_embedder)  # a plan shared with `security` only, and its match
    return settings


def as_viewer(monkeypatch: pytest.MonkeyPatch, viewer: Viewer | None) -> None:
    if viewer is not None:
        monkeypatch.setattr(auth, "current_viewer", lambda settings: viewer)


@pytest.mark.parametrize(("page", "params"), PAGES)
@pytest.mark.parametrize("viewer", [None, OUTSIDER], ids=["no-auth", "outsider"])
def test_outsiders_pages_show_no_trace(
    monkeypatch, restricted_settings, page: str, params: dict[str, Any], viewer: Viewer | None
) -> None:
    as_viewer(monkeypatch, viewer)
    at = run(monkeypatch, restricted_settings, page, **params)
    assert traces(everything(at), params) == []


MEMBER_SEES = [
    ("portal/pages/overview.py", {}),
    ("portal/pages/search.py", {"q": f"{CANARY} key"}),
    ("portal/pages/search.py", {"q": "zorbulan key"}),
    ("portal/pages/incidents.py", {}),
    ("portal/pages/incidents.py", {"doc": RESTRICTED_PM}),
    ("portal/pages/incidents.py", {"view": "actions"}),
    ("portal/pages/incidents.py", {"view": "trends"}),
    ("portal/pages/showcase.py", {"doc": RESTRICTED_SHOWCASE}),
    ("portal/pages/experts.py", {"topic": CANARY}),
    ("portal/pages/experts.py", {"expert": "experts/priya-raman"}),
    ("portal/pages/whats_new.py", {}),
    ("portal/pages/experts.py", {"topic": "signing key leaked in a failover runbook"}),
    ("portal/pages/experts.py", {"expert": "ghost-analyst"}),
    ("portal/pages/brief.py", PLAN_LINK),
    ("portal/pages/talks.py", {"doc": PUBLIC_SUPERSEDED}),
    ("portal/pages/talks.py", {"doc": PUBLIC_SUCCESSOR}),
    ("portal/pages/search.py", {"q": "schema migrations by hand"}),
    ("portal/pages/review.py", {}),
    ("portal/pages/review.py", {"owner": "Priya Raman"}),
    ("portal/pages/document.py", {"doc": RESTRICTED_RUNBOOK}),
]


@pytest.mark.parametrize(("page", "params"), MEMBER_SEES)
def test_members_pages_show_it(
    monkeypatch, restricted_settings, page: str, params: dict[str, Any]
) -> None:
    as_viewer(monkeypatch, MEMBER)
    at = run(monkeypatch, restricted_settings, page, **params)
    assert traces(everything(at))


def test_counts_follow_the_viewer(monkeypatch, restricted_settings) -> None:
    def incidents_metric(viewer: Viewer | None) -> str:
        as_viewer(monkeypatch, viewer)
        at = run(monkeypatch, restricted_settings, "portal/pages/overview.py")
        return next(m.value for m in at.metric if m.label == "Incidents")

    assert incidents_metric(None) == "3"
    assert incidents_metric(MEMBER) == "5"  # the restricted post-mortem and Word export


def test_a_restricted_url_reads_like_a_missing_one(monkeypatch, restricted_settings) -> None:
    at = run(monkeypatch, restricted_settings, "portal/pages/incidents.py", doc=RESTRICTED_PM)
    missing = run(monkeypatch, restricted_settings, "portal/pages/incidents.py", doc="nope")
    assert [w.value for w in at.warning] == [w.value for w in missing.warning] != []


def test_a_member_gets_the_original_of_an_export(monkeypatch, restricted_settings) -> None:
    """ "Open original" (the URL the export names) and the file itself, only through the door."""
    from tests.access_fixtures import RESTRICTED_EXPORT_URL

    as_viewer(monkeypatch, MEMBER)
    at = run(monkeypatch, restricted_settings, "portal/pages/incidents.py", doc=RESTRICTED_EXPORT)
    links = [(b.proto.label, b.proto.url) for b in at.get("link_button")]
    assert ("Open original", RESTRICTED_EXPORT_URL) in links
    assert [b.proto.label for b in at.get("download_button")] == ["Download DOCX"]
    monkeypatch.undo()
    as_viewer(monkeypatch, OUTSIDER)
    at = run(monkeypatch, restricted_settings, "portal/pages/incidents.py", doc=RESTRICTED_EXPORT)
    assert not at.get("link_button") and not at.get("download_button")


# The Coordination page is the organisers': one outside `security`, one in it.
ORGANISER_OUTSIDE = Viewer.of("organiser", groups="showcase-organisers,sre")
ORGANISER_INSIDE = Viewer.of("organiser", groups="showcase-organisers,security")


@pytest.mark.parametrize("period", ["90d", "all"])
def test_the_coordination_page_follows_the_viewer(monkeypatch, restricted_settings, period):
    as_viewer(monkeypatch, ORGANISER_OUTSIDE)
    outside = run(monkeypatch, restricted_settings, "portal/pages/metrics.py", since=period)
    assert "Coordination" in everything(outside) and traces(everything(outside)) == []
    as_viewer(monkeypatch, ORGANISER_INSIDE)
    inside = run(monkeypatch, restricted_settings, "portal/pages/metrics.py", since="all")
    assert "secops" in traces(everything(inside))  # the restricted post-mortem's team


def test_a_plan_shared_with_a_group_shows_only_to_its_members(monkeypatch, restricted_settings):
    as_viewer(monkeypatch, OUTSIDER)
    outside = run(monkeypatch, restricted_settings, "portal/pages/brief.py", **PLAN_LINK)
    assert "Other teams on this" not in everything(outside)
    as_viewer(monkeypatch, MEMBER)
    inside = everything(run(monkeypatch, restricted_settings, "portal/pages/brief.py", **PLAN_LINK))
    assert "secops checked a similar plan today: talk to Ghost Analyst" in inside
