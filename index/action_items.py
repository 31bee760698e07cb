"""Follow-through: every action item of the given post-mortems, in one list.

Items were parsed at ingest (front matter, task lists, tables) into the document's metadata;
this only flattens them, with the incident each came from. The caller passes only the
post-mortems the viewer may see.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from index.incidents import values
from index.models import Document

DONE = frozenset(
    {"done", "closed", "complete", "completed", "fixed", "resolved", "wontfix", "won't fix"}
)
CSV_COLUMNS = (
    "title",
    "owner",
    "status",
    "due",
    "overdue",
    "incident_id",
    "incident",
    "incident_date",
    "severity",
    "teams",
    "services",
)


@dataclass(frozen=True)
class ActionItem:
    """One promise made after an incident."""

    title: str
    owner: str
    status: str  # as written ("" when the write-up gives none)
    due: dt.date | None
    due_text: str  # as written, when it is not a date
    doc_id: str
    incident: str
    incident_date: dt.date | None
    severity: str
    teams: tuple[str, ...]
    services: tuple[str, ...]
    is_open: bool
    overdue: bool

    def row(self) -> dict[str, str]:
        return {
            "title": self.title,
            "owner": self.owner,
            "status": self.status or ("open" if self.is_open else "done"),
            "due": self.due.isoformat() if self.due else self.due_text,
            "overdue": "yes" if self.overdue else "",
            "incident_id": self.doc_id,
            "incident": self.incident,
            "incident_date": self.incident_date.isoformat() if self.incident_date else "",
            "severity": self.severity,
            "teams": ", ".join(self.teams),
            "services": ", ".join(self.services),
        }


@dataclass(frozen=True)
class ItemFilter:
    """What the action-items view narrows to (teams, services, severity filter the incidents)."""

    open_only: bool = False
    overdue_only: bool = False
    owners: tuple[str, ...] = ()


def is_open(status: object) -> bool:
    """True for an item not done; an item with no status is open (nobody said it was done)."""
    return str(status or "").strip().lower() not in DONE


def _date(raw: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(raw or "").strip()[:10])
    except ValueError:
        return None


def items_of(docs: Iterable[Document], today: dt.date) -> list[ActionItem]:
    """Every action item of DOCS: open first, overdue first among them, then by due date."""
    out = []
    for doc in docs:
        meta = doc.metadata
        for raw in meta.get("action_items") or []:
            if not isinstance(raw, dict) or not str(raw.get("title") or "").strip():
                continue
            status = str(raw.get("status") or "").strip()
            due = _date(raw.get("due"))
            open_ = is_open(status)
            out.append(
                ActionItem(
                    title=str(raw["title"]).strip(),
                    owner=str(raw.get("owner") or "").strip(),
                    status=status,
                    due=due,
                    due_text="" if due else str(raw.get("due") or ""),
                    doc_id=doc.doc_id,
                    incident=doc.title,
                    incident_date=doc.date,
                    severity=str(meta.get("severity") or "").strip().upper(),
                    teams=tuple(values(meta.get("teams"))),
                    services=tuple(values(meta.get("services"))),
                    is_open=open_,
                    overdue=open_ and due is not None and due < today,
                )
            )
    out.sort(key=lambda i: (not i.is_open, not i.overdue, i.due or dt.date.max, i.incident))
    return out


def select(items: Sequence[ActionItem], how: ItemFilter) -> list[ActionItem]:
    owners = {o.strip().lower() for o in how.owners if o.strip()}
    return [
        i
        for i in items
        if (not how.open_only or i.is_open)
        and (not how.overdue_only or i.overdue)
        and (not owners or i.owner.lower() in owners)
    ]


def open_count(doc: Document) -> tuple[int, int]:
    """(open items, all items) of one post-mortem."""
    items = [i for i in doc.metadata.get("action_items") or [] if isinstance(i, dict)]
    return sum(is_open(i.get("status")) for i in items), len(items)


def to_csv(items: Sequence[ActionItem]) -> str:
    """ITEMS as CSV; cells starting with = + - @ are quoted so a spreadsheet won't run them."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for item in items:
        writer.writerow({k: _cell(v) for k, v in item.row().items()})
    return buffer.getvalue()


def _cell(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
