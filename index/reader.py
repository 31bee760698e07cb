"""A read-only view of one published generation; readers never see a half-written state."""

from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path

import duckdb

from index import generations
from index.chunk_table import ChunkTable
from index.errors import IncompatibleIndexError, IndexNotBuiltError, ModelMismatchError
from index.keyword import KEYWORD_DIR, KeywordIndex
from index.manifest import MANIFEST, Manifest, verify
from index.store import SCHEMA_VERSION, open_catalog
from index.vectors import VECTORS_FILE, VectorIndex

OPEN_ATTEMPTS = 5
# The vectors are memory-mapped: until the OS has read a list, the first query that probes
# it waits for the disk (p95 at 1M chunks: ~460 ms on a cold cache). A reader reads a large
# base through once in the background; posix_fadvise(WILLNEED) prefetched almost nothing here.
WARM_MIN_BYTES = 64 << 20


_warmed: set[tuple[int, int]] = set()  # (device, inode): generations share the base by hard link
_warmed_lock = threading.Lock()


def _warm(path: Path) -> None:
    """Read a large vectors file through in the background, once per file per process."""
    info = path.stat()
    if info.st_size < WARM_MIN_BYTES:
        return
    with _warmed_lock:
        if (info.st_dev, info.st_ino) in _warmed:
            return
        _warmed.add((info.st_dev, info.st_ino))
    threading.Thread(target=_read_through, args=(path,), name="hindsight-warm", daemon=True).start()


def _read_through(path: Path) -> None:
    """Read PATH once, in blocks, so its pages are in the OS cache (best effort)."""
    try:
        with path.open("rb", buffering=0) as fh:
            while fh.read(8 << 20):
                pass
    except OSError:
        pass  # swept by a writer meanwhile: nothing left to warm


def _keyword_view(folder: Path) -> Path:
    """A private folder of symlinks to FOLDER's tantivy files, lock files left out.

    tantivy takes a lock file even to read, which fails on a read-only mount and would
    write into a shared folder; through this view its locks live in a local temp folder
    and the published files are only ever opened for reading.
    """
    view = Path(tempfile.mkdtemp(prefix="hindsight-keyword-"))
    for path in folder.iterdir():
        if path.is_file() and not path.name.endswith(".lock"):
            (view / path.name).symlink_to(path.resolve())
    return view


class IndexSnapshot:
    """Catalog, vectors and keyword index of the generation that was current when opened."""

    def __init__(self, data_dir: Path, generation: Path) -> None:
        self.data_dir = data_dir
        self.generation = generation
        # A version published to a shared folder (`hindsight publish`) carries a manifest:
        # every file is checked against it before first use (once per process per version).
        self.manifest: Manifest | None = (
            verify(generation) if (generation / MANIFEST).exists() else None
        )
        self._keyword_view: Path | None = None
        self.con = open_catalog(generation, read_only=True)
        self._table: ChunkTable | None = None
        self._table_lock = threading.Lock()
        try:
            meta = dict(self.con.execute("SELECT key, value FROM meta").fetchall())
            self.model_id: str = meta.get("model_id", "")
            self.dim = int(meta.get("dim", "0") or 0)
            if meta.get("schema", SCHEMA_VERSION) != SCHEMA_VERSION:
                raise IncompatibleIndexError(
                    f"The index in {data_dir} has an older layout (schema {meta['schema']}, "
                    f"this version reads {SCHEMA_VERSION}) — re-run: hindsight ingest content/"
                )
            vectors_path = generation / VECTORS_FILE
            self.vectors = (
                VectorIndex.load(vectors_path)
                if vectors_path.exists()
                else VectorIndex.create(self.dim or 1)
            )
            if vectors_path.exists():
                _warm(vectors_path)
            # Opening a keyword folder that is gone would create an empty index in its place.
            if not (generation / KEYWORD_DIR / "meta.json").exists():
                raise FileNotFoundError(f"{generation / KEYWORD_DIR} has no index")
            if self.manifest is not None:  # a shared, possibly read-only folder
                self._keyword_view = _keyword_view(generation / KEYWORD_DIR)
            self.keyword = KeywordIndex(self._keyword_view or generation / KEYWORD_DIR)
        except BaseException:
            self.close()
            raise

    @classmethod
    def open(cls, data_dir: Path) -> IndexSnapshot:
        """The generation published now."""
        # A writer that publishes KEEP_OLD + 1 versions while we open one sweeps it: retry.
        for attempt in range(OPEN_ATTEMPTS):
            generation = generations.current_generation(data_dir)
            if generation is None:
                raise IndexNotBuiltError(data_dir)
            try:
                return cls(data_dir, generation)
            except Exception:
                moved_on = generations.current_generation(data_dir) != generation
                if not moved_on or attempt == OPEN_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    @property
    def version(self) -> str:
        return self.generation.name

    def require_model(self, model_id: str) -> None:
        """Refuse to answer with query vectors from another model than the index's."""
        if not self.model_id or self.model_id == model_id:
            return
        if self.manifest is not None:
            raise ModelMismatchError(
                f"The published snapshot {self.version} in {self.data_dir} was built with "
                f"{self.model_id}, but this replica would embed queries with {model_id} — "
                f"set HINDSIGHT_MODEL on the replica to the publisher's model, or publish an "
                f"index built with {model_id}"
            )
        raise ModelMismatchError(
            f"The index in {self.data_dir} was built with {self.model_id}, but the "
            f"configured model is {model_id} — re-run: hindsight ingest content/"
        )

    def is_stale(self) -> bool:
        """True once a newer generation has been published."""
        return generations.current_generation(self.data_dir) != self.generation

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor per query: one snapshot may serve many threads."""
        return self.con.cursor()

    @property
    def table(self) -> ChunkTable:
        """The in-memory chunk → document table, read on first use."""
        with self._table_lock:
            if self._table is None:
                self._table = ChunkTable.load(self.cursor())
            return self._table

    def close(self) -> None:
        self.con.close()
        if self._keyword_view is not None:
            shutil.rmtree(self._keyword_view, ignore_errors=True)
            self._keyword_view = None
