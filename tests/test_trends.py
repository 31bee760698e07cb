"""Chart rows against counts worked out by hand."""

from __future__ import annotations

import datetime as dt

from index.models import Document
from index.recurrence import Cluster
from index.trends import resolve_minutes, trends


def _doc(doc_id: str, date: dt.date | None, **meta: object) -> Document:
    return Document(doc_id, "postmortem", doc_id, "", date, dict(meta))


DOCS = [
    _doc(
        "a",
        dt.date(2025, 1, 3),
        severity="SEV1",
        services=["api", "db"],
        teams=["sre"],
        detection="alert",
        duration="47m",
    ),
    _doc(
        "b",
        dt.date(2025, 1, 20),
        severity="SEV2",
        services=["api"],
        teams=["sre", "payments"],
        detection="customer report",
        duration="2h08m",
    ),
    _doc(
        "c",
        dt.date(2025, 1, 28),
        severity="sev1",
        services=["db"],
        detection="engineer noticed",
        start_time="2025-01-28T10:00:00Z",
        end_time="2025-01-29T12:00:00Z",
    ),
    _doc("d", dt.date(2025, 3, 1), services=["api"], detection="synthetic check"),
    _doc("e", None, severity="SEV3", teams=["payments"]),
]


def test_counts_match_the_hand_computed_values() -> None:
    cluster = Cluster((DOCS[0], DOCS[2]), "disk full", 0.5)
    t = trends(DOCS, [cluster])
    # Jan: a SEV1, b SEV2, c SEV1 (case folded); Mar: d without severity; e undated.
    assert t.per_month == (
        ("2025-01", "SEV1", 2),
        ("2025-01", "SEV2", 1),
        ("2025-03", "UNKNOWN", 1),
    )
    assert dict(t.by_service) == {"api": 3, "db": 2}
    assert dict(t.by_team) == {"sre": 2, "payments": 2}
    assert dict(t.detection) == {"alert": 2, "customer": 1, "internal": 1, "unknown": 1}
    # a 47 min, b 128 min, c 26 h from start/end; d and e have none.
    assert t.durations == (("30 min – 1 h", 1), ("1 – 4 h", 1), ("1 – 7 days", 1))
    assert (t.incidents, t.undated, t.without_duration) == (5, 1, 2)
    assert t.recurring == (("2025-01", "disk full", 2),)


def test_bars_count_only_the_documents_given() -> None:
    cluster = Cluster((DOCS[0], DOCS[2]), "disk full", 0.5)
    t = trends(DOCS[:2], [cluster])  # c is not among them (filtered out, or not visible)
    assert t.recurring == (("2025-01", "disk full", 1),)
    assert dict(t.by_service) == {"api": 2, "db": 1}


def test_time_to_resolve_prefers_duration_then_start_and_end() -> None:
    assert resolve_minutes(DOCS[1]) == 128
    assert resolve_minutes(DOCS[2]) == 26 * 60
    assert resolve_minutes(_doc("x", None, start_time="2025-01-02", end_time="2025-01-01")) is None
