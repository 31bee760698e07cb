"""`python -m bench.ray_embed`: chunks/s embedding locally vs through Ray Data, same chunks.

The chunks are the ones an ingest would embed (files parsed and chunked by the product's own
code, from ../shared/corpus when present, else content/), sorted by length as the pipeline
sorts a window. Each engine embeds all of them once after a warm-up:

- local: `LocalEngine`, the model in this process (torch on every core);
- ray:   `RayEngine` on a local Ray cluster of --cpus CPUs, --concurrency actors (one model
  replica each, one CPU each), measured end to end (actor start-up and model load included)
  with the time until its first batch came back (actors started, model loaded, one
  batch embedded).

On a shared machine wall time depends on the other jobs, so CPU seconds are counted too: this
process's for the local run; the driver's plus every Ray process's (polled from /proc) for Ray.
Vectors of the two engines are compared (max |difference|). Prints one JSON line.
--driver-only instead ingests the whole corpus with embedding taken away (random vectors):
the chunks/s one driver can parse, chunk and index, i.e. the most a cluster can be fed.

Examples:
  python -m bench.ray_embed
  python -m bench.ray_embed --limit 2000 --concurrency 2 --batch-size 64
  python -m bench.ray_embed --corpus content --limit 300
  python -m bench.ray_embed --driver-only
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import threading
import time
from pathlib import Path

import numpy as np

from index.embedder import SentenceTransformerEmbedder
from index.errors import HindsightError
from index.models import Chunk
from index.settings import Settings
from ingest.chunking import chunk_document
from ingest.discovery import discover
from ingest.documents import parse_document
from ingest.engines import LocalEngine

ROOT = Path(__file__).resolve().parent.parent


def collect(root: Path, embedder: SentenceTransformerEmbedder, limit: int) -> list[Chunk]:
    """Distinct chunks of the files under ROOT, as the pipeline would embed them."""
    settings = embedder.settings
    units, _bad = discover(str(root))
    chunks: dict[str, Chunk] = {}
    for unit in units:
        try:
            doc = parse_document(
                unit.primary, unit.root, max_bytes=settings.max_bytes, sidecar=unit.sidecar
            )
        except HindsightError:
            continue
        for chunk in chunk_document(
            doc,
            embedder.count_tokens,
            max_tokens=embedder.max_tokens,
            target_tokens=settings.chunk_tokens,
            transcript_target_tokens=settings.transcript_chunk_tokens,
        ):
            chunks.setdefault(chunk.text_hash, chunk)
        if len(chunks) >= limit:
            break
    picked = list(chunks.values())[:limit]
    picked.sort(key=lambda c: c.n_tokens)
    return picked


class DescendantCpu:
    """CPU seconds used by this process's descendants (Ray's GCS, raylet and workers), by
    polling /proc: contended wall time says little on a shared machine, CPU time more."""

    def __init__(self) -> None:
        self.seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self.tick = os.sysconf("SC_CLK_TCK")

    def _children(self) -> dict[int, list[int]]:
        tree: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                tree.setdefault(ppid, []).append(int(entry))
        return tree

    def _sample(self) -> None:
        tree, todo = self._children(), [os.getpid()]
        while todo:
            for pid in tree.get(todo.pop(), []):
                todo.append(pid)
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                used = sum(int(f) for f in fields[11:15]) / self.tick  # utime stime cu cs
                self.seen[pid] = max(self.seen.get(pid, 0.0), used)

    def _poll(self) -> None:
        while not self._stop.wait(0.25):
            self._sample()

    def __enter__(self) -> DescendantCpu:
        self._sample()
        self.baseline = dict(self.seen)  # what Ray's processes had used before: not counted
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._sample()
        self._stop.set()
        self._thread.join()

    @property
    def seconds(self) -> float:
        return sum(used - self.baseline.get(pid, 0.0) for pid, used in self.seen.items())


def run_engine(engine, ids: list[int], texts: list[str]):  # type: ignore[no-untyped-def]
    """(vectors by id, total seconds, seconds until the first batch came back)."""
    got: dict[int, np.ndarray] = {}
    start = time.perf_counter()
    first: float | None = None
    for part_ids, vectors in engine.embed(ids, texts):
        if first is None:
            first = time.perf_counter() - start
        got.update(zip(part_ids, vectors, strict=True))
    return got, time.perf_counter() - start, first or 0.0


class RandomEngine:
    """Instant random unit vectors: what an ingest costs the driver when embedding is free."""

    window = 20_000

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.rng = np.random.default_rng(0)

    def embed(self, ids: list[int], texts: list[str]):  # type: ignore[no-untyped-def]
        for start in range(0, len(ids), 1024):
            part = ids[start : start + 1024]
            vectors = self.rng.standard_normal((len(part), self.dim)).astype(np.float32)
            yield part, vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def close(self) -> None:
        pass


def driver_ceiling(root: Path, embedder: SentenceTransformerEmbedder) -> dict[str, float]:
    """Chunks/s of a whole ingest of ROOT (parse, chunk, cache, catalog, FAISS, tantivy,
    publish) with embedding taken away: the most one driver can feed a cluster."""
    import tempfile

    from ingest.pipeline import Ingestor

    with tempfile.TemporaryDirectory(prefix="hindsight-driver-") as tmp:
        settings = Settings(data_dir=Path(tmp))
        engine = RandomEngine(embedder.dim)
        load = os.getloadavg()[0]
        started, cpu = time.perf_counter(), time.process_time()
        report = Ingestor(settings, embedder, engine).run([str(root)])
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "load_before": load,
        "driver_chunks": report.chunks_embedded,
        "driver_seconds": round(seconds, 1),
        "driver_cpu_s": round(cpu, 1),
        "driver_chunks_per_s": round(report.chunks_embedded / seconds, 1),
        "driver_chunks_per_cpu_s": round(report.chunks_embedded / cpu, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    shared = ROOT.parent / "shared" / "corpus"
    parser.add_argument("--corpus", default=str(shared if shared.is_dir() else ROOT / "content"))
    parser.add_argument("--limit", type=int, default=1500, help="chunks to embed")
    parser.add_argument("--cpus", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--concurrency", type=int, default=2, help="Ray actors")
    parser.add_argument("--batch-size", type=int, default=64, help="chunks per actor call")
    parser.add_argument(
        "--driver-only", action="store_true", help="only the ingest-without-embedding ceiling"
    )
    args = parser.parse_args()
    if args.driver_only:
        embedder = SentenceTransformerEmbedder(Settings())
        print(json.dumps({"corpus": args.corpus, **driver_ceiling(Path(args.corpus), embedder)}))
        return

    load_before = os.getloadavg()[0]
    settings = Settings(ray_concurrency=args.concurrency, ray_batch_size=args.batch_size)
    embedder = SentenceTransformerEmbedder(settings)
    chunks = collect(Path(args.corpus), embedder, args.limit)
    ids, texts = [c.chunk_id for c in chunks], [c.embed_text for c in chunks]
    embedder.embed_batch(texts[:32])  # warm-up: model loaded, first-call costs paid

    local = LocalEngine(embedder, settings.batch_size)
    cpu_before = time.process_time()
    local_vectors, local_s, local_first = run_engine(local, ids, texts)
    local_cpu = time.process_time() - cpu_before

    import ray

    from ingest.ray_engine import RayEngine

    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    started = time.perf_counter()
    ray.init(num_cpus=args.cpus, include_dashboard=False, log_to_driver=False)
    init_s = time.perf_counter() - started
    engine = RayEngine(settings, embedder.model_id)
    try:
        with DescendantCpu() as cluster_cpu:
            cpu_before = time.process_time()
            ray_vectors, ray_s, ray_first = run_engine(engine, ids, texts)
            driver_cpu = time.process_time() - cpu_before
    finally:
        engine.close()
        ray.shutdown()
    ray_cpu = driver_cpu + cluster_cpu.seconds
    worst = max(float(np.abs(local_vectors[i] - ray_vectors[i]).max()) for i in ids)
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "load_before": load_before,
        "corpus": args.corpus,
        "chunks": len(ids),
        "mean_tokens": round(sum(c.n_tokens for c in chunks) / max(1, len(chunks)), 1),
        "local_chunks_per_s": round(len(ids) / local_s, 1),
        "ray_cpus": args.cpus,
        "ray_actors": args.concurrency,
        "ray_batch_size": args.batch_size,
        "ray_init_s": round(init_s, 1),
        "ray_chunks_per_s": round(len(ids) / ray_s, 1),
        "ray_first_batch_s": round(ray_first, 1),
        "local_first_batch_s": round(local_first, 1),
        "ray_total_s": round(ray_s, 1),
        "local_total_s": round(local_s, 1),
        "local_cpu_s": round(local_cpu, 1),
        "ray_cpu_s": round(ray_cpu, 1),  # driver + every Ray process (start-up included)
        "local_chunks_per_cpu_s": round(len(ids) / local_cpu, 2),
        "ray_chunks_per_cpu_s": round(len(ids) / ray_cpu, 2),
        "load_after": os.getloadavg()[0],
        "max_abs_difference": worst,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
