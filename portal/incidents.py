"""Incident records as a table and as a write-up: durations, severities, action items."""

from __future__ import annotations

from typing import Any

import pandas as pd

from index import fields
from index.fields import severity_rank
from index.models import Document
from index.trends import duration_minutes, resolve_minutes
from portal import ui

SORTS = {
    "newest": "Newest first",
    "oldest": "Oldest first",
    "severity": "Most severe first",
    "duration": "Longest first",
}
# Sections shown first, in this order; the rest follow as written.
LEAD_SECTIONS = ("summary", "impact", "root cause", "timeline")


def table(docs: list[Document]) -> pd.DataFrame:
    rows = []
    for d in docs:
        minutes = resolve_minutes(d)
        rows.append(
            {
                "doc_id": d.doc_id,
                "Date": pd.Timestamp(d.date) if d.date else pd.NaT,
                "Severity": ui.severity(d) or None,
                "Title": d.title,
                "Services": fields.raw_values(d.metadata, "services"),
                "Teams": fields.raw_values(d.metadata, "teams"),
                "Duration": human_duration(minutes) if minutes is not None else "",
                "_minutes": minutes,
                "Status": ui.field(d, "status") or None,
            }
        )
    columns = [
        "doc_id",
        "Date",
        "Severity",
        "Title",
        "Services",
        "Teams",
        "Duration",
        "Status",
        "_minutes",
    ]
    return pd.DataFrame(rows, columns=columns)


def sort(frame: pd.DataFrame, how: str) -> pd.DataFrame:
    if how == "oldest":
        return frame.sort_values("Date", na_position="last", kind="stable")
    if how == "severity":
        ranks = frame["Severity"].map(severity_rank)
        return (
            frame.assign(_r=ranks)
            .sort_values(["_r", "Date"], ascending=[True, False], kind="stable")
            .drop(columns="_r")
        )
    if how == "duration":
        return frame.sort_values("_minutes", ascending=False, na_position="last", kind="stable")
    return frame.sort_values("Date", ascending=False, na_position="last", kind="stable")


SEVERITY_STYLE = {
    "SEV1": "color: #c62828; font-weight: 600",
    "SEV2": "color: #e65100",
    "SEV3": "color: #8d6e00",
    "SEV4": "color: #616161",
}


def styled(frame: pd.DataFrame) -> Any:
    """The table with severities coloured like their chips."""
    return frame.style.map(lambda s: SEVERITY_STYLE.get(s or "", ""), subset=["Severity"])


def human_duration(value: object) -> str:
    minutes = duration_minutes(value)
    if minutes is None:
        return str(value) if value else "—"
    days, rest = divmod(int(round(minutes)), 1440)
    hours, mins = divmod(rest, 60)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{mins}m" if mins else ""]
    return " ".join(p for p in parts if p) or "0m"


def ordered_sections(body: str, title: str = "") -> list[tuple[str, str]]:
    """Body sections with summary, impact, root cause and timeline first (title heading out)."""
    parts = [
        (h, t)
        for h, t in ui.sections(body)
        if h and t and h.strip().lower() != title.strip().lower()
    ]
    lead = [
        next((p for p in parts if p[0].lower().startswith(name)), None) for name in LEAD_SECTIONS
    ]
    first = [p for p in lead if p is not None]
    return first + [p for p in parts if p not in first]
