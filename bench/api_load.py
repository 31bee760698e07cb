"""`python -m bench.api_load`: one `hindsight serve` process under 32 concurrent API clients.

Starts the real server (`python -m cli serve`, a subprocess, as `make run` does) over an index of
the bundled `content/` (built once into `.hindsight-bench/api/`, or `--data-dir DIR`), makes an
API token, and sends 256 searches from 32 concurrent clients (httpx, one keep-alive connection
each, every client sending its next search as soon as the last one answered). Every query is
different, so the server's result cache never answers one: each request runs a real hybrid
search (query embedding, FAISS, tantivy, fusion, snippets) through the door for the token's
groups. Reports errors, p50/p95/p99/max latency as a client sees it, and throughput.

Examples:
  python -m bench.api_load
  python -m bench.api_load --clients 32 --requests 256 --json bench/results/api_load.json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT / ".hindsight-bench" / "api"
ASKING = (
    "{}",
    "what went wrong with {}",
    "{} root cause",
    "lessons from {}",
    "how do we avoid {}",
    "who knows about {}",
)


def ensure_index(data_dir: Path) -> None:
    from index.generations import current_generation

    if current_generation(data_dir) is not None:
        return
    print(f"indexing content/ into {data_dir} (once)…", flush=True)
    env = os.environ | {"HINDSIGHT_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    subprocess.run(
        [sys.executable, "-m", "cli", "ingest", "content", "--quiet"], cwd=ROOT, env=env, check=True
    )


def queries(data_dir: Path, n: int) -> list[str]:
    """N different queries people would type, made from the indexed documents' titles."""
    from index.access import Viewer
    from index.opener import Opener
    from index.settings import Settings

    with Opener(Settings(data_dir=data_dir)) as opener:
        titles = [d.title for d in opener.require(Viewer.everything()).documents()]
    made: list[str] = []
    for template in ASKING:
        for title in titles:
            short = " ".join(title.split()[:8]).lower()
            made.append(template.format(short))
    unique = list(dict.fromkeys(made))
    if len(unique) < n:
        raise SystemExit(f"only {len(unique)} distinct queries from this index; need {n}")
    return unique[:n]


async def _client(
    client: httpx.AsyncClient, mine: list[str], latencies: list[float], errors: list[str]
) -> None:
    for query in mine:
        started = time.perf_counter()
        try:
            reply = await client.get("/api/v1/search", params={"q": query, "limit": 10})
            ok = reply.status_code == 200 and "hits" in reply.json()
            if not ok:
                errors.append(f"{reply.status_code}: {reply.text[:200]}")
        except httpx.HTTPError as exc:
            errors.append(repr(exc))
        latencies.append(time.perf_counter() - started)


async def _load(
    url: str,
    token: str,
    warm: list[str],
    asked: list[str],
    clients: int,
    on_start: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """ASKED sent by CLIENTS clients, each on its own keep-alive connection, opened and warmed
    with one of WARM first: a client's own setup (an httpx client costs ~10 ms of CPU) is not
    the server's latency. ON_START runs just before the measured searches."""
    headers = {"Authorization": f"Bearer {token}"}
    async with contextlib.AsyncExitStack() as stack:
        sessions = [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=url, headers=headers, timeout=60)
            )
            for _ in range(clients)
        ]
        discarded: list[float] = []
        warm_errors: list[str] = []
        await asyncio.gather(
            *(_client(c, warm[i::clients], discarded, warm_errors) for i, c in enumerate(sessions))
        )
        if warm_errors:
            raise SystemExit(f"the warm-up failed: {warm_errors[:3]}")
        latencies: list[float] = []
        errors: list[str] = []
        on_start()
        started = time.perf_counter()
        await asyncio.gather(
            *(_client(c, asked[i::clients], latencies, errors) for i, c in enumerate(sessions))
        )
        wall = time.perf_counter() - started
    ms = sorted(x * 1000 for x in latencies)
    cut = statistics.quantiles(ms, n=100) if len(ms) > 1 else ms * 99
    return {
        "requests": len(ms),
        "clients": clients,
        "errors": len(errors),
        "error_samples": errors[:5],
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(cut[94], 1),
        "p99_ms": round(cut[98], 1),
        "max_ms": round(ms[-1], 1),
        "wall_s": round(wall, 2),
        "throughput_rps": round(len(ms) / wall, 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=256)
    parser.add_argument("--threads", type=int, help="HINDSIGHT_SERVER_THREADS for the server")
    parser.add_argument("--workers", type=int, help="hindsight serve --workers (default: its own)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    from circulation.state import StateStore

    ensure_index(args.data_dir)
    asked = queries(args.data_dir, args.requests + args.clients)
    warm, asked = asked[: args.clients], asked[args.clients :]
    store = StateStore(args.data_dir)
    name = f"bench-{os.getpid()}"
    token = store.create_api_token(name, ("sre",))
    port = free_port()
    env = os.environ | {"HINDSIGHT_DATA_DIR": str(args.data_dir), "HF_HUB_OFFLINE": "1"}
    if args.threads:
        env["HINDSIGHT_SERVER_THREADS"] = str(args.threads)
    server = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--port", str(port)]
        + (["--workers", str(args.workers)] if args.workers else []),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.5)
        before: dict[str, Any] = {}

        def mark() -> None:
            before.update(
                load=os.getloadavg(), cpu=_cpu_seconds(server.pid), client=time.process_time()
            )

        figures = asyncio.run(_load(url, token, warm, asked, args.clients, on_start=mark))
        load_before, cpu_before, client_before = before["load"], before["cpu"], before["client"]
        client = time.process_time() - client_before
        cpu = _cpu_seconds(server.pid) - cpu_before
        load_after = os.getloadavg()
        # CPU time the server spent per request: what other jobs on the machine cannot inflate.
        figures["server_cpu_ms_per_request"] = round(cpu * 1000 / figures["requests"], 1)
        # The clients share the machine: what they spend, the server cannot.
        figures["client_cpu_ms_per_request"] = round(client * 1000 / figures["requests"], 1)
    finally:
        server.terminate()
        server.wait(60)
        store.revoke_api_token(name)
    figures |= {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in load_after],
        "index": str(args.data_dir),
        "command": "python -m bench.api_load " + " ".join(argv or sys.argv[1:]),
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of process PID, its threads and its live child processes
    (`hindsight serve --workers N`'s processes; Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    children: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            children.update(int(c) for c in (task / "children").read_text().split())
    return own + sum(_cpu_seconds(c) for c in children if Path(f"/proc/{c}").exists())


if __name__ == "__main__":
    main()
