"""The read-side door as the portal opens it: one Archive per run, for the current viewer.

One `index.opener.Opener` per data directory and settings lives for the whole process: it owns
the model, the searcher of the version published now (re-opened when a newer one is published,
the last verified one kept when a new one fails its checksums) and every cache. Results are
cached under keys that carry the viewer's access key (index.archive).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

import streamlit as st

from circulation import feedback
from circulation.state import StateStore
from index import generations
from index.archive import Archive
from index.errors import HindsightError
from index.opener import Opener
from index.settings import Settings
from portal import auth

log = logging.getLogger(__name__)
NO_INDEX = "No index yet — run: hindsight ingest content/"


def _close(opener: Opener) -> None:
    opener.close()


# Released (and its snapshots closed) when the cache is cleared or the process stops.
@st.cache_resource(show_spinner="Opening the index…", on_release=_close)
def _opener(data_dir: str, settings_json: str) -> Opener:
    # `data_dir` is part of the key: tests and replicas on other folders each get their own.
    opener = Opener(Settings.model_validate_json(settings_json))
    # Warm what a first search needs now (query encoder, chunk table), not on the first click.
    # Best effort: a page that does not search still works when the model cannot load; the
    # first search then reports why.
    try:
        opener.warm()
    except Exception:
        log.warning("warming the search up failed", exc_info=True)
    return opener


def settings() -> Settings:
    return Settings()


def portal_url() -> str:
    """The portal's address for links that leave it (a downloaded brief, an invitation): the
    operator's HINDSIGHT_PORTAL_URL when set, else the address this browser reached."""
    found = settings()
    if "portal_url" in found.model_fields_set:
        return found.portal_url
    here = (st.context.url or "").split("?", 1)[0].split("#", 1)[0]
    return here.rsplit("/", 1)[0] if "://" in here else found.portal_url


def current_version(data_dir: Path) -> str | None:
    """The version published now in DATA_DIR (None before any ingest)."""
    generation = generations.current_generation(data_dir)
    return generation.name if generation else None


def archive() -> Archive | None:
    """The archive published now as the current viewer may read it; None before any ingest."""
    s = settings()
    viewer = auth.current_viewer(s)
    found = _opener(str(s.data_dir.resolve()), s.model_dump_json()).archive(viewer)
    if found is not None:
        try:  # pairs people settled on the similar panel; the store is a convenience
            found.pair_verdicts = feedback.verdicts(StateStore(s.data_dir))
        except sqlite3.Error as exc:
            log.warning("could not read the feedback: %s", exc)
        _prepare_soon(found)
    return found


_prepared: set[tuple[str, object]] = set()
_prepared_lock = threading.Lock()


def _prepare_soon(found: Archive) -> None:
    """Build the viewer's derived tables on a helper thread, once per version and access key.

    The page that opened the archive answers meanwhile; by the time its viewer has pasted a
    plan or clicked an incident, the incident set and the people index are ready.
    """
    key = (found.version, found.viewer.access_key)
    with _prepared_lock:
        if key in _prepared:
            return
        _prepared.add(key)

    def work() -> None:
        try:
            found.prepare()
        except Exception:
            log.warning("preparing %s for a viewer failed", found.version, exc_info=True)

    threading.Thread(target=work, name="hindsight-prepare", daemon=True).start()


def require() -> Archive:
    """The archive, or an explanation on the page and a stop."""
    try:
        found = archive()
    except HindsightError as exc:
        st.error(str(exc))
        st.stop()
    if found is None:
        st.info(NO_INDEX, icon=":material/inventory_2:")
        st.stop()
    return found
