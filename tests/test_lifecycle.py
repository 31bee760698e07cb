"""Currency without an index: the fields, review dates, and how ranking treats retired documents."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from index import fields
from index.kinds import known_kind
from index.lifecycle import (
    Confirmation,
    Currency,
    ReviewPolicy,
    currency,
    interval_days,
    marks,
    review_dates,
    unlinked,
)
from index.models import Document
from index.search import Fused, demote_retired
from index.settings import Settings

TODAY = dt.date(2026, 12, 4)
POLICY = ReviewPolicy()


def doc(kind: str = "talk", date: dt.date | None = dt.date(2025, 1, 10), **meta: Any) -> Document:
    return Document("d1", kind, "A document", "d1.md", date, fields.canonical(meta))


# -- fields ---------------------------------------------------------------------------------


def test_the_fields_are_read_however_they_are_spelt() -> None:
    meta = fields.canonical(
        {
            "Last reviewed": "March 14, 2025",
            "Review-by": "2026-01-05T09:00:00",
            "Replaced by": "talk-new",
            "Deprecated": "moved to the new gateway",
            "Review in": "6 months",
            "Owners": ["Hana Sato"],
        }
    )
    assert fields.date(meta, "reviewed") == dt.date(2025, 3, 14)
    assert fields.date(meta, "review_by") == dt.date(2026, 1, 5)
    assert meta["superseded_by"] == "talk-new"
    assert fields.flag(meta, "obsolete") is True
    assert interval_days(fields.text(meta, "review_interval")) == 180
    assert fields.raw_values(meta, "owner") == ["Hana Sato"]


@pytest.mark.parametrize(
    ("raw", "day"),
    [
        ("2025-03-14", dt.date(2025, 3, 14)),
        ("14 Mar 2025", dt.date(2025, 3, 14)),
        ("14 March 2025", dt.date(2025, 3, 14)),
        ("Mar 14, 2025", dt.date(2025, 3, 14)),
        ("2025/03/14", dt.date(2025, 3, 14)),
        ("soon", None),
        ("", None),
    ],
)
def test_dates_in_export_spellings(raw: str, day: dt.date | None) -> None:
    assert fields.date({"review_by": raw}, "review_by") == day


@pytest.mark.parametrize(
    ("raw", "flag"),
    [(True, True), ("yes", True), ("a reason", True), (False, False), ("no", False), (None, False)],
)
def test_flags(raw: object, flag: bool) -> None:
    assert fields.flag({"obsolete": raw}, "obsolete") is flag


@pytest.mark.parametrize(
    ("raw", "days"),
    [
        ("90", 90),
        ("90 days", 90),
        ("12 weeks", 84),
        ("6 months", 180),
        ("1 year", 365),
        ("x", None),
    ],
)
def test_intervals(raw: str, days: int | None) -> None:
    assert interval_days(raw) == days


def test_runbooks_are_a_kind() -> None:
    assert known_kind("runbooks") == known_kind("Playbook") == "runbook"


# -- currency ---------------------------------------------------------------------------------


def test_currency_of_superseded_obsolete_and_current_documents() -> None:
    assert currency({}) == Currency()
    linked = currency({"superseded_by": "new"})
    assert (linked.superseded_by, linked.superseded, linked.obsolete) == ("new", True, False)
    assert currency({"obsolete": "the gateway is gone"}).reason == "the gateway is gone"
    assert currency({"obsolete": True, "obsolete_reason": "gone"}).reason == "gone"
    assert currency({"obsolete": True}).reason == ""
    unlinked_one = currency({"superseded": True})
    assert (unlinked_one.obsolete, unlinked_one.reason) == (True, "superseded")
    assert not currency({"obsolete": "no"}).retired


def test_an_unlinked_successor_reads_like_a_missing_one() -> None:
    hidden = unlinked(doc(superseded_by="restricted-id", replaced_by="restricted-id"))
    assert "restricted-id" not in repr(hidden)
    assert currency(hidden.metadata) == currency({"superseded": True})


def test_marks_keep_only_retired_documents() -> None:
    found = marks([("a", {"superseded_by": "b"}), ("b", {}), ("c", {"obsolete": True})])
    assert set(found) == {"a", "c"} and found["a"].successor == "b" and found["c"].successor is None


# -- review dates -------------------------------------------------------------------------------


def test_a_document_without_owner_or_dates_is_not_tracked() -> None:
    dates = review_dates(doc(), POLICY)
    assert not dates.tracked and dates.state(TODAY, 30) == "untracked"


def test_the_stated_review_date_counts() -> None:
    overdue = review_dates(doc("postmortem", review_by="2026-03-15", owner="Priya Raman"), POLICY)
    assert overdue.review_by == dt.date(2026, 3, 15) and overdue.state(TODAY, 30) == "overdue"
    soon = review_dates(doc(review_by="2026-12-20"), POLICY)
    assert soon.state(TODAY, 30) == "due" and soon.state(TODAY, 7) == "current"


def test_an_owner_alone_counts_from_the_documents_date_plus_its_kinds_interval() -> None:
    talk = review_dates(doc("talk", owner="Hana Sato"), POLICY)
    assert talk.review_by == dt.date(2026, 1, 10)  # 2025-01-10 + 365 days
    assert review_dates(doc("postmortem", owner="Hana Sato"), POLICY).review_by is None
    runbook = review_dates(doc("runbook", owner="Hana Sato", review_interval="2 weeks"), POLICY)
    assert runbook.review_by == dt.date(2025, 1, 24)  # its own interval wins


def test_the_later_of_the_stated_date_and_the_last_review_plus_the_interval() -> None:
    both = review_dates(doc("runbook", reviewed="2026-11-02", review_by="2026-12-01"), POLICY)
    assert both.review_by == dt.date(2027, 1, 31)  # reviewed + 90 days beats the stated date
    assert both.last_reviewed == dt.date(2026, 11, 2)


def test_still_accurate_counts_until_the_next_interval() -> None:
    runbook = doc("runbook", owner="Priya Raman", reviewed="2025-01-01", reviewed_by="Priya Raman")
    confirmed = Confirmation("Hana Sato", dt.datetime(2026, 12, 1, 10, 0))
    dates = review_dates(runbook, POLICY, confirmed)
    assert (dates.last_reviewed, dates.reviewed_by) == (dt.date(2026, 12, 1), "Hana Sato")
    assert dates.review_by == dt.date(2027, 3, 1) and dates.state(TODAY, 30) == "current"
    # An older confirmation than the front matter's review does not win.
    old = review_dates(runbook, POLICY, Confirmation("X", dt.datetime(2024, 1, 1)))
    assert old.reviewed_by == "Priya Raman"


def test_a_confirmation_answers_a_stated_date_once_it_is_due() -> None:
    pm = doc("postmortem", owner="Priya Raman", review_by="2026-12-20")  # no interval
    answered = review_dates(pm, POLICY, Confirmation("Priya Raman", dt.datetime(2026, 12, 4)))
    assert answered.review_by is None  # reviewed for good: post-mortems have no interval
    early = review_dates(pm, POLICY, Confirmation("Priya Raman", dt.datetime(2026, 6, 1)))
    assert early.review_by == dt.date(2026, 12, 20)  # months early: the stated date stands


def test_review_intervals_come_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HINDSIGHT_REVIEW_DAYS", '{"Talks": 30, "runbook": 0}')
    policy = ReviewPolicy.from_settings(Settings())
    assert dict(policy.days)["talk"] == 30 and dict(policy.days)["runbook"] == 0
    assert dict(policy.days)["note"] == 180  # not named: its default
    monkeypatch.setenv("HINDSIGHT_REVIEW_DAYS", '{"talk": -1}')
    with pytest.raises(ValueError, match="0 or more"):
        Settings()


# -- ranking ------------------------------------------------------------------------------------


def fused(*pairs: tuple[str, float]) -> list[Fused]:
    return [Fused(d, s, i) for i, (d, s) in enumerate(pairs)]


def test_a_matching_successor_moves_above_what_it_replaces() -> None:
    ranked = fused(("old", 5.0), ("x", 4.0), ("y", 2.5), ("new", 2.0))
    out = demote_retired(ranked, marks([("old", {"superseded_by": "new"})]), 0.6)
    assert [f.doc_id for f in out] == ["x", "new", "old", "y"]
    assert [f.score for f in out] == sorted((f.score for f in out), reverse=True)


def test_only_a_successor_among_the_candidates_moves() -> None:
    # Not a candidate (filtered out, or one the reader may not see): nothing moves, nothing named.
    ranked = fused(("old", 5.0), ("x", 4.0))
    out = demote_retired(ranked, marks([("old", {"superseded_by": "hidden"})]), 1.0)
    assert [f.doc_id for f in out] == ["old", "x"]


def test_obsolete_documents_are_demoted_not_hidden() -> None:
    ranked = fused(("gone", 5.0), ("x", 4.0), ("y", 2.0))
    out = demote_retired(ranked, marks([("gone", {"obsolete": True})]), 0.6)
    assert [f.doc_id for f in out] == ["x", "gone", "y"]


def test_chains_settle_and_cycles_end() -> None:
    chain = marks([("a", {"superseded_by": "b"}), ("b", {"superseded_by": "c"})])
    out = demote_retired(fused(("a", 5.0), ("b", 4.0), ("c", 1.0)), chain, 1.0)
    assert [f.doc_id for f in out] == ["c", "b", "a"]
    cycle = marks([("a", {"superseded_by": "b"}), ("b", {"superseded_by": "a"})])
    out = demote_retired(fused(("a", 5.0), ("b", 4.0)), cycle, 1.0)
    assert sorted(f.doc_id for f in out) == ["a", "b"]
