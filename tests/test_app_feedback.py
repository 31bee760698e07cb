"""Feedback buttons in the portal: the similar panel, brief items and search results (AppTest)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from circulation.links import encode_plan
from circulation.state import STATE_FILE, StateStore
from index.access import Viewer
from portal import auth
from tests.access_fixtures import build_restricted_index
from tests.app_helpers import run, texts

pytestmark = pytest.mark.usefixtures("close_app_resources")
ANA = Viewer.of("Ana", "ana@kestrel.example", "sre")
LEDGER = "pm-2025-03-14-ledger-replica-lag"
DNS = "pm-2025-06-02-dns-ttl"
PLAN = "We will fail over ledger-db to a new Postgres replica and promote it during the migration."


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> Any:
    return build_restricted_index(tmp_path_factory.mktemp("app-feedback"), real_embedder)


@pytest.fixture
def settings(index: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    for path in Path(index.data_dir).glob(STATE_FILE + "*"):
        path.unlink()  # every test starts with nobody's feedback
    monkeypatch.setattr(auth, "current_viewer", lambda settings: ANA)
    return index


def _stored(settings: Any) -> list[tuple[str, str, str, str, str]]:
    return [
        (j.person_key, j.surface, j.subject, j.doc_id, j.verdict)
        for j in StateStore(settings.data_dir).judgements()
    ]


def test_a_search_result_takes_feedback(monkeypatch, settings) -> None:
    at = run(monkeypatch, settings, "portal/pages/search.py", q="replica promotion lag")
    control = at.segmented_control(key="feedback-search-0")
    assert control.options == ["Helpful", "Not related", "Outdated"]
    control.set_value("helpful").run()
    assert not at.exception
    ((who, surface, subject, doc_id, verdict),) = _stored(settings)
    assert (who, surface, subject, verdict) == (
        "ana@kestrel.example", "search", "replica promotion lag", "helpful"
    )  # fmt: skip
    assert doc_id == LEDGER
    # Shown again, the verdict is still selected.
    again = run(monkeypatch, settings, "portal/pages/search.py", q="replica promotion lag")
    assert again.segmented_control(key="feedback-search-0").value == "helpful"


def test_the_similar_panel_takes_same_failure_mode_and_puts_it_first(monkeypatch, settings):
    at = run(monkeypatch, settings, "portal/pages/incidents.py", doc=LEDGER)
    keys = [c.key for c in at.segmented_control if c.key.startswith("feedback-similar-")]
    assert keys  # every item of the panel (or the closest, when none passes) takes a verdict
    # A pair is one failure mode or not: the narrow rail offers just that.
    assert at.segmented_control(key=keys[0]).options == ["Same failure", "Unrelated"]
    chosen = keys[-1].removeprefix("feedback-similar-")
    at.segmented_control(key=keys[-1]).set_value("same").run()
    assert not at.exception
    assert _stored(settings)[0][1:] == ("similar", LEDGER, chosen, "same")
    after = run(monkeypatch, settings, "portal/pages/incidents.py", doc=LEDGER)
    assert "confirmed by 1 person" in texts(after)
    first = [c.key for c in after.segmented_control if c.key.startswith("feedback-similar-")][0]
    assert first == f"feedback-similar-{chosen}"  # the confirmed pair ranks first
    assert after.segmented_control(key=first).value == "same"


def test_brief_items_take_feedback_with_the_plan(monkeypatch, settings) -> None:
    at = run(monkeypatch, settings, "portal/pages/brief.py", plan=encode_plan(PLAN))
    incident = at.segmented_control(key="feedback-brief-inc-0")
    assert incident.options == ["Same failure mode", "Not related", "Outdated", "Helpful"]
    incident.set_value("same").run()
    assert not at.exception
    moment = at.segmented_control(key="feedback-brief-moment-0")
    assert "Same failure mode" not in moment.options  # a recording is not a failure mode
    moment.set_value("helpful").run()
    stored = _stored(settings)
    assert [(s[1], s[2], s[4]) for s in stored] == [
        ("brief", PLAN, "same"),
        ("brief", PLAN, "helpful"),
    ]
    assert stored[0][3] == LEDGER
