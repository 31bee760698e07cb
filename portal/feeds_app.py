"""The Atom feed server started beside the portal (Streamlit serves only HTML pages).

`app` is a plain ASGI callable (any ASGI server can run it); `python -m portal.feeds_app`
serves the same answers with the standard library's threaded HTTP server, so `make run`
needs nothing beyond what is installed. One route:

    GET /feeds/<token>/<follow id>.atom

Every request reads the version published now (an `index.opener.Opener` re-opens it when a
newer one is published) through an Archive for the token's owner (circulation.feeds).
"""

from __future__ import annotations

import argparse
import asyncio
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from circulation.feeds import NOT_FOUND, FeedAnswer, answer
from circulation.state import StateStore
from index.access import Viewer
from index.archive import Archive
from index.opener import Opener
from index.settings import Settings

ROUTE = re.compile(r"^/feeds/([A-Za-z0-9_-]{8,64})/([a-f0-9]{6,32})\.atom$")


class Feeds:
    """Answers feed requests over the index published now (through one Opener)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.store = StateStore(self.settings.data_dir)
        self.opener = Opener(self.settings)

    def close(self) -> None:
        self.opener.close()

    def get(self, path: str, self_url: str) -> FeedAnswer:
        found = ROUTE.match(path)
        if found is None or not self.opener.published():
            return NOT_FOUND

        def archive_for(viewer: Viewer) -> Archive:
            return self.opener.require(viewer)

        return answer(self.store, self.settings, archive_for, found[1], found[2], self_url=self_url)


def make_app(feeds: Feeds | None = None) -> Any:
    """An ASGI application answering feed requests."""
    shared = feeds or Feeds()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        if scope["method"] not in ("GET", "HEAD"):
            result = FeedAnswer(405, "text/plain; charset=utf-8", "GET only.\n")
        else:
            host = dict(scope.get("headers") or []).get(b"host", b"localhost").decode("latin-1")
            url = f"{scope.get('scheme', 'http')}://{host}{scope['path']}"
            result = await asyncio.to_thread(shared.get, scope["path"], url)
        body = result.body.encode("utf-8")
        await send(
            {
                "type": "http.response.start",
                "status": result.status,
                "headers": [
                    (b"content-type", result.content_type.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"cache-control", b"private, no-store"),
                ],
            }
        )
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )

    return app


def server(feeds: Feeds, host: str, port: int) -> ThreadingHTTPServer:
    """The same answers over the standard library's threaded HTTP server."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            path = self.path.split("?", 1)[0]
            url = f"http://{self.headers.get('Host') or f'{host}:{port}'}{path}"
            result = feeds.get(path, url)
            body = result.body.encode("utf-8")
            self.send_response(result.status)
            self.send_header("Content-Type", result.content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "private, no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            # Feed URLs carry secret tokens: never write them to a log.
            pass

    return ThreadingHTTPServer((host, port), Handler)


def main(argv: list[str] | None = None) -> None:
    settings = Settings()
    parser = argparse.ArgumentParser(description="Hindsight's Atom feed server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=settings.feeds_port)
    args = parser.parse_args(argv)
    feeds = Feeds(settings)
    httpd = server(feeds, args.host, args.port)
    print(f"Feeds: http://{args.host}:{args.port}/feeds/…", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
        feeds.close()


if __name__ == "__main__":
    main()
