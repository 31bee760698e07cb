"""The read-side door as the portal opens it: one Archive per run, for the current viewer.

Expensive objects (the model, a snapshot's searcher) load once per process, keyed on the
index version: a re-ingest publishes a new generation, the next run opens it, and sessions
keep answering from whichever snapshot they started with. Results are cached inside the
searcher under keys that carry the viewer's access key (index.archive).
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import streamlit as st

from index import generations
from index.archive import Archive
from index.embedder import SentenceTransformerEmbedder
from index.errors import HindsightError, SnapshotIntegrityError
from index.expertise import ExpertiseParams
from index.search import Searcher
from index.service import open_searcher
from index.settings import Settings
from portal import auth

log = logging.getLogger(__name__)
NO_INDEX = "No index yet — run: hindsight ingest content/"


@st.cache_resource(show_spinner="Loading the embedding model…")
def _embedder(settings_json: str) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(Settings.model_validate_json(settings_json))


@st.cache_resource(max_entries=3, show_spinner="Opening the index…")
def _searcher(data_dir: str, version: str, settings_json: str) -> Searcher:
    # `data_dir` and `version` are the cache key: tests and re-ingests each get their own.
    settings = Settings.model_validate_json(settings_json)
    found = open_searcher(settings, _embedder(settings_json))
    # One page run embeds the same query several times (results, facet counts, experts).
    found.embed_query = functools.lru_cache(maxsize=256)(found.embed_query)  # type: ignore[method-assign]
    # Warm what a first search needs now (query encoder, chunk table), not on the first click.
    # Best effort: a page that does not search still works when the model cannot load; the
    # first search then reports why.
    try:
        found.search("warm up the index", limit=1)
    except Exception:
        log.warning("warming the search up failed", exc_info=True)
    return found


def settings() -> Settings:
    return Settings()


def current_version(data_dir: Path) -> str | None:
    generation = generations.current_generation(data_dir)
    return generation.name if generation else None


# data dir -> the searcher of the last version that opened and verified: a replica keeps
# serving it when a newly published version fails its checksums (index/manifest.py).
_last_good: dict[str, Searcher] = {}


def archive() -> Archive | None:
    """The archive published now as the current viewer may read it; None before any ingest."""
    s = settings()
    viewer = auth.current_viewer(s)
    version = current_version(s.data_dir)
    if version is None:
        return None
    key = str(s.data_dir.resolve())
    try:
        found = _searcher(key, version, s.model_dump_json())
    except SnapshotIntegrityError:
        previous = _last_good.get(key)
        if previous is None:
            raise
        log.warning(
            "keeping %s: published %s failed verification", previous.snapshot.version, version
        )
        found = previous
    _last_good[key] = found
    return Archive(found, viewer, ExpertiseParams.from_settings(s))


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
