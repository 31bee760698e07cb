"""The one opener of published versions: every interface reads the index through it.

An `Opener` belongs to one data directory. It owns the embedder, the searcher of the version
published now and every cache (results per snapshot, query embeddings across snapshots), and it
alone opens, re-opens and closes snapshots:

- `archive(viewer)` answers from the version named by `CURRENT`, opening a newer one when it
  has been published since (a re-ingest, `hindsight publish` on a replica's folder);
- a newly published version that fails its checksums (index/manifest.py) is refused and the
  last verified one keeps answering;
- superseded searchers stay open for requests still in flight (the newest `RETIRED_KEPT`),
  and `close()` closes them all.

The portal, the feed and API servers and the command line each hold one; nothing else opens
snapshots.
"""

from __future__ import annotations

import logging
import os
import threading
from functools import lru_cache
from types import TracebackType
from typing import TYPE_CHECKING

import numpy as np

from index import generations
from index.access import Viewer
from index.archive import Archive
from index.errors import IndexNotBuiltError, SnapshotIntegrityError
from index.expertise import ExpertiseParams
from index.lifecycle import ReviewPolicy
from index.reader import IndexSnapshot
from index.search import Searcher
from index.settings import Settings

if TYPE_CHECKING:
    from index.embedder import Embedder

log = logging.getLogger(__name__)
RETIRED_KEPT = 2  # superseded searchers kept open for requests that started on them
QUERY_CACHE = 1024  # query embeddings kept (a brief embeds each plan passage from many verbs)


class Opener:
    """The published index of one data directory, opened once per version, for any viewer."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self._lock = threading.RLock()
        self._searcher: Searcher | None = None
        self._seen: tuple[int, int, int] | None = None  # the pointer file _searcher was read from
        self._retired: list[Searcher] = []
        self._embed_query = lru_cache(maxsize=QUERY_CACHE)(self._embed_uncached)
        self.expertise = ExpertiseParams.from_settings(settings)
        self.review = ReviewPolicy.from_settings(settings)

    # -- the model --------------------------------------------------------------------

    @property
    def embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                from index.embedder import SentenceTransformerEmbedder

                self._embedder = SentenceTransformerEmbedder(self.settings)
            return self._embedder

    def _embed_uncached(self, text: str) -> np.ndarray:
        vector = self.embedder.embed_query(text)
        vector.setflags(write=False)  # shared by every caller: nobody may change it
        return vector

    def embed_query(self, text: str) -> np.ndarray:
        """The query vector of TEXT, computed once per opener (the model never changes)."""
        return self._embed_query(text)

    def count_tokens(self, text: str) -> int:
        return self.embedder.count_tokens(text)

    # -- versions ---------------------------------------------------------------------

    @property
    def version(self) -> str | None:
        """The version answering now (None before the first archive is opened)."""
        found = self._searcher
        return found.snapshot.version if found else None

    def published(self) -> bool:
        """True once an ingest has published a version here."""
        return generations.current_generation(self.settings.data_dir) is not None

    def _current(self) -> Searcher | None:
        """The searcher of the version published now; None before any ingest."""
        # Every read asks; a publish replaces the pointer file, so its identity (one stat,
        # not a read and a folder check) says whether the version answering is still current.
        try:
            pointer = os.stat(self.settings.data_dir / generations.CURRENT)
        except FileNotFoundError:
            return None
        seen = (pointer.st_ino, pointer.st_mtime_ns, pointer.st_size)
        found = self._searcher
        if found is not None and seen == self._seen:
            return found
        current = generations.current_generation(self.settings.data_dir)
        if current is None:
            return None
        with self._lock:
            if self._searcher is not None and self._searcher.snapshot.generation == current:
                self._seen = seen
                return self._searcher
            try:
                fresh = self._open()
            except SnapshotIntegrityError:
                if self._searcher is None:
                    raise
                log.warning(
                    "keeping %s: published %s failed verification",
                    self._searcher.snapshot.version,
                    current.name,
                )
                return self._searcher
            if self._searcher is not None:
                self._retired.append(self._searcher)
                while len(self._retired) > RETIRED_KEPT:
                    self._retired.pop(0).snapshot.close()
            self._searcher, self._seen = fresh, seen
            return fresh

    def _open(self) -> Searcher:
        snapshot = IndexSnapshot.open(self.settings.data_dir)
        try:
            snapshot.require_model(self.embedder.model_id)
        except BaseException:
            snapshot.close()
            raise
        return Searcher(snapshot, self.embed_query, count_tokens=self.count_tokens)

    def archive(self, viewer: Viewer) -> Archive | None:
        """The version published now as VIEWER may read it; None before any ingest."""
        found = self._current()
        return None if found is None else Archive(found, viewer, self.expertise, self.review)

    def require(self, viewer: Viewer) -> Archive:
        """Like `archive`, but a missing index is an error that says how to build one."""
        found = self.archive(viewer)
        if found is None:
            raise IndexNotBuiltError(self.settings.data_dir)
        return found

    def warm(self) -> None:
        """Load what a first request needs (query encoder, chunk table) now, not on it."""
        found = self.archive(Viewer.everything("warm-up"))
        if found is not None:
            found.warm()

    # -- lifetime ---------------------------------------------------------------------

    def close(self) -> None:
        """Close every snapshot this opener holds; the next `archive` opens afresh."""
        with self._lock:
            for searcher in [*self._retired, *([self._searcher] if self._searcher else [])]:
                searcher.snapshot.close()
            self._retired, self._searcher, self._seen = [], None, None

    def __enter__(self) -> Opener:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_archive(settings: Settings, viewer: Viewer, embedder: Embedder | None = None) -> Archive:
    """The published index as VIEWER may read it, through an opener of its own.

    For one-shot callers (benchmarks, tests); the snapshot closes with the process.
    """
    return Opener(settings, embedder).require(viewer)


def open_searcher(settings: Settings, embedder: Embedder | None = None) -> Searcher:
    """The raw searcher of the version published now, for benchmarks that tune its parameters.

    Interfaces and features read through `Opener.archive` (a viewer's door), never this.
    """
    found = Opener(settings, embedder)._current()
    if found is None:
        raise IndexNotBuiltError(settings.data_dir)
    return found
