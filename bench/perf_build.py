"""Worker tasks that write: build a scaled index, update one file in it, time a real ingest."""

from __future__ import annotations

import cProfile
import datetime as dt
import io
import json
import pstats
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.perf_corpus import (
    REAL_MODEL_ID,
    SyntheticEmbedder,
    TokenCounter,
    Varier,
    parse_corpus,
    real_vectors,
    variant_docs,
    write_tree,
)
from bench.perf_worker import Timers, peak_rss_mb
from index import generations
from index.embedder import SentenceTransformerEmbedder
from index.embedding_cache import EmbeddingCache
from index.reader import IndexSnapshot
from index.search import Searcher
from index.settings import Settings
from index.vectors import VectorIndex
from index.writer import IndexWriter
from ingest.pipeline import Ingestor

BUILD_FORMAT = "2"  # bump when the way bench indexes are built changes
TREE_MAX = 200_000  # up to this many chunks the index is built by ingesting files


def task_build(args: dict[str, Any]) -> dict[str, Any]:
    """An index of about args['chunks'] chunks: ingested from a tree, or written directly."""
    corpus, data = Path(args["corpus"]), Path(args["data_dir"])
    counter = TokenCounter()
    docs = parse_corpus(corpus, counter)
    basis = real_vectors(docs)
    real_chunks = sum(len(d.chunks) for d in docs)
    copies = max(1, round(args["chunks"] / real_chunks))
    shutil.rmtree(data, ignore_errors=True)
    embedder = SyntheticEmbedder(basis, counter)
    t = time.perf_counter()
    if args["chunks"] <= TREE_MAX:
        tree = Path(args["tree_dir"])
        files = write_tree(corpus, tree, copies)
        written = time.perf_counter() - t
        t = time.perf_counter()
        report = Ingestor(Settings(data_dir=data), embedder).run([str(tree)])
        how = f"hindsight ingest of {files} files (synthetic vectors)"
        extra = {"files": files, "write_tree_s": written, "report": report.summary()}
    else:
        _write_directly(data, docs, embedder, copies, args.get("copies_per_session", 40))
        how = (
            f"{copies} varied copies through IndexWriter sessions (vectors and keyword index "
            "by the writer, catalog rows in bulk; synthetic vectors)"
        )
        extra = {}
    seconds = time.perf_counter() - t
    snap = IndexSnapshot.open(data)
    chunks = len(snap.vectors)
    stamp = {"format": BUILD_FORMAT, "chunks": chunks, "copies": copies}
    (data / "bench-built.json").write_text(json.dumps(stamp))
    return {
        "chunks": chunks,
        "copies": copies,
        "real_chunks": real_chunks,
        "how": how,
        "build_s": seconds,
        "vector_kind": snap.vectors.kind,
        "peak_rss_mb": peak_rss_mb(),
        **extra,
    }


def _write_directly(
    data: Path, docs: list[Any], embedder: SyntheticEmbedder, copies: int, per_session: int
) -> None:
    """The real writer's sessions, vectors and keyword index; catalog rows in bulk.

    Parsing a million chunks would take hours, and CatalogWriter.insert_document's
    row-by-row `executemany` about as long (see the ingest profile), so rows go in as Arrow
    tables: the same tables and values, inserted set-wise.
    """
    varier = Varier(Path(docs[0].unit.root).parent)
    for first in range(0, copies, per_session):
        with IndexWriter(data, REAL_MODEL_ID) as writer:
            for copy in range(first, min(copies, first + per_session)):
                items = list(variant_docs(docs, varier, copy))
                vectors = [embedder.embed_batch([c.embed_text for c in ch]) for _, ch, _ in items]
                _bulk_put(writer, items, vectors)
            writer.publish(embedder.dim)


