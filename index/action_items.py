"""Follow-through: every action item of the given post-mortems, in one list.

Items were parsed at ingest (front matter, task lists, tables) into the document's metadata;
this only flattens them, with the incident each came from. The caller passes only the
post-mortems the viewer may see.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from index import fields
from index.models import Document
from index.people import Directory, Person, preferred

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
    owner: str  # the person's name as the directory knows them ("" when nobody is named)
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
    owner_key: str = ""  # one key per person, however the owner was written
    owner_written: str = ""  # as the write-up spells it (an e-mail, a handle, no accents…)
    closed: dt.date | None = None  # when it was finished, when the write-up says (`closed:`)

    @property
    def days_to_close(self) -> int | None:
        """Days from the incident to the item's close; None unless both dates are known."""
        if self.is_open or self.closed is None or self.incident_date is None:
            return None
        return max(0, (self.closed - self.incident_date).days)

    def row(self) -> dict[str, str]:
        return {
            "title": self.title,
            "owner": self.owner,
            "owner_key": self.owner_key,
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
    return not fields.is_done(status)


def _date(raw: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(raw or "").strip()[:10])
    except ValueError:
        return None


Resolve = Callable[[str], Person | None]


def _same_text(raw: str) -> Person | None:
    """Without a directory: people compared by their folded name (case and accents)."""
    return Directory(()).resolve(raw)


def items_of(
    docs: Iterable[Document], today: dt.date, resolve: Resolve | None = None
) -> list[ActionItem]:
    """Every action item of DOCS: open first, overdue first among them, then by due date.

    RESOLVE names each owner's person (index/people.py: a name, e-mail, alias, handle, with or
    without accents is one person), so an owner reads the same however it was written.
    """
    resolve = resolve or _same_text
    written: list[tuple[Document, dict[str, Any], Person | None]] = []
    for doc in docs:
        for raw in doc.metadata.get("action_items") or []:
            if isinstance(raw, dict) and str(raw.get("title") or "").strip():
                owner = str(raw.get("owner") or "").strip()
                written.append((doc, raw, resolve(owner) if owner else None))
    # Each person is shown by one spelling, chosen once every owner has been read: their
    # profile's name, else the most careful one ("Björn" over "Bjorn").
    shown: dict[str, Person] = {}
    for _, _, person in written:
        if person is not None and (
            person.key not in shown or preferred(person) > preferred(shown[person.key])
        ):
            shown[person.key] = person
    out = []
    for doc, raw, person in written:
        meta = doc.metadata
        status = str(raw.get("status") or "").strip()
        due = _date(raw.get("due"))
        open_ = is_open(status)
        out.append(
            ActionItem(
                title=str(raw["title"]).strip(),
                owner=shown[person.key].name if person else "",
                status=status,
                due=due,
                due_text="" if due else str(raw.get("due") or ""),
                doc_id=doc.doc_id,
                incident=doc.title,
                incident_date=doc.date,
                severity=fields.text(meta, "severity"),
                teams=tuple(fields.values(meta, "teams")),
                services=tuple(fields.values(meta, "services")),
                is_open=open_,
                overdue=open_ and due is not None and due < today,
                owner_key=person.key if person else "",
                owner_written=str(raw.get("owner") or "").strip(),
                closed=_date(raw.get("closed")),
            )
        )
    out.sort(key=lambda i: (not i.is_open, not i.overdue, i.due or dt.date.max, i.incident))
    return out


def select(
    items: Sequence[ActionItem], how: ItemFilter, resolve: Resolve | None = None
) -> list[ActionItem]:
    """ITEMS narrowed by HOW; owners asked for by any of their spellings (RESOLVE)."""
    resolve = resolve or _same_text
    owners = {p.key for p in map(resolve, (o for o in how.owners if o.strip())) if p}
    if how.owners and not owners:
        return []
    return [
        i
        for i in items
        if (not how.open_only or i.is_open)
        and (not how.overdue_only or i.overdue)
        and (not owners or i.owner_key in owners)
    ]


def open_count(doc: Document) -> tuple[int, int]:
    """(open items, all items) of one post-mortem."""
    items = [i for i in doc.metadata.get("action_items") or [] if isinstance(i, dict)]
    return sum(is_open(i.get("status")) for i in items), len(items)


def to_csv(items: Sequence[ActionItem]) -> str:
    """ITEMS as CSV; cells starting with = + - @ are quoted so a spreadsheet won't run them."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for item in items:
        writer.writerow({k: _cell(v) for k, v in item.row().items()})
    return buffer.getvalue()


def _cell(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
