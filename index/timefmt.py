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
