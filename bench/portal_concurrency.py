"""`python -m bench.portal_concurrency`: many people on one portal replica at once.

Starts `streamlit run app.py` over an index of the bundled content and opens --sessions
(default 20) sessions side by side, each its own Streamlit session over its own WebSocket,
exactly as a browser tab opens one. Every session repeats a person's three actions: search
(a query), open (an incident or recording from the archive, as a result click does) and
brief (Check a plan with a one-paragraph plan, as a shared link opens it). Each action is
timed from the request to the server's `script_finished` and checked (the page must contain
the expected text, the run must finish without an exception).

Why not 20 browsers: what one replica can serve is the server's work per action; a browser
draws the page on the reader's own machine (bench/portal_latency.py measures that part in a
real Chromium). On a 2-core machine 20 Chromium renderers would measure Chromium.

--think S pauses S seconds between a session's actions (0: back to back, the saturation
test); the report gives p50/p95/max per action, actions per second, and the replica's CPU
and memory. docs/scale-out.md turns these into people per replica.

The same three actions against the HTTP API (issue 23): register a driver in DRIVERS (a class
with `search`, `open`, `brief`, each returning the response text) and run --target api
--url http://host:port; the report and the docs section take it as they take the portal's.

Examples:
  python -m bench.portal_concurrency                       # 20 sessions, 60 s, back to back
  python -m bench.portal_concurrency --sessions 1 --duration 30
  python -m bench.portal_concurrency --sessions 20 --think 5 --json bench/results/conc.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bench import portal_latency
from bench.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
QUERIES = (
    *portal_latency.QUERIES,
    "webhook idempotency keys evicted",
    "wal volume filled by a replication slot",
)


class Driver(Protocol):
    """One person's connection to the system under test."""

    def search(self, query: str) -> str: ...

    def open(self, doc: tuple[str, str, str]) -> str: ...

    def brief(self, plan: str) -> str: ...

    def close(self) -> None: ...


