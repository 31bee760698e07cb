"""`python -m bench.portal_latency`: what a person waits for in the portal, in real Chromium.

Starts the portal (`streamlit run app.py`) over an index of the bundled content, drives it with
Playwright and times each action from the key press or click until the page has finished its
run and shows the result: first search after start, later searches, a facet change, "more like
this", opening an incident, a recording at a moment, the experts page and the Overview.

A run ends when Streamlit's app element reports `data-test-script-state="notRunning"` after
having been "running" (a MutationObserver in the page records both), and the expected element
is on screen.

Examples:
  python -m bench.portal_latency
  python -m bench.portal_latency --rounds 7 --json bench/results/portal.json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
APP_READY = "[data-testid='stApp'][data-test-script-state='notRunning']"
QUERIES = (
    "replica promotion without checking lag",
    "certificate expired on the carrier gateway",
    "kafka consumer rebalance storm",
    "retry storm in envoy",
    "gpu inference starvation",
    "dns ttl cutover",
    "hallucinated customs codes",
    "terraform security group drift",
)
# Records, in the page, when the app starts and finishes each run.
OBSERVER = """
() => {
  const app = document.querySelector("[data-testid='stApp']");
  window.__runs = [];
  new MutationObserver(() => {
    window.__runs.push([app.getAttribute('data-test-script-state'), performance.now()]);
  }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}
"""
FINISHED = """
(since) => (window.__runs || []).some(([s, t]) => s === 'running' && t >= since)
  && document.querySelector("[data-testid='stApp']").getAttribute('data-test-script-state')
     === 'notRunning'
"""


def _wait_http(url: str, proc: subprocess.Popen[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the portal exited: {proc.stdout.read() if proc.stdout else ''}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"no portal at {url}")


class Timer:
    """Times one action: from its start until the app's next run has finished and WANT shows."""

    def __init__(self, page: Any) -> None:
        self.page = page

    def __call__(self, action: Callable[[], None], want: str | None = None) -> float:
        since = self.page.evaluate("performance.now()")
        start = time.perf_counter()
        action()
        self.page.wait_for_function(FINISHED, arg=since, timeout=60_000)
        if want:
            self.page.wait_for_selector(want, timeout=60_000)
        return (time.perf_counter() - start) * 1000


def _goto(page: Any, url: str) -> float:
    """A full page load (a new session): until the first run has finished."""
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_selector(APP_READY, timeout=120_000)
    page.evaluate(OBSERVER)
    return (time.perf_counter() - start) * 1000


def measure(base: str, rounds: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {}

    def record(name: str, ms: float) -> None:
        times.setdefault(name, []).append(ms)

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        _goto(page, f"{base}/search")
        timer = Timer(page)
        box = page.get_by_placeholder("What are you about to change?", exact=False)

        def search(query: str) -> Callable[[], None]:
            def act() -> None:
                box.fill(query)
                box.press("Enter")

            return act

        record("first search after start", timer(search(QUERIES[0]), "[class*='st-key-result-0']"))
        for i in range(rounds):
            query = QUERIES[1 + i % (len(QUERIES) - 1)]
            record("later search", timer(search(query), "[class*='st-key-result-0']"))
            kind = page.locator("[data-testid='stButtonGroup'] button").first
            record("facet change", timer(kind.click))
            record("facet change", timer(kind.click))  # and off again
            like = page.get_by_role("button", name="More like this").first
            record("more like this", timer(like.click, "[class*='st-key-result-0']"))
        nav = page.locator("[data-testid='stSidebarNav']")
        for i in range(rounds):
            # In-app navigation, as a person clicks: a result, a moment, the sidebar.
            _goto(page, f"{base}/search?q={QUERIES[1 + i % 3].replace(' ', '+')}")
            first = page.locator("[class*='st-key-result-0'] a[data-testid='stPageLink-NavLink']")
            record(
                "open a document from results", timer(first.first.click, "[class*='st-key-back']")
            )
            _goto(page, f"{base}/search?q=failover+drill+replication+lag&kind=showcase")
            moment = page.get_by_role("link", name=re.compile(r"^Open the session at"))
            record("a recording at a moment", timer(moment.first.click, "[class*='st-key-back']"))
            experts = nav.get_by_role("link", name="Experts")
            record("experts page", timer(experts.click, "[class*='st-key-expert-']"))
            overview = nav.get_by_role("link", name="Overview")
            record("overview", timer(overview.click, "[data-testid='stMetric']"))
            record("overview, a fresh page load (new session)", _goto(page, f"{base}/"))
        browser.close()
    return times


PLANS = (
    "Carrier APIs time out a few times an hour and the status poller in shipment-tracker then "
    "marks the shipment as stale. I plan to add retries with exponential backoff to the poller, "
    "and to let edge-proxy retry 504s from carrier-gateway as well, so transient failures stop "
    "reaching customers. The change ships behind a flag next sprint.",
    "We will fail over ledger-db to a new Postgres replica during the hardware migration and "
    "repoint the connection pooler once it accepts writes.",
    "Next week we move the webhook delivery workers to a new Redis cluster with a smaller memory "
    "limit and an LRU eviction policy; idempotency keys stay in the same Redis.",
)


def measure_first_brief(base: str) -> dict[str, list[float]]:
    """A person's first plan check after the portal started: open "Check a plan", paste, click.

    The page is opened as a fresh session first (timed apart: it also opens the index); the
    plan check is then timed from the click until the brief's first section is on screen,
    followed by later checks of other plans.
    """
    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        times["first page load: Check a plan"] = [_goto(page, f"{base}/brief")]
        timer = Timer(page)
        for i, plan in enumerate(PLANS):
            page.get_by_label("Your plan").fill(plan)
            button = page.get_by_role("button", name="Check the plan")
            name = "first plan check after start" if i == 0 else "later plan check"
            times.setdefault(name, []).append(
                timer(button.click, "text=Questions to answer before you start")
            )
        browser.close()
    return times


def summarise(times: dict[str, list[float]]) -> list[dict[str, Any]]:
    rows = []
    for name, values in times.items():
        values = sorted(values)
        rows.append(
            {
                "action": name,
                "n": len(values),
                "p50_ms": round(statistics.median(values)),
                "max_ms": round(values[-1]),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--content", default=str(ROOT / "content"))
    parser.add_argument("--data-dir", help="reuse an index here (default: a temporary one)")
    parser.add_argument("--json", help="write the figures here too")
    parser.add_argument(
        "--first-brief",
        action="store_true",
        help="only the first plan check after a fresh portal start (and two later ones)",
    )
    args = parser.parse_args(argv)
    data = Path(args.data_dir or tempfile.mkdtemp(prefix="hindsight-portal-bench-"))
    env = {**os.environ, "HINDSIGHT_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1"}
    subprocess.run(
        [sys.executable, "-m", "cli", "ingest", "--quiet", args.content],
        check=True,
        env=env,
        cwd=ROOT,
    )
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_http(base, proc)
        times = measure_first_brief(base) if args.first_brief else measure(base, args.rounds)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    rows = summarise(times)
    print("| action | n | p50 ms | max ms |\n|---|---|---|---|")
    for r in rows:
        print(f"| {r['action']} | {r['n']} | {r['p50_ms']} | {r['max_ms']} |")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
