"""Bulk embedding on Ray Data: the same index as a local run, on a real local Ray cluster.

One Ray cluster (2 CPUs) serves the whole module; every test runs real actors that load the
real model, so each Ray ingest costs actor start-up (~10 s here) — the module keeps to a few.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import cli
from index.errors import HindsightError
from index.reader import IndexSnapshot
from index.search import Searcher
from index.settings import Settings
from ingest.engines import LocalEngine, make_engine, resolve_engine
from ingest.pipeline import Ingestor
from ingest.ray_engine import RayEngine, plan_for
from tests.conftest import write_content

ray = pytest.importorskip("ray", reason="the Ray tests need the extra: pip install '.[ray]'")

QUERIES = (
    "replica promoted while replication lag was high",
    "DNS TTL migration left resolvers on old records",
    "schema migration without locking the table",
    "how do we evaluate retrieval before a model change",
)


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[None]:
    """A real local Ray cluster, started once for the module and shut down after it."""
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")  # a throwaway local cluster
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_a_run_with_nothing_new_never_starts_ray(real_embedder, real_index):
    """An unchanged re-run with --engine ray costs what a local one does: no cluster."""
    if ray.is_initialized():
        pytest.skip("runs first in the module, before the cluster fixture starts Ray")
    built, content = real_index  # indexed locally; an unchanged run publishes nothing
    settings = Settings(data_dir=built.data_dir, engine="ray")
    engine = make_engine(settings, real_embedder)
    try:
        report = Ingestor(settings, real_embedder, engine).run([str(content)])
    finally:
        engine.close()
    assert report.count("unchanged") >= 8 and report.chunks_embedded == 0
    assert not ray.is_initialized()


def _ray_settings(data_dir: Path, **extra: object) -> Settings:
    fields: dict[str, object] = {"engine": "ray", "ray_batch_size": 8, **extra}
    return Settings(data_dir=data_dir, **fields)  # type: ignore[arg-type]


def _vectors(data_dir: Path) -> dict[int, np.ndarray]:
    snap = IndexSnapshot.open(data_dir)
    try:
        ids = [r[0] for r in snap.cursor().execute("SELECT chunk_id FROM chunks").fetchall()]
        found, matrix = snap.vectors.vectors_of(np.array(ids, dtype=np.int64))
        assert len(found) == len(ids)
        return {int(i): v for i, v in zip(found, matrix, strict=True)}
    finally:
        snap.close()


def _answers(data_dir: Path, embed_query) -> list[list[tuple[str, int]]]:  # type: ignore[no-untyped-def]
    snap = IndexSnapshot.open(data_dir)
    try:
        searcher = Searcher(snap, embed_query)
        return [
            [(h.doc_id, h.chunk_id) for h in searcher.search(q, limit=10, mode=mode)]
            for q in QUERIES
            for mode in ("dense", "hybrid")
        ]
    finally:
        snap.close()


def test_ray_ingest_gives_the_local_index(ray_cluster, real_embedder, tmp_path):
    """Same chunks, vectors equal within float tolerance, identical search results; an
    incremental Ray run embeds only what changed."""
    content = write_content(tmp_path / "content")
    local = Settings(data_dir=tmp_path / "local")
    local_report = Ingestor(local, real_embedder).run([str(content)])

    remote = _ray_settings(tmp_path / "ray")
    engine = make_engine(remote, real_embedder)
    assert type(engine).__name__ == "RayEngine"
    try:
        report = Ingestor(remote, real_embedder, engine).run([str(content)])
        for outcome in ("indexed", "skipped", "failed"):
            assert report.count(outcome) == local_report.count(outcome), outcome
        assert report.chunks_embedded == local_report.chunks_embedded > 10

        by_local, by_ray = _vectors(local.data_dir), _vectors(remote.data_dir)
        assert by_local.keys() == by_ray.keys()
        worst = max(float(np.abs(by_local[i] - by_ray[i]).max()) for i in by_local)
        assert worst < 1e-5, worst
        assert _answers(local.data_dir, real_embedder.embed_query) == _answers(
            remote.data_dir, real_embedder.embed_query
        )

        # Incremental: one edited file costs only its changed chunks, through Ray again.
        dns = content / "postmortems/2025-06-02-dns-ttl.md"
        dns.write_text(dns.read_text() + "\n## Follow-up\nShorten TTLs a week before.\n")
        again = Ingestor(remote, real_embedder, engine).run([str(content)])
        assert again.count("indexed") == 1 and 1 <= again.chunks_embedded <= 2, again.summary()
    finally:
        engine.close()
    assert ray.is_initialized(), "an engine must not shut down a cluster it did not start"


def test_vectors_come_back_by_chunk_id_whatever_the_order(ray_cluster, real_embedder, tmp_path):
    """Many small blocks over two actors: every vector is matched to its own text by id."""
    texts = [f"note {i}: replica lag was {i} seconds " * (1 + i % 4) for i in range(24)]
    ids = [10_000 - 7 * i for i in range(24)]  # not sorted, not positions
    settings = _ray_settings(tmp_path / "d", ray_batch_size=3, ray_concurrency=2)
    engine = make_engine(settings, real_embedder)
    try:
        got: dict[int, np.ndarray] = {}
        for part_ids, vectors in engine.embed(ids, texts):
            assert len(part_ids) == len(vectors) <= 3
            got.update(zip(part_ids, vectors, strict=True))
    finally:
        engine.close()
    assert sorted(got) == sorted(ids)
    expected = LocalEngine(real_embedder).embed(ids, texts)
    for part_ids, vectors in expected:
        for chunk_id, vector in zip(part_ids, vectors, strict=True):
            assert np.allclose(got[chunk_id], vector, atol=1e-5), chunk_id


def test_cli_ingest_with_engine_ray(ray_cluster, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HINDSIGHT_RAY_CONCURRENCY", "1")  # one model load is enough here
    content = write_content(tmp_path / "content")
    code = cli.main(
        ["ingest", "--quiet", "--engine", "ray", "--data-dir", str(tmp_path / "d"), str(content)]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "indexed" in out
    assert cli.main(["stats", "--json", "--data-dir", str(tmp_path / "d")]) == 0


def test_auto_engine_follows_ray_address(monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert resolve_engine(Settings(engine="auto")) == "local"
    assert resolve_engine(Settings(engine="auto", ray_address="ray://head:10001")) == "ray"
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:6379")
    assert resolve_engine(Settings(engine="auto")) == "ray"
    assert resolve_engine(Settings(engine="local")) == "local"


def test_without_ray_the_message_says_how_to_install_it(monkeypatch, real_embedder):
    for name in [m for m in sys.modules if m == "ray" or m.startswith("ray.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray → ImportError
    with pytest.raises(HindsightError, match=r"pip install 'hindsight\[ray\]'"):
        make_engine(Settings(engine="ray"), real_embedder)


def test_recordings_without_captions_are_transcribed_one_ray_task_each(
    ray_cluster, fake_embedder, tmp_path
):
    """Two recordings, two Ray tasks: the driver stores each transcript in its cache, and the
    parse step then reads it from there (nothing is transcribed in the driver)."""
    import shutil

    from ingest import transcribe
    from ingest.ray_engine import RayEngine

    recording = (
        Path(__file__).resolve().parents[1] / "content/showcases/2026-04-pallet-vision-demo.mp3"
    )
    content = tmp_path / "content/showcases"
    content.mkdir(parents=True)
    shutil.copy(recording, content / "a.mp3")
    # The second recording differs by a few bytes of padding: another digest, another task.
    (content / "b.mp3").write_bytes(recording.read_bytes() + b"\0" * 16)
    settings = _ray_settings(tmp_path / "data", transcribe_model="tiny.en")
    done: list[str] = []
    transcriber = transcribe.make_transcriber(settings, lambda name, at, total: done.append(name))
    assert transcriber is not None
    engine = RayEngine(settings, fake_embedder.model_id)
    try:
        engine.transcribe_all(transcriber, [content / "a.mp3", content / "b.mp3"])
    finally:
        engine.close()
    assert sorted(done) == ["a.mp3", "b.mp3"]  # one report per finished Ray task
    assert len(list((settings.data_dir / "transcripts").glob("*.tiny.en.json"))) == 2

    local = settings.model_copy(update={"engine": "local"})
    ingestor = Ingestor(local, fake_embedder)
    assert ingestor.transcriber is not None
    ingestor.transcriber.transcribe_file = None  # type: ignore[method-assign,assignment]
    report = ingestor.run([str(tmp_path / "content")])  # would fail if it transcribed here
    assert report.count("indexed") == 2, report.outcomes


def test_actors_share_each_gpu_unless_told_otherwise():
    """(actors, chunks per call, GPUs per actor) for a cluster's GPUs, and settings that win."""
    assert plan_for(Settings(), gpus=0) == (2, 256, 0.0)
    assert plan_for(Settings(), gpus=1) == (4, 4096, 0.25)
    assert plan_for(Settings(), gpus=8) == (32, 4096, 0.25)
    assert plan_for(Settings(ray_actors_per_gpu=3), gpus=2) == (6, 4096, 1 / 3)
    assert plan_for(Settings(ray_num_gpus=1), gpus=8) == (8, 4096, 1.0)
    assert plan_for(Settings(ray_num_gpus=0), gpus=8) == (2, 256, 0.0)  # CPU actors asked for
    told = Settings(ray_concurrency=3, ray_batch_size=512, ray_num_gpus=0.5)
    assert plan_for(told, gpus=4) == (3, 512, 0.5)


def test_the_plan_reads_the_clusters_gpus(ray_cluster, real_embedder):
    """This cluster has no GPU: CPU actors, as many as configured."""
    engine = RayEngine(Settings(engine="ray"), real_embedder.model_id)
    assert engine.plan() == (2, 256, 0.0)