class PortalSession:
    """One Streamlit session over its own WebSocket, as a browser tab holds one."""

    def __init__(self, port: int) -> None:
        from websockets.sync.client import connect

        self.port = port
        self._open = contextlib.ExitStack()  # the connection lives as long as the session
        self.ws = self._open.enter_context(
            connect(
                f"ws://127.0.0.1:{port}/_stcore/stream",
                subprotocols=["streamlit"],  # type: ignore[list-item]
                origin=f"http://127.0.0.1:{port}",  # type: ignore[arg-type]
                max_size=None,
                open_timeout=60,
            )
        )

    def run(self, page: str, params: dict[str, str]) -> str:
        """One run of PAGE with PARAMS in its URL; everything the server sent, as text."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        message = BackMsg()
        state = message.rerun_script
        state.query_string = urllib.parse.urlencode(params)
        state.page_name = page
        state.context_info.timezone = "UTC"
        state.context_info.url = f"http://127.0.0.1:{self.port}/{page}"
        self.ws.send(message.SerializeToString())
        received: list[bytes] = []
        while True:
            raw = self.ws.recv(timeout=300)
            assert isinstance(raw, bytes)
            received.append(raw)
            forward = ForwardMsg()
            forward.ParseFromString(raw)
            if forward.WhichOneof("type") == "script_finished":
                if forward.script_finished != forward.FINISHED_SUCCESSFULLY:
                    raise RuntimeError(f"{page} finished with status {forward.script_finished}")
                return b"".join(received).decode("utf-8", "replace")

    def search(self, query: str) -> str:
        return self.run("search", {"q": query})

    def open(self, doc: tuple[str, str, str]) -> str:
        page, doc_id, _title = doc
        return self.run(page, {"doc": doc_id})

    def brief(self, plan: str) -> str:
        from circulation.links import encode_plan

        return self.run("brief", {"plan": encode_plan(plan)})

    def close(self) -> None:
        self._open.close()


# Other systems under test (the API server of issue 23) register a factory here:
# name -> callable(url) -> Driver.
DRIVERS: dict[str, Callable[[str], Driver]] = {}


@dataclass
class Results:
    times: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, action: str, seconds: float) -> None:
        with self.lock:
            self.times.setdefault(action, []).append(seconds)


def documents(data_dir: Path) -> list[tuple[str, str, str]]:
    """(page, doc id, title) of the post-mortems and recordings a person may open."""
    from index.access import Viewer
    from index.filters import SearchFilters
    from index.opener import open_archive
    from index.settings import Settings

    archive = open_archive(Settings(data_dir=data_dir), Viewer.of("bench"))
    pages = {"postmortem": "incidents", "showcase": "showcase"}
    found = archive.documents(SearchFilters(kinds=tuple(pages)))
    return [(pages[d.kind], d.doc_id, d.title) for d in found]


def person(
    make: Callable[[], Driver],
    docs: list[tuple[str, str, str]],
    plans: tuple[str, ...],
    until: float,
    think: float,
    results: Results,
    seed: int,
) -> None:
    """One person: search, open, brief, again and again until UNTIL."""
    rng = random.Random(seed)
    try:
        driver = make()
    except Exception as exc:
        results.errors.append(f"connect: {exc}")
        return
    try:
        while time.monotonic() < until:
            for action in ("search", "open", "brief"):
                if time.monotonic() >= until:
                    break
                started = time.perf_counter()
                try:
                    if action == "search":
                        text = driver.search(rng.choice(QUERIES))
                        ok = "More like this" in text
                    elif action == "open":
                        doc = rng.choice(docs)
                        text = driver.open(doc)
                        ok = doc[2] in text.replace("\\", "")  # titles are Markdown-escaped
                    else:
                        text = driver.brief(rng.choice(plans))
                        ok = "Questions to answer before you start" in text
                    if not ok:
                        marks = [m for m in ("Traceback", "Error", "exception") if m in text]
                        raise RuntimeError(
                            f"the expected text is missing ({len(text)} bytes; {marks}): "
                            + text[-300:].encode("ascii", "replace").decode()
                        )
                except Exception as exc:
                    results.errors.append(f"{action}: {exc}")
                    continue
                results.add(action, time.perf_counter() - started)
                if think:
                    time.sleep(rng.uniform(0.5 * think, 1.5 * think))
    finally:
        driver.close()


class ProcessSampler:
    """CPU seconds and peak RSS of the replica (one process), sampled from /proc."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_rss_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _poll(self) -> None:
        while not self._stop.wait(0.5):
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    self.peak_rss_mb = max(self.peak_rss_mb, int(line.split()[1]) / 1024)

    def __enter__(self) -> ProcessSampler:
        self.cpu_start = self.cpu_seconds()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cpu_used = self.cpu_seconds() - self.cpu_start
        self._stop.set()
        self._thread.join()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(results: Results, seconds: float, args: argparse.Namespace) -> dict[str, Any]:
    rows = {
        action: {
            "n": len(v),
            "p50_ms": round(statistics.median(v) * 1000),
            "p95_ms": round(percentile(v, 0.95) * 1000),
            "max_ms": round(max(v) * 1000),
        }
        for action, v in sorted(results.times.items())
    }
    done = sum(len(v) for v in results.times.values())
    return {
        "target": args.target,
        "sessions": args.sessions,
        "think_s": args.think,
        "duration_s": round(seconds, 1),
        "actions": rows,
        "actions_per_s": round(done / seconds, 2),
        "errors": len(results.errors),
        "first_errors": results.errors[:5],
        "load_before": [round(x, 2) for x in args.load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "cores": os.cpu_count(),
    }


def _wait_http(url: str, proc: subprocess.Popen[str], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the portal exited before it answered")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"no portal at {url}")


def main(argv: list[str] | None = None) -> int:
    from bench.portal_latency import PLANS

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--duration", type=float, default=60, help="seconds of load")
    parser.add_argument("--think", type=float, default=0.0, help="seconds between actions")
    parser.add_argument("--content", default=str(ROOT / "content"))
    parser.add_argument("--data-dir", help="reuse an index here (default: a temporary one)")
    parser.add_argument("--target", default="portal", help="portal, or a name in DRIVERS")
    parser.add_argument("--url", help="the system under test when --target is not portal")
    parser.add_argument("--json", help="write the report here too")
    args = parser.parse_args(argv)
    data = Path(args.data_dir or tempfile.mkdtemp(prefix="hindsight-conc-"))
    env = {**os.environ, "HINDSIGHT_DATA_DIR": str(data)}
    subprocess.run(
        [sys.executable, "-m", "cli", "ingest", "--quiet", args.content],
        check=True,
        env=env,
        cwd=ROOT,
    )
    docs = documents(data)
    proc: subprocess.Popen[str] | None = None
    if args.target == "portal":
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        _wait_http(f"http://127.0.0.1:{port}", proc)
        PortalSession(port).run("search", {"q": "warm up"})  # the replica's own start-up

        def make() -> Driver:
            return PortalSession(port)

    elif args.target in DRIVERS:
        if not args.url:
            raise SystemExit("--url is needed for --target " + args.target)
        url = args.url

        def make() -> Driver:
            return DRIVERS[args.target](url)

    else:
        raise SystemExit(f"unknown --target {args.target!r}: portal or one of {sorted(DRIVERS)}")
    results = Results()
    args.load_before = os.getloadavg()
    try:
        sampler = ProcessSampler(proc.pid) if proc else None
        started = time.monotonic()
        until = started + args.duration
        people = [
            threading.Thread(target=person, args=(make, docs, PLANS, until, args.think, results, i))
            for i in range(args.sessions)
        ]
        if sampler:
            sampler.__enter__()
        for p in people:
            p.start()
        for p in people:
            p.join()
        seconds = time.monotonic() - started
        if sampler:
            sampler.__exit__()
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=30)
    out = report(results, seconds, args)
    if sampler:
        out["replica_cpu_s"] = round(sampler.cpu_used, 1)
        out["replica_cores_busy"] = round(sampler.cpu_used / seconds, 2)
        out["replica_peak_rss_mb"] = round(sampler.peak_rss_mb)
    print(json.dumps(out, indent=1))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(out, indent=1))
    return 1 if out["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