def _bulk_put(writer: IndexWriter, items: list[Any], vectors: list[np.ndarray]) -> None:
    """Insert new documents (absent from the index) the way put_document would."""

    import pyarrow as pa

    from index.facets import document_facets
    from index.keyword import KeywordEntry
    from index.writer import keyword_title

    con, now = writer.catalog.con, dt.datetime.now()
    docs = [doc for doc, _, _ in items]
    chunks = [(doc, c) for doc, ch, _ in items for c in ch]
    facets = [(d.doc_id, f, v) for d in docs for f, v in document_facets(d.metadata)]
    segments = [(d.doc_id, i, s) for d in docs for i, s in enumerate(d.segments)]
    tables = {
        "documents": {
            "doc_id": [d.doc_id for d in docs], "kind": [d.kind for d in docs],
            "title": [d.title for d in docs], "path": [p for _, _, p in items],
            "source_key": [p for _, _, p in items], "date": [d.date for d in docs],
            "metadata": [json.dumps(d.metadata, default=str) for d in docs],
            "body": [d.body for d in docs], "indexed_at": [now] * len(docs),
        },
        "doc_facets": {"doc_id": [f[0] for f in facets], "facet": [f[1] for f in facets],
                       "value": [f[2] for f in facets]},
        "chunks": {
            "chunk_id": [c.chunk_id for _, c in chunks], "doc_id": [c.doc_id for _, c in chunks],
            "ordinal": [c.ordinal for _, c in chunks], "text": [c.text for _, c in chunks],
            "context": [c.context for _, c in chunks], "heading": [c.heading for _, c in chunks],
            "text_hash": [c.text_hash for _, c in chunks],
            "n_tokens": [c.n_tokens for _, c in chunks], "start_s": [c.start for _, c in chunks],
            "end_s": [c.end for _, c in chunks], "speaker": [c.speaker for _, c in chunks],
        },
        "segments": {
            "doc_id": [s[0] for s in segments], "ordinal": [s[1] for s in segments],
            "start_s": [s[2].start for s in segments], "end_s": [s[2].end for s in segments],
            "speaker": [s[2].speaker for s in segments], "text": [s[2].text for s in segments],
        },
    }  # fmt: skip
    for name, columns in tables.items():
        con.register("bulk", pa.table(columns))
        con.execute(f"INSERT INTO {name} SELECT * FROM bulk")
        con.unregister("bulk")
    writer.catalog.dirty = True
    ids = np.array([c.chunk_id for _, c in chunks], dtype=np.int64)
    writer.vectors(SyntheticEmbedder.dim).add(ids, np.concatenate(vectors))
    writer.keyword.add(
        KeywordEntry(c.chunk_id, doc.doc_id, doc.kind, keyword_title(doc, c), c.text)
        for doc, c in chunks
    )


def task_update(args: dict[str, Any]) -> dict[str, Any]:
    """Edit one file of the tree, ingest the tree, time each phase and the way to searchable."""
    data, tree = Path(args["data_dir"]), Path(args["tree_dir"])
    counter = TokenCounter()
    basis = np.load(args["basis"])
    embedder = SyntheticEmbedder(basis, counter)
    settings = Settings(data_dir=data)
    ingestor = Ingestor(settings, embedder)
    targets = sorted(tree.glob("postmortems/copy-*/*.md"))[:: max(1, args["stride"])]
    # Settle first: a pipeline change since the build (PIPELINE_VERSION) re-reads every file.
    t = time.perf_counter()
    settle = ingestor.run([str(tree)])
    settle_s = time.perf_counter() - t
    runs: list[dict[str, Any]] = []
    for no, path in enumerate(targets[: args["updates"]]):
        marker = f"zebrafinch{no}x{int(time.time())}"
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"\n\n## Follow-up {no}\n\nThe {marker} runbook now covers this failure.\n")
        timers = Timers()
        for owner, name, label in _UPDATE_PHASES:
            timers.wrap(owner, name, label)
        t = time.perf_counter()
        report = ingestor.run([str(tree)])
        ingest_s = time.perf_counter() - t
        timers.restore()
        visible_s = _find_edit(data, embedder, marker, path)
        phases = {label: timers.total(label) for *_, label in _UPDATE_PHASES}
        runs.append(
            {
                "file": str(path.relative_to(tree)),
                "chunks_embedded": report.chunks_embedded,
                "ingest_s": ingest_s,
                "open_and_query_s": visible_s,
                "phases_s": phases,
            }
        )
    # The watcher's way: the same kind of edit, ingesting only the changed path.
    watch_runs: list[dict[str, float]] = []
    for no, path in enumerate(targets[: args["updates"]]):
        marker = f"quailfinch{no}x{int(time.time())}"
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"\n\nThe {marker} check was added after a review.\n")
        t = time.perf_counter()
        report = ingestor.run([str(tree)], paths=[path])
        ingest_s = time.perf_counter() - t
        visible_s = _find_edit(data, embedder, marker, path)
        watch_runs.append({"ingest_s": ingest_s, "open_and_query_s": visible_s})
    real = _real_embedding_seconds(targets[: args["updates"]], data)
    return {
        "settle": {"seconds": settle_s, "report": settle.summary()},
        "runs": runs,
        "watch_runs": watch_runs,
        "median_watch_visible_s": statistics.median(
            r["ingest_s"] + r["open_and_query_s"] for r in watch_runs
        ),
        "median_ingest_s": statistics.median(r["ingest_s"] for r in runs),
        "median_visible_s": statistics.median(r["ingest_s"] + r["open_and_query_s"] for r in runs),
        "real_embed_s": real,
        "peak_rss_mb": peak_rss_mb(),
    }


