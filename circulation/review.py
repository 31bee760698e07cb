"""Keeping knowledge true: each document's standing, "Still accurate", "Outdated", the queue.

A document's standing joins what its fields say (index/lifecycle.py: owner, review dates,
successor, obsolete) with what people recorded in the state store: the latest "Still
accurate" counts as a review until the next interval, and an "Outdated" since then puts the
document in the queue. Everything reads through the door, so the queue, its counts, the
digest section and an owner's feed hold only documents the viewer may see.

The queue lists, grouped by owner: reviews overdue or due within `review_due_days`,
documents flagged outdated, and documents marked superseded with no successor to link to.
A superseded or obsolete document is retired: nobody is asked to review it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from circulation import atom
from circulation.state import ReviewRecord, StateStore
from index import lifecycle
from index.access import Viewer, group_name
from index.archive import Archive
from index.errors import HindsightError
from index.lifecycle import Confirmation, Currency, ReviewDates, ReviewState
from index.models import Document, SearchHit
from index.people import Person

Reason = Literal["overdue", "outdated", "superseded", "due"]
REASONS: tuple[Reason, ...] = ("overdue", "outdated", "superseded", "due")  # most pressing first
REASON_LABELS: dict[Reason, str] = {
    "overdue": "Review overdue",
    "outdated": "Flagged outdated",
    "superseded": "Superseded, no successor linked",
    "due": "Review due soon",
}
ACCURATE, OUTDATED = "accurate", "outdated"
NO_OWNER = "No owner"


class ReviewRefused(HindsightError):
    """The viewer may not record this review (not the owner, nor an editor)."""


@dataclass(frozen=True)
class Flag:
    """An "Outdated" someone gave a document since its last review."""

    name: str
    at: dt.datetime
    note: str = ""


@dataclass(frozen=True)
class Standing:
    """What a document's page says about whether it is still true."""

    doc: Document
    owner: Person | None
    dates: ReviewDates
    state: ReviewState
    currency: Currency
    flags: tuple[Flag, ...]

    @property
    def reasons(self) -> tuple[Reason, ...]:
        """Why the document is in the review queue (none: it is not)."""
        found: list[Reason] = []
        if not self.currency.retired and self.state in ("overdue", "due"):
            found.append(self.state)  # type: ignore[arg-type]
        if self.flags and not self.currency.retired:
            found.append("outdated")
        if self.currency.superseded and not self.currency.superseded_by:
            found.append("superseded")
        return tuple(r for r in REASONS if r in found)

    @property
    def owner_name(self) -> str:
        return self.owner.name if self.owner else self.dates.owner


@dataclass(frozen=True)
class QueueItem:
    """One document in the review queue, with the reasons it is there."""

    standing: Standing
    today: dt.date
    due_days: int = 30  # how early a coming review is listed

    @property
    def doc(self) -> Document:
        return self.standing.doc

    @property
    def reasons(self) -> tuple[Reason, ...]:
        return self.standing.reasons

    @property
    def reason(self) -> Reason:
        return self.reasons[0]

    @property
    def owner_key(self) -> str | None:
        return self.standing.owner.key if self.standing.owner else None

    @property
    def detail(self) -> str:
        return describe(self.standing, self.today)

    def to_json(self, portal_url: str) -> dict[str, Any]:
        s = self.standing
        return {
            "doc_id": s.doc.doc_id,
            "title": s.doc.title,
            "kind": s.doc.kind,
            "path": s.doc.path,
            "owner": s.owner_name or None,
            "owner_key": self.owner_key,
            "review_by": _iso(s.dates.review_by),
            "reason": self.reason,
            "reasons": list(self.reasons),
            "detail": self.detail,
            "last_reviewed": _iso(s.dates.last_reviewed),
            "reviewed_by": s.dates.reviewed_by or None,
            "flags": [{"name": f.name, "at": f.at.isoformat(), "note": f.note} for f in s.flags],
            "url": atom.document_url(portal_url, s.doc),
        }


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


# -- the feedback behind "Outdated" ---------------------------------------------------------
# Until general feedback (circulation/feedback.py) exists, "Outdated" is a review record of its
# own; these two functions are the only ones that know, so they alone are re-pointed.


def flag_outdated(
    store: StateStore, doc_id: str, viewer: Viewer, note: str = "", now: dt.datetime | None = None
) -> None:
    """Record VIEWER's "Outdated" on DOC_ID (the caller has checked they may see it)."""
    store.record_review(
        doc_id,
        person_key=viewer.person_key or "anonymous",
        name=viewer.name,
        verdict=OUTDATED,
        note=note[:2000],
        now=now,
    )


