"""AppTest: the Check a plan page over a shared link, left and opened again."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from circulation.links import encode_plan
from tests.app_helpers import run

BRIEF = "portal/pages/brief.py"
SEARCH = "portal/pages/search.py"
PLAN = (
    "We will fail over ledger-db to a new Postgres replica during the hardware migration and "
    "repoint the connection pooler once it accepts writes."
)

pytestmark = pytest.mark.usefixtures("close_app_resources")


def _sections(at: AppTest) -> list[str]:
    return [h.value for h in at.subheader]


def _visit(at: AppTest, page: str, **params: str) -> None:
    at.switch_page(page)
    at.query_params.clear()
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception


def test_a_plan_link_opened_again_after_another_page_shows_its_brief(
    monkeypatch, real_index
) -> None:
    """Back (or the same link) after a result click: the brief, not an empty box."""
    settings, _content = real_index
    token = encode_plan(PLAN)
    at = run(monkeypatch, settings, BRIEF, plan=token)
    assert "Past incidents like this" in _sections(at)
    _visit(at, SEARCH, q="failover")
    _visit(at, BRIEF, plan=token)
    assert "Past incidents like this" in _sections(at)
    assert at.text_area(key="brief.plan").value == PLAN
