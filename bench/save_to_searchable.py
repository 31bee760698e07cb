"""`python -m bench.save_to_searchable`: what one saved file costs at 100k chunks.

Builds (or reuses) a ~100k-chunk index through the real writer with a synthetic embedder
(deterministic 384-d vectors, so the FAISS file has the real model's size), then edits one
file at a time and times the way to searchable: the watcher's incremental ingest of that
path, a fresh snapshot of the new version, and a keyword query that finds the new text.
The same update through a full-tree ingest (`hindsight ingest content/`) is timed too.

Examples:
  python -m bench.save_to_searchable --work /tmp/hs-bench
  python -m bench.save_to_searchable --work /tmp/hs-bench --chunks 20000 --updates 3 --json out.json
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import statistics
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from index import generations, keyword, store, vectors, writer
from index.reader import IndexSnapshot
from index.search import Searcher
from index.settings import Settings
from ingest import pipeline
from ingest.pipeline import Ingestor
from ingest.watch import DEBOUNCE_S

CHUNKS_PER_FILE = 10
FILES_PER_FOLDER = 500
VOCABULARY = (
    "replica failover latency cache shard quorum deploy rollback alert pager queue backlog "
    "timeout retry circuit breaker certificate expiry dns resolver ttl kafka consumer lag "
    "postgres vacuum index bloat memory leak heap garbage collector thread pool saturation "
    "load balancer health check canary feature flag migration schema lock contention"
)
WORDS = VOCABULARY.split()


class SyntheticEmbedder:
    """Deterministic unit vectors of the real model's width; costs microseconds per text."""

    model_id = "bench/synthetic-384"
    dim = 384
    max_tokens = 256

    def count_tokens(self, text: str) -> int:
        return len(text.split()) + 2

    def _vector(self, text: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
        v = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
        return v / np.linalg.norm(v)

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vector(t) for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)


def _marker(stem: str, n: int) -> str:
    """A word found nowhere else: letters only, since digits are split off as tokens."""
    return stem + "".join("bcdfghjklm"[int(d)] for d in str(n)) + "q"


def _paragraph(rng: np.random.Generator, words: int) -> str:
    return " ".join(WORDS[i] for i in rng.integers(0, len(WORDS), words))


def write_corpus(content: Path, n_files: int) -> None:
    """N_FILES post-mortems of CHUNKS_PER_FILE sections, each about one chunk long."""
    rng = np.random.default_rng(7)
    for i in range(n_files):
        folder = content / "postmortems" / f"batch-{i // FILES_PER_FOLDER:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        sections = "\n\n".join(
            f"## Part {s}\n\n{_paragraph(rng, 150)} incident{i}x{s}" for s in range(CHUNKS_PER_FILE)
        )
        (folder / f"pm-{i:06d}.md").write_text(
            f"---\nid: pm-{i:06d}\ntitle: Incident {i}\ndate: 2024-01-01\n---\n"
            f"# Incident {i}\n\n{sections}\n",
            encoding="utf-8",
        )


class Phases:
    """Wall time per phase, by wrapping the functions that make up an ingest."""

    TARGETS: tuple[tuple[Any, str, str], ...] = (
        (pipeline, "discover", "discover (walk)"),
        (Ingestor, "_remove_vanished", "detect deletions"),
        (Ingestor, "_read_changed", "stat + hash + parse + chunk"),
        (Ingestor, "_embed_and_store", "embed + write catalog/vectors/keyword"),
        (generations, "sweep", "sweep old generations"),
        (generations, "new_generation", "new generation (link + copy catalog)"),
        (writer, "open_catalog", "open catalog"),
        (vectors.VectorIndex, "load", "load FAISS"),
        (vectors.VectorIndex, "save", "save FAISS"),
        (keyword.KeywordIndex, "save", "commit keyword index"),
        (writer.IndexWriter, "publish", "publish (commit, checkpoint, saves, fsync)"),
        (generations, "publish", "fsync + swap CURRENT"),
    )

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._saved: list[tuple[Any, str, Any]] = []

    def _wrap(self, fn: Callable[..., Any], label: str) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - start

        return timed

    @contextlib.contextmanager
    def recording(self) -> Iterator[Phases]:
        self.seconds.clear()
        for owner, name, label in self.TARGETS:
            original = owner.__dict__[name]
            fn = original.__func__ if isinstance(original, classmethod | staticmethod) else original
            wrapped: Any = self._wrap(fn, label)
            if isinstance(original, classmethod):
                wrapped = classmethod(wrapped)
            elif isinstance(original, staticmethod):
                wrapped = staticmethod(wrapped)
            setattr(owner, name, wrapped)
            self._saved.append((owner, name, original))
        try:
            yield self
        finally:
            for owner, name, original in reversed(self._saved):
                setattr(owner, name, original)
            self._saved.clear()


