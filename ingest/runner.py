"""Run an ingest from settings: build the embedder and the ingestor, once."""

from __future__ import annotations

from collections.abc import Iterable

from index.embedder import SentenceTransformerEmbedder
from index.settings import Settings
from ingest.engines import make_engine
from ingest.pipeline import Ingestor, Progress
from ingest.report import IngestReport
from ingest.transcribe import TranscribeProgress


def ingest_paths(
    settings: Settings,
    paths: Iterable[str],
    *,
    progress: Progress | None = None,
    transcribe_progress: TranscribeProgress | None = None,
) -> IngestReport:
    """Ingest PATHS with the engine the settings name (local, or Ray: ingest/engines.py)."""
    embedder = SentenceTransformerEmbedder(settings)
    engine = make_engine(settings, embedder)
    try:
        ingestor = Ingestor(settings, embedder, engine, transcribe_progress=transcribe_progress)
        return ingestor.run(paths, progress=progress)
    finally:
        engine.close()
