"""A follow's Atom feed, answered for the person its secret token names.

The feed server has no browser session, so the token stands for the person, and their
access is the groups their last portal visit carried (stored by the portal in the state
store). Every fetch reads the current snapshot through an Archive for that viewer, so a
document restricted since, or a group lost since the last visit… (see feed_groups_days),
never reaches the feed. A wrong token and someone else's follow answer alike: 404.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from circulation import atom, review
from circulation.follows import recent
from circulation.links import Links
from circulation.state import Person, StateStore
from index.access import Viewer
from index.archive import Archive
from index.settings import Settings


@dataclass(frozen=True)
class FeedAnswer:
    status: int
    content_type: str
    body: str


NOT_FOUND = FeedAnswer(404, "text/plain; charset=utf-8", "No such feed.\n")
STALE = FeedAnswer(
    403,
    "text/plain; charset=utf-8",
    "This feed's owner has not opened Hindsight for a while; their access is checked again "
    "at their next visit to the portal.\n",
)


def feed_path(token: str, follow_id: str) -> str:
    return f"/feeds/{token}/{follow_id}.atom"


def feed_url(settings: Settings, token: str, follow_id: str) -> str:
    """Where a reader subscribes to the feed: HINDSIGHT_FEEDS_URL, else the portal's host."""
    base = settings.feeds_url.rstrip("/")
    if not base:
        parts = urlsplit(settings.portal_url)
        base = f"{parts.scheme or 'http'}://{parts.hostname or 'localhost'}:{settings.feeds_port}"
    return base + feed_path(token, follow_id)


def _archive_of(
    person: Person,
    settings: Settings,
    archive_for: Callable[[Viewer], Archive],
    now: dt.datetime,
) -> Archive | FeedAnswer:
    """The archive as PERSON (a feed token's owner) may read it now, or 403 when their groups
    were last confirmed too long ago."""
    fresh = now - dt.timedelta(days=settings.feed_groups_days)
    if person.groups_seen_at is None or person.groups_seen_at < fresh:
        return STALE
    viewer = Viewer.of(person.name, groups=person.groups, admin_group=settings.admin_group)
    return archive_for(viewer)


def answer(
    store: StateStore,
    settings: Settings,
    archive_for: Callable[[Viewer], Archive],
    token: str,
    follow_id: str,
    *,
    self_url: str,
    now: dt.datetime | None = None,
) -> FeedAnswer:
    """The feed FOLLOW_ID as the owner of TOKEN may read it now."""
    now = now or dt.datetime.now()
    person = store.person_by_token(token)
    follow = store.get_follow(follow_id) if person else None
    if person is None or follow is None or follow.person_key != person.person_key:
        return NOT_FOUND
    archive = _archive_of(person, settings, archive_for, now)
    if isinstance(archive, FeedAnswer):
        return archive
    entries = [
        atom.Entry(c.document, c.indexed_at, c.first_indexed_at) for c in recent(archive, follow)
    ]
    body = atom.render(
        key=f"follow:{follow.follow_id}",
        title=f"Hindsight: {follow.label}",
        self_url=self_url,
        portal_url=settings.portal_url,
        entries=entries,
        now=now,
        alternate_url=Links(settings.portal_url).whats_new(),
    )
    return FeedAnswer(200, atom.CONTENT_TYPE, body)


REVIEW_FEED = "review"  # /feeds/<token>/review.atom: the token owner's review queue


def review_feed_url(settings: Settings, token: str) -> str:
    """Where an owner subscribes to their own review queue."""
    return feed_url(settings, token, REVIEW_FEED)


def answer_review(
    store: StateStore,
    settings: Settings,
    archive_for: Callable[[Viewer], Archive],
    token: str,
    *,
    self_url: str,
    now: dt.datetime | None = None,
) -> FeedAnswer:
    """The review queue of TOKEN's owner — documents they own that need a look — as they may
    read it now (the same checks as a follow's feed)."""
    now = now or dt.datetime.now()
    person = store.person_by_token(token)
    if person is None:
        return NOT_FOUND
    archive = _archive_of(person, settings, archive_for, now)
    if isinstance(archive, FeedAnswer):
        return archive
    mine = tuple(n for n in (person.name, person.person_key) if n)
    items = review.queue(archive, store, today=now.date(), owners=mine) if mine else []
    body = atom.render(
        key=f"review:{person.person_key}",
        title="Hindsight: your documents to review",
        self_url=self_url,
        portal_url=settings.portal_url,
        entries=review.atom_entries(items),
        now=now,
        alternate_url=Links(settings.portal_url).review(),
    )
    return FeedAnswer(200, atom.CONTENT_TYPE, body)
