"""Who is calling `hindsight serve`: tokens, the proxy's headers under the portal's rules, or
nobody — and 401 for everything else. Real uvicorn, real HTTP; tokens made by the real CLI."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from cli import main
from index.opener import Opener
from server.app import make_app
from tests.access_fixtures import CANARY
from tests.server_helpers import Served, bearer, restricted_server, served

__all__ = ["restricted_server"]
ROOT = Path(__file__).resolve().parents[1]
SEARCH = f"/api/v1/search?q={CANARY}&mode=keyword"


def _app(server: Served, real_embedder: Any, **changes: Any) -> Any:
    settings = server.settings.model_copy(update=changes)
    return make_app(settings, opener=Opener(settings, real_embedder))


def _found(reply: httpx.Response) -> list[str]:
    return [h["doc_id"] for h in reply.json()["hits"]]


def test_tokens_read_as_their_groups_and_unknown_ones_are_refused(restricted_server) -> None:
    url = restricted_server.url + SEARCH
    member = httpx.get(url, headers=bearer(restricted_server.tokens["member"]), timeout=60)
    outsider = httpx.get(url, headers=bearer(restricted_server.tokens["outsider"]), timeout=60)
    nobody = httpx.get(url, timeout=60)  # HINDSIGHT_AUTH=none: anonymous, no groups
    assert member.status_code == outsider.status_code == nobody.status_code == 200
    assert _found(member) and _found(outsider) == _found(nobody) == []
    for header in (
        "Bearer hst_not-a-real-token",
        "Bearer " + restricted_server.tokens["member"][4:],  # without its prefix
        "Bearer " + restricted_server.tokens["member"] + "x",
        "Basic dXNlcjpwYXNz",
        "Bearer",
    ):
        refused = httpx.get(url, headers={"Authorization": header}, timeout=60)
        assert refused.status_code == 401, header
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert CANARY not in refused.text
    twice = httpx.get(
        url,
        headers=[("Authorization", "Bearer hst_x"), ("Authorization", "Bearer hst_y")],
        timeout=60,
    )
    assert twice.status_code == 401


def test_who_am_i(restricted_server) -> None:
    me = httpx.get(
        restricted_server.url + "/api/v1/me",
        headers=bearer(restricted_server.tokens["member"]),
        timeout=60,
    ).json()
    assert me == {
        "name": "member",
        "groups": ["security"],
        "sees_everything": False,
        "how": "token",
        "token": "member",
    }
    admin = httpx.get(
        restricted_server.url + "/api/v1/me",
        headers=bearer(restricted_server.tokens["admin"]),
        timeout=60,
    ).json()
    assert admin["sees_everything"] is True
    anonymous = httpx.get(restricted_server.url + "/api/v1/me", timeout=60).json()
    assert (anonymous["how"], anonymous["groups"]) == ("anonymous", [])


def test_the_token_commands_make_list_and_revoke(restricted_server, capsys) -> None:
    data = ["--data-dir", str(restricted_server.settings.data_dir)]
    assert main(["token", "create", "cli-made", "--groups", "security,sre", *data]) == 0
    token = capsys.readouterr().out.strip()
    assert re.fullmatch(r"hst_[\w-]{40,}", token)
    url = restricted_server.url + SEARCH
    assert _found(httpx.get(url, headers=bearer(token), timeout=60))
    assert main(["token", "create", "cli-made", *data]) == 1  # the name is taken
    assert "revoke it first" in capsys.readouterr().err
    assert main(["token", "list", *data]) == 0
    listed = capsys.readouterr().out
    assert "cli-made" in listed and "security,sre" in listed and token not in listed
    assert main(["token", "revoke", "cli-made", *data]) == 0
    capsys.readouterr()
    assert httpx.get(url, headers=bearer(token), timeout=60).status_code == 401
    assert main(["token", "revoke", "cli-made", *data]) == 1
    assert main(["token", "list", "--json", *data]) == 0
    assert '"revoked_at": "' in capsys.readouterr().out


def test_proxy_headers_are_trusted_only_with_the_shared_secret(
    restricted_server, real_embedder
) -> None:
    app = _app(restricted_server, real_embedder, auth="proxy", proxy_secret="s3cret")
    member = {"X-Forwarded-User": "mem", "X-Forwarded-Groups": "security"}
    with served(app) as url:
        trusted = httpx.get(url + SEARCH, headers=member | {"X-Hindsight-Proxy-Secret": "s3cret"})
        assert trusted.status_code == 200 and _found(trusted)
        for headers in (
            member,  # no secret: not from the proxy
            member | {"X-Hindsight-Proxy-Secret": "wrong"},
            {"X-Hindsight-Proxy-Secret": "s3cret"},  # the proxy sent no user
        ):
            assert httpx.get(url + SEARCH, headers=headers).status_code == 401
        doubled = [
            ("X-Hindsight-Proxy-Secret", "s3cret"),
            ("X-Forwarded-User", "mem"),
            ("X-Forwarded-Groups", "sre"),
            ("X-Forwarded-Groups", "security"),  # the browser's copy beside the proxy's
        ]
        assert httpx.get(url + SEARCH, headers=doubled).status_code == 401
        # a token still works behind the proxy, and reads as the token's groups only
        token = bearer(restricted_server.tokens["outsider"])
        assert _found(httpx.get(url + SEARCH, headers=token | member)) == []


def test_oidc_mode_needs_a_token(restricted_server, real_embedder) -> None:
    with served(_app(restricted_server, real_embedder, auth="oidc")) as url:
        assert httpx.get(url + SEARCH).status_code == 401
        token = bearer(restricted_server.tokens["member"])
        assert _found(httpx.get(url + SEARCH, headers=token))


def test_mcp_over_http_requires_a_token_even_without_auth(restricted_server) -> None:
    request = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"Accept": "application/json, text/event-stream"}
    refused = httpx.post(restricted_server.url + "/mcp", json=request, headers=headers)
    assert refused.status_code == 401 and "token" in refused.json()["detail"]
    bad = httpx.post(
        restricted_server.url + "/mcp", json=request, headers=headers | bearer("hst_nope")
    )
    assert bad.status_code == 401


def test_health_openapi_and_docs(restricted_server) -> None:
    health = httpx.get(restricted_server.url + "/healthz").json()
    assert health["status"] == "ok" and health["version"].startswith("g")
    spec = httpx.get(restricted_server.url + "/openapi.json").json()
    for path in (
        "/api/v1/search",
        "/api/v1/documents/{doc_id}",
        "/api/v1/incidents/{doc_id}/similar",
        "/api/v1/brief",
        "/api/v1/experts",
        "/api/v1/action-items",
        "/api/v1/recurring",
        "/api/v1/whats-new",
        "/feeds/{token}/{feed}",
        "/slack/commands",
        "/healthz",
        "/mcp",
    ):
        assert path in spec["paths"], path
    assert "post" in spec["paths"]["/api/v1/brief"]
    docs = httpx.get(restricted_server.url + "/docs")
    assert docs.status_code == 200 and "/api/v1/brief" in docs.text
    # self-contained: no script, nothing fetched from elsewhere
    assert "<script" not in docs.text.lower()
    assert not re.search(r"(src|href)=['\"]https?://", docs.text)


def test_bad_requests_say_why(restricted_server) -> None:
    token = bearer(restricted_server.tokens["member"])
    base = restricted_server.url + "/api/v1"
    wrong_kind = httpx.get(base + "/search", params={"q": "x", "kind": "poem"}, headers=token)
    assert wrong_kind.status_code == 422 and "valid kinds" in wrong_kind.text
    assert (
        httpx.get(base + "/search", params={"q": "x", "limit": 0}, headers=token).status_code == 422
    )
    assert httpx.get(base + "/search", headers=token).status_code == 422  # no q
    assert httpx.post(base + "/brief", json={"plan": "  "}, headers=token).status_code == 422
    assert httpx.post(base + "/brief", json={}, headers=token).status_code == 422
    since = httpx.get(base + "/whats-new", params={"since": "last tuesday"}, headers=token)
    assert since.status_code == 422 and "7d" in since.text


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("workers", [None, 2])
def test_hindsight_serve_starts_answers_and_stops(restricted_server, workers) -> None:
    """One process, or several (`--workers 2`, given the data directory as an option: each
    worker process must read the same one)."""
    port = _free_port()
    data = str(restricted_server.settings.data_dir)
    env = {k: v for k, v in os.environ.items() if k != "HINDSIGHT_DATA_DIR"}
    if workers is None:
        env["HINDSIGHT_DATA_DIR"] = data
    extra = [] if workers is None else ["--data-dir", data, "--workers", str(workers)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--port", str(port), *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read()  # type: ignore[union-attr]
                time.sleep(0.5)
        assert health.json()["status"] == "ok"
        token = bearer(restricted_server.tokens["member"])
        for _ in range(4 if workers else 1):  # connections may reach either process
            with httpx.Client() as fresh:
                assert _found(
                    fresh.get(f"http://127.0.0.1:{port}{SEARCH}", headers=token, timeout=60)
                )
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert f"http://127.0.0.1:{port}/docs" in out
    assert "/api/v1/search" not in out  # no access log: feed URLs carry secret tokens


def test_proxy_mode_refuses_to_listen_openly_without_a_secret(restricted_server) -> None:
    env = os.environ | {
        "HINDSIGHT_DATA_DIR": str(restricted_server.settings.data_dir),
        "HINDSIGHT_AUTH": "proxy",
    }
    done = subprocess.run(
        [sys.executable, "-m", "cli", "serve", "--host", "0.0.0.0", "--port", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and "HINDSIGHT_PROXY_SECRET" in done.stderr


@pytest.fixture(autouse=True)
def _no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # httpx would route loopback requests through a proxy named in the environment.
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
