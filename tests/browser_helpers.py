"""A real portal in a real browser: fixture content, a `streamlit run` server, Chromium.

Used by tests/test_browser.py, and on its own to refresh the README screenshots:

    python tests/browser_helpers.py --data-dir .hindsight --out docs/screenshots
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import wave
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from conftest import write_content

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = Path(__file__).resolve().parent / "fixtures" / "hostile"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"

AUDIO_VTT = """\
WEBVTT

00:00:00.000 --> 00:00:20.000
<v Ada Park>Welcome. This demo has a local recording, so the portal plays it itself.

00:00:20.000 --> 00:00:40.000
<v Ben Ode>At twenty seconds the cache warmer failed: it evicted the hot keys it was warming.

00:00:40.000 --> 00:01:00.000
<v Ada Park>At forty seconds we show the fix, a size-aware admission policy.
"""

AUDIO_SIDECAR = """\
---
id: showcase-audio-demo
title: Cache warmer that evicted its own hot keys
date: 2025-08-14
team: platform
presenters: [Ada Park, Ben Ode]
outcome: failure
recording: 2025-08-audio-demo.wav
tags: [caching]
---
A session whose recording is a local audio file.
"""


def write_silence(path: Path, seconds: int = 60, rate: int = 8000) -> None:
    """A silent mono WAV: enough for a browser to load, seek and report currentTime."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(rate)
        out.writeframes(b"\x80" * rate * seconds)


