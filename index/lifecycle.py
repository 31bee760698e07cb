"""Whether a document is still current: its successor, obsolescence, owner and review dates.

The fields are declared in index/fields.py: `superseded_by`, `superseded`, `obsolete`
(+ `obsolete_reason`), `owner`, `review_by`, `reviewed` (+ `reviewed_by`), `review_interval`.

- **Successors.** A document `superseded_by: <id>` names its successor only to a reader who may
  see that successor. For anyone else it reads exactly as if the successor were missing:
  `superseded: true` and no id (`unlinked`), so a restricted successor leaves no trace.
- **Ranking** (index/search.py): a superseded or obsolete document is demoted, and a successor
  that also matches the query is moved above what it replaces — never hidden.
- **Review.** A document is tracked once it names an owner or a review date. It is due by its
  `review_by`, or by its last review (`reviewed`, or a "Still accurate" recorded in the state
  store: circulation/review.py) plus its interval: its own `review_interval`, else its kind's
  (settings `review_days`; 0 means a review never falls due again).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from index import fields
from index.models import Document
from index.settings import DEFAULT_REVIEW_DAYS, Settings

ReviewState = Literal["overdue", "due", "current", "untracked"]
# Words that put a document in the catalog's short list of candidates (keys and aliases);
# each candidate is then read properly with the fields table.
MARK_WORDS = ("superseded", "replaced_by", "successor", "obsolete", "deprecat")
_INTERVAL = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(d|days?|w|wks?|weeks?|m|mos?|months?|y|yrs?|years?)?\s*$", re.I
)
_UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


# -- successors and obsolescence ------------------------------------------------------------


def successor_id(metadata: Mapping[str, Any]) -> str | None:
    """The id `superseded_by` names, as written (None when absent)."""
    found = fields.raw_values(metadata, "superseded_by")
    return found[0].strip() if found else None


@dataclass(frozen=True)
class Currency:
    """What a reader is told about a document's currency."""

    superseded_by: str | None = None  # a successor the reader may open
    superseded: bool = False  # replaced, whether or not a successor can be named
    obsolete: bool = False  # marked obsolete, or superseded with no successor to name
    reason: str = ""  # why it is obsolete ("superseded" when that is all we may say)

    @property
    def retired(self) -> bool:
        return self.superseded or self.obsolete


def currency(metadata: Mapping[str, Any]) -> Currency:
    """A stored document's currency as the door handed it over (see `unlinked`)."""
    successor = successor_id(metadata)
    superseded = bool(successor) or fields.flag(metadata, "superseded")
    marked = fields.flag(metadata, "obsolete")
    reason = fields.text(metadata, "obsolete_reason")
    if marked and not reason:
        said = fields.text(metadata, "obsolete")
        reason = "" if said.lower() in ("true", "yes", "y", "1", "on", "x") else said
    if superseded and not successor and not reason:
        reason = "superseded"
    return Currency(successor, superseded, marked or (superseded and not successor), reason)


def unlinked(doc: Document) -> Document:
    """DOC as read by someone who may not follow its successor: superseded, nothing named."""
    meta = {k: v for k, v in doc.metadata.items() if k not in _SUCCESSOR_KEYS}
    meta["superseded"] = True
    return replace(doc, metadata=meta)


def follow(docs: list[Document], visible: Callable[[str], bool]) -> list[Document]:
    """DOCS with every successor that is not VISIBLE (hidden, or missing) left unnamed."""
    out = []
    for doc in docs:
        named = successor_id(doc.metadata)
        out.append(unlinked(doc) if named and not visible(named) else doc)
    return out


_SUCCESSOR_KEYS = frozenset(
    {fields.BY_NAME["superseded_by"].name, *fields.BY_NAME["superseded_by"].aliases}
)


@dataclass(frozen=True)
class Mark:
    """A document ranking treats differently: its successor (if any) and that it is retired."""

    successor: str | None
    retired: bool


def marks(rows: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, Mark]:
    """Per document id, its mark; documents that are neither superseded nor obsolete are left out."""
    out: dict[str, Mark] = {}
    for doc_id, metadata in rows:
        found = currency(metadata)
        if found.retired:
            out[doc_id] = Mark(found.superseded_by, True)
    return out


# -- review dates -----------------------------------------------------------------------------


def interval_days(raw: str) -> int | None:
    """`90`, `90 days`, `12 weeks`, `6 months`, `1 year` → days; None when unreadable."""
    found = _INTERVAL.match(raw or "")
    if not found:
        return None
    unit = (found[2] or "d").lower()[0]
    return round(float(found[1]) * _UNIT_DAYS[unit])


@dataclass(frozen=True)
class ReviewPolicy:
    """How long a review counts, per kind, and how early a coming review is listed as due."""

    days: tuple[tuple[str, int], ...] = tuple(DEFAULT_REVIEW_DAYS.items())
    due_days: int = 30

    @classmethod
    def from_settings(cls, settings: Settings) -> ReviewPolicy:
        return cls(tuple(sorted(settings.review_days.items())), settings.review_due_days)

    def interval(self, doc: Document) -> int:
        """Days a review of DOC counts: its own `review_interval`, else its kind's (0: forever)."""
        own = interval_days(fields.text(doc.metadata, "review_interval"))
        return own if own is not None else dict(self.days).get(doc.kind, 0)


@dataclass(frozen=True)
class Confirmation:
    """A "Still accurate" recorded for a document: who and when."""

    name: str
    at: dt.datetime


@dataclass(frozen=True)
class ReviewDates:
    """When DOC was last reviewed, by whom, and when it is due next (None: never)."""

    owner: str  # as written ('' when nobody is named)
    last_reviewed: dt.date | None
    reviewed_by: str
    review_by: dt.date | None
    interval: int  # days (0: a review counts forever)

    @property
    def tracked(self) -> bool:
        return self.review_by is not None

    def state(self, today: dt.date, due_days: int) -> ReviewState:
        if self.review_by is None:
            return "untracked"
        if self.review_by < today:
            return "overdue"
        return "due" if (self.review_by - today).days <= due_days else "current"


def review_dates(
    doc: Document, policy: ReviewPolicy, confirmed: Confirmation | None = None
) -> ReviewDates:
    """DOC's review dates from its fields and its latest confirmation (if any).

    The next review is the latest of: the stated `review_by` (unless a confirmation answered
    it) and the last review (else the document's date) plus the interval. A document that names neither an owner nor a
    review date, and was never confirmed, is not tracked: nobody asked for its reviews.
    """
    meta = doc.metadata
    owner = next(iter(fields.raw_values(meta, "owner")), "")
    stated = fields.date(meta, "review_by")
    reviewed = fields.date(meta, "reviewed")
    reviewed_by = next(iter(fields.raw_values(meta, "reviewed_by")), "")
    confirmed_on = confirmed.at.date() if confirmed else None
    if confirmed and confirmed_on and (reviewed is None or confirmed_on >= reviewed):
        reviewed, reviewed_by = confirmed_on, confirmed.name
    interval = policy.interval(doc)
    if not (owner or stated or reviewed):
        return ReviewDates(owner, None, "", None, interval)
    due: list[dt.date] = []
    # A confirmation once the stated date is listed as due (or later) answers it.
    answered = stated and confirmed_on and confirmed_on >= stated - dt.timedelta(policy.due_days)
    if stated and not answered:
        due.append(stated)
    base = reviewed or doc.date
    if interval and base:
        due.append(base + dt.timedelta(days=interval))
    return ReviewDates(owner, reviewed, reviewed_by, max(due, default=None), interval)
