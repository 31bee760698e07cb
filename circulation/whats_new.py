"""What is new or changed since a moment, grouped by kind, with what the viewer follows.

Everything comes through the viewer's Archive, so a restricted document is neither listed nor
counted. Other producers (recurrence clusters, being built elsewhere) plug in through
`EXTRA_SOURCES` without this module knowing them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from circulation.follows import matches_by_document
from circulation.state import Follow
from index.archive import Archive
from index.catalog import DocumentChange
from index.kinds import KINDS, kind_label
from index.models import Document

DEFAULT_DAYS = 7  # a first visit (or no identity) looks this far back


@dataclass(frozen=True)
class NewItem:
    document: Document  # without its body
    status: Literal["new", "changed"]
    at: dt.datetime  # when it was (re)indexed
    follows: tuple[Follow, ...] = ()  # the viewer's follows that match it


@dataclass(frozen=True)
class KindGroup:
    kind: str
    label: str
    items: tuple[NewItem, ...]

    @property
    def new(self) -> int:
        return sum(i.status == "new" for i in self.items)

    @property
    def changed(self) -> int:
        return sum(i.status == "changed" for i in self.items)


@dataclass(frozen=True)
class ExtraSection:
    """A section another producer adds (e.g. "New recurrences"): a title and linked items."""

    title: str
    items: tuple[tuple[str, str], ...]  # (label, doc id to link, or '')


@dataclass(frozen=True)
class WhatsNew:
    since: dt.datetime
    groups: tuple[KindGroup, ...]
    extra: tuple[ExtraSection, ...] = ()

    @property
    def items(self) -> list[NewItem]:
        return sorted((i for g in self.groups for i in g.items), key=lambda i: i.at, reverse=True)

    @property
    def followed(self) -> list[NewItem]:
        """Items a follow matches, latest first."""
        return [i for i in self.items if i.follows]

    @property
    def total(self) -> int:
        return sum(len(g.items) for g in self.groups)


# Hook for other producers: each is called with the viewer's Archive and the moment, and must
# read only through that Archive. Recurrence clusters register here when they exist.
ExtraSource = Callable[[Archive, dt.datetime], Sequence[ExtraSection]]
OWN_PROBLEMS = "Your files that did not make it into the index"


def own_problems(archive: Archive, since: dt.datetime) -> list[ExtraSection]:
    """The viewer's own files that failed or were skipped, whenever that happened: until the
    file is fixed, its owner hears of it in every digest (Archive.own_problems)."""
    items = tuple(
        (
            f"{f.path}{f':{f.line}' if f.line else ''} ({f.state}): {f.reason or 'no reason given'}",
            "",
        )
        for f in archive.own_problems()
    )
    return [ExtraSection(OWN_PROBLEMS, items)] if items else []


EXTRA_SOURCES: list[ExtraSource] = [own_problems]


def default_since(now: dt.datetime | None = None) -> dt.datetime:
    return (now or dt.datetime.now()) - dt.timedelta(days=DEFAULT_DAYS)


def whats_new(
    archive: Archive,
    since: dt.datetime,
    follows: Iterable[Follow] = (),
    *,
    only_followed: bool = False,
) -> WhatsNew:
    """New and changed documents the viewer may see since SINCE, grouped by kind."""
    changes = archive.changes(since)
    matched = matches_by_document(archive, follows, [c.document.doc_id for c in changes])
    items = [_item(c, since, matched.get(c.document.doc_id, ())) for c in changes]
    if only_followed:
        items = [i for i in items if i.follows]
    order = {k: n for n, k in enumerate(KINDS)}
    kinds = sorted({i.document.kind for i in items}, key=lambda k: (order.get(k, len(order)), k))
    groups = tuple(
        KindGroup(k, kind_label(k), tuple(i for i in items if i.document.kind == k)) for k in kinds
    )
    extra = tuple(s for source in EXTRA_SOURCES for s in source(archive, since))
    return WhatsNew(since=since, groups=groups, extra=extra)


def _item(change: DocumentChange, since: dt.datetime, follows: tuple[Follow, ...]) -> NewItem:
    status: Literal["new", "changed"] = "new" if change.is_new(since) else "changed"
    return NewItem(change.document, status, change.indexed_at, follows)
