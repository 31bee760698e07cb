"""Office hours across time zones and DST, the .ics calendar, evidence and topic search."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import pytest

from index import catalog
from index.experts import (
    calendar_filename,
    expert_calendar,
    expert_evidence,
    find_experts,
    next_occurrence,
    slot_end,
    to_timezone,
    topic_matches,
    upcoming,
)
from index.filters import SearchFilters
from index.models import Expert, OfficeHour
from index.opener import open_searcher

LONDON = ZoneInfo("Europe/London")
UTC = dt.UTC
TUESDAY_LONDON = OfficeHour(1, dt.time(15, 0), dt.time(16, 0), "Europe/London", "Room 4.12")
PRIYA = Expert(
    expert_id="experts/priya-raman",
    name="Priya Raman",
    role="Staff Engineer",
    team="data-platform",
    email="priya.raman@kestrel.example",
    booking="https://cal.kestrel.example/priya-raman",
    topics=("postgres", "replication", "kafka-consumers"),
    office_hours=(
        TUESDAY_LONDON,
        OfficeHour(3, dt.time(9, 30), dt.time(10, 30), "Europe/London", "https://meet.example/p"),
    ),
)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("slot", "now", "expected_local", "expected_utc"),
    [
        # Tuesday 25 March 2025, 15:30 GMT: this week's slot has begun, so next Tuesday —
        # after the clocks went forward on 30 March, 15:00 BST is 14:00 UTC.
        (TUESDAY_LONDON, utc(2025, 3, 25, 15, 30), (2025, 4, 1, 15, 0), utc(2025, 4, 1, 14, 0)),
        # Tuesday 28 October 2025 after the clocks went back (26 Oct): 15:00 GMT = 15:00 UTC.
        (TUESDAY_LONDON, utc(2025, 10, 22, 12, 0), (2025, 10, 28, 15, 0), utc(2025, 10, 28, 15, 0)),
        # Earlier the same Tuesday: today's slot.
        (TUESDAY_LONDON, utc(2025, 1, 7, 9, 0), (2025, 1, 7, 15, 0), utc(2025, 1, 7, 15, 0)),
        # Exactly at the start: strictly after, so a week later.
        (TUESDAY_LONDON, utc(2025, 1, 7, 15, 0), (2025, 1, 14, 15, 0), utc(2025, 1, 14, 15, 0)),
        # Sunday 23:30 UTC is already Monday 08:30 in Tokyo: Monday 09:00 JST = 00:00 UTC.
        (
            OfficeHour(0, dt.time(9), dt.time(10), "Asia/Tokyo"),
            utc(2025, 1, 5, 23, 30),
            (2025, 1, 6, 9, 0),
            utc(2025, 1, 6, 0, 0),
        ),
        # 01:30 on 30 March 2025 does not exist in London (01:00 -> 02:00): the real time after
        # the gap, 02:30 BST, which is 01:30 UTC.
        (
            OfficeHour(6, dt.time(1, 30), dt.time(2, 30), "Europe/London"),
            utc(2025, 3, 29, 12),
            (2025, 3, 30, 2, 30),
            utc(2025, 3, 30, 1, 30),
        ),
    ],
)
def test_next_occurrence(
    slot: OfficeHour, now: dt.datetime, expected_local: tuple[int, ...], expected_utc: dt.datetime
) -> None:
    found = next_occurrence(slot, now)
    assert found.tzinfo == ZoneInfo(slot.timezone)
    assert found.timetuple()[:5] == expected_local
    assert found == expected_utc
    assert found > now


def test_next_occurrence_needs_an_aware_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_occurrence(TUESDAY_LONDON, dt.datetime(2025, 1, 1, 12))


def test_unknown_zone_falls_back_to_utc() -> None:
    slot = OfficeHour(2, dt.time(10), dt.time(11), "Mars/Olympus_Mons")
    assert next_occurrence(slot, utc(2025, 1, 1, 9)) == utc(2025, 1, 1, 10)


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Europe/Berlin", (2025, 4, 1, 16, 0)),  # CEST, +2
        ("America/New_York", (2025, 4, 1, 10, 0)),  # EDT since 9 March, -4
        ("Asia/Kolkata", (2025, 4, 1, 19, 30)),  # +5:30, no DST
        ("Australia/Sydney", (2025, 4, 2, 1, 0)),  # AEDT until 6 April, +11: next day
    ],
)
def test_to_timezone(zone: str, expected: tuple[int, ...]) -> None:
    start = next_occurrence(TUESDAY_LONDON, utc(2025, 3, 25, 15, 30))  # 1 April, 14:00 UTC
    assert to_timezone(start, zone).timetuple()[:5] == expected


def test_slot_end_crosses_midnight() -> None:
    slot = OfficeHour(4, dt.time(23, 30), dt.time(0, 30), "UTC")
    start = next_occurrence(slot, utc(2025, 1, 1))
    assert (start, slot_end(slot, start)) == (utc(2025, 1, 3, 23, 30), utc(2025, 1, 4, 0, 30))


def test_upcoming_in_viewer_zone_soonest_first() -> None:
    # Wednesday 26 March 2025, noon UTC: Thursday 09:30 GMT comes before Tuesday 1 April.
    found = upcoming(PRIYA, utc(2025, 3, 26, 12), "America/Los_Angeles")
    assert [o.slot.weekday for o in found] == [3, 1]
    first = found[0]
    assert first.viewer_start.timetuple()[:5] == (2025, 3, 27, 2, 30)  # PDT, -7
    assert first.viewer_end.timetuple()[:5] == (2025, 3, 27, 3, 30)


def _events(data: bytes) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(data).walk("VEVENT"))


def test_expert_calendar_is_rfc5545_weekly_with_tzid() -> None:
    now = utc(2025, 3, 25, 15, 30)
    data = expert_calendar(PRIYA, now)
    assert data.startswith(b"BEGIN:VCALENDAR\r\n") and data.endswith(b"END:VCALENDAR\r\n")
    assert b"DTSTART;TZID=Europe/London:20250401T150000" in data
    assert b"RRULE:FREQ=WEEKLY;BYDAY=TU" in data
    cal = icalendar.Calendar.from_ical(data)
    assert str(cal["PRODID"]) == "-//Hindsight//Office hours//EN"
    assert str(cal["VERSION"]) == "2.0"
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/London"]
    assert b"COMMENT" not in data  # nothing that would show up as noise in people's calendars
    tuesday, thursday = _events(data)
    assert str(tuesday["SUMMARY"]) == "Office hours: Priya Raman"
    assert tuesday["RRULE"]["FREQ"] == ["WEEKLY"] and tuesday["RRULE"]["BYDAY"] == ["TU"]
    assert thursday["RRULE"]["BYDAY"] == ["TH"]
    start, end = tuesday.decoded("DTSTART"), tuesday.decoded("DTEND")
    assert start == utc(2025, 4, 1, 14) and end == utc(2025, 4, 1, 15)
    assert tuesday["DTSTART"].params["TZID"] == "Europe/London"
    assert str(tuesday["LOCATION"]) == "Room 4.12"
    assert str(tuesday["URL"]) == "https://cal.kestrel.example/priya-raman"
    assert "DTSTAMP" in tuesday
    assert thursday.decoded("DTSTART") == utc(2025, 3, 27, 9, 30)  # still GMT that week


def test_calendar_uids_are_stable_and_unique() -> None:
    first = [str(e["UID"]) for e in _events(expert_calendar(PRIYA, utc(2025, 1, 1)))]
    later = [str(e["UID"]) for e in _events(expert_calendar(PRIYA, utc(2025, 9, 9)))]
    assert (
        first
        == later
        == ["experts-priya-raman-TU-1500@hindsight", "experts-priya-raman-TH-0930@hindsight"]
    )
    assert calendar_filename(PRIYA) == "office-hours-experts-priya-raman.ics"


def test_calendar_never_carries_an_unsafe_booking_link() -> None:
    hostile = Expert(
        "mallory", "Mallory <script>", booking="javascript:alert(1)", office_hours=(TUESDAY_LONDON,)
    )
    (event,) = _events(expert_calendar(hostile, utc(2025, 1, 1)))
    assert "URL" not in event
    assert str(event["SUMMARY"]) == "Office hours: Mallory <script>"  # text, for the calendar


def test_calendar_without_office_hours_is_empty_but_valid() -> None:
    cal = icalendar.Calendar.from_ical(expert_calendar(Expert("x", "Nobody"), utc(2025, 1, 1)))
    assert list(cal.walk("VEVENT")) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("postgres", ("postgres",)),
        ("Postgres replication lag", ("postgres", "replication")),
        ("kafka consumer", ("kafka-consumers",)),  # separators and plurals folded
        ("kafka", ("kafka-consumers",)),  # the query names part of a topic
        ("post", ()),  # whole words only
        ("", ()),
    ],
)
def test_topic_matches(query: str, expected: tuple[str, ...]) -> None:
    assert topic_matches(PRIYA, query) == expected


@pytest.fixture(scope="module")
def searcher(real_index, real_embedder):  # type: ignore[no-untyped-def]
    settings, _content = real_index
    return open_searcher(settings, real_embedder)


def test_find_experts_declared_topic_first(searcher) -> None:  # type: ignore[no-untyped-def]
    (match,) = find_experts(searcher, "failover", access=None)
    assert match.expert.name == "Priya Raman" and match.topics == ("failover",)


def test_find_experts_semantic_over_bio(searcher) -> None:  # type: ignore[no-untyped-def]
    # No declared topic says "promotion" or "Postgres fleet"; the bio does.
    found = find_experts(searcher, "who runs the Postgres fleet", access=())
    assert [m.expert.name for m in found] == ["Priya Raman"]
    assert found[0].similarity > 0.35


def test_find_experts_unrelated_topic_finds_nobody(searcher) -> None:  # type: ignore[no-untyped-def]
    assert find_experts(searcher, "sourdough baking schedule", access=None) == []


def test_expert_evidence(searcher) -> None:  # type: ignore[no-untyped-def]
    cur = searcher.snapshot.cursor()
    (priya,) = catalog.experts(cur, None)
    ids = [d.doc_id for d in expert_evidence(cur, priya, SearchFilters(access=()))]
    assert ids == [  # newest first; her own profile is not evidence
        "showcase-2025-05-failover-drills",
        "pm-2025-03-14-ledger-replica-lag",
        "talk-2025-02-zero-downtime-migrations",
    ]
