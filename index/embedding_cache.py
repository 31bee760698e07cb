"""Vectors by (model, text hash), so a chunk whose text and model are unchanged is never
embedded again — across re-ingests, rebuilds and interrupted runs. Writer-only file."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

CACHE_FILE = "embeddings.duckdb"
POINT_LOOKUPS = 64  # up to this many hashes, look each up by key instead of joining


class EmbeddingCache:
    def __init__(self, data_dir: Path, model_id: str, dim: int) -> None:
        self.model_id = model_id
        self.dim = dim
        self.con = duckdb.connect(str(data_dir / CACHE_FILE))
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS embeddings ("
            "model_id VARCHAR, text_hash VARCHAR, vector FLOAT[], "
            "PRIMARY KEY (model_id, text_hash))"
        )

    def get(self, hashes: list[str]) -> dict[str, np.ndarray]:
        """Cached vectors for those of HASHES that have one."""
        if not hashes:
            return {}
        wanted = list(dict.fromkeys(hashes))
        if len(wanted) <= POINT_LOOKUPS:
            # A join scans every cached vector; primary-key point lookups cost ~1 ms each,
            # which keeps a one-file update independent of the corpus size.
            found = {}
            for h in wanted:
                # fetchall, not fetchone: an unfinished result blocks the connection's next call
                rows = self.con.execute(
                    "SELECT vector FROM embeddings WHERE model_id = ? AND text_hash = ?",
                    [self.model_id, h],
                ).fetchall()
                if rows:
                    found[h] = np.asarray(rows[0][0], dtype=np.float32)
            return found
        table = pa.table({"h": pa.array(list(set(hashes)), pa.string())})
        self.con.register("wanted", table)
        try:
            rows = self.con.execute(
                "SELECT e.text_hash, e.vector FROM embeddings e JOIN wanted w "
                "ON e.text_hash = w.h WHERE e.model_id = ?",
                [self.model_id],
            ).fetchall()
        finally:
            self.con.unregister("wanted")
        return {h: np.asarray(v, dtype=np.float32) for h, v in rows}

    def put(self, hashes: list[str], vectors: np.ndarray) -> None:
        """Store one batch durably (its own transaction: a kill loses at most this batch)."""
        if not hashes:
            return
        table = pa.table(
            {
                "model_id": pa.array([self.model_id] * len(hashes), pa.string()),
                "text_hash": pa.array(hashes, pa.string()),
                "vector": pa.array(list(vectors.astype(np.float32)), pa.list_(pa.float32())),
            }
        )
        self.con.register("batch", table)
        try:
            self.con.execute(
                "INSERT OR IGNORE INTO embeddings SELECT model_id, text_hash, vector FROM batch"
            )
        finally:
            self.con.unregister("batch")

    def close(self) -> None:
        self.con.close()
