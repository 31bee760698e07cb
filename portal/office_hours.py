"""Office hours as a reader sees them: in their timezone, how soon, and whether it is a sensible
hour for them; and the timezone picker (common zones with their offsets first, no aliases)."""

from __future__ import annotations

import datetime as dt
from functools import cache
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

import streamlit as st

from index.experts import Occurrence, upcoming
from index.models import Expert
from portal import safe

# The reader's working day, in their own zone: a slot outside it is flagged, not hidden.
WORKDAY = (dt.time(9, 0), dt.time(18, 0))
# Zones most readers are in, listed first (by UTC offset); every other one follows by name.
COMMON = (
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Sao_Paulo",
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Madrid",
    "Europe/Stockholm",
    "Africa/Lagos",
    "Europe/Helsinki",
    "Africa/Johannesburg",
    "Europe/Istanbul",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
)


def viewer_zone(requested: str | None = None) -> str:
    """REQUESTED when it is a zone, else the browser's, else UTC."""
    for name in (requested, st.context.timezone):
        if name and valid(name):
            return name
    return "UTC"


def valid(name: str) -> bool:
    return name in _all_zones()


@cache
def _all_zones() -> frozenset[str]:
    return frozenset(available_timezones())


@cache
def canonical_zones() -> tuple[str, ...]:
    """Current zone names (zone.tab, as the tz database lists them by country), without the
    old aliases that `available_timezones()` also returns (Africa/Asmera, Asia/Calcutta)."""
    text = ""
    try:
        text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text()
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        system = Path("/usr/share/zoneinfo/zone.tab")
        text = system.read_text() if system.exists() else ""
    names = {
        line.split("\t")[2].strip()
        for line in text.splitlines()
        if line and not line.startswith("#") and line.count("\t") >= 2
    }
    names = {n for n in names if n in _all_zones()} or {
        z for z in _all_zones() if "/" in z and not z.startswith("Etc/")
    }
    return tuple(sorted(names | {"UTC"}))


def offset(name: str, now: dt.datetime | None = None) -> str:
    """'UTC+05:30' for NAME now (daylight saving included)."""
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo(name))
    raw = moment.strftime("%z") or "+0000"
    return f"UTC{raw[:3]}:{raw[3:]}"


def zone_options(*keep: str) -> list[str]:
    """The picker's zones: common ones first (by offset), then every other one by name; zones
    in KEEP (the reader's own, one from a link) are included even when they are aliases."""
    now = dt.datetime.now(dt.UTC)
    common = sorted(
        (z for z in COMMON if valid(z)),
        key=lambda z: (now.astimezone(ZoneInfo(z)).utcoffset() or dt.timedelta(), z),
    )
    rest = [z for z in canonical_zones() if z not in common]
    extra = [z for z in keep if z and valid(z) and z not in common and z not in rest]
    return [*common, *extra, *rest]


def zone_label(name: str) -> str:
    return f"({offset(name)}) {name.replace('_', ' ')}"


def when(o: Occurrence) -> str:
    """'Tue 14 Jan, 16:00–17:00' in the viewer's zone."""
    start, end = o.viewer_start, o.viewer_end
    return f"{start:%a %d %b}, {start:%H:%M}–{end:%H:%M}"


def relative(moment: dt.datetime, now: dt.datetime) -> str:
    hours = (moment - now).total_seconds() / 3600
    if hours < 1:
        return "within the hour"
    if hours < 24:
        return f"in {int(hours)} hour{'s' if int(hours) != 1 else ''}"
    days = round(hours / 24)
    return "tomorrow" if days == 1 else f"in {days} days"


def outside_workday(o: Occurrence) -> bool:
    """True when the slot falls on the viewer's weekend or outside 09:00–18:00 their time."""
    start, end = o.viewer_start, o.viewer_end
    if start.weekday() >= 5:
        return True
    same_day = end.date() == start.date()
    return start.time() < WORKDAY[0] or not same_day or end.time() > WORKDAY[1]


def outside_note(o: Occurrence) -> str:
    """The flag shown beside a slot outside the viewer's working day ('' inside it)."""
    if not outside_workday(o):
        return ""
    why = "your weekend" if o.viewer_start.weekday() >= 5 else "outside 09:00–18:00 your time"
    return f":orange-badge[:material/bedtime: {why}]"


def next_line(expert: Expert, now: dt.datetime, tz: str, *, detail: bool = True) -> str | None:
    """'Next office hours: Tue 14 Jan, 16:00–17:00 Europe/Berlin · in 3 days' (Markdown), or
    None when they hold none."""
    found = upcoming(expert, now, tz)
    if not found:
        return None
    nxt = found[0]
    line = (
        f":material/event: **Next office hours: {when(nxt)}** {safe.text(tz)} "
        f"· {relative(nxt.start, now)}"
    )
    note = outside_note(nxt)
    if note:
        line += f" {note}"
    if detail:
        own = f"{nxt.start:%a %H:%M} {nxt.slot.timezone}"
        where = f" · :material/location_on: {safe.text(nxt.slot.where)}" if nxt.slot.where else ""
        line += f"  \n:gray[{safe.text(own)} for them{where}]"
    return line
