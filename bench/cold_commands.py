"""`python -m bench.cold_commands`: a cold `hindsight brief -` and `hindsight search`, end to end.

What a pull-request check, a cron job or a chat command pays: a fresh `hindsight` process per
call, timed from exec to exit, over an index of the bundled content (built first into
--data-dir when missing). The brief reads a one-paragraph plan (the first content/ plan of
bench/judgements/briefs.jsonl) on stdin; search asks for a query that names no organisation of
the index. Runs alternate (brief, search, brief, …) so both see the same load; the median of
--rounds fresh processes each is reported with the load average before and after, and whether
each process imported torch (it must not).

Examples:
  python -m bench.cold_commands
  python -m bench.cold_commands --rounds 9 --data-dir /tmp/hs-cold
  python -m bench.cold_commands --baseline /tmp/main-checkout     # before and after, in turn
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUERY = "replica promoted while replication lag was high"
# Run inside each timed process at exit: did anything import torch?
PROBE = "import atexit, sys; atexit.register(lambda: sys.stderr.write('TORCH=%d\\n' % ('torch' in sys.modules)))"


def plan_paragraph() -> str:
    judged = ROOT / "bench" / "judgements" / "briefs.jsonl"
    for line in judged.read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            if row["corpus"] == "content":
                return str(row["paragraph"])
    raise SystemExit("no content/ plan in briefs.jsonl")


def hindsight(*args: str) -> list[str]:
    launcher = f"{PROBE}; from cli import run; sys.argv = ['hindsight', *sys.argv[1:]]; run()"
    return [sys.executable, "-c", launcher, *args]


def timed(cmd: list[str], stdin: str | None, cwd: Path) -> tuple[float, float, bool]:
    """(wall seconds, CPU seconds, torch imported) of one fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(cmd, input=stdin, capture_output=True, text=True, cwd=cwd)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[3:])} failed: {done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu, "TORCH=1" in done.stderr


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".hindsight-bench" / "cold")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--content", default="content", help="what the index holds")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout (e.g. of main) to time in turn with this one, on its own index",
    )
    args = parser.parse_args()
    plan = plan_paragraph()
    trees = {"this": (ROOT, args.data_dir)}
    if args.baseline:
        trees["baseline"] = (
            args.baseline.resolve(),
            args.data_dir.with_name(args.data_dir.name + "-baseline"),
        )
    for cwd, data in trees.values():
        if not data.exists():
            ingest = hindsight("ingest", args.content, "--quiet", "--data-dir", str(data))
            subprocess.run(ingest, check=True, cwd=cwd)
    calls = [
        (tree, name, cmd, stdin)
        for tree, (_cwd, data) in trees.items()
        for name, cmd, stdin in (
            ("brief", hindsight("brief", "-", "--data-dir", str(data)), plan),
            ("search", hindsight("search", QUERY, "--data-dir", str(data)), None),
        )
    ]
    for tree, _name, cmd, stdin in calls:  # untimed: the page cache holds the files, as it would
        timed(cmd, stdin, trees[tree][0])
    load_before = os.getloadavg()
    wall: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    torch_seen: dict[str, bool] = {}
    for _ in range(args.rounds):  # every call once per round: the load falls on all alike
        for tree, name, cmd, stdin in calls:
            seconds, used, imported = timed(cmd, stdin, trees[tree][0])
            key = f"{tree} {name}"
            wall.setdefault(key, []).append(seconds)
            cpu.setdefault(key, []).append(used)
            torch_seen[tree] = torch_seen.get(tree, False) or imported
    report = {
        "content": args.content,
        "rounds": args.rounds,
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "torch_imported": torch_seen,
        "median_s": {k: round(statistics.median(v), 3) for k, v in wall.items()},
        "median_cpu_s": {k: round(statistics.median(v), 3) for k, v in cpu.items()},
        "wall_s": {k: [round(x, 3) for x in v] for k, v in wall.items()},
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
