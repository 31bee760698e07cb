"""The ASGI application of `hindsight serve`: API, feeds, Slack, MCP, health and docs.

    /api/v1/…            the JSON API (server/api.py)
    /feeds/<token>/<id>.atom   a follow's Atom feed (circulation/feeds.py)
    /feeds/<token>/review.atom the token owner's review queue (circulation/review.py)
    /slack/commands      the /hindsight Slack command (server/slack.py)
    /mcp                 the MCP tools over streamable HTTP (server/mcp_tools.py; token required)
    /healthz             liveness and the version answering
    /openapi.json, /docs the API described

One process answers many clients: the event loop takes requests, and the reads (search, brief…)
run on a bounded pool of threads (`HINDSIGHT_SERVER_THREADS`), where FAISS, tantivy, DuckDB and
onnxruntime release the GIL. See docs/scale-out.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import urllib.parse
from collections.abc import AsyncIterator
from typing import Any

import anyio.to_thread
import httpx
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from mcp.server.transport_security import TransportSecuritySettings
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from circulation.feeds import NOT_FOUND, REVIEW_FEED, answer, answer_review
from circulation.state import StateStore
from index.access import Viewer
from index.archive import Archive
from index.errors import HindsightError
from index.opener import Opener
from index.settings import Settings
from server import answers, api, docs_page, mcp_tools, slack
from server.context import ServerContext

log = logging.getLogger(__name__)
FEED = re.compile(r"^([A-Za-z0-9_-]{8,64})$"), re.compile(r"^([a-f0-9]{6,32})\.atom$")
NO_STORE = {"Cache-Control": "private, no-store"}
REVIEW_FEED_FILE = f"{REVIEW_FEED}.atom"  # the token owner's review queue (circulation/review.py)


class McpGuard:
    """/mcp: a personal API token or 401; the caller's viewer goes to the tools in the scope."""

    def __init__(self, ctx: ServerContext, mcp: Any) -> None:
        self.ctx, self.mcp = ctx, mcp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            who = await asyncio.to_thread(self.ctx.identify, request, require_token=True)
        except HTTPException as exc:
            reply = JSONResponse({"detail": exc.detail}, exc.status_code, exc.headers)
            await reply(scope, receive, send)
            return
        scope[mcp_tools.SCOPE_VIEWER] = who.viewer
        await self.mcp.session_manager.handle_request(scope, receive, send)


def serving(settings: Settings) -> Settings:
    """SETTINGS as `hindsight serve` runs them: one onnxruntime thread per query embedding
    unless set (concurrent searches already keep every core busy)."""
    if settings.query_threads:
        return settings
    return settings.model_copy(update={"query_threads": 1})


def worker_app() -> FastAPI:
    """The application of one of `hindsight serve --workers N`'s processes (a uvicorn factory):
    settings from the environment, its own opener, warmed before the first request."""
    settings = serving(Settings())
    opener = Opener(settings)
    if opener.published():
        opener.warm()
    return make_app(settings, opener=opener, owns_opener=True)


