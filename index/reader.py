"""A read-only view of one published generation; readers never see a half-written state."""

from __future__ import annotations

from pathlib import Path

import duckdb

from index import generations
from index.errors import IndexNotBuiltError
from index.keyword import KEYWORD_DIR, KeywordIndex
from index.store import open_catalog
from index.vectors import VECTORS_FILE, VectorIndex


class IndexSnapshot:
    """Catalog, vectors and keyword index of the generation that was current when opened."""

    def __init__(self, data_dir: Path, generation: Path) -> None:
        self.data_dir = data_dir
        self.generation = generation
        self.con = open_catalog(generation, read_only=True)
        meta = dict(self.con.execute("SELECT key, value FROM meta").fetchall())
        self.model_id: str = meta.get("model_id", "")
        self.dim = int(meta.get("dim", "0") or 0)
        vectors_path = generation / VECTORS_FILE
        self.vectors = (
            VectorIndex.load(vectors_path)
            if vectors_path.exists()
            else VectorIndex.create(self.dim or 1)
        )
        self.keyword = KeywordIndex(generation / KEYWORD_DIR)

    @classmethod
    def open(cls, data_dir: Path) -> IndexSnapshot:
        generation = generations.current_generation(data_dir)
        if generation is None:
            raise IndexNotBuiltError(data_dir)
        return cls(data_dir, generation)

    @property
    def version(self) -> str:
        return self.generation.name

    def is_stale(self) -> bool:
        """True once a newer generation has been published."""
        return generations.current_generation(self.data_dir) != self.generation

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor per query: one snapshot may serve many threads."""
        return self.con.cursor()

    def close(self) -> None:
        self.con.close()