def _find_edit(data: Path, embedder: Any, marker: str, path: Path) -> float:
    """Seconds to open the published version and find MARKER in PATH (asserted)."""
    t = time.perf_counter()
    snap = IndexSnapshot.open(data)
    hits = Searcher(snap, embedder.embed_query).search(marker, mode="keyword", limit=3)
    seconds = time.perf_counter() - t
    assert hits and hits[0].path.endswith(path.name), "the edit is not searchable"
    snap.close()
    return seconds


def _phases() -> list[tuple[Any, str, str]]:
    from ingest import pipeline

    return [
        (pipeline, "discover", "discover (walk the tree)"),
        (Ingestor, "_prepare", "stat + hash + parse + chunk (parse thread)"),
        (Ingestor, "_embed_and_store", "embed + write catalog/vectors/keyword"),
        (generations, "new_generation", "new generation (link files, copy catalog)"),
        (VectorIndex, "load", "open vectors"),
        (VectorIndex, "save", "save vectors"),
        (EmbeddingCache, "get", "embedding cache lookup"),
        (IndexWriter, "publish", "publish (commit, checkpoint, saves, fsync, swap)"),
        (generations, "publish", "… of which fsync + swap CURRENT"),
    ]


_UPDATE_PHASES = _phases()


def _real_embedding_seconds(paths: list[Path], data: Path) -> dict[str, float]:
    """What the real model takes for the edited files' chunks (median of 3), for the floor."""
    snap = IndexSnapshot.open(data)
    cur = snap.cursor()
    texts = []
    for path in paths:
        rows = cur.execute(
            "SELECT c.context, c.text FROM chunks c JOIN documents d USING (doc_id) "
            "WHERE d.path LIKE ?",
            [f"%{path.name}"],
        ).fetchall()
        texts.append([f"{c}\n{t}" if c else t for c, t in rows])
    embedder = SentenceTransformerEmbedder(Settings(query_backend="torch"))
    embedder.embed_batch(["warm up the model"] * 4)
    per_file = []
    for file_texts in texts:
        times = []
        for _ in range(3):
            t = time.perf_counter()
            embedder.embed_batch(file_texts)
            times.append(time.perf_counter() - t)
        per_file.append(statistics.median(times))
    return {
        "median_s": statistics.median(per_file),
        "median_chunks": statistics.median(len(t) for t in texts),
    }


