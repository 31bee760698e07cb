"""Starting the server: `hindsight serve` (API, feeds, Slack, MCP over HTTP) and `hindsight mcp`
(the MCP tools over stdio, for a coding agent that starts its own)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from cli.common import EXIT_OK, UsageError, command, require_index, settings


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from index import identity
    from index.opener import Opener
    from server.app import make_app, serving

    found = serving(settings(args))
    identity.check_config(found, args.host)  # proxy mode: localhost only, or a shared secret
    port = args.port if args.port is not None else found.feeds_port
    workers = args.workers if args.workers is not None else found.server_workers
    if workers < 1:
        raise UsageError("--workers must be at least 1")
    print(
        f"Hindsight API: http://{args.host}:{port}/docs  (MCP: /mcp, feeds: /feeds/…)"
        + (f"  [{workers} processes]" if workers > 1 else ""),
        flush=True,
    )
    # No access log (access_log=False below): feed URLs carry secret tokens.
    if workers > 1:
        # Each process answers with its own opener (a search is mostly Python: one process
        # holds one core); they read the same published version and the same state store.
        os.environ["HINDSIGHT_DATA_DIR"] = str(found.data_dir.resolve())
        uvicorn.run(
            "server.app:worker_app",
            factory=True,
            workers=workers,
            host=args.host,
            port=port,
            access_log=False,
            log_level="warning",
        )
        return EXIT_OK
    opener = Opener(found)
    if opener.published():
        opener.warm()  # the model and the chunk table load now, not on the first request
    try:
        uvicorn.run(
            make_app(found, opener=opener),
            host=args.host,
            port=port,
            access_log=False,
            log_level="warning",
        )
    finally:
        opener.close()
    return EXIT_OK


def cmd_mcp(args: argparse.Namespace) -> int:
    from circulation.links import Links
    from circulation.state import StateStore
    from index.access import Viewer
    from index.opener import Opener
    from server import answers, mcp_tools
    from server.callers import anonymous, token_viewer

    found = settings(args)
    require_index(found)
    viewer: Viewer = anonymous()
    if args.token:
        token = StateStore(found.data_dir).api_token(args.token)
        if token is None:
            raise UsageError("unknown or revoked --token (hindsight token list)")
        viewer = token_viewer(token.name, token.groups, found)
    elif args.groups is not None:
        viewer = Viewer.of("mcp", groups=args.groups, admin_group=found.admin_group)
    with Opener(found) as opener:
        opener.warm()
        opener.require(viewer).prepare()  # its incident set and people: before the first call
        shared = answers.Radar(StateStore(found.data_dir), found)
        server = mcp_tools.build(opener.require, Links(found.portal_url), viewer, shared=shared)
        server.run("stdio")
    return EXIT_OK


def register(sub: Any, common: argparse.ArgumentParser, reader: argparse.ArgumentParser) -> None:
    p = command(
        sub,
        "serve",
        [common],
        "the HTTP server: JSON API, Atom feeds, Slack command, MCP tools",
        "  hindsight serve                       # http://127.0.0.1:8502/docs\n"
        "  hindsight serve --host 0.0.0.0 --port 9000",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default $HINDSIGHT_FEEDS_PORT or 8502)")
    p.add_argument(
        "--workers",
        type=int,
        help="processes answering requests (default $HINDSIGHT_SERVER_WORKERS or 1): one process "
        "holds about one core",
    )
    p.set_defaults(func=cmd_serve)

    p = command(
        sub,
        "mcp",
        [common],
        "the MCP tools over stdio, for a coding agent",
        "  hindsight mcp                          # reads as nobody's groups\n"
        "  hindsight mcp --groups sre\n"
        "  hindsight mcp --token hst_…             # reads as that token's groups",
    )
    who = p.add_mutually_exclusive_group()
    who.add_argument("--groups", metavar="G1,G2", help="read as a member of these groups")
    who.add_argument("--token", help="read as this personal API token's groups")
    p.set_defaults(func=cmd_mcp)
