"""Incident trends as plain rows for charts: per month by severity, by service and team, how
incidents were detected, how long they took, and recurring failure modes over time.

Counted over the documents given: the caller passes only what the viewer may see, under the
page's filters, so a bar never counts a restricted incident.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from index import fields
from index.models import Document
from index.recurrence import Cluster

_UNIT_MINUTES = {"w": 10080, "d": 1440, "h": 60, "m": 1, "min": 1, "s": 1 / 60}
# (label, upper bound in minutes): the buckets of the time-to-resolve chart, in order.
DURATION_BUCKETS = (
    ("< 30 min", 30.0),
    ("30 min – 1 h", 60.0),
    ("1 – 4 h", 240.0),
    ("4 – 24 h", 1440.0),
    ("1 – 7 days", 10080.0),
    ("> 7 days", float("inf")),
)
# How an incident was found, from the `detection` field's words (first match wins).
DETECTION = (
    ("customer", re.compile(r"customer|user|client|support|ticket|report|twitter|social", re.I)),
    ("alert", re.compile(r"alert|alarm|page|monitor|synthetic|probe|pager|slo|metric", re.I)),
    (
        "internal",
        re.compile(r"engineer|internal|staff|employee|notic|manual|team|audit|found|deploy", re.I),
    ),
)
UNKNOWN = "unknown"


def duration_minutes(value: object) -> float | None:
    """'47m' -> 47, '2h08m' -> 128, '1d3h' -> 1620, '90 minutes' -> 90; None if unreadable."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str):
        return None
    text = value.lower().replace("minutes", "min").replace("minute", "min")
    text = re.sub(r"hours?|hrs?", "h", text).replace("days", "d").replace("day", "d")
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*(min|w|d|h|m|s)", text)
    return sum(float(n) * _UNIT_MINUTES[unit] for n, unit in parts) if parts else None


def _moment(raw: object) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(str(raw or "").strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def resolve_minutes(doc: Document) -> float | None:
    """Time to resolve: `duration`, else `end_time` − `start_time`; None when neither is known."""
    minutes = duration_minutes(doc.metadata.get("duration"))
    if minutes is not None:
        return minutes
    start, end = _moment(doc.metadata.get("start_time")), _moment(doc.metadata.get("end_time"))
    if start and end and end >= start:
        return (end - start).total_seconds() / 60
    return None


def detection(doc: Document) -> str:
    text = str(doc.metadata.get("detection") or "").strip()
    if not text:
        return UNKNOWN
    return next((name for name, pattern in DETECTION if pattern.search(text)), "other")


def duration_bucket(minutes: float) -> str:
    return next(label for label, top in DURATION_BUCKETS if minutes < top)


def month(date: dt.date) -> str:
    return f"{date.year:04d}-{date.month:02d}"


@dataclass(frozen=True)
class Trends:
    """Rows for each chart; every count is of incidents (a bar's height)."""

    per_month: tuple[tuple[str, str, int], ...]  # (YYYY-MM, severity, incidents)
    by_service: tuple[tuple[str, int], ...]
    by_team: tuple[tuple[str, int], ...]
    detection: tuple[tuple[str, int], ...]
    durations: tuple[tuple[str, int], ...]  # (bucket, incidents), buckets in order
    recurring: tuple[tuple[str, str, int], ...]  # (YYYY-MM, cluster label, incidents)
    incidents: int
    undated: int
    without_duration: int


def trends(docs: Sequence[Document], clusters: Sequence[Cluster] = ()) -> Trends:
    """Chart rows over DOCS; CLUSTERS' members count only when they are among DOCS."""
    dated = [d for d in docs if d.date]
    per_month = Counter(
        (month(d.date), fields.text(d.metadata, "severity") or UNKNOWN.upper())
        for d in dated
        if d.date
    )
    services = Counter(s for d in docs for s in fields.values(d.metadata, "services"))
    teams = Counter(t for d in docs for t in fields.values(d.metadata, "teams"))
    found = Counter(detection(d) for d in docs)
    minutes = [m for m in map(resolve_minutes, docs) if m is not None]
    buckets = Counter(duration_bucket(m) for m in minutes)
    shown = {d.doc_id: d for d in docs}
    recurring = Counter(
        (month(member.date), cluster.label)
        for cluster in clusters
        for member in cluster.members
        if member.doc_id in shown and member.date
    )
    return Trends(
        per_month=tuple(sorted((m, s, n) for (m, s), n in per_month.items())),
        by_service=tuple(services.most_common()),
        by_team=tuple(teams.most_common()),
        detection=tuple(found.most_common()),
        durations=tuple((label, buckets[label]) for label, _ in DURATION_BUCKETS if buckets[label]),
        recurring=tuple(sorted((m, label, n) for (m, label), n in recurring.items())),
        incidents=len(docs),
        undated=len(docs) - len(dated),
        without_duration=len(docs) - len(minutes),
    )
