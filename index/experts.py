"""Experts: when their office hours next happen, their calendar, their evidence, topic search."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import numpy as np

from index import catalog
from index.filters import SearchFilters
from index.models import Document, Expert, OfficeHour
from index.search import Searcher

ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
PRODID = "-//Hindsight//Office hours//EN"
# all-MiniLM-L6-v2 cosine between a query and a profile passage: unrelated people sit below
# ~0.3 (shared words like "lag" or "safe" alone get there), someone on the topic above 0.35.
MIN_COSINE = 0.35


def zone(name: str) -> ZoneInfo:
    """The IANA zone NAME, or UTC when it is unknown (content is typed by hand)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def next_occurrence(slot: OfficeHour, now: dt.datetime) -> dt.datetime:
    """The slot's next start strictly after NOW, aware, in the slot's own zone.

    Wall-clock times follow the zone's rules, so a 15:00 London slot is 15:00 in both
    GMT and BST. A start that falls in a spring-forward gap moves to the real time after it.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    tz = zone(slot.timezone)
    local_today = now.astimezone(tz).date()
    days_ahead = (slot.weekday - local_today.weekday()) % 7
    for weeks in range(3):
        day = local_today + dt.timedelta(days=days_ahead + 7 * weeks)
        start = _resolve(dt.datetime.combine(day, slot.start, tzinfo=tz))
        if start > now:
            return start
    raise AssertionError("unreachable: a weekly slot recurs within three weeks")


def _resolve(local: dt.datetime) -> dt.datetime:
    """Normalise a wall-clock time that may not exist (DST gap) through UTC."""
    return local.astimezone(dt.UTC).astimezone(local.tzinfo)


def slot_end(slot: OfficeHour, start: dt.datetime) -> dt.datetime:
    """End of the occurrence beginning at START (next day when the slot crosses midnight)."""
    tz = zone(slot.timezone)
    local = start.astimezone(tz)
    end = dt.datetime.combine(local.date(), slot.end, tzinfo=tz)
    if end <= local:
        end = dt.datetime.combine(local.date() + dt.timedelta(days=1), slot.end, tzinfo=tz)
    return _resolve(end)


def to_timezone(moment: dt.datetime, name: str) -> dt.datetime:
    """MOMENT (aware) as wall-clock time in the zone NAME."""
    return moment.astimezone(zone(name))


@dataclass(frozen=True)
class Occurrence:
    """One upcoming office-hours session, in the slot's zone and in the viewer's."""

    slot: OfficeHour
    start: dt.datetime
    end: dt.datetime
    viewer_start: dt.datetime
    viewer_end: dt.datetime


def upcoming(expert: Expert, now: dt.datetime, viewer_tz: str) -> list[Occurrence]:
    """Each slot's next occurrence, soonest first, also shown in VIEWER_TZ."""
    out = []
    for slot in expert.office_hours:
        start = next_occurrence(slot, now)
        end = slot_end(slot, start)
        out.append(
            Occurrence(slot, start, end, to_timezone(start, viewer_tz), to_timezone(end, viewer_tz))
        )
    return sorted(out, key=lambda o: o.start)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "expert"


def calendar_filename(expert: Expert) -> str:
    return f"office-hours-{_slug(expert.expert_id or expert.name)}.ics"


def expert_calendar(expert: Expert, now: dt.datetime | None = None) -> bytes:
    """An RFC 5545 calendar with one weekly recurring VEVENT per office-hours slot.

    Args:
        expert: whose office hours.
        now: series start after this moment (default: the current time).
    """
    import icalendar  # ~0.1 s: only a calendar download needs it, not every brief

    now = now or dt.datetime.now(dt.UTC)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"Office hours: {expert.name}")
    booking = expert.booking if re.match(r"https?://", expert.booking or "", re.I) else ""
    for slot in expert.office_hours:
        start = next_occurrence(slot, now)
        event = icalendar.Event()
        event.add(
            "uid",
            f"{_slug(expert.expert_id or expert.name)}-{ICAL_DAYS[slot.weekday]}-"
            f"{slot.start:%H%M}@hindsight",
        )
        event.add("dtstamp", now.astimezone(dt.UTC))
        event.add("dtstart", start)
        event.add("dtend", slot_end(slot, start))
        event.add("rrule", {"freq": "weekly", "byday": ICAL_DAYS[slot.weekday]})
        event.add("summary", f"Office hours: {expert.name}")
        if slot.where:
            event.add("location", slot.where)
        if booking:
            event.add("url", booking)
        event.add("description", _description(expert, booking))
        cal.add_component(event)
    cal.add_missing_timezones()
    for tz in cal.walk("VTIMEZONE"):
        tz.pop("COMMENT", None)  # icalendar's note on its 1970–2038 span would show in calendars
    return cal.to_ical()


