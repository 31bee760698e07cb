"""`python -m bench.run`: Hindsight's performance at 10k, 100k and 1M chunks, on this machine.

Builds scaled corpora from ../shared/corpus (varied copies of real files, real MiniLM vectors
plus noise) into .hindsight-bench/, indexes them with the product's own ingest or writer, and
measures every figure in a fresh process (peak RSS is that process's): search latency through
the portal's searcher, dense/keyword latency and recall@10 against exact search, cold start,
one-file updates, and the ingest pipeline against raw `model.encode` of the same chunks.
Results are merged into bench/results/perf.json and rendered into docs/benchmarks.md between
its `bench:begin`/`bench:end` markers (text outside them is kept).

Examples:
  python -m bench.run --shared ../shared
  python -m bench.run --shared ../shared --sizes 10k,100k
  python -m bench.run --shared ../shared --only search,cold --sizes 1m
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import perf_report
from bench.perf_corpus import BENCH_DIR

ROOT = Path(__file__).resolve().parent.parent
STEPS = ("build", "search", "cold", "update", "ingest")
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}


def worker(task: str, args: dict[str, Any], timeout: float = 7200) -> dict[str, Any]:
    """Run one task in a fresh interpreter; its JSON result."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    args = {**args, "spawned_at": time.time()}
    proc = subprocess.run(
        [sys.executable, "-m", "bench.perf_worker", task, json.dumps(args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return dict(json.loads(line[len("RESULT ") :]))
    raise RuntimeError(f"{task} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")


def say(message: str) -> None:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"[{time.strftime('%H:%M:%S')} load {load}] {message}", file=sys.stderr, flush=True)


def built(data: Path, chunks: int) -> bool:
    stamp = data / "bench-built.json"
    if not stamp.exists():
        return False
    info = json.loads(stamp.read_text())
    from bench.perf_build import BUILD_FORMAT

    return bool(info.get("format") == BUILD_FORMAT and abs(info["chunks"] - chunks) < chunks * 0.2)


def run_size(label: str, opts: argparse.Namespace, steps: set[str], out: dict[str, Any]) -> None:
    chunks = SIZES[label]
    data, tree = opts.work / f"index-{label}", opts.work / f"tree-{label}"
    common = {"data_dir": str(data), "shared": str(opts.shared), "queries": opts.queries}
    entry = out.setdefault("sizes", {}).setdefault(label, {})
    if "build" in steps and (opts.rebuild or not built(data, chunks)):
        say(f"{label}: building the index")
        corpus = str(opts.shared / "corpus")
        entry["build"] = worker(
            "build",
            {
                "corpus": corpus,
                "data_dir": str(data),
                "tree_dir": str(tree),
                "chunks": chunks,
            },  # fmt: skip
        )
    if not built(data, chunks):
        say(f"{label}: no index, skipped")
        return
    if "search" in steps:
        say(f"{label}: search latency")
        entry["search"] = worker("search", common)
        say(f"{label}: dense / keyword alone, recall@10 against exact")
        entry["retrievers"] = worker("retrievers", common)
    if "cold" in steps:
        say(f"{label}: cold start ×{opts.cold_runs}")
        runs = [worker("cold", {"data_dir": str(data)}) for _ in range(opts.cold_runs)]
        entry["cold"] = {
            "runs": runs,
            "median_s": statistics.median(r["since_spawn_s"] for r in runs),
        }
    if "update" in steps and chunks <= 200_000 and tree.exists():
        say(f"{label}: one-file updates ×{opts.updates}")
        basis = sorted(BENCH_DIR.glob("real-vectors-*.npy"))[-1]
        entry["update"] = worker(
            "update",
            {
                "data_dir": str(data),
                "tree_dir": str(tree),
                "basis": str(basis),
                "updates": opts.updates,
                "stride": 97,
            },  # fmt: skip
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Examples:\n  python -m bench.run --shared ../shared --sizes 10k,100k",
    )
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--sizes", default="10k,100k,1m", help="any of 10k,100k,1m")
    parser.add_argument("--only", default=",".join(STEPS), help=f"steps: {','.join(STEPS)}")
    parser.add_argument("--out", type=Path, default=ROOT / "docs/benchmarks.md")
    parser.add_argument("--json", type=Path, default=ROOT / "bench/results/perf.json")
    parser.add_argument("--work", type=Path, default=BENCH_DIR)
    parser.add_argument("--queries", type=int, default=300, help="queries per latency run")
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--updates", type=int, default=5)
    parser.add_argument("--ingest-chunks", type=int, default=1000)
    parser.add_argument("--ingest-rounds", type=int, default=2)
    parser.add_argument("--rebuild", action="store_true", help="rebuild cached indexes")
    opts = parser.parse_args(argv)
    if not (opts.shared / "corpus").is_dir():
        print(f"no corpus under {opts.shared}: pass --shared", file=sys.stderr)
        return 2
    opts.shared, opts.work = opts.shared.resolve(), opts.work.resolve()
    steps = set(opts.only.split(","))
    results: dict[str, Any] = json.loads(opts.json.read_text()) if opts.json.exists() else {}
    results["command"] = "python -m bench.run " + " ".join(argv or sys.argv[1:])
    results.setdefault("load_avg", {})["start"] = os.getloadavg()
    started = time.perf_counter()
    for label in opts.sizes.split(","):
        run_size(label.strip().lower(), opts, steps, results)
        save(results, opts)
    if "ingest" in steps:
        say(f"ingest: real model, ~{opts.ingest_chunks} chunks, {opts.ingest_rounds} rounds")
        results["ingest"] = worker(
            "ingest",
            {
                "corpus": str(opts.shared / "corpus"),
                "work_dir": str(opts.work / "ingest"),
                "chunks": opts.ingest_chunks,
                "rounds": opts.ingest_rounds,
                "profile": True,
            },  # fmt: skip
        )
    results["load_avg"]["end"] = os.getloadavg()
    results["bench_minutes"] = (time.perf_counter() - started) / 60
    save(results, opts)
    say(f"done in {results['bench_minutes']:.1f} min: {opts.out}")
    return 0


def save(results: dict[str, Any], opts: argparse.Namespace) -> None:
    opts.json.parent.mkdir(parents=True, exist_ok=True)
    opts.json.write_text(json.dumps(results, indent=1))
    perf_report.write(results, opts.out)


if __name__ == "__main__":
    raise SystemExit(main())
