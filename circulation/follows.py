"""Which documents a follow matches, always through the follower's Archive.

A follow is a facet set (kinds, services, teams, tags…) and/or a query. A query matches a
document when keyword search finds one of its words there: meaning-based search ranks every
document for every query, so it would make every follow match everything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from circulation.state import Follow
from index.archive import Archive
from index.catalog import DocumentChange
from index.kinds import kind_label

FEED_ENTRIES = 50
SINCE_EVER = dt.datetime(1970, 1, 1)


def matching(archive: Archive, follow: Follow, doc_ids: Sequence[str]) -> set[str]:
    """The documents among DOC_IDS that FOLLOW matches and the archive's viewer may see."""
    if not doc_ids:
        return set()
    filters = follow.filters.with_doc_ids(tuple(doc_ids))
    if follow.query:
        hits = archive.search(follow.query, filters, limit=len(doc_ids), mode="keyword")
        return {h.doc_id for h in hits}
    return {d.doc_id for d in archive.documents(filters)}


def matches_by_document(
    archive: Archive, follows: Iterable[Follow], doc_ids: Sequence[str]
) -> dict[str, tuple[Follow, ...]]:
    """For each of DOC_IDS, the follows that match it (documents no follow matches are left out)."""
    out: dict[str, list[Follow]] = {}
    for follow in follows:
        for doc_id in matching(archive, follow, doc_ids):
            out.setdefault(doc_id, []).append(follow)
    return {k: tuple(v) for k, v in out.items()}


def recent(archive: Archive, follow: Follow, *, limit: int = FEED_ENTRIES) -> list[DocumentChange]:
    """The latest-indexed visible documents FOLLOW matches: a feed's entries."""
    changes = archive.changes(SINCE_EVER, follow.filters)
    found = matching(archive, follow, [c.document.doc_id for c in changes])
    return [c for c in changes if c.document.doc_id in found][:limit]


def describe(
    query: str = "", kinds: Sequence[str] = (), facets: Iterable[tuple[str, Sequence[str]]] = ()
) -> str:
    """A label for a follow: “Incident · service: ledger-db · “replica lag””."""
    parts = [" or ".join(kind_label(k) for k in kinds)] if kinds else []
    parts += [f"{name}: {', '.join(values)}" for name, values in facets if values]
    if query.strip():
        parts.append(f"“{query.strip()}”")
    return " · ".join(parts) or "Everything"
