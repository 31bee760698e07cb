"""`python -m bench.radar_latency`: what the radar and the coordination figures add to a request.

Opens the index (default .hindsight/, built by `hindsight ingest content/`), fills a scratch state
store with N shared plans (two passages each, random unit vectors of the model's width) and N×10
brief events, then times in a warm process: `radar.related` for one plan (the plan's own
passages embedded once first, as a brief has already done) and `metrics.coordination` over
everything. Median of the rounds, per N.

Examples:
  python -m bench.radar_latency
  python -m bench.radar_latency --data-dir .hindsight --plans 100 1000 5000
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from circulation import metrics, radar
from circulation.state import SharedPlan, StateStore
from index.access import Viewer
from index.opener import open_archive
from index.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
PLAN = (ROOT / "bench" / "plans" / "ledger-hardware-move.md").read_text(encoding="utf-8")


def fill(store: StateStore, n: int, model: str, dim: int) -> None:
    """N plans through the store; N×10 brief events written in one transaction (only the reads
    are timed, and one transaction per event would take minutes)."""
    rng = np.random.default_rng(n)
    now = dt.datetime.now()
    for i in range(n):
        v = rng.normal(size=(2, dim)).astype(np.float32)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        when = now - dt.timedelta(hours=i % 500)
        team = f"team-{i % 40}"
        store.share_plan(SharedPlan(f"p{i}", f"o{i}", team, None, (), "x", f"{i}", model, v, when))
    store.briefs()  # the schema exists
    con = sqlite3.connect(store.path)
    with con:
        con.executemany(
            "INSERT INTO briefs (id, at, team, source, session) VALUES (?, ?, ?, 'portal', ?)",
            [
                (i + 1, (now - dt.timedelta(hours=i % 2000)).isoformat(), f"team-{i % 40}", f"s{i}")
                for i in range(n * 10)
            ],
        )
        con.executemany(
            "INSERT INTO brief_incidents (brief_id, doc_id) VALUES (?, ?)",
            [(i + 1, "pm-2025-03-14-ledger-replica-lag") for i in range(n * 10)],
        )
    con.close()


def median_of(rounds: int, call) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(archive, n: int, model: str, width: int, rounds: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(related plans, coordination figures) in seconds over a store of N plans."""
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), radar_days=365)
        store = StateStore(settings.data_dir)
        fill(store, n, model, width)
        related = median_of(rounds, lambda: radar.related(store, archive, settings, PLAN, team="x"))
        figures = median_of(rounds, lambda: metrics.coordination(archive, store, settings))
    return related, figures


def main() -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".hindsight")
    parser.add_argument("--plans", type=int, nargs="+", default=[0, 100, 1000, 3000])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    archive = open_archive(Settings(data_dir=args.data_dir), Viewer.everything("bench"))
    width = radar.plan_vectors(PLAN, archive.query_vector, archive.count_tokens).shape[1]
    model = archive.stats().model_id
    print("| shared plans | brief events | related plans (ms) | coordination figures (ms) |")
    print("|---:|---:|---:|---:|")
    for n in args.plans:
        related, figures = measure(archive, n, model, width, args.rounds)
        print(f"| {n} | {n * 10} | {related * 1000:.0f} | {figures * 1000:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
