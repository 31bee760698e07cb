"""`make run`'s portal starts quietly: its address, and nothing a reader must decode.

The command is taken from `make -n run` itself, so the test follows the Makefile's flags.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from browser_helpers import free_port

ROOT = Path(__file__).resolve().parent.parent


def portal_command(port: int) -> list[str]:
    """The `streamlit run …` command of `make run` on PORT, as make would run it."""
    planned = subprocess.run(
        ["make", "-n", "--no-print-directory", "run", f"PORT={port}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    joined = re.sub(r"\\\n\s*", " ", planned)
    (line,) = [part for part in joined.split(";") if "streamlit run" in part]
    args = shlex.split(line.strip())
    args[0] = sys.executable if args[0].endswith("python") else args[0]
    return args


def test_make_run_starts_the_portal_quietly(tmp_path) -> None:
    port = free_port()
    command = portal_command(port)
    assert "hindsight_portal.py" in command  # the portal with its root hint (no 404 probes)
    log = tmp_path / "portal.log"
    env = {**os.environ, "HINDSIGHT_DATA_DIR": str(tmp_path / "data"), "HF_HUB_OFFLINE": "1"}
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health") as r:
                        if r.status == 200:
                            break
                except OSError:
                    time.sleep(0.3)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/incidents") as r:
                page = r.read().decode()
            time.sleep(1)
        finally:
            process.terminate()
            process.wait(10)
    said = [line.strip() for line in log.read_text().splitlines() if line.strip()]
    assert said == [
        "You can now view your Streamlit app in your browser.",
        f"URL: http://localhost:{port}",
    ], said  # no "Did not auto detect external IP", no server log lines, no warnings
    assert "BACKEND_BASE_URL" in page  # the page is told where the portal's root is
