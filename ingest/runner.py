"""Run an ingest from settings: build the embedder and the ingestor, once."""

from __future__ import annotations

from collections.abc import Iterable

from index.embedder import SentenceTransformerEmbedder
from index.settings import Settings
from ingest.pipeline import Ingestor, Progress
from ingest.report import IngestReport


def ingest_paths(
    settings: Settings, paths: Iterable[str], *, progress: Progress | None = None
) -> IngestReport:
    return Ingestor(settings, SentenceTransformerEmbedder(settings)).run(paths, progress=progress)
