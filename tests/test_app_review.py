"""Owners, reviews and successors in the portal (AppTest over a real index).

The labels where they belong (results: superseded and obsolete only; a document's own page: its
successor, what it replaces and — quietly, once past — its review date), "Still accurate" for the
owner and "Outdated?" for every reader, and the review queue grouped by owner.
"""

from __future__ import annotations

from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from circulation.state import StateStore
from index.access import Viewer
from portal import auth
from tests.app_helpers import run, texts
from tests.test_review import LEDGER_RUNBOOK, NEW_TALK, OLD_TALK, build_review_index

pytestmark = pytest.mark.usefixtures("close_app_resources")
REVIEW, TALKS, DOCUMENT, SEARCH = (
    "portal/pages/review.py",
    "portal/pages/talks.py",
    "portal/pages/document.py",
    "portal/pages/search.py",
)


@pytest.fixture
def indexed(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> Any:
    # Per test: "Still accurate" and "Outdated" write to the state store beside the index.
    return build_review_index(tmp_path_factory.mktemp("app-review"), real_embedder)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> Any:
    return build_review_index(tmp_path_factory.mktemp("app-review-shared"), real_embedder)


def as_viewer(monkeypatch: pytest.MonkeyPatch, viewer: Viewer) -> None:
    monkeypatch.setattr(auth, "current_viewer", lambda settings: viewer)


def links(at: AppTest) -> list[str]:
    """Page links' and buttons' labels as shown (Markdown escapes removed)."""
    found = [el.proto.label for el in at.get("page_link")] + [b.label for b in at.button]
    return [label.replace("\\", "").strip("*") for label in found]


def buttons(at: AppTest) -> list[str]:
    return [b.label for b in at.button]


def test_the_queue_is_grouped_by_owner(monkeypatch, shared) -> None:
    at = run(monkeypatch, shared, REVIEW)
    heads = [h.value for h in at.subheader]
    assert heads[:3] == ["Hannah Okafor (1)", "Priya Raman (2)", "No owner (2)"], heads
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Review overdue"] == "2" and metrics["Review due soon"] == "1"
    assert "Vacuum settings for the shipments table" in " ".join(links(at))
    overdue = run(monkeypatch, shared, REVIEW, show="overdue")
    heads = [h.value for h in overdue.subheader]
    assert heads[:1] == ["Priya Raman (2)"] and "Hannah Okafor (1)" not in heads
    mine = run(monkeypatch, shared, REVIEW, owner="hannah.okafor@kestrel.example")
    assert [h.value for h in mine.subheader][:1] == ["Hannah Okafor (1)"]


def test_results_carry_superseded_labels_but_no_review_banners(monkeypatch, shared) -> None:
    at = run(monkeypatch, shared, SEARCH, q="retries exponential backoff")
    assert any(label.startswith("Superseded by Retry budgets") for label in links(at))
    at = run(monkeypatch, shared, SEARCH, q="vacuum settings shipments table")
    shown = texts(at).lower()
    assert "vacuum settings" in " ".join(links(at)).lower()
    # An old review date is no reason to doubt a hit: nothing about it in the results.
    assert "review was due" not in shown and "last reviewed" not in shown and not at.warning


def test_a_superseded_talk_points_to_its_successor_and_back(monkeypatch, shared) -> None:
    old = run(monkeypatch, shared, TALKS, doc=OLD_TALK)
    assert "Superseded" in texts(old) and "Retrying at every layer" in texts(old)
    assert any(label.startswith("Read instead: Retry budgets") for label in links(old))
    assert "Still accurate" not in buttons(old)  # retired: nobody reviews it
    new = run(monkeypatch, shared, TALKS, doc=NEW_TALK)
    assert "Replaces an earlier document" in texts(new)
    assert "Superseded" not in texts(new)


def test_a_page_past_its_review_date_says_so_quietly(monkeypatch, shared) -> None:
    at = run(monkeypatch, shared, DOCUMENT, doc=LEDGER_RUNBOOK)
    line = next(c.value for c in at.caption if "Owner:" in c.value)
    assert "Last reviewed" in line and "by Priya Raman" in line and "a review was due" in line
    assert not at.warning and not at.error  # a caption, not a banner
    current = run(monkeypatch, shared, DOCUMENT, doc="note-later")
    line = next(c.value for c in current.caption if "Owner:" in c.value)
    assert "review was due" not in line


def test_still_accurate_from_the_queue_takes_it_off(monkeypatch, indexed) -> None:
    at = run(monkeypatch, indexed, REVIEW)  # auth none: the operator may confirm anything
    assert at.button(key=f"confirm-0-{LEDGER_RUNBOOK}").label == "Still accurate"
    at.button(key=f"confirm-0-{LEDGER_RUNBOOK}").click().run()
    assert not at.exception
    assert "failing over ledger-db by hand" not in " ".join(links(at))
    records = StateStore(indexed.data_dir).reviews([LEDGER_RUNBOOK])
    assert [r.verdict for r in records] == ["accurate"]


def test_only_the_owner_sees_still_accurate_and_every_reader_can_flag(monkeypatch, indexed):
    as_viewer(monkeypatch, Viewer.of("A reader", "reader@kestrel.example"))
    at = run(monkeypatch, indexed, DOCUMENT, doc="note-later")
    assert "Still accurate" not in buttons(at) and "Flag as outdated" in buttons(at)
    at.text_input(key="outdated-note-note-later").input("the limit is 20000 now").run()
    at.button(key="flag-outdated").click().run()
    assert not at.exception
    queue = run(monkeypatch, indexed, REVIEW)
    assert "Edge proxy connection limits" in " ".join(links(queue))
    assert "the limit is 20000 now" in texts(queue)
    as_viewer(monkeypatch, Viewer.of("Sofia Lindqvist", "sofia.lindqvist@kestrel.example"))
    owner = run(monkeypatch, indexed, DOCUMENT, doc="note-later")
    assert "Still accurate" in buttons(owner)
    owner.button(key="still-accurate").click().run()
    assert "Edge proxy connection limits" not in " ".join(links(run(monkeypatch, indexed, REVIEW)))
