"""ASGI middleware of the portal's server (hindsight_portal.py): the page knows its root.

Streamlit's page loads `/<page>` (a shared link, a reload) and then probes for its server at
`/<page>/_stcore/health` before `/_stcore/health`: a 404 in every browser console. Telling the
page where the portal's root is (`window.__streamlit.BACKEND_BASE_URL`, which Streamlit's
frontend reads for exactly this) makes it ask the right address first, and only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_ASSET = re.compile(
    r"^/(_stcore|static|media|component|app/static|favicon\.png|manifest\.json)(/|$)"
)
_MARK = b'<script type="module"'


class RootHint:
    """Adds `window.__streamlit = {BACKEND_BASE_URL: <root>}` to the app's HTML page."""

    def __init__(self, app: ASGIApp, base_path: str = "") -> None:
        self.app = app
        self.base = "/" + base_path.strip("/") + ("/" if base_path.strip("/") else "")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        local = path[len(self.base) - 1 :] if path.startswith(self.base) else path
        if scope["type"] != "http" or scope.get("method") != "GET" or _ASSET.match(local):
            await self.app(scope, receive, send)
            return
        # The page itself: uncompressed, so that the script can go in before Streamlit's.
        headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"accept-encoding"]
        scope = {**scope, "headers": headers}
        start: Message | None = None
        body = bytearray()

        async def hold(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            body.extend(message.get("body", b""))
            if message.get("more_body"):
                return
            kind = dict(start.get("headers", [])).get(b"content-type", b"")
            page = bytes(body)
            if kind.startswith(b"text/html") and _MARK in page:
                page = page.replace(_MARK, self._script(scope) + _MARK, 1)
            fixed = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            fixed.append((b"content-length", str(len(page)).encode()))
            await send({**start, "headers": fixed})
            await send({"type": "http.response.body", "body": page, "more_body": False})

        await self.app(scope, receive, hold)

    def _script(self, scope: Scope) -> bytes:
        # The root as the browser reaches it: its own origin, plus the base path.
        config = {"BACKEND_BASE_URL": "__ORIGIN__"}
        code = (
            "window.__streamlit=Object.assign(window.__streamlit||{},"
            + json.dumps(config).replace('"__ORIGIN__"', f"location.origin+{json.dumps(self.base)}")
            + ");"
        )
        return f"<script>{code}</script>".encode()
