"""Timestamps as people read them."""

from __future__ import annotations


def clock(seconds: float) -> str:
    """12.5 -> '0:12', 3725 -> '1:02:05'."""
    total = int(seconds)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
