"""`python -m bench.fresh_run`: a fresh clone's `make run`, timed until the portal answers.

Clones this repository's HEAD into a temporary folder, runs `make run PORT=…` there (venv,
installs, an index of the bundled content, the portal) and times, from the start of `make`:
the venv ready (`.venv/.installed`), the index published, the portal's health check, and the
first search answered with results through the portal's own WebSocket (what a person's first
search needs). Then stops everything `make run` started.

--cold also empties the caches a first run on a new machine lacks: uv's (a temporary
UV_CACHE_DIR) and the model's ONNX export (a temporary XDG_CACHE_HOME). Without it the
machine's caches are used, as on a second clone.

Examples:
  python -m bench.fresh_run
  python -m bench.fresh_run --cold
  HINDSIGHT_INSTALLER=pip python -m bench.fresh_run     # the pip fallback, for comparison
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.ports import free_port

ROOT = Path(__file__).resolve().parent.parent


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
            return True
    except OSError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cold", action="store_true", help="empty uv and ONNX caches too")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--keep", action="store_true", help="keep the clone (for a look)")
    parser.add_argument("--ref", default="HEAD", help="what to clone (e.g. main: the before)")
    args = parser.parse_args()
    from bench.portal_concurrency import PortalSession

    work = Path(tempfile.mkdtemp(prefix="hindsight-fresh-"))
    clone = work / "hindsight"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    subprocess.run(["git", "checkout", "-q", args.ref], cwd=clone, check=True)
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("HINDSIGHT_DATA", "VIRTUAL_ENV"))
    }
    if args.cold:
        env["UV_CACHE_DIR"] = str(work / "uv-cache")
        env["XDG_CACHE_HOME"] = str(work / "xdg-cache")
    port = free_port()
    log = (work / "make-run.log").open("w")
    load = os.getloadavg()
    started = time.monotonic()
    proc = subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=clone,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: everything it starts stops with it
    )
    marks: dict[str, float] = {}
    try:
        while time.monotonic() - started < args.timeout:
            elapsed = time.monotonic() - started
            if "venv" not in marks and (clone / ".venv" / ".installed").exists():
                marks["venv"] = elapsed
            if "index" not in marks and (clone / ".hindsight" / "CURRENT").exists():
                marks["index"] = elapsed
            if "health" not in marks and _healthy(port):
                marks["health"] = elapsed
            if "health" in marks:
                page = PortalSession(port).search("replica promoted while replication lag was high")
                if "More like this" not in page:
                    raise RuntimeError("the first search found nothing")
                marks["first search answered"] = time.monotonic() - started
                break
            if proc.poll() is not None:
                raise RuntimeError(
                    f"make run exited: {(work / 'make-run.log').read_text()[-3000:]}"
                )
            time.sleep(0.25)
        else:
            raise TimeoutError(f"no answer within {args.timeout} s")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
    tail = (work / "make-run.log").read_text().splitlines()
    installer = next((line for line in tail if "installed with" in line), "")
    print(
        json.dumps(
            {
                "ref": args.ref,
                "cold_caches": args.cold,
                "installer": installer,
                "seconds": {k: round(v, 1) for k, v in marks.items()},
                "load_before": [round(x, 2) for x in load],
                "load_after": [round(x, 2) for x in os.getloadavg()],
            }
        )
    )
    if args.keep:
        print(f"kept: {clone}", file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
