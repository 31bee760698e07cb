"""Wiring for callers (CLI, portal, benchmarks): settings → embedder → snapshot → searcher."""

from __future__ import annotations

from index.access import Viewer
from index.archive import Archive
from index.embedder import SentenceTransformerEmbedder
from index.expertise import ExpertiseParams
from index.reader import IndexSnapshot
from index.search import Searcher
from index.settings import Settings


def open_searcher(
    settings: Settings, embedder: SentenceTransformerEmbedder | None = None
) -> Searcher:
    """A searcher over the published index, refusing an index built with another model."""
    snapshot = IndexSnapshot.open(settings.data_dir)
    embedder = embedder or SentenceTransformerEmbedder(settings)
    try:
        snapshot.require_model(embedder.model_id)
    except BaseException:
        snapshot.close()
        raise
    return Searcher(snapshot, embedder.embed_query, count_tokens=embedder.count_tokens)


def open_archive(
    settings: Settings, viewer: Viewer, embedder: SentenceTransformerEmbedder | None = None
) -> Archive:
    """The published index as VIEWER may read it."""
    return Archive(
        open_searcher(settings, embedder), viewer, ExpertiseParams.from_settings(settings)
    )
