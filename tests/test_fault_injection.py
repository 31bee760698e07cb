"""Kill an ingest with SIGKILL at seeded points; the index must open, agree and recover.

Every trial starts from a real index (or none), runs an ingest of a changed ~40-file tree in
a child process that kills itself at one hook call (tests/fault_worker.py), then checks that:
the published index opens (or, before any publish, says it is not built), its catalog, FAISS
and keyword ids agree, it holds exactly the state before or after the run and answers a
query; and that the next ingest completes to the state of an uninterrupted run.

HINDSIGHT_FAULT_TRIALS and HINDSIGHT_FAULT_SEED change the number of trials and the seed.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import shutil
import signal
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from index import generations
from index.errors import IndexNotBuiltError
from index.reader import IndexSnapshot
from index.settings import Settings
from ingest.pipeline import Ingestor
from tests import fault_worker
from tests.conftest import HashingEmbedder

TRIALS = int(os.environ.get("HINDSIGHT_FAULT_TRIALS", "27"))  # every (start, hook) pair once
SEED = int(os.environ.get("HINDSIGHT_FAULT_SEED", "20250314"))
STARTS = ("incremental", "fresh")


@dataclass
class World:
    content: Path
    base: Path
    start_index: Path  # version 1 indexed, with old generations and a crashed writer's leftover
    states: dict[str, dict[str, Any]]  # "v1", "incremental", "fresh" (the last two after v2)
    counts: dict[str, dict[str, int]]  # hook calls of an uninterrupted run, per start
    ctx: Any


def _ingest(data_dir: Path, content: Path):
    settings = Settings(data_dir=data_dir, batch_size=fault_worker.BATCH_SIZE)
    return Ingestor(settings, HashingEmbedder()).run([str(content)])


def _child(ctx: Any, data_dir: Path, content: Path, kill: Any, counts: Path | None) -> int:
    proc = ctx.Process(
        target=fault_worker.run_ingest,
        args=(str(data_dir), str(content), kill, str(counts) if counts else None),
    )
    proc.start()
    proc.join(timeout=60)
    if proc.is_alive():
        proc.kill()
        proc.join()
        pytest.fail(f"ingest child hung (kill point {kill})")
    return int(proc.exitcode)


def _fresh_copy(start_index: Path, start: str, dest: Path) -> Path:
    if start == "incremental":
        shutil.copytree(start_index, dest, symlinks=True)
    else:
        dest.mkdir(parents=True)
    return dest


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    # A killed process loses nothing the kernel already has, fsynced or not, so the trials may
    # run in memory: on a slow disk the fsyncs of ~100 ingests would take most of a minute.
    shm = Path("/dev/shm")
    in_memory = shm.is_dir() and os.access(shm, os.W_OK)
    base = (
        Path(tempfile.mkdtemp(prefix="hindsight-faults-", dir=shm))
        if in_memory
        else (tmp_path_factory.mktemp("faults"))
    )
    try:
        yield _build_world(base)
    finally:
        if in_memory:
            shutil.rmtree(base, ignore_errors=True)


def _build_world(base: Path) -> World:
    content = base / "content"
    content.mkdir()
    fault_worker.write_tree(content, 1)
    start_index = base / "start-index"
    _ingest(start_index, content)
    # Two more versions, so that the next publish sweeps an old generation ...
    talk = content / "talks/talk-4.md"
    original = talk.read_text()
    talk.write_text(original + "\nrevision\n")
    _ingest(start_index, content)
    talk.write_text(original)
    _ingest(start_index, content)
    # ... and a crashed writer's unpublished folder for the next writer to remove.
    current = generations.current_generation(start_index)
    assert current is not None
    leftover = current.parent / f"g{generations.generation_number(current) + 1:06d}"
    shutil.copytree(current, leftover)
    (leftover / "vectors.faiss").write_bytes(b"half a file")
    states = {"v1": fault_worker.index_state(start_index)}

    fault_worker.write_tree(content, 2)
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["tests.fault_worker"])
    counts: dict[str, dict[str, int]] = {}
    for start in STARTS:
        # The state an uninterrupted run reaches from this start ...
        reference = _fresh_copy(start_index, start, base / f"ref-{start}")
        report = _ingest(reference, content)
        assert report.count("indexed") > 0, report.summary()
        states[start] = fault_worker.index_state(reference)
        # ... and how often a child running it calls each hook.
        counted = _fresh_copy(start_index, start, base / f"count-{start}")
        out = base / f"counts-{start}.json"
        assert _child(ctx, counted, content, None, out) == 0
        counts[start] = {k: v for k, v in json.loads(out.read_text()).items() if v}
        assert fault_worker.index_state(counted) == states[start]
    assert states["incremental"] != states["v1"]
    return World(content, base, start_index, states, counts, ctx)


def _kill_point(world: World, trial: int) -> tuple[str, tuple[str, str, int]]:
    """Trials go through every (start, hook) pair, each at a seeded call and side."""
    pairs = [(start, hook) for start in STARTS for hook in sorted(world.counts[start])]
    start, hook = pairs[trial % len(pairs)]
    rng = random.Random(SEED * 1000 + trial)
    return start, (hook, rng.choice(fault_worker.SIDES), rng.randint(1, world.counts[start][hook]))


def test_every_hook_is_reached(world: World):
    """The kill points cover the whole write path, from sweep to publish."""
    for start in STARTS:
        assert {
            "embed_batch",
            "embedding_cache_put",
            "insert_document",
            "keyword_add",
            "vectors_save",
            "faiss_write_index",
            "keyword_save",
            "fsync",
            "replace",
            "publish",
            "sweep",
        } <= set(world.counts[start])
    assert world.counts["incremental"]["copy_generation_file"] >= 3
    assert world.counts["incremental"]["rmtree"] >= 2  # the leftover and an old generation
    assert world.counts["incremental"]["remove_document"] >= 3


@pytest.mark.parametrize("trial", range(TRIALS))
def test_sigkill_at_a_seeded_point_leaves_a_consistent_index(world: World, trial: int):
    start, kill = _kill_point(world, trial)
    data = _fresh_copy(world.start_index, start, world.base / f"trial-{trial}")
    before = "v1" if start == "incremental" else None

    code = _child(world.ctx, data, world.content, kill, None)
    assert code == -signal.SIGKILL, f"the child was not killed at {kill} (exit code {code})"

    # What readers see now: nothing (never published), or a complete version.
    if generations.current_generation(data) is None:
        assert before is None, "an index that was published once must stay published"
        with pytest.raises(IndexNotBuiltError):
            IndexSnapshot.open(data)
    else:
        state = fault_worker.index_state(data)  # opens it and checks the three parts agree
        expected = [world.states[start]] + ([world.states[before]] if before else [])
        assert state in expected, f"after a kill at {kill} the index holds a mixed state"
        assert fault_worker.answers_a_query(data) > 0

    # The next ingest finishes the interrupted work: same state as an uninterrupted run.
    report = _ingest(data, world.content)
    assert not report.has_failures or all(
        o.path.endswith(("pm-06.md",)) for o in report.of("failed")
    ), report.summary()
    assert fault_worker.index_state(data) == world.states[start], f"kill at {kill}"
    assert fault_worker.answers_a_query(data) > 0
    current = generations.current_generation(data)
    assert current is not None
    newer = [
        p
        for p in current.parent.iterdir()
        if generations.generation_number(p) > generations.generation_number(current)
    ]
    assert newer == [], "unpublished generations left behind"
    again = _ingest(data, world.content)
    assert again.count("indexed") == 0 and again.generation == current.name


def test_interrupt_after_the_swap_keeps_the_published_generation(
    settings: Settings, content_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    """Ctrl-C between the CURRENT swap and the end of `publish` must not delete what is live."""
    real_fsync_dir = generations._fsync_dir

    def interrupted(path: Path) -> None:
        if path == settings.data_dir:  # the last step of publish: CURRENT is already swapped
            raise KeyboardInterrupt
        real_fsync_dir(path)

    monkeypatch.setattr(generations, "_fsync_dir", interrupted)
    with pytest.raises(KeyboardInterrupt):
        Ingestor(settings, HashingEmbedder()).run([str(content_dir)])
    monkeypatch.undo()
    current = generations.current_generation(settings.data_dir)
    assert current is not None and current.is_dir()
    fault_worker.check_consistent(IndexSnapshot.open(settings.data_dir))
    assert Ingestor(settings, HashingEmbedder()).run([str(content_dir)]).count("indexed") == 0


def test_reader_retries_when_its_generation_is_swept_while_it_opens(
    settings: Settings, content_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    Ingestor(settings, HashingEmbedder()).run([str(content_dir)])
    old = generations.current_generation(settings.data_dir)
    (content_dir / "talks/extra.md").write_text("---\ntitle: Extra\n---\nmore\n")
    Ingestor(settings, HashingEmbedder()).run([str(content_dir)])
    assert old is not None
    shutil.rmtree(old)  # as a sweep does, between a reader reading CURRENT and opening it
    answers = iter([old])
    real = generations.current_generation
    monkeypatch.setattr(
        generations, "current_generation", lambda data_dir: next(answers, None) or real(data_dir)
    )
    snapshot = IndexSnapshot.open(settings.data_dir)
    assert snapshot.generation == real(settings.data_dir)
    assert not old.exists(), "opening a swept generation must not recreate its folder"