def _description(expert: Expert, booking: str) -> str:
    lines = [line for line in (expert.role, expert.team) if line]
    if expert.topics:
        lines.append("Ask about: " + ", ".join(expert.topics))
    if booking:
        lines.append(f"Book: {booking}")
    if expert.email:
        lines.append(f"E-mail: {expert.email}")
    return "\n".join(lines)


def expert_evidence(
    cur: duckdb.DuckDBPyConnection, expert: Expert, filters: SearchFilters
) -> list[Document]:
    """What the expert wrote, presented or spoke in (within FILTERS), newest first."""
    return [d for d in catalog.documents_by_person(cur, expert.name, filters) if d.kind != "expert"]


def _norm(text: str) -> str:
    """Lower case, separators as spaces, plurals folded: 'Kafka-Consumers' -> 'kafka consumer'."""
    words = re.split(r"[\s_\-/,.;:!?()]+", text.lower())
    return " ".join(
        w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words if w
    )


def topic_matches(expert: Expert, query: str) -> tuple[str, ...]:
    """Declared topics the query names (whole words), or that name the whole query."""
    q = _norm(query)
    if not q:
        return ()
    return tuple(
        t
        for t in expert.topics
        if _norm(t) and (f" {_norm(t)} " in f" {q} " or f" {q} " in f" {_norm(t)} ")
    )


@dataclass(frozen=True)
class ExpertMatch:
    """An expert found for a topic: exact topic matches first, then by meaning."""

    expert: Expert
    topics: tuple[str, ...]  # declared topics that the query names
    similarity: float  # best cosine between the query and the expert's profile passages


def find_experts(
    searcher: Searcher, query: str, *, limit: int = 10, access: tuple[str, ...] | None
) -> list[ExpertMatch]:
    """Experts for QUERY: declared topics first, then by meaning over topics and bio.

    Args:
        searcher: its embedder and vectors score the experts' profile passages.
        query: a topic, a question, or empty for everyone (alphabetical).
        limit: at most this many.
        access: the viewer's access key: profiles it may not see are never candidates.
    """
    query = query.strip()
    cur = searcher.snapshot.cursor()
    people = catalog.experts(cur, access)
    if not query:
        return [ExpertMatch(e, (), 0.0) for e in people][:limit]
    scope = searcher.snapshot.table.effective(SearchFilters(kinds=("expert",), access=access))
    cosine = _cosine_by_doc(searcher, cur, query, scope)
    matches = []
    for e in people:
        topics = topic_matches(e, query)
        sim = cosine.get(e.doc_id, 0.0)
        if topics or sim >= MIN_COSINE:
            matches.append(ExpertMatch(e, topics, sim))
    matches.sort(key=lambda m: (-len(m.topics), -m.similarity, m.expert.name))
    return matches[:limit]


def _cosine_by_doc(
    searcher: Searcher, cur: duckdb.DuckDBPyConnection, query: str, filters: SearchFilters
) -> dict[str, float]:
    table = searcher.snapshot.table
    _, chunk_ids = table.allowed(cur, filters)
    if not len(chunk_ids):
        return {}
    vector = searcher.embed_query(query)
    found = searcher.snapshot.vectors.search(vector, len(chunk_ids), allowed=chunk_ids)
    numbers = table.docs_of(np.array([cid for cid, _ in found], dtype=np.int64))
    best: dict[str, float] = {}
    for (_, score), number in zip(found, numbers.tolist(), strict=True):
        doc_id = table.doc_ids[number] if number >= 0 else None
        if doc_id is not None and score > best.get(doc_id, -1.0):
            best[doc_id] = score
    return best
