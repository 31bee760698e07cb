"""The events the coordination figures count, kept beside the search log and under its rules.

Nothing is kept when HINDSIGHT_SEARCH_LOG=off or HINDSIGHT_METRICS=off. Otherwise:

- per brief run by someone whose team is known: the time, the team, where it ran (portal or
  cli), a hash of the session (the CLI's: of the person or OS user), the person's key in the
  named log only, the ids of the incidents it showed (and whether each was opened afterwards
  from the same session), and for each other team's shared plan it showed, that team and the
  plan's groups. Never the plan: a plan that is not shared is stored only with a verdict its
  reader gives on a brief item (circulation/feedback.py).
- per document opened by someone whose team is known: the time, the session hash, the
  document's id and the team.

Rows older than HINDSIGHT_SEARCH_LOG_DAYS are deleted at every write, like the search log's.
"""

from __future__ import annotations

import datetime as dt
import getpass

from circulation.brief import Brief
from circulation.state import BriefEvent, StateStore, session_hash
from index.archive import Archive
from index.settings import Settings


def recording(settings: Settings) -> bool:
    return settings.search_log != "off" and settings.metrics


def cli_session(person: str | None = None) -> str:
    """The CLI's stand-in for a browser session: the person it runs for, else the OS user."""
    try:
        user = person or getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        user = "unknown"
    return f"cli:{' '.join(user.split()).lower()}"


def log_brief(
    store: StateStore,
    settings: Settings,
    archive: Archive,
    brief: Brief,
    *,
    team: str,
    session: str,
    source: str,
    now: dt.datetime | None = None,
) -> int | None:
    """Keep that BRIEF was run by TEAM; its id (None: not kept — log off, or no team)."""
    team = " ".join(team.split())
    if not recording(settings) or not team:
        return None
    now = now or dt.datetime.now()
    asker = archive.viewer.person_key or None if settings.search_log == "named" else None
    brief_id = store.log_brief(
        BriefEvent(
            at=now,
            team=team,
            source=source,
            session=session_hash(session),
            asker=asker,
            incidents=tuple(i.doc.doc_id for i in brief.incidents),
            matches=tuple((r.team, r.audience) for r in brief.related_plans),
        )
    )
    store.purge(now - dt.timedelta(days=settings.search_log_days))
    return brief_id


def log_document_open(
    store: StateStore,
    settings: Settings,
    *,
    doc_id: str,
    team: str,
    session: str,
    brief_id: int | None = None,
    now: dt.datetime | None = None,
) -> bool:
    """DOC_ID was opened in SESSION by someone of TEAM (after brief BRIEF_ID, when given)."""
    if not recording(settings) or not doc_id:
        return False
    if brief_id:
        store.mark_brief_incident_opened(brief_id, doc_id)
    if team.strip():
        store.log_document_open(
            doc_id=doc_id,
            team=" ".join(team.split()),
            session=session_hash(session),
            now=now or dt.datetime.now(),
        )
    return True