def outdated_flags(records: Iterable[ReviewRecord]) -> dict[str, list[Flag]]:
    """Per document, its "Outdated" flags, oldest first."""
    out: dict[str, list[Flag]] = {}
    for r in records:
        if r.verdict == OUTDATED:
            out.setdefault(r.doc_id, []).append(Flag(r.name, r.at, r.note))
    return out


# -- standing -------------------------------------------------------------------------------


class Records:
    """The state store's reviews, read once for many documents."""

    def __init__(self, records: Iterable[ReviewRecord]) -> None:
        self.confirmed: dict[str, Confirmation] = {}
        listed = list(records)
        for r in listed:
            if r.verdict == ACCURATE:
                self.confirmed[r.doc_id] = Confirmation(r.name, r.at)  # oldest first: last wins
        self.flags = outdated_flags(listed)

    @classmethod
    def read(cls, store: StateStore, doc_ids: list[str] | None = None) -> Records:
        return cls(store.reviews(doc_ids))

    def open_flags(self, doc_id: str) -> tuple[Flag, ...]:
        """The "Outdated" flags given since the document was last confirmed."""
        since = self.confirmed.get(doc_id)
        flags = self.flags.get(doc_id, [])
        return tuple(f for f in flags if since is None or f.at > since.at)


def standing(
    archive: Archive, doc: Document, records: Records, today: dt.date | None = None
) -> Standing:
    """DOC's standing for the archive's viewer (DOC as the door handed it over)."""
    today = today or dt.date.today()
    policy = archive.review_policy
    dates = lifecycle.review_dates(doc, policy, records.confirmed.get(doc.doc_id))
    owner = archive.who(dates.owner) if dates.owner else None
    return Standing(
        doc=doc,
        owner=owner,
        dates=dates,
        state=dates.state(today, policy.due_days),
        currency=lifecycle.currency(doc.metadata),
        flags=records.open_flags(doc.doc_id),
    )


def with_reviews(archive: Archive, hits: list[SearchHit], records: Records) -> list[SearchHit]:
    """HITS with each `review_by` moved on by a "Still accurate" recorded since (the door knows
    only what the documents' fields say)."""
    out = []
    for hit in hits:
        confirmed = records.confirmed.get(hit.doc_id)
        if confirmed is not None:
            doc = Document(hit.doc_id, hit.kind, hit.title, hit.path, hit.date, hit.metadata)
            dates = lifecycle.review_dates(doc, archive.review_policy, confirmed)
            hit = replace(hit, review_by=dates.review_by)
        out.append(hit)
    return out


def standing_of(
    archive: Archive, store: StateStore, doc_id: str, today: dt.date | None = None
) -> Standing | None:
    """The standing of the visible document DOC_ID (None: missing or not visible, alike)."""
    doc = archive.document(doc_id)
    if doc is None:
        return None
    return standing(archive, doc, Records.read(store, [doc.doc_id]), today)


# -- the queue ------------------------------------------------------------------------------


def queue(
    archive: Archive,
    store: StateStore,
    *,
    today: dt.date | None = None,
    overdue_only: bool = False,
    owners: Sequence[str] = (),
) -> list[QueueItem]:
    """Visible documents that need a look, most pressing first.

    OVERDUE_ONLY keeps those past their review date; OWNERS (names, e-mails or handles,
    resolved like every person) keep those people's documents.
    """
    today = today or dt.date.today()
    records = Records.read(store)
    wanted = {p.key for p in map(archive.who, owners) if p is not None}
    items: list[QueueItem] = []
    for doc in archive.documents():
        found = standing(archive, doc, records, today)
        reasons = found.reasons
        if not reasons or (overdue_only and "overdue" not in reasons):
            continue
        if owners and (found.owner is None or found.owner.key not in wanted):
            continue
        items.append(QueueItem(found, today, archive.review_policy.due_days))
    far = dt.date.max
    items.sort(
        key=lambda i: (REASONS.index(i.reason), i.standing.dates.review_by or far, i.doc.title)
    )
    return items


def by_owner(items: Iterable[QueueItem]) -> list[tuple[str, list[QueueItem]]]:
    """ITEMS grouped by owner (by name; documents without an owner last), order kept."""
    groups: dict[str, tuple[str, list[QueueItem]]] = {}
    for item in items:
        key = item.owner_key or ""
        name = item.standing.owner_name or NO_OWNER
        groups.setdefault(key, (name, []))[1].append(item)
    named = sorted((v for k, v in groups.items() if k), key=lambda g: g[0].casefold())
    return named + ([groups[""]] if "" in groups else [])


# -- "Still accurate" -------------------------------------------------------------------------


