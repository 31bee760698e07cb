"""The search log behind the Gaps page: what is kept depends on HINDSIGHT_SEARCH_LOG.

- off: nothing.
- anonymous (default): the query, the time, a hash of the browser session (to count distinct
  askers and to tie a document opened afterwards to the search) and two booleans: whether a
  document the asker may see matches the query (clears the relevance floor), and whether only
  documents they may not see do. No name, e-mail or groups.
- named: the same plus the person's key (e-mail or name).

Rows older than HINDSIGHT_SEARCH_LOG_DAYS are deleted at every write.
"""

from __future__ import annotations

import datetime as dt

from circulation.state import StateStore, session_hash
from index.archive import Archive
from index.settings import Settings

MAX_QUERY_CHARS = 300


def normalise(query: str) -> str:
    return " ".join(query.split())[:MAX_QUERY_CHARS]


def log_search(
    store: StateStore,
    settings: Settings,
    archive: Archive,
    query: str,
    session: str,
    *,
    now: dt.datetime | None = None,
    team: str = "",
) -> bool:
    """Log QUERY as the archive's viewer asked it; False when the log is off or it is empty.

    TEAM, the asker's team when known, is kept only while the coordination figures are on.
    """
    text = normalise(query)
    if settings.search_log == "off" or not text:
        return False
    now = now or dt.datetime.now()
    # Answered: a document the asker may see clears the relevance floor (not merely uses a
    # word of it: "promote a replica" is answered, "replica of the office plant" is not), as
    # search shows it: a typo it corrected and answered is answered.
    matched = bool(archive.find(text).matches)
    # Whether only restricted documents answer it: decides the gap's category, never shown.
    hidden = not matched and archive.only_hidden_answer(text)
    asker = archive.viewer.person_key or None if settings.search_log == "named" else None
    store.log_search(
        query=text,
        session=session_hash(session),
        asker=asker,
        matched=matched,
        hidden=hidden,
        now=now,
        team=team if settings.metrics else "",
    )
    store.purge(now - dt.timedelta(days=settings.search_log_days))
    return True


def log_open(
    store: StateStore, settings: Settings, session: str, *, now: dt.datetime | None = None
) -> bool:
    """A document was opened in SESSION: the search before it found something useful."""
    if settings.search_log == "off":
        return False
    store.log_open(session=session_hash(session), now=now or dt.datetime.now())
    return True
