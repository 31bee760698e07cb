"""What readers used to derive on every cold start is derived at ingest and stored in the version.

The failure-mode vocabulary's descriptions, embedded by the index's model, were computed by the
first incident set of every process (~1 s of a cold `hindsight brief` under load). They read no
document, so storing them once per version changes nothing about who sees what.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest

from index import catalog, failure_modes
from index.access import Viewer
from index.generations import current_generation
from index.opener import Opener
from index.settings import Settings
from index.store import open_catalog
from ingest.pipeline import Ingestor
from tests.conftest import HashingEmbedder


class CountingEmbedder(HashingEmbedder):
    """The test model, counting the queries it embeds."""

    def __init__(self) -> None:
        super().__init__()
        self.queries: list[str] = []

    def embed_query(self, text: str) -> np.ndarray:
        self.queries.append(text)
        return super().embed_query(text)


def _stored(settings: Settings) -> dict[str, np.ndarray]:
    generation = current_generation(settings.data_dir)
    assert generation is not None
    con = open_catalog(generation, read_only=True)
    try:
        hashes = [failure_modes.text_hash(t) for t in failure_modes.description_texts()]
        return catalog.failure_mode_vectors(con, hashes)
    finally:
        con.close()


def test_ingest_stores_the_vocabulary_embedded(content_dir: Path, settings: Settings) -> None:
    embedder = CountingEmbedder()
    Ingestor(settings, embedder).run([str(content_dir)])
    stored = _stored(settings)
    texts = failure_modes.description_texts()
    assert len(stored) == len(texts) > 10
    for text in texts:
        vector = stored[failure_modes.text_hash(text)]
        np.testing.assert_allclose(vector, embedder.embed_query(text), atol=1e-6)
    embedder.queries.clear()
    Ingestor(settings, embedder).run([str(content_dir)])  # nothing new: nothing embedded again
    assert embedder.queries == []


def test_readers_use_them_and_embed_nothing(
    content_dir: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    Ingestor(settings, HashingEmbedder()).run([str(content_dir)])
    reader = CountingEmbedder()
    with Opener(settings, reader) as opener:
        found = opener.require(Viewer.everything("test")).incident_set()
    assert reader.queries == []  # neither the vocabulary nor a write-up embedded on reading
    # The same set as when the vocabulary is embedded on the spot (no stored row found).
    monkeypatch.setattr(catalog, "failure_mode_vectors", lambda cur, hashes: {})
    with Opener(settings, reader) as opener:
        fresh = opener.require(Viewer.everything("test")).incident_set()
    assert sorted(reader.queries) == sorted(failure_modes.description_texts())
    assert [p.doc_id for p in fresh.profiles] == [p.doc_id for p in found.profiles]
    np.testing.assert_allclose(fresh.modes, found.modes, atol=1e-6)


def test_a_changed_vocabulary_is_embedded_again(
    content_dir: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    embedder = CountingEmbedder()
    Ingestor(settings, embedder).run([str(content_dir)])
    texts = failure_modes.description_texts()
    changed = [*texts[:-1], texts[-1] + " Reworded."]
    monkeypatch.setattr(failure_modes, "description_texts", lambda: changed)
    embedder.queries.clear()
    Ingestor(settings, embedder).run([str(content_dir)])  # publishes: the version changed
    assert embedder.queries == [changed[-1]]
    stored = _stored(settings)
    assert set(stored) == {failure_modes.text_hash(t) for t in changed}


def test_a_version_written_before_still_answers(content_dir: Path, settings: Settings) -> None:
    Ingestor(settings, HashingEmbedder()).run([str(content_dir)])
    generation = current_generation(settings.data_dir)
    assert generation is not None
    con = open_catalog(generation, read_only=False)
    con.execute("DROP TABLE failure_mode_vectors")
    con.close()
    reader = CountingEmbedder()
    with Opener(settings, reader) as opener:
        found = opener.require(Viewer.everything("test")).incident_set()
    assert len(found.profiles) >= 2
    assert len(reader.queries) == len(failure_modes.description_texts())


def test_the_table_comes_from_a_numbered_migration(tmp_path: Path) -> None:
    from index.migrations import MIGRATIONS, migrate

    con = duckdb.connect(str(tmp_path / "c.duckdb"))
    migrate(con)
    assert MIGRATIONS[-1].__name__ == "m008_failure_mode_vectors"
    columns = [r[0] for r in con.execute("DESCRIBE failure_mode_vectors").fetchall()]
    assert columns == ["text_hash", "vector"]
