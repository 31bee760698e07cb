"""A real `hindsight serve` for tests: the server's app under uvicorn on a loopback port.

`served(app)` runs uvicorn in a thread on a port the kernel picks and yields its base URL; the
`restricted_server` fixture (session-wide: built once) serves the access fixtures' index with
tokens for an outsider, a member and an admin, so every test talks HTTP to the real thing.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from circulation.state import StateStore
from index.opener import Opener
from index.settings import Settings
from server.app import make_app
from tests.access_fixtures import build_restricted_index, seed_radar

PORTAL = "https://hindsight.example"
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@contextmanager
def served(app: Any) -> Iterator[str]:
    """APP served by uvicorn on 127.0.0.1 until the block ends; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


@dataclass
class Served:
    """A running server over the restricted index, and who may call it."""

    url: str
    settings: Settings
    store: StateStore
    tokens: dict[str, str]  # "outsider", "member", "admin" → token
    slack_users: Path


SLACK_USERS = """\
# Slack user id → who they are in Hindsight
UMEMBER: {name: Mem Ber, email: member@kestrel.example, groups: [security, sre]}
T1:UOTHER: {name: Other Workspace, groups: [security]}
UOUTSIDER: {name: Out Sider, groups: [sre, payments]}
"""


@pytest.fixture(scope="session")
def restricted_server(
    tmp_path_factory: pytest.TempPathFactory, real_embedder: Any
) -> Iterator[Served]:
    base = tmp_path_factory.mktemp("server")
    built: Settings = build_restricted_index(base, real_embedder)  # type: ignore[assignment]
    users = base / "slack-users.yaml"
    users.write_text(SLACK_USERS, encoding="utf-8")
    settings = built.model_copy(
        update={
            "portal_url": PORTAL,
            "admin_group": "hindsight-admins",
            "slack_signing_secret": SLACK_SECRET,
            "slack_users": users,
            "slack_response_prefix": "http://127.0.0.1:",
        }
    )
    seed_radar(settings, real_embedder)  # a plan shared with `security` only (team secops)
    store = StateStore(settings.data_dir)
    tokens = {
        "outsider": store.create_api_token("outsider", ("sre", "payments")),
        "member": store.create_api_token("member", ("Security",)),
        "admin": store.create_api_token("admin", ("hindsight-admins",)),
    }
    opener = Opener(settings, real_embedder)
    with served(make_app(settings, opener=opener)) as url:
        yield Served(url, settings, store, tokens, users)
    opener.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
