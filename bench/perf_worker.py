"""One measurement per fresh process, so peak RSS is that measurement's: `python -m
bench.perf_worker TASK JSON-ARGS` prints one JSON object. Imports stay inside the tasks:
the cold-start task must import no more than the portal does.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

START = time.time()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values: list[float], q: float) -> float:
    """The Q-quantile (0..1) of VALUES, nearest-rank on the sorted list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def ms_stats(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {"p50": statistics.median(ms), "p95": pct(ms, 0.95), "n": len(ms)}


class Timers:
    """Seconds spent in wrapped functions, per label, while recording."""

    def __init__(self) -> None:
        self.seconds: dict[str, list[float]] = {}
        self._undo: list[Callable[[], None]] = []

    def wrap(self, owner: Any, name: str, label: str) -> None:
        original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
        kind = type(original) if isinstance(original, classmethod | staticmethod) else None
        fn = original.__func__ if kind else original

        def timed(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds.setdefault(label, []).append(time.perf_counter() - t)

        setattr(owner, name, kind(timed) if kind else timed)
        self._undo.append(lambda: setattr(owner, name, original))

    def total(self, label: str) -> float:
        return sum(self.seconds.get(label, []))

    def restore(self) -> None:
        while self._undo:
            self._undo.pop()()


def load_queries(shared: Path, n: int, *, judged_only: bool = False) -> list[str]:
    """The judged dev queries (on-topic), then SciFact claims (off-topic), up to N texts."""
    texts: list[str] = []
    for name in ("queries/postmortems_dev.jsonl", "queries/transcripts_dev.jsonl"):
        path = shared / name
        if path.exists():
            texts += [json.loads(line)["query"] for line in path.read_text().splitlines() if line]
    scifact = shared / "benchmarks/scifact/queries.jsonl"
    if scifact.exists() and not judged_only:
        texts += [json.loads(line)["text"] for line in scifact.read_text().splitlines() if line]
    return list(dict.fromkeys(texts))[:n]


# --- tasks --------------------------------------------------------------------------------


def task_cold(args: dict[str, Any]) -> dict[str, Any]:
    """Import the portal's search path, open the index, answer one query."""
    t0 = time.perf_counter()
    from index.opener import open_searcher
    from index.settings import Settings

    t1 = time.perf_counter()
    searcher = open_searcher(Settings(data_dir=Path(args["data_dir"])))
    t2 = time.perf_counter()
    hits = searcher.search(args.get("query", "database failover replication lag"), limit=10)
    t3 = time.perf_counter()
    return {
        "since_spawn_s": time.time() - args["spawned_at"],
        "import_s": t1 - t0,
        "open_s": t2 - t1,
        "first_query_s": t3 - t2,
        "hits": len(hits),
        "torch_imported": "torch" in sys.modules,
        "peak_rss_mb": peak_rss_mb(),
    }


def task_search(args: dict[str, Any]) -> dict[str, Any]:
    """End-to-end latency through the portal's searcher, then where the time goes."""
    import datetime as dt

    from index.filters import SearchFilters
    from index.opener import open_searcher
    from index.settings import Settings

    searcher = open_searcher(Settings(data_dir=Path(args["data_dir"])))
    queries = load_queries(Path(args["shared"]), args["queries"])
    for q in queries[: args.get("warmup", 30)]:
        searcher.search(q, limit=10)
    runs: dict[str, Any] = {}
    cases: dict[str, SearchFilters | None] = {
        "hybrid": None,
        "hybrid, kind=postmortem": SearchFilters(kinds=("postmortem",)),
        "hybrid, date ≥ 2020": SearchFilters(date_from=dt.date(2020, 1, 1)),
    }
    for label, filters in cases.items():
        runs[label] = _latency(searcher, queries if filters is None else queries[:100], filters)
    on_topic = len(load_queries(Path(args["shared"]), 10_000, judged_only=True))
    runs["hybrid, judged on-topic queries"] = _latency(searcher, queries[:on_topic], None)
    rss = peak_rss_mb()
    # Breakdowns, in second passes (the wrappers cost a little).
    phases = {
        "hybrid": _breakdown(searcher, queries, None),
        "kind filter": _breakdown(searcher, queries[:100], cases["hybrid, kind=postmortem"]),
    }
    return {
        "chunks": len(searcher.snapshot.vectors),
        "vector_kind": searcher.snapshot.vectors.kind,
        "profile": _profile(searcher, queries[:100]),
        "runs": runs,
        "phases_mean_ms": phases["hybrid"],
        "phases_kind_filter_mean_ms": phases["kind filter"],
        "peak_rss_mb": rss,
    }


def _latency(searcher: Any, queries: list[str], filters: Any) -> dict[str, float]:
    seconds = []
    for q in queries:
        t = time.perf_counter()
        searcher.search(q, limit=10, filters=filters)
        seconds.append(time.perf_counter() - t)
    return ms_stats(seconds)


def _profile(searcher: Any, queries: list[str]) -> str:
    """cProfile of QUERIES, the functions that hold the time themselves first."""
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for q in queries:
        searcher.search(q, limit=10)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(18)
    return out.getvalue()


def _breakdown(searcher: Any, queries: list[str], filters: Any) -> dict[str, float]:
    """Mean ms per query in each step of Searcher.search (functions wrapped by name)."""
    from index import catalog, search

    timers = Timers()
    snap = searcher.snapshot
    timers.wrap(searcher, "embed_query", "encode query")
    timers.wrap(snap.vectors, "search", "vector search")
    timers.wrap(snap.keyword, "search", "keyword search")
    timers.wrap(snap.table, "allowed", "filter: allowed documents and chunks")
    timers.wrap(catalog, "chunks_by_id", "fetch chunks")
    timers.wrap(catalog, "documents_by_id", "fetch documents")
    timers.wrap(snap.vectors, "vectors_of", "moments: read back passages")
    timers.wrap(search, "_doc_of", "chunk → document map")
    timers.wrap(search, "fuse", "fusion")
    timers.wrap(search, "make_snippet", "snippets")
    total = []
    for q in queries:
        t = time.perf_counter()
        searcher.search(q, limit=10, filters=filters)
        total.append(time.perf_counter() - t)
    timers.restore()
    n = len(queries)
    phases = {k: 1000 * sum(v) / n for k, v in timers.seconds.items()}
    phases["other"] = 1000 * sum(total) / n - sum(phases.values())
    return phases


def task_retrievers(args: dict[str, Any]) -> dict[str, Any]:
    """Dense and keyword retrieval alone (200 candidates, as the searcher asks), and recall."""
    import numpy as np

    from index.embedder import SentenceTransformerEmbedder
    from index.reader import IndexSnapshot
    from index.settings import Settings

    snap = IndexSnapshot.open(Path(args["data_dir"]))
    embedder = SentenceTransformerEmbedder(Settings())
    queries = load_queries(Path(args["shared"]), args["queries"])
    qv = np.stack([embedder.embed_query(q) for q in queries])
    k = 200
    dense, kw = [], []
    ann_top: list[list[int]] = []
    for q, v in zip(queries, qv, strict=True):
        t = time.perf_counter()
        found = snap.vectors.search(v, k)
        dense.append(time.perf_counter() - t)
        ann_top.append([cid for cid, _ in found[:10]])
        t = time.perf_counter()
        snap.keyword.search(q, k)
        kw.append(time.perf_counter() - t)
    rss = peak_rss_mb()
    # Exact top-10 by brute force over every stored vector.
    best = np.full((len(queries), 10), -np.inf, dtype=np.float32)
    best_ids = np.zeros((len(queries), 10), dtype=np.int64)
    for ids, vecs in snap.vectors.items():
        scores = qv @ vecs.T
        both = np.concatenate([best, scores], axis=1)
        both_ids = np.concatenate([best_ids, np.broadcast_to(ids, scores.shape)], axis=1)
        top = np.argsort(-both, axis=1)[:, :10]
        best = np.take_along_axis(both, top, 1)
        best_ids = np.take_along_axis(both_ids, top, 1)
    recall = [len(set(a) & set(e.tolist())) / 10 for a, e in zip(ann_top, best_ids, strict=True)]
    on_topic = len(load_queries(Path(args["shared"]), 10_000, judged_only=True))
    encode = _encode_costs(embedder, queries)
    return {
        "chunks": len(snap.vectors),
        "vector_kind": snap.vectors.kind,
        "dense_ms": ms_stats(dense),
        "keyword_ms": ms_stats(kw),
        "recall_at_10": float(np.mean(recall)),
        "recall_at_10_on_topic": float(np.mean(recall[:on_topic])),
        "recall_at_10_off_topic": float(np.mean(recall[on_topic:])),
        "recall_min": float(np.min(recall)),
        "encode": encode,
        "peak_rss_mb_before_recall": rss,
    }


def _encode_costs(embedder: Any, queries: list[str]) -> dict[str, float]:
    """One query's embedding: ONNX over the query set and for a short query, vs torch."""

    def p50(encode: Callable[[str], Any], texts: list[str]) -> float:
        seconds = []
        for text in texts:
            t = time.perf_counter()
            encode(text)
            seconds.append(time.perf_counter() - t)
        return 1000 * statistics.median(seconds)

    short = ["replica failover lag"] * 100
    onnx = embedder.query_encoder()
    tokens = [len(onnx.tokenizer.encode(q).ids) for q in queries] if onnx else [0]
    out = {
        "onnx_ms": p50(embedder.embed_query, queries),
        "onnx_short_ms": p50(embedder.embed_query, short),
        "tokens_median": statistics.median(tokens),
    }
    embedder.embed_query_torch("warm up")
    out["torch_ms"] = p50(embedder.embed_query_torch, queries[:100])
    out["torch_short_ms"] = p50(embedder.embed_query_torch, short)
    return out


TASKS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "cold": task_cold,
    "search": task_search,
    "retrievers": task_retrievers,
}


def main() -> None:
    task, raw = sys.argv[1], sys.argv[2]
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if task not in TASKS:
        from bench import perf_build

        TASKS.update(perf_build.TASKS)
    result = TASKS[task](json.loads(raw))
    result.setdefault("peak_rss_mb", peak_rss_mb())
    result["load_avg"] = os.getloadavg()
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
