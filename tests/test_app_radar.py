"""The radar and the Coordination page through the portal (AppTest, real model and index).

Ana (payouts, by her profile) checks a plan and shares it; Dev (billing) checks a similar one
and is told to talk to Ana; Ana withdraws it. A plan checked without sharing is not stored. The
organisers' Coordination page shows both teams and charts them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from circulation.links import encode_plan
from circulation.state import STATE_FILE, StateStore
from index.access import Viewer
from portal import auth
from tests.app_helpers import run
from tests.coordination_fixtures import build_organisation_index
from tests.test_app_access import everything

pytestmark = pytest.mark.usefixtures("close_app_resources")
ANA = Viewer.of("Ana Souza", "ana.souza@kestrel.example", "eng")
DEV = Viewer.of("Dev Patel", "dev.patel@kestrel.example", "eng")
ORGANISER = Viewer.of("Olu", "olu@kestrel.example", "showcase-organisers,eng")
PAYOUTS_PLAN = (
    "# Retry outbound merchant webhooks\n\nMerchants miss payout status webhooks whenever their "
    "endpoint is down, because we deliver each one once. We will retry with exponential backoff "
    "and jitter for a day and park failures in a dead-letter queue merchants can replay."
)
BILLING_PLAN = (
    "Add retries with exponential backoff to the invoice webhooks we send merchants, and a "
    "dead-letter queue for deliveries that still fail after a day."
)


@pytest.fixture(scope="module")
def organisation(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> Any:
    return build_organisation_index(tmp_path_factory.mktemp("app-radar"), real_embedder)


@pytest.fixture
def settings(organisation: Any) -> Any:
    for path in Path(organisation.data_dir).glob(STATE_FILE + "*"):
        path.unlink()
    return organisation


def as_viewer(monkeypatch: pytest.MonkeyPatch, viewer: Viewer) -> None:
    monkeypatch.setattr(auth, "current_viewer", lambda settings: viewer)


def check(at: AppTest, plan: str, *, share: bool = False, named: bool = False) -> AppTest:
    at.text_area(key="brief.plan").input(plan)
    if share:
        at.checkbox(key="brief.share").check()
    if named:
        at.checkbox(key="brief.named").check()
    next(b for b in at.button if b.label == "Check the plan").click()
    at.run()
    assert not at.exception, at.exception
    return at


def test_share_see_and_withdraw_a_plan_in_the_portal(monkeypatch, settings) -> None:
    store = StateStore(settings.data_dir)
    as_viewer(monkeypatch, ANA)
    at = run(monkeypatch, settings, "portal/pages/brief.py")
    assert at.text_input(key="brief.team").value == "payouts"  # from Ana's profile
    assert at.checkbox(key="brief.share").value is False  # off by default
    assert "Plans you do not share are not stored" in everything(at)
    at = check(at, PAYOUTS_PLAN, share=True, named=True)
    assert [s.value for s in at.success] and "Shared with other teams as payouts" in str(
        at.success[0].value
    )
    (kept,) = store.shared_plans()
    assert (kept.team, kept.person, kept.groups, kept.owner) == (
        "payouts",
        "Ana Souza",
        ("eng",),
        "ana.souza@kestrel.example",
    )
    assert "Other teams on this" not in everything(at)  # the first plan names nobody
    (logged,) = store.briefs()
    assert (logged.team, logged.source) == ("payouts", "portal")

    as_viewer(monkeypatch, DEV)
    dev = run(monkeypatch, settings, "portal/pages/brief.py", plan=encode_plan(BILLING_PLAN))
    shown = everything(dev)
    assert "payouts checked a similar plan today: talk to Ana Souza" in shown
    assert "Retry outbound merchant webhooks" in shown
    assert all("Plans you share" not in e.label for e in dev.expander)  # Dev shares nothing

    as_viewer(monkeypatch, ANA)
    at = run(monkeypatch, settings, "portal/pages/brief.py")
    assert "Plans you share with other teams (1)" in [e.label for e in at.expander]
    next(b for b in at.button if b.label == "Withdraw").click()
    at.run()
    assert store.shared_plans() == []
    as_viewer(monkeypatch, DEV)
    dev = run(monkeypatch, settings, "portal/pages/brief.py", plan=encode_plan(BILLING_PLAN))
    assert "Other teams on this" not in everything(dev)


def test_a_plan_checked_without_sharing_is_not_stored(monkeypatch, settings) -> None:
    as_viewer(monkeypatch, ANA)
    at = run(monkeypatch, settings, "portal/pages/brief.py")
    check(at, "Zanzibarite settlement export to the new clearing house.")
    files = b"".join(p.read_bytes() for p in Path(settings.data_dir).glob(STATE_FILE + "*"))
    assert b"Zanzibarite" not in files
    assert StateStore(settings.data_dir).shared_plans() == []


def test_opening_an_incident_from_a_brief_counts_for_the_figures(monkeypatch, settings) -> None:
    as_viewer(monkeypatch, DEV)
    at = run(monkeypatch, settings, "portal/pages/brief.py", plan=encode_plan(BILLING_PLAN))
    doc = "pm-2025-02-10-payout-webhooks-lost"
    assert doc in str(at.session_state["_hindsight.brief"])
    at.switch_page("portal/pages/incidents.py")
    at.query_params["doc"] = doc
    at.run()
    assert not at.exception
    store = StateStore(settings.data_dir)
    (brief,) = store.briefs()
    assert brief.team == "billing" and brief.opened == (doc,)
    (opened,) = store.document_opens()
    assert (opened.doc_id, opened.team) == (doc, "billing")


def test_the_coordination_page_for_organisers(monkeypatch, settings) -> None:
    for viewer, plan, share in ((ANA, PAYOUTS_PLAN, True), (DEV, BILLING_PLAN, False)):
        as_viewer(monkeypatch, viewer)
        check(run(monkeypatch, settings, "portal/pages/brief.py"), plan, share=share)
    as_viewer(monkeypatch, DEV)
    refused = run(monkeypatch, settings, "portal/pages/metrics.py")
    assert "Coordination" not in [t.value for t in refused.title]  # not in Dev's navigation
    as_viewer(monkeypatch, ORGANISER)
    at = run(monkeypatch, settings, "portal/pages/metrics.py", since="all")
    assert [t.value for t in at.title] == ["Coordination"]
    (table, pairs) = at.dataframe
    rows = {r["team"]: r for r in table.value.to_dict("records")}
    assert rows["payouts"]["plans checked"] == rows["billing"]["plans checked"] == 1
    assert rows["billing"]["duplicate plans"] == "100% (1/1)"
    assert pairs.value.to_dict("records") == [{"teams": "billing · payouts", "matches": 1}]
    assert "warehouse" in everything(at)  # named, without figures
    shown = everything(at).lower()
    assert "ana souza" not in shown and "dev patel" not in shown
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert len(charts) >= 3