def _chunk_count(data_dir: Path) -> int:
    if generations.current_generation(data_dir) is None:
        return 0
    snap = IndexSnapshot.open(data_dir)
    try:
        return int(snap.cursor().execute("SELECT count(*) FROM chunks").fetchone()[0])  # type: ignore[index]
    finally:
        snap.close()


def build(settings: Settings, content: Path, chunks: int, embedder: SyntheticEmbedder) -> float:
    """Index a corpus of about CHUNKS chunks (reused when already there); returns seconds."""
    n_files = max(1, chunks // CHUNKS_PER_FILE)
    if not (content / "postmortems").is_dir():
        print(f"writing {n_files} files to {content} …", file=sys.stderr)
        write_corpus(content, n_files)
    if _chunk_count(settings.data_dir) >= chunks * 0.9:
        return 0.0
    print("building the index (once) …", file=sys.stderr)
    start = time.perf_counter()
    Ingestor(settings, embedder).run([str(content)])
    return time.perf_counter() - start


def _visible(
    settings: Settings, embedder: SyntheticEmbedder, marker: str, doc_id: str
) -> tuple[float, float]:
    """Open the published version as a reader would and find MARKER: (open s, query s)."""
    start = time.perf_counter()
    snap = IndexSnapshot.open(settings.data_dir)
    opened = time.perf_counter() - start
    searcher = Searcher(snap, embedder.embed_query)
    searcher.search(marker, mode="hybrid", limit=10)  # what the portal runs
    queried = time.perf_counter() - start - opened
    # Synthetic vectors mean nothing, so dense ranking is noise: check with keywords.
    hits = searcher.search(marker, mode="keyword", limit=3)
    snap.close()
    if not hits or hits[0].doc_id != doc_id:
        raise AssertionError(f"{marker!r} not found in {doc_id} after the update: {hits[:1]}")
    return opened, queried


def one_update(
    settings: Settings,
    content: Path,
    embedder: SyntheticEmbedder,
    n: int,
    *,
    changed_only: bool,
) -> dict[str, float]:
    files = sorted((content / "postmortems").glob("batch-*/pm-*.md"))
    target = files[(n * 7919) % len(files)]
    marker = _marker("zanzibar", n)
    phases = Phases()
    start = time.perf_counter()
    with target.open("a", encoding="utf-8") as fh:
        fh.write(f"\n## Update {n}\n\nAdded in update {n}: {marker} and a few more words.\n")
    with phases.recording():
        if changed_only:
            report = Ingestor(settings, embedder).run([str(content)], paths=[str(target)])
        else:
            report = Ingestor(settings, embedder).run([str(content)])
    ingest_s = time.perf_counter() - start
    assert report.count("indexed") == 1, report.summary()
    opened, queried = _visible(settings, embedder, marker, target.stem)
    result = dict(phases.seconds)
    result.update(
        {
            "ingest total": ingest_s,
            "reader: open snapshot": opened,
            "reader: hybrid query (10 hits)": queried,
            "save → searchable": time.perf_counter() - start,
        }
    )
    return result


def through_watcher(
    settings: Settings, content: Path, embedder: SyntheticEmbedder, saves: int
) -> list[float]:
    """Seconds from each save until a fresh snapshot finds it, with `watch()` running."""
    from ingest.watch import watch

    reports: list[object] = []
    stop = threading.Event()
    thread = threading.Thread(
        target=watch,
        args=(settings, [str(content)]),
        kwargs={"embedder": embedder, "stop": stop, "on_report": reports.append},
        daemon=True,
    )
    thread.start()
    while not reports:  # the catch-up run over the whole tree
        time.sleep(0.05)
    files = sorted((content / "postmortems").glob("batch-*/pm-*.md"))
    times = []
    base = int(time.time()) % 100_000 + 500
    for i in range(saves):
        target = files[((base + i) * 6007) % len(files)]
        marker = _marker("watched", base + i)
        start = time.perf_counter()
        with target.open("a", encoding="utf-8") as fh:
            fh.write(f"\n## Watched {i}\n\n{marker} appears here.\n")
        while True:
            snap = IndexSnapshot.open(settings.data_dir)
            found = snap.keyword.search(marker, 1)
            snap.close()
            if found:
                break
            time.sleep(0.1)  # a reader polling harder would steal the watcher's CPU
        times.append(time.perf_counter() - start)
        time.sleep(0.5)  # let the watcher settle, like a person between saves
    stop.set()
    thread.join()
    return times


def _table(title: str, runs: list[dict[str, float]]) -> list[str]:
    keys = list(dict.fromkeys(k for r in runs for k in r))
    lines = [
        f"### {title} ({len(runs)} updates)",
        "",
        "| phase | median ms | max ms |",
        "|---|---:|---:|",
    ]
    for key in keys:
        values = [r.get(key, 0.0) * 1000 for r in runs]
        lines.append(f"| {key} | {statistics.median(values):.0f} | {max(values):.0f} |")
    return lines


def _disk(data_dir: Path) -> dict[str, int]:
    gen = generations.current_generation(data_dir)
    assert gen is not None
    sizes = {
        "catalog": (gen / store.CATALOG_FILE).stat().st_size,
        "vectors": (gen / vectors.VECTORS_FILE).stat().st_size,
        "keyword": sum(
            f.stat().st_size for f in (gen / keyword.KEYWORD_DIR).rglob("*") if f.is_file()
        ),
    }
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--work",
        type=Path,
        default=Path("/tmp/hindsight-bench"),
        help="content and index live here; reused by later runs",
    )
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--updates", type=int, default=5, help="one-file updates to time")
    parser.add_argument("--watch-saves", type=int, default=10, help="saves timed via the watcher")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    content = args.work / "content"
    settings = Settings(data_dir=args.work / "data")
    embedder = SyntheticEmbedder()
    build_s = build(settings, content, args.chunks, embedder)
    chunks = _chunk_count(settings.data_dir)
    n_files = sum(1 for _ in (content / "postmortems").glob("batch-*/pm-*.md"))
    # The first update after a build pays for cold caches; run it untimed.
    base = int(time.time()) % 100_000
    one_update(settings, content, embedder, base, changed_only=True)
    changed = [
        one_update(settings, content, embedder, base + 1 + i, changed_only=True)
        for i in range(args.updates)
    ]
    full = [
        one_update(settings, content, embedder, base + 100 + i, changed_only=False)
        for i in range(args.updates)
    ]
    watched = through_watcher(settings, content, embedder, args.watch_saves)
    disk = _disk(settings.data_dir)
    lines = [
        f"Index: {chunks} chunks in {n_files} files; catalog {disk['catalog'] / 1e6:.0f} MB, "
        f"vectors {disk['vectors'] / 1e6:.0f} MB, keyword {disk['keyword'] / 1e6:.0f} MB"
        + (f"; built in {build_s:.0f} s" if build_s else " (reused)"),
        f"Machine: {os.cpu_count()} cores",
        "",
        *_table("One saved file, as the watcher ingests it (changed paths only)", changed),
        "",
        *_table("The same update through a full-tree ingest (stat walk of every file)", full),
        "",
        f"Through `hindsight watch` (debounce {DEBOUNCE_S} s included), {len(watched)} saves: "
        f"median {statistics.median(watched):.2f} s, worst {max(watched):.2f} s",
    ]
    print("\n".join(lines))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "chunks": chunks,
                    "files": n_files,
                    "disk": disk,
                    "changed_only": changed,
                    "full_tree": full,
                    "watcher_s": watched,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.exit(main())