def portal_content(root: Path) -> Path:
    """The test content tree, the hostile files and a showcase with a local recording."""
    write_content(root)
    for folder in ("postmortems", "showcases", "experts", "talks"):
        shutil.copytree(HOSTILE / folder, root / folder, dirs_exist_ok=True)
    (root / "showcases/2025-08-audio-demo.vtt").write_text(AUDIO_VTT, encoding="utf-8")
    (root / "showcases/2025-08-audio-demo.md").write_text(AUDIO_SIDECAR, encoding="utf-8")
    write_silence(root / "showcases/2025-08-audio-demo.wav")
    return root


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PortalServer:
    """`streamlit run hindsight_portal.py` (app.py, as `make run` serves it) on a free port over
    DATA_DIR; `output()` is its stdout+stderr.

    ENV adds variables (HINDSIGHT_AUTH, …), ARGS adds `streamlit run` options; ADDRESS is what
    the server listens on and HOST the name the browser uses (OIDC redirects need one name);
    PORT, when the caller must know it before the start (a redirect URI), else a free one.
    """

    def __init__(
        self,
        data_dir: Path,
        log: Path,
        *,
        env: Mapping[str, str] | None = None,
        args: Sequence[str] = (),
        address: str = "127.0.0.1",
        host: str = "127.0.0.1",
        port: int | None = None,
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://{host}:{self.port}"
        self.log_path = log
        environment = {
            **os.environ,
            "HINDSIGHT_DATA_DIR": str(data_dir),
            "HF_HUB_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false",
            **(env or {}),
        }
        self._log = log.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "hindsight_portal.py",
                "--server.headless",
                "true",
                "--server.port",
                str(self.port),
                "--server.address",
                address,
                "--browser.gatherUsageStats",
                "false",
                "--client.toolbarMode",
                "minimal",
                "--server.fileWatcherType",
                "none",
                *args,
            ],
            cwd=ROOT,
            env=environment,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace")
        return f"\n--- streamlit output ({self.log_path}) ---\n{text[-6000:]}"

    def wait(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("streamlit exited early" + self.output())
            try:
                health = f"http://127.0.0.1:{self.port}/_stcore/health"
                with urllib.request.urlopen(health, timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.25)
        raise TimeoutError(f"streamlit did not answer within {timeout:.0f}s" + self.output())

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()


@contextlib.contextmanager
def portal(data_dir: Path, log: Path, **options: Any) -> Iterator[PortalServer]:
    server = PortalServer(data_dir, log, **options)
    try:
        server.wait()
        yield server
    finally:
        server.stop()


class IdentityProxy:
    """A stand-in for an authenticating proxy (oauth2-proxy) in front of a portal on UPSTREAM.

    Every request that passes through it, the WebSocket upgrade included, carries HEADERS;
    copies of those headers sent by the browser are dropped first, as a real proxy does.
    Chromium does not put Playwright's `extra_http_headers` on WebSocket handshakes, and the
    handshake is the only request whose headers Streamlit shows the app (`st.context.headers`),
    so the identity a test gives a browser has to travel the way a proxy sends it. Requests
    with a body are passed on by Content-Length (a portal page sends no chunked uploads).
    """

    def __init__(self, upstream: int, headers: Mapping[str, str], *, append: bool = False) -> None:
        self.upstream = upstream
        self.headers = dict(headers)
        # APPEND: a careless proxy, which adds its headers after the browser's copies.
        self._names = set() if append else {name.lower().encode() for name in self.headers}
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> IdentityProxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise TimeoutError("the identity proxy did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._connection, "127.0.0.1", 0)
        )
        self.port = int(server.sockets[0].getsockname()[1])
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            # Close what is still open (a WebSocket the browser kept) before the loop goes.
            server.close()
            pending = asyncio.all_tasks(self._loop)
            for task in pending:
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self._loop.run_until_complete(server.wait_closed())
            self._loop.close()

    async def _connection(self, client_r: Any, client_w: Any) -> None:
        up_r, up_w = await asyncio.open_connection("127.0.0.1", self.upstream)
        try:
            await asyncio.gather(self._requests(client_r, up_w), _pipe(up_r, client_w))
        except (OSError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            for writer in (up_w, client_w):
                writer.close()
                with contextlib.suppress(OSError, asyncio.CancelledError):
                    await writer.wait_closed()

    async def _requests(self, client: Any, upstream: Any) -> None:
        """Rewrite the head of each request on this connection; after an upgrade, pipe bytes."""
        while True:
            try:
                head = await client.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                upstream.write_eof()
                return
            first, *lines = head[:-4].split(b"\r\n")
            kept = [ln for ln in lines if ln.split(b":", 1)[0].strip().lower() not in self._names]
            added = [f"{k}: {v}".encode() for k, v in self.headers.items()]
            upstream.write(b"\r\n".join([first, *kept, *added]) + b"\r\n\r\n")
            fields = {
                ln.split(b":", 1)[0].strip().lower(): ln.split(b":", 1)[1].strip()
                for ln in kept
                if b":" in ln
            }
            length = int(fields.get(b"content-length", b"0") or 0)
            if length:
                upstream.write(await client.readexactly(length))
            await upstream.drain()
            if fields.get(b"upgrade", b"").lower() == b"websocket":
                await _pipe(client, upstream)
                return


async def _pipe(reader: Any, writer: Any) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    if writer.can_write_eof():
        writer.write_eof()


def launch(playwright):  # type: ignore[no-untyped-def]
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def settle(page, timeout: float = 30_000) -> None:  # type: ignore[no-untyped-def]
    """Wait until the script run that the last action started has finished."""
    page.wait_for_timeout(300)  # a rerun starts a beat after the click that caused it
    page.wait_for_selector(IDLE, timeout=timeout)
    page.wait_for_timeout(200)
    page.wait_for_selector(IDLE, timeout=timeout)


def open_page(page, url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url)
    page.wait_for_selector(IDLE, timeout=60_000)
    settle(page)


def click_key(page, key: str) -> None:  # type: ignore[no-untyped-def]
    """Click the button of the widget with KEY (Streamlit gives its container `st-key-KEY`)."""
    # Some layouts keep an invisible copy of an element for measuring; click the one shown.
    page.locator(f".st-key-{key} button >> visible=true").first.click()
    settle(page)


def click_link(page, key: str) -> None:  # type: ignore[no-untyped-def]
    """Follow the link in the container with KEY (document links: `st-key-open-…`)."""
    page.locator(f".st-key-{key} a >> visible=true").first.click()
    settle(page)


def screenshots(base_url: str, out: Path) -> list[Path]:
    """The search page and the experts page, as a newcomer first sees them."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    shots = [
        ("search.png", "/search?q=promote+a+postgres+replica"),
        ("experts.png", "/experts?topic=postgres+failover&tz=Europe%2FBerlin"),
    ]
    written = []
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1440, "height": 1100})
        for name, path in shots:
            open_page(page, base_url + path)
            page.wait_for_timeout(1000)  # let fonts and badges finish laying out
            page.screenshot(path=str(out / name))
            written.append(out / name)
        browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path(".hindsight"))
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / "hindsight-screenshots.log"
    with portal(args.data_dir.resolve(), log) as server:
        for path in screenshots(server.url, args.out):
            print(path)


if __name__ == "__main__":
    main()
