"""One write session: lock, copy the published generation, change it, publish it atomically."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType

import numpy as np

from index import catalog, failure_modes, generations
from index.embedding_cache import EmbeddingCache
from index.keyword import KEYWORD_DIR, KeywordEntry, KeywordIndex, title_text
from index.lock import WriterLock
from index.models import Chapter, Chunk, ParsedDocument
from index.store import CATALOG_FILE, SCHEMA_VERSION, CatalogWriter, open_catalog
from index.timefmt import day_number
from index.vectors import VECTORS_FILE, VectorIndex


def keyword_title(doc: ParsedDocument, chunk: Chunk) -> str:
    """The boosted field: title, heading path and the metadata people search by name."""
    return title_text(doc.title, chunk.heading, doc.metadata)


class IndexWriter:
    """Changes documents in a fresh generation; nothing is visible until `publish`."""

    def __init__(self, data_dir: Path, model_id: str) -> None:
        self.data_dir = data_dir
        self.model_id = model_id
        self.lock = WriterLock(data_dir)
        self.generation: Path | None = None
        self._vectors: VectorIndex | None = None
        self.published = False

    def __enter__(self) -> IndexWriter:
        self.lock.acquire()
        try:
            generations.sweep(self.data_dir)
            self.generation = generations.new_generation(self.data_dir)
            self.con = open_catalog(self.generation, read_only=False)
            self.catalog = CatalogWriter(self.con)
            built_with = self.catalog.get_meta("model_id")
            if built_with is not None and (
                built_with != self.model_id or self.catalog.get_meta("schema") != SCHEMA_VERSION
            ):
                self._reset()  # another model's vectors are meaningless here: rebuild all
            self.keyword = KeywordIndex(self.generation / KEYWORD_DIR)
            self.cache: EmbeddingCache | None = None
            self.con.execute("BEGIN")
        except BaseException:
            self._discard()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self.published:
            self._discard()
        elif self.cache is not None:
            self.cache.close()
        self.lock.release()

    def _reset(self) -> None:
        assert self.generation is not None
        self.con.close()
        shutil.rmtree(self.generation)
        self.generation.mkdir()
        self.con = open_catalog(self.generation, read_only=False)
        self.catalog = CatalogWriter(self.con)

    def _discard(self) -> None:
        for closable in (getattr(self, "con", None), getattr(self, "cache", None)):
            if closable is not None:
                with contextlib.suppress(Exception):  # already failing; the folder goes next
                    closable.close()
        # An interrupt after the CURRENT swap (Ctrl-C in `publish`) must not delete what is live.
        if self.generation is not None and self.generation != generations.current_generation(
            self.data_dir
        ):
            shutil.rmtree(self.generation, ignore_errors=True)

    def embedding_cache(self, dim: int) -> EmbeddingCache:
        if self.cache is None:
            self.cache = EmbeddingCache(self.data_dir, self.model_id, dim)
        return self.cache

    def vectors(self, dim: int | None = None) -> VectorIndex:
        """The generation's vectors, loaded on first need (a no-op ingest never loads them)."""
        if self._vectors is None:
            assert self.generation is not None
            path = self.generation / VECTORS_FILE
            if path.exists():
                self._vectors = VectorIndex.load(path)
            else:
                if dim is None:
                    raise ValueError("dimension needed to create the vector index")
                self._vectors = VectorIndex.create(dim)
        return self._vectors

    def remove_document(self, doc_id: str) -> None:
        ids = self.catalog.delete_document(doc_id)
        if ids:
            self.vectors().delete(ids)
            self.keyword.delete(ids)

    def put_document(
        self,
        doc: ParsedDocument,
        *,
        path: str,
        source_key: str,
        chunks: list[Chunk],
        vectors: np.ndarray,
        dim: int,
        chapters: Sequence[Chapter] = (),
        incident: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        """Replace DOC (if present) by this version, in catalog, vectors and keyword index.

        INCIDENT: a post-mortem's (cause, account) vectors (index.incidents.incident_texts).
        """
        self.remove_document(doc.doc_id)
        self.catalog.insert_document(
            doc,
            path=path,
            source_key=source_key,
            chunks=chunks,
            chapters=chapters,
            incident=incident,
        )
        ids = np.array([c.chunk_id for c in chunks], dtype=np.int64)
        self.vectors(dim).add(ids, vectors)
        self.keyword.add(
            KeywordEntry(
                c.chunk_id,
                doc.doc_id,
                doc.kind,
                keyword_title(doc, c),
                c.text,
                day_number(doc.date),
            )
            for c in chunks
        )

    def store_failure_mode_vectors(self, embed: Callable[[str], np.ndarray]) -> int:
        """Embed the vocabulary's descriptions this version lacks (a new vocabulary, a new index);
        drop those no longer in it. They read no document. Returns how many were embedded."""
        texts = {failure_modes.text_hash(t): t for t in failure_modes.description_texts()}
        have = set(catalog.failure_mode_vectors(self.con, list(texts)))
        rows = [
            (h, np.asarray(embed(t), dtype=np.float32).reshape(-1).tolist())
            for h, t in texts.items()
            if h not in have
        ]
        self.con.execute(
            "DELETE FROM failure_mode_vectors WHERE text_hash NOT IN (SELECT unnest(?::VARCHAR[]))",
            [list(texts)],
        )
        if rows:
            self.con.executemany("INSERT INTO failure_mode_vectors VALUES (?, ?)", rows)
            self.catalog.dirty = True
        return len(rows)

    def abandon(self) -> str:
        """Drop this unpublished copy; returns the name of the version readers keep using."""
        self._discard()
        self.generation = None
        current = generations.current_generation(self.data_dir)
        return current.name if current else ""

    def publish(self, dim: int | None) -> None:
        """Commit everything and make this generation the one readers open."""
        assert self.generation is not None
        self.catalog.flush()
        self.catalog.set_meta("model_id", self.model_id)
        self.catalog.set_meta("schema", SCHEMA_VERSION)
        if dim is not None:
            self.catalog.set_meta("dim", str(dim))
        self.con.execute("COMMIT")
        self.con.execute("CHECKPOINT")
        self.con.close()
        if self._vectors is not None:
            self._vectors.save(self.generation / VECTORS_FILE)
        self.keyword.save()
        generations.publish(self.data_dir, self.generation)
        self.published = True
        generations.sweep(self.data_dir)


__all__ = ["IndexWriter", "CATALOG_FILE"]
