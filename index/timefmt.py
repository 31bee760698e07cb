"""Timestamps as people read them, and dates as the indexes store them."""

from __future__ import annotations

import datetime as dt

EPOCH = dt.date(1970, 1, 1)


def day_number(date: dt.date | None) -> int | None:
    """DATE as days since 1970-01-01 (how the keyword index and chunk table compare dates)."""
    return None if date is None else (date - EPOCH).days


def clock(seconds: float) -> str:
    """12.5 -> '0:12', 3725 -> '1:02:05'."""
    total = int(seconds)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def stamp(moment: dt.datetime, *, seconds: bool = False) -> str:
    """MOMENT as '2026-11-01 09:00 CET': a naive time is this machine's local time, and the
    zone is always named, so a reader elsewhere knows what the clock means."""
    aware = moment if moment.tzinfo else moment.astimezone()
    shown = aware.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    name = aware.tzname() or ""
    if not name or name[0] in "+-":  # zones without an abbreviation: the offset says it
        offset = aware.strftime("%z")
        name = f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"
    return f"{shown} {name}"