def make_app(
    settings: Settings | None = None,
    *,
    opener: Opener | None = None,
    store: StateStore | None = None,
    owns_opener: bool = False,
) -> FastAPI:
    """The application over SETTINGS' data directory (OPENER: share one, e.g. a test's; closed
    with the app when OWNS_OPENER)."""
    ctx = ServerContext(settings or Settings(), opener, store, owns_opener=owns_opener)

    def archive_for(viewer: Viewer) -> Archive:
        return ctx.archive(viewer)

    mcp = mcp_tools.build(archive_for, ctx.links, shared=answers.Radar(ctx.store, ctx.settings))
    # Stateless and JSON: each call is one POST, any replica can answer it. A bearer token is
    # required, so DNS rebinding (which rides on a browser's ambient credentials) gains nothing.
    mcp.streamable_http_app(
        stateless_http=True,
        json_response=True,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    pending: set[asyncio.Task[Any]] = set()
    users = slack.SlackUsers(ctx.settings.slack_users)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = ctx.settings.server_threads
        async with mcp.session_manager.run():
            try:
                yield
            finally:
                for task in list(pending):
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
                ctx.close()

    app = FastAPI(
        title="Hindsight",
        version="1",
        summary="What the organisation already learned: post-mortems, recordings, talks, people.",
        description=(
            "Send a personal API token as `Authorization: Bearer <token>` (`hindsight token "
            "create NAME --groups G1,G2`). Every answer holds only what that token's groups may "
            "read; a document you may not read answers like a missing one."
        ),
        docs_url=None,  # FastAPI's pages load scripts from a CDN: /docs below is self-contained
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.hindsight = ctx
    app.include_router(api.router)

    @app.get("/healthz", tags=["service"], summary="Liveness and the version answering")
    def healthz() -> JSONResponse:
        published = ctx.opener.published()
        if published:
            ctx.opener.require(Viewer(name="health check"))  # opens (or re-opens) the version
        body = {"status": "ok" if published else "no index", "version": ctx.opener.version}
        return JSONResponse(body, 200 if published else 503)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(docs_page.render(app.openapi()))

    @app.head("/feeds/{token}/{feed}", include_in_schema=False)
    @app.get("/feeds/{token}/{feed}", tags=["feeds"], summary="A follow's private Atom feed")
    def feed(request: Request, token: str, feed: str) -> Response:
        """The feed of a follow, read with its owner's groups (the token is the credential)."""
        found = FEED[0].match(token), FEED[1].match(feed)
        result = NOT_FOUND
        if found[0] and feed == REVIEW_FEED_FILE and ctx.opener.published():
            url = str(request.url.replace(query=""))
            result = answer_review(ctx.store, ctx.settings, archive_for, token, self_url=url)
        elif found[0] and found[1] and ctx.opener.published():
            url = str(request.url.replace(query=""))
            result = answer(ctx.store, ctx.settings, archive_for, token, found[1][1], self_url=url)
        body = b"" if request.method == "HEAD" else result.body.encode("utf-8")
        return Response(body, result.status, NO_STORE, media_type=result.content_type)

    @app.post("/slack/commands", tags=["slack"], summary="The /hindsight Slack command")
    async def slack_command(request: Request) -> JSONResponse:
        """Slack's slash-command request, verified with the signing secret (401 otherwise)."""
        body = await request.body()
        try:
            slack.verify(
                ctx.settings.slack_signing_secret,
                request.headers.get("x-slack-request-timestamp", ""),
                request.headers.get("x-slack-signature", ""),
                body,
            )
        except slack.BadRequest as exc:
            return JSONResponse({"detail": str(exc)}, 401)
        form = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode("utf-8", "replace")).items()}
        command = slack.parse(form.get("text", ""))
        if command.verb == "help":
            return JSONResponse(slack.usage())
        try:
            person = (
                None
                if command.share
                else users.person(form.get("team_id", ""), form.get("user_id", ""))
            )
        except HindsightError:
            log.exception("the Slack user mapping cannot be read")
            return JSONResponse(
                slack.refusal("Hindsight's Slack user mapping is broken; tell its operator.")
            )
        viewer = slack.viewer_of(person, ctx.settings)

        def compute() -> dict[str, Any]:
            return slack.answer(command, ctx.archive(viewer), ctx.links)

        work = asyncio.ensure_future(asyncio.to_thread(compute))
        response_url = form.get("response_url", "")
        later = response_url.startswith(ctx.settings.slack_response_prefix)
        done, _ = await asyncio.wait({work}, timeout=ctx.settings.slack_ack_s if later else None)
        if work in done:
            return JSONResponse(await work)
        pending.add(task := asyncio.ensure_future(_post_later(work, response_url)))
        task.add_done_callback(pending.discard)
        return JSONResponse({"response_type": "ephemeral", "text": "Looking that up…"})

    app.router.routes.append(
        Route("/mcp", endpoint=McpGuard(ctx, mcp), methods=["GET", "POST", "DELETE"])
    )
    app.openapi = lambda: _with_mcp(FastAPI.openapi(app))  # type: ignore[method-assign]
    return app


def _with_mcp(spec: dict[str, Any]) -> dict[str, Any]:
    """/mcp is the MCP SDK's, not a FastAPI route: describe it in the OpenAPI document too."""
    spec["paths"]["/mcp"] = {
        "post": {
            "tags": ["mcp"],
            "summary": "MCP tools over streamable HTTP (token required)",
            "description": (
                "The Model Context Protocol endpoint for coding agents: tools search, "
                "get_document, similar_incidents, pre_work_brief, who_knows and "
                "open_action_items. Stateless: every JSON-RPC message is one POST. Requires "
                "`Authorization: Bearer <token>`; 401 without one."
            ),
            "operationId": "mcp",
            "responses": {
                "200": {"description": "a JSON-RPC response"},
                "401": {"description": "no valid token"},
            },
        }
    }
    return spec


async def _post_later(work: asyncio.Future[dict[str, Any]], response_url: str) -> None:
    """Post a slow Slack answer to the command's response_url (valid 30 minutes, 5 posts)."""
    try:
        message = await work
    except Exception:
        log.exception("a Slack command failed")
        message = slack.refusal("Hindsight could not answer that.")
    message["replace_original"] = True
    async with httpx.AsyncClient(timeout=10) as client:
        try:
            await client.post(response_url, json=message)
        except httpx.HTTPError as exc:
            log.warning("could not post a Slack answer: %s", exc)