def task_ingest(args: dict[str, Any]) -> dict[str, Any]:
    """The whole pipeline with the real model vs model.encode of the same chunk texts."""
    corpus, work = Path(args["corpus"]), Path(args["work_dir"])
    tree = work / "tree"
    chosen = _slice(corpus, tree, args["chunks"])
    embedder = SentenceTransformerEmbedder(
        Settings(query_backend="torch", batch_size=args.get("batch_size", 32))
    )
    embedder.embed_batch(["warm up the model"] * 8)  # loading is not throughput
    rounds = []
    texts: list[str] = []
    for no in range(args["rounds"]):
        order = ("raw", "pipeline") if no % 2 == 0 else ("pipeline", "raw")
        result: dict[str, Any] = {}
        for what in order:
            if what == "pipeline":
                result.update(_pipeline_once(embedder, tree, work / f"data-{no}"))
                texts = result.pop("texts")
            else:
                texts = texts or _chunk_texts(tree)
                t, cpu = time.perf_counter(), time.process_time()
                embedder.model.encode(
                    texts, batch_size=embedder.settings.batch_size, normalize_embeddings=True,
                    convert_to_numpy=True, show_progress_bar=False,
                )  # fmt: skip
                result["raw_s"] = time.perf_counter() - t
                result["raw_cpu_s"] = time.process_time() - cpu
                result["raw_cores_busy"] = result["raw_cpu_s"] / result["raw_s"]
        result["ratio"] = result["raw_s"] / result["pipeline_s"]
        result["cpu_ratio"] = result["raw_cpu_s"] / result["pipeline_cpu_s"]
        rounds.append(result)
    profile = _profile_once(embedder, tree, work / "data-profile") if args.get("profile") else ""
    chunks = rounds[0]["chunks"]
    tokens = rounds[0]["tokens"]
    pipe_s = statistics.median(r["pipeline_s"] for r in rounds)
    raw_s = statistics.median(r["raw_s"] for r in rounds)
    return {
        "files": chosen,
        "chunks": chunks,
        "tokens": tokens,
        "rounds": rounds,
        "pipeline_chunks_per_s": chunks / pipe_s,
        "pipeline_tokens_per_s": tokens / pipe_s,
        "raw_chunks_per_s": chunks / raw_s,
        "raw_tokens_per_s": tokens / raw_s,
        "ratio_median": statistics.median(r["ratio"] for r in rounds),
        "cpu_ratio_median": statistics.median(r["cpu_ratio"] for r in rounds),
        "profile": profile,
        "peak_rss_mb": peak_rss_mb(),
    }


def _slice(corpus: Path, tree: Path, target: int) -> int:
    """Copy real files into TREE, alternating post-mortems and transcripts, to ~TARGET chunks."""
    counter = TokenCounter()
    docs = parse_corpus(corpus, counter)
    pms = [d for d in docs if d.doc.kind == "postmortem"]
    talks = [d for d in docs if d.doc.kind != "postmortem"]
    shutil.rmtree(tree, ignore_errors=True)
    total, chosen = 0, 0
    while total < target and (pms or talks):
        for pool in (pms, talks, pms, pms):  # post-mortem chunks are the longer ones
            if pool and total < target:
                doc = pool.pop(0)
                rel = doc.unit.primary.relative_to(corpus)
                (tree / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(doc.unit.primary, tree / rel)
                total += len(doc.chunks)
                chosen += 1
    return chosen


def _chunk_texts(tree: Path) -> list[str]:
    counter = TokenCounter()
    return [c.embed_text for d in parse_corpus(tree, counter) for c in d.chunks]


def _pipeline_once(embedder: SentenceTransformerEmbedder, tree: Path, data: Path) -> dict[str, Any]:
    shutil.rmtree(data, ignore_errors=True)
    settings = Settings(data_dir=data, batch_size=embedder.settings.batch_size)
    timers = Timers()
    timers.wrap(Ingestor, "_prepare", "parse + chunk (parse thread, overlaps embed)")
    timers.wrap(SentenceTransformerEmbedder, "embed_batch", "embed")
    timers.wrap(IndexWriter, "put_document", "store (catalog, vectors, keyword)")
    timers.wrap(IndexWriter, "publish", "publish (buffered catalog rows, commit, saves)")
    timers.wrap(EmbeddingCache, "put", "embedding cache writes")
    t, cpu = time.perf_counter(), time.process_time()
    report = Ingestor(settings, embedder).run([str(tree)])
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
    timers.restore()
    snap = IndexSnapshot.open(data)
    rows = snap.cursor().execute("SELECT context, text, n_tokens FROM chunks").fetchall()
    snap.close()
    return {
        "pipeline_s": seconds,
        "pipeline_cpu_s": cpu,
        "chunks": report.chunks_embedded,
        "tokens": int(sum(r[2] for r in rows)),
        "phases_s": {label: timers.total(label) for label in timers.seconds},
        "texts": [f"{c}\n{t}" if c else t for c, t, _ in rows],
    }


def _profile_once(embedder: SentenceTransformerEmbedder, tree: Path, data: Path) -> str:
    shutil.rmtree(data, ignore_errors=True)
    settings = Settings(data_dir=data, batch_size=embedder.settings.batch_size)
    profiler = cProfile.Profile()
    profiler.enable()
    Ingestor(settings, embedder).run([str(tree)])
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
    return out.getvalue()


TASKS = {"build": task_build, "update": task_update, "ingest": task_ingest}
