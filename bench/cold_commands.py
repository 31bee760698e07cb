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


def timed(cmd: list[str], stdin: str | None) -> tuple[float, float, bool]:
    """(wall seconds, CPU seconds, torch imported) of one fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(cmd, input=stdin, capture_output=True, text=True, cwd=ROOT)
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
    args = parser.parse_args()
    data = str(args.data_dir)
    if not args.data_dir.exists():
        subprocess.run(hindsight("ingest", args.content, "--quiet", "--data-dir", data), check=True)
    plan = plan_paragraph()
    brief = hindsight("brief", "-", "--data-dir", data)
    search = hindsight("search", QUERY, "--data-dir", data)
    timed(brief, plan)  # one untimed run each: the page cache holds the files, as it would
    timed(search, None)
    load_before = os.getloadavg()
    runs: dict[str, list[float]] = {"brief": [], "search": []}
    cpu: dict[str, list[float]] = {"brief": [], "search": []}
    torch_seen = False
    for _ in range(args.rounds):
        for name, cmd, stdin in (("brief", brief, plan), ("search", search, None)):
            seconds, used, imported = timed(cmd, stdin)
            runs[name].append(seconds)
            cpu[name].append(used)
            torch_seen |= imported
    report = {
        "content": args.content,
        "rounds": args.rounds,
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "torch_imported": torch_seen,
        **{f"{n}_median_s": round(statistics.median(v), 3) for n, v in runs.items()},
        **{f"{n}_median_cpu_s": round(statistics.median(v), 3) for n, v in cpu.items()},
        **{f"{n}_s": [round(x, 3) for x in v] for n, v in runs.items()},
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
