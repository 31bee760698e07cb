"""Expensive objects, loaded once per process and keyed on the index version.

A re-ingest publishes a new generation; the next run sees a new version, opens it, and
sessions keep answering from whichever snapshot they started the query with. Cached objects
are shared between sessions and threads, so every query takes its own cursor.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass
from pathlib import Path

import duckdb
import streamlit as st

from index import catalog, generations
from index.catalog import SearchFilters
from index.embedder import SentenceTransformerEmbedder
from index.errors import HindsightError, SnapshotIntegrityError
from index.experts import ExpertMatch, find_experts
from index.models import SearchHit
from index.search import Mode, Searcher
from index.service import open_searcher
from index.settings import Settings

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
    return found


def settings() -> Settings:
    return Settings()


def current_version(data_dir: Path) -> str | None:
    generation = generations.current_generation(data_dir)
    return generation.name if generation else None


# data dir -> the searcher of the last version that opened and verified: a replica keeps
# serving it when a newly published version fails its checksums (index/manifest.py).
_last_good: dict[str, Searcher] = {}


def searcher() -> Searcher | None:
    """The searcher over the index published now, or None before the first ingest."""
    s = settings()
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
        return previous
    _last_good[key] = found
    return found


def require() -> Searcher:
    """The searcher, or an explanation on the page and a stop."""
    try:
        found = searcher()
    except HindsightError as exc:
        st.error(str(exc))
        st.stop()
    if found is None:
        st.info(NO_INDEX, icon=":material/inventory_2:")
        st.stop()
    return found


def cursor() -> duckdb.DuckDBPyConnection:
    return require().snapshot.cursor()


def version() -> str:
    return require().snapshot.version


@dataclass(frozen=True)
class FilterKey:
    """SearchFilters in a hashable form, for caching search results."""

    kinds: tuple[str, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    facets: tuple[tuple[str, tuple[str, ...]], ...] = ()
    doc_ids: tuple[str, ...] | None = None

    def filters(self) -> SearchFilters:
        return SearchFilters(
            kinds=self.kinds,
            date_from=self.date_from,
            date_to=self.date_to,
            facets=dict(self.facets),
            doc_ids=self.doc_ids,
        )


@st.cache_data(max_entries=512, show_spinner=False)
def _search(
    data_dir: str,
    version: str,
    settings_json: str,
    query: str,
    key: FilterKey,
    limit: int,
    mode: Mode,
) -> list[SearchHit]:
    found = _searcher(data_dir, version, settings_json)
    return found.search(query, limit=limit, filters=key.filters(), mode=mode)


def search(query: str, key: FilterKey, limit: int, mode: Mode = "hybrid") -> list[SearchHit]:
    """Search over the current index (hybrid unless MODE says); cached per index version."""
    found = require()
    s = settings()
    return _search(
        str(s.data_dir.resolve()),
        found.snapshot.version,
        s.model_dump_json(),
        query,
        key,
        limit,
        mode,
    )


@st.cache_data(max_entries=256, show_spinner=False)
def _experts(
    data_dir: str, version: str, settings_json: str, query: str, limit: int
) -> list[ExpertMatch]:
    return find_experts(_searcher(data_dir, version, settings_json), query, limit=limit)


def experts_for(query: str, limit: int = 10) -> list[ExpertMatch]:
    """Experts on QUERY (declared topics first, then by meaning); cached per index version."""
    found = require()
    s = settings()
    return _experts(
        str(s.data_dir.resolve()), found.snapshot.version, s.model_dump_json(), query, limit
    )


def stats() -> catalog.IndexStats | None:
    found = searcher()
    return catalog.stats(found.snapshot.cursor()) if found else None
