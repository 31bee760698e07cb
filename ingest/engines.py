"""Where new chunks are embedded: in this process, or on a Ray cluster.

Both engines keep one narrow contract: given the ids and texts of the chunks that missed the
embedding cache, yield (ids, vectors) pairs as they are ready, in any order. The pipeline
matches vectors to chunks by id, stores each pair in the embedding cache at once and writes
the index as usual; nothing else about an ingest depends on the engine.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Protocol

import numpy as np

from index.embedder import Embedder
from index.settings import Settings

# New chunks embedded and stored together: enough for length-sorted batches of 32 to
# waste little padding, few enough that parsing the next ones overlaps encoding these.
LOCAL_WINDOW = 512


class EmbedEngine(Protocol):
    """Vectors for chunks that missed the cache."""

    @property
    def window(self) -> int:
        """New chunks the pipeline gathers before calling `embed`."""
        ...

    def embed(self, ids: list[int], texts: list[str]) -> Iterator[tuple[list[int], np.ndarray]]:
        """Yield (ids, vectors) for every one of IDS/TEXTS, in any order and grouping."""
        ...

    def close(self) -> None: ...


class LocalEngine:
    """The model in this process, batch_size × 8 texts per call (progress between calls)."""

    def __init__(self, embedder: Embedder, batch_size: int | None = None) -> None:
        self.embedder = embedder
        self.batch_size = batch_size
        self._batch: int | None = None
        self._window: int | None = None

    @property
    def batch(self) -> int:
        """Chunks per model batch: the setting, else the embedder's default for its backend
        (read only once there is work: it opens the model)."""
        if self._batch is None:
            self._batch = self.batch_size or getattr(self.embedder, "batch_size", None) or 32
        return self._batch

    @property
    def window(self) -> int:
        # A GPU's batches of 1024 need windows of several batches to stay full.
        return self._window or max(LOCAL_WINDOW, 4 * self.batch)

    @window.setter
    def window(self, chunks: int) -> None:
        self._window = chunks

    def embed(self, ids: list[int], texts: list[str]) -> Iterator[tuple[list[int], np.ndarray]]:
        step = 8 * self.batch
        for start in range(0, len(texts), step):
            part = texts[start : start + step]
            yield ids[start : start + step], self.embedder.embed_batch(part)

    def close(self) -> None:
        pass


def resolve_engine(settings: Settings) -> str:
    """`local` or `ray`: `auto` means Ray when an address is configured ($RAY_ADDRESS)."""
    if settings.engine != "auto":
        return settings.engine
    return "ray" if settings.ray_address or os.environ.get("RAY_ADDRESS") else "local"


def make_engine(settings: Settings, embedder: Embedder) -> EmbedEngine:
    """The engine SETTINGS ask for; Ray is imported only when it is used."""
    if resolve_engine(settings) == "ray":
        from ingest.ray_engine import RayEngine

        return RayEngine(settings, embedder.model_id)
    return LocalEngine(embedder, settings.batch_size)
