"""The portal's hooks into circulation: visits, the search log and document opens.

Each is one call from a page (or app.py); all state goes to the state store
(circulation.state) through index functions. Failures here never break a page: the
store is a convenience, the archive is the product.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import uuid
from typing import Any

import streamlit as st

from circulation import activity, search_log, teams
from circulation.brief import Brief
from circulation.state import StateStore, Visit
from index.access import Viewer
from index.archive import Archive
from portal import auth, resources

log = logging.getLogger(__name__)
SESSION_KEY = "_hindsight.session"
SEEN_KEY = "_hindsight.seen_at"
SEEN_EVERY = dt.timedelta(seconds=60)  # a page view refreshes the visit at most this often


def store() -> StateStore:
    return StateStore(resources.settings().data_dir)


def session_id() -> str:
    """A random id for this browser session (never derived from the person)."""
    if SESSION_KEY not in st.session_state:
        st.session_state[SESSION_KEY] = uuid.uuid4().hex
    return str(st.session_state[SESSION_KEY])


def record_visit() -> Visit | None:
    """Move the viewer's visit on and keep the groups they carry now (the feed server's view)."""
    settings = resources.settings()
    viewer = auth.current_viewer(settings)
    if not viewer.person_key or resources.current_version(settings.data_dir) is None:
        return None  # no index yet: nothing to be new, and no state file in a stray folder
    now = dt.datetime.now()
    last = st.session_state.get(SEEN_KEY)
    if isinstance(last, dt.datetime) and now - last < SEEN_EVERY:
        return None
    try:
        visit = store().record_visit(
            viewer.person_key, name=viewer.name, groups=tuple(sorted(viewer.groups)), now=now
        )
    except sqlite3.Error as exc:
        log.warning("could not record the visit: %s", exc)
        return None
    st.session_state[SEEN_KEY] = now
    return visit


def log_search(archive: Archive, query: str) -> None:
    """Log QUERY once per session when it changes (pages re-run on every click)."""
    key = "_hindsight.logged_query"
    text = search_log.normalise(query)
    if not text or st.session_state.get(key) == text:
        return
    st.session_state[key] = text
    try:
        search_log.log_search(
            store(), resources.settings(), archive, text, session_id(), team=viewer_team(archive)
        )
    except sqlite3.Error as exc:
        log.warning("could not log the search: %s", exc)


def record_open(doc_id: str | None) -> None:
    """A document was opened: the search before it found something (once per document)."""
    key = "_hindsight.opened"
    opened = st.session_state.setdefault(key, set())
    if not doc_id or doc_id in opened:
        return
    opened.add(doc_id)
    try:
        search_log.log_open(store(), resources.settings(), session_id())
    except sqlite3.Error as exc:
        log.warning("could not record the open: %s", exc)
    _record_document_open(doc_id)


def may_see_gaps(viewer: Viewer) -> bool:
    """The Gaps page is for the configured group (and admins) only."""
    group = resources.settings().gaps_group.strip().lower()
    return viewer.sees_everything or (bool(group) and group in viewer.groups)


def gaps_pages() -> list[Any]:
    """The Gaps page, listed only for those who may see it (the page checks again)."""
    viewer = auth.current_viewer(resources.settings())
    if not may_see_gaps(viewer):
        return []
    return [
        st.Page(
            "portal/pages/gaps.py",
            title="Knowledge gaps",
            icon=":material/help_center:",
            url_path="gaps",
        )
    ]


# -- issue 26: the viewer's team, briefs and opens for the coordination figures -------------

TEAM_KEY = "_hindsight.team"
BRIEF_KEY = "_hindsight.brief"  # (brief id, incident ids) of the last brief logged here


def viewer_team(archive: Archive) -> str:
    """The viewer's team (their profile's, else their one group naming a team); '' unknown."""
    found = team_of(archive)
    return found.team if found else ""


def team_of(archive: Archive) -> teams.TeamOf | None:
    """circulation.teams.of_viewer, once per session and viewer."""
    cached = st.session_state.get(TEAM_KEY)
    key = (archive.viewer.person_key, archive.viewer.access_key, archive.version)
    if isinstance(cached, tuple) and cached[0] == key:
        return cached[1]  # type: ignore[no-any-return]
    found = teams.of_viewer(archive)
    st.session_state[TEAM_KEY] = (key, found)
    return found


def log_brief(archive: Archive, brief: Brief, team: str, token: str) -> None:
    """Count this brief once per session and plan (pages re-run on every click)."""
    logged = st.session_state.setdefault("_hindsight.briefs_logged", set())
    if not token or token in logged:
        return
    logged.add(token)
    try:
        brief_id = activity.log_brief(
            store(),
            resources.settings(),
            archive,
            brief,
            team=team,
            session=session_id(),
            source="portal",
        )
    except sqlite3.Error as exc:
        log.warning("could not count the brief: %s", exc)
        return
    if brief_id:
        st.session_state[BRIEF_KEY] = (brief_id, {i.doc.doc_id for i in brief.incidents})


def _record_document_open(doc_id: str) -> None:
    """The open, with the viewer's team, and whether the last brief here showed the document."""
    settings = resources.settings()
    if not activity.recording(settings):
        return
    last = st.session_state.get(BRIEF_KEY)
    brief_id = last[0] if isinstance(last, tuple) and doc_id in last[1] else None
    try:
        found = resources.archive()
        team = viewer_team(found) if found is not None else ""
        activity.log_document_open(
            store(), settings, doc_id=doc_id, team=team, session=session_id(), brief_id=brief_id
        )
    except sqlite3.Error as exc:
        log.warning("could not record the open: %s", exc)


def may_see_metrics(viewer: Viewer) -> bool:
    """The Coordination page is for the organisers' group (HINDSIGHT_METRICS_GROUP, else the
    gaps group) and admins."""
    settings = resources.settings()
    group = (settings.metrics_group or settings.gaps_group).strip().lower()
    return viewer.sees_everything or (bool(group) and group in viewer.groups)


def metrics_pages() -> list[Any]:
    """The Coordination page, listed only for those who may see it (the page checks again)."""
    settings = resources.settings()
    if not settings.metrics or not may_see_metrics(auth.current_viewer(settings)):
        return []
    return [
        st.Page(
            "portal/pages/metrics.py",
            title="Coordination",
            icon=":material/hub:",
            url_path="metrics",
        )
    ]