def may_confirm(archive: Archive, doc: Document, editors_group: str = "") -> bool:
    """Whether the viewer may mark DOC "Still accurate": its owner, a member of the editors
    group, an admin, or the operator at this machine (auth none, the command line)."""
    viewer = archive.viewer
    if viewer.sees_everything or viewer.operator:
        return True
    if editors_group and group_name(editors_group) in viewer.groups:
        return True
    owner_raw = lifecycle.review_dates(doc, archive.review_policy).owner
    owner = archive.who(owner_raw) if owner_raw else None
    if owner is None:
        return False
    me = [archive.who(x) for x in (viewer.email, viewer.name) if x]
    return any(p is not None and p.key == owner.key for p in me)


def confirm(
    archive: Archive,
    store: StateStore,
    doc_id: str,
    *,
    editors_group: str = "",
    now: dt.datetime | None = None,
) -> Standing:
    """Record the viewer's "Still accurate" on DOC_ID: it counts as reviewed until the next
    interval, and clears the "Outdated" flags given before it.

    Raises:
        ReviewRefused: the document is not visible, or the viewer is not its owner or an editor.
    """
    doc = archive.document(doc_id)
    if doc is None or not may_confirm(archive, doc, editors_group):
        raise ReviewRefused("Only the document's owner or an editor can confirm it is accurate.")
    viewer = archive.viewer
    me = archive.who(viewer.email or viewer.name) if (viewer.email or viewer.name) else None
    store.record_review(
        doc.doc_id,
        person_key=viewer.person_key or "operator",
        name=me.name if me else viewer.name,
        verdict=ACCURATE,
        now=now,
    )
    found = standing_of(archive, store, doc.doc_id, (now or dt.datetime.now()).date())
    assert found is not None  # visible a moment ago, and a snapshot never changes
    return found


def outdated(
    archive: Archive,
    store: StateStore,
    doc_id: str,
    note: str = "",
    *,
    now: dt.datetime | None = None,
) -> bool:
    """The viewer's "Outdated" on DOC_ID (any reader may give one); False when not visible."""
    if archive.document(doc_id) is None:
        return False
    flag_outdated(store, doc_id, archive.viewer, note, now)
    return True


# -- words ----------------------------------------------------------------------------------


def ago(days: int) -> str:
    """A span of DAYS in words: 'today', '5 days', '3 weeks', '14 months', '3 years'."""
    days = abs(days)
    if days == 0:
        return "today"
    if days < 14:
        return f"{days} day{'s' if days != 1 else ''}"
    if days < 60:
        return f"{days // 7} weeks"
    if days < 730:
        return f"{round(days / 30.44)} months"
    return f"{days // 365} years"


def _when(day: dt.date, today: dt.date) -> str:
    delta = (day - today).days
    if delta == 0:
        return "today"
    return f"in {ago(delta)}" if delta > 0 else f"{ago(delta)} ago"


def last_reviewed(standing: Standing, today: dt.date) -> str:
    """'last reviewed 14 months ago by Hana Sato' (or '' when it never was)."""
    dates = standing.dates
    if dates.last_reviewed is None:
        return ""
    who = f" by {dates.reviewed_by}" if dates.reviewed_by else ""
    return f"last reviewed {_when(dates.last_reviewed, today)}{who}"


def describe(standing: Standing, today: dt.date) -> str:
    """Why STANDING is in the queue, in one sentence."""
    parts: list[str] = []
    dates = standing.dates
    for reason in standing.reasons:
        if reason in ("overdue", "due") and dates.review_by:
            verb = "was due" if reason == "overdue" else "due"
            parts.append(
                f"review {verb} {dates.review_by:%d %b %Y} ({_when(dates.review_by, today)})"
            )
        elif reason == "outdated":
            latest = standing.flags[-1]
            who = f" by {latest.name}" if latest.name else ""
            note = f": “{latest.note}”" if latest.note else ""
            more = f" (+{len(standing.flags) - 1} more)" if len(standing.flags) > 1 else ""
            parts.append(f"flagged outdated{who} {_when(latest.at.date(), today)}{note}{more}")
        elif reason == "superseded":
            parts.append("marked superseded, but no successor is linked")
    said = last_reviewed(standing, today)
    if said and ("overdue" in standing.reasons or "due" in standing.reasons):
        parts.append(said)
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


# -- the owner's feed -------------------------------------------------------------------------


def entered(item: QueueItem) -> dt.datetime:
    """When ITEM entered the queue for its main reason (a feed entry's `updated`)."""
    s = item.standing
    if item.reason == "outdated" and s.flags:
        return s.flags[-1].at
    day = s.dates.review_by or s.doc.date or item.today
    if item.reason == "due" and s.dates.review_by:
        day = s.dates.review_by - dt.timedelta(days=item.due_days)
    return dt.datetime.combine(day, dt.time())


def atom_entries(items: Iterable[QueueItem]) -> list[atom.Entry]:
    """ITEMS as Atom entries: each document once, noted with why it needs a look."""
    return [atom.Entry(i.doc, entered(i), note=i.detail) for i in items]
