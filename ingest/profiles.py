"""Expert profiles: who they are, what they know, and their weekly office hours."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import replace
from typing import Any

from index.models import Expert, OfficeHour, Section
from ingest.fields import string_list as _string_list
from ingest.fields import text_value as _text

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_CLOCK = r"\d{1,2}(?:[:.h]?\d{2})?(?:\s*[ap]\.?m\.?)?"
_TIME_TEXT = re.compile(r"(\d{1,2})(?:[:.h]?(\d{2}))?\s*(?:([ap])\.?m\.?)?", re.IGNORECASE)
_RANGE = re.compile(rf"\s*({_CLOCK})\s*(?:-|–|—|to)\s*({_CLOCK})\s*", re.IGNORECASE)
_SLOT_TEXT = re.compile(
    rf"\s*([A-Za-z]+)\s+({_CLOCK})\s*(?:-|–|—|to)\s*({_CLOCK})"
    r"(?:\s+([A-Za-z_]+(?:/[\w+-]+)+|UTC|GMT))?(?:\s*[,;@(]?\s*(.*?)\)?)?\s*",
    re.IGNORECASE,
)


def expert_profile(
    doc_id: str, title: str, data: dict[str, Any], body: str, warnings: list[str]
) -> Expert:
    default_tz = _text(data.get("timezone")) or _text(data.get("tz"))
    raw = data.get("office_hours")
    entries = raw if isinstance(raw, list) else [raw] if raw else []
    slots = [
        slot
        for n, entry in enumerate(entries, start=1)
        for slot in _slots(entry, default_tz, n, warnings)
    ]
    return Expert(
        expert_id=doc_id,
        name=_text(data.get("name")) or title,
        role=_text(data.get("role")) or _text(data.get("title")),
        team=_text(data.get("team")) or ", ".join(_string_list(data.get("teams") or [])),
        email=_text(data.get("email")),
        chat=_text(data.get("chat")) or _text(data.get("slack")),
        booking=_text(data.get("booking")) or _text(data.get("booking_url")),
        topics=tuple(_string_list(data.get("topics") or [])),
        bio=body.strip(),
        office_hours=tuple(slots),
        doc_id=doc_id,
    )


def _slots(entry: Any, default_tz: str, n: int, warnings: list[str]) -> list[OfficeHour]:
    """Office-hours slots from `{weekday, start, end, timezone, where}` or `Tue 15:00-16:00 UTC`."""
    if isinstance(entry, str):
        found = _SLOT_TEXT.fullmatch(entry)
        if not found:
            warnings.append(f"office_hours[{n}]: cannot read {entry[:60]!r}; slot dropped")
            return []
        day, start, end, tz, where = found.groups()
        entry = {"weekday": day, "start": start, "end": end, "timezone": tz, "where": where}
    if not isinstance(entry, dict):
        warnings.append(f"office_hours[{n}]: expected a mapping or text; slot dropped")
        return []
    start_raw, end_raw = _first(entry, "start", "from"), _first(entry, "end", "to", "until")
    span = _first(entry, "time", "hours")
    if start_raw is None and isinstance(span, str) and (found := _RANGE.fullmatch(span)):
        start_raw, end_raw = found.groups()
    start = parse_clock(start_raw)
    end = parse_clock(end_raw)
    if start is not None and end is None and end_raw is None:
        minutes = _first(entry, "duration", "duration_minutes")
        length = minutes if isinstance(minutes, int) and not isinstance(minutes, bool) else 60
        end = _add_minutes(start, length)
    tz = _text(_first(entry, "timezone", "tz")) or default_tz
    problem = _slot_problem(start, end, tz)
    days_raw = _first(entry, "weekday", "day", "days")
    days = [parse_weekday(d) for d in (days_raw if isinstance(days_raw, list) else [days_raw])]
    if problem is None and (not days or None in days):
        problem = f"unknown weekday {days_raw!r}"
    if problem is not None:
        warnings.append(f"office_hours[{n}]: {problem}; slot dropped")
        return []
    where = _text(_first(entry, "where", "location", "room", "link"))
    assert start is not None and end is not None  # _slot_problem checked them
    return [OfficeHour(d, start, end, tz, where) for d in days if d is not None]


def _first(entry: dict[str, Any], *keys: str) -> Any:
    return next((entry[k] for k in keys if entry.get(k) not in (None, "")), None)


def _slot_problem(start: dt.time | None, end: dt.time | None, tz: str) -> str | None:
    if start is None or end is None:
        return "start and end must be times such as 15:00"
    if end <= start:
        return f"ends ({end:%H:%M}) before it starts ({start:%H:%M})"
    if not tz:
        return "no timezone"
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return f"unknown timezone {tz!r}"
    return None


def parse_weekday(value: Any) -> int | None:
    """0-6, "Mon", "monday" or "Tuesdays" to 0 = Monday; None when it is none of them."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 <= value <= 6 else None
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if text.isdigit():
        return parse_weekday(int(text))
    return _WEEKDAYS.index(text[:3]) if text[:3] in _WEEKDAYS and text.isalpha() else None


def parse_clock(value: Any) -> dt.time | None:
    """A time from `15:00`, `9:30`, `0900`, `3pm`, or an int YAML made of an unquoted time.

    YAML 1.1 reads unquoted `15:00` as the sexagesimal int 900 (15 * 60), so ints from 60 to
    1439 are minutes after midnight; smaller ones are hours and larger ones HHMM (1500).
    """
    if isinstance(value, dt.time):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value < 24:
            return dt.time(value)
        if 60 <= value < 24 * 60:
            return dt.time(*divmod(value, 60))
        hours, minutes = divmod(value, 100)
        return dt.time(hours, minutes) if hours < 24 and minutes < 60 else None
    if not isinstance(value, str):
        return None
    found = _TIME_TEXT.fullmatch(value.strip())
    if not found:
        return None
    hours, minutes = int(found.group(1)), int(found.group(2) or 0)
    meridiem = (found.group(3) or "").lower()
    if meridiem and not 1 <= hours <= 12:
        return None
    if meridiem:
        hours = hours % 12 + (12 if meridiem == "p" else 0)
    return dt.time(hours, minutes) if hours < 24 and minutes < 60 else None


def _add_minutes(start: dt.time, minutes: int) -> dt.time | None:
    total = start.hour * 60 + start.minute + minutes
    return dt.time(*divmod(total, 60)) if minutes > 0 and total < 24 * 60 else None


def expert_sections(expert: Expert, body_sections: list[Section]) -> list[Section]:
    """A profile section (name, role, topics, hours) first, then the bio."""
    head = expert.name + (f" — {expert.role}" if expert.role else "")
    lines = [head + (f", {expert.team}" if expert.team else "")]
    if expert.topics:
        lines.append("Topics: " + ", ".join(expert.topics))
    for slot in expert.office_hours:
        where = f" ({slot.where})" if slot.where else ""
        lines.append(
            f"Office hours: {_WEEKDAY_NAMES[slot.weekday]} {slot.start:%H:%M}–{slot.end:%H:%M}"
            f" {slot.timezone}{where}"
        )
    bio = [s if s.heading_path else replace(s, heading_path=("Bio",)) for s in body_sections]
    return [Section("\n".join(lines), (expert.name,)), *bio]
