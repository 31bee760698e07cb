"""Access control in a real browser: two people, one portal, what each of them is shown.

Proxy mode: Chromium sends the identity headers an authenticating proxy would add (Playwright's
`extra_http_headers`, which Chromium also puts on the WebSocket handshake Streamlit reads them
from). OIDC mode: Streamlit's own `st.login` against a local identity provider
(oidc-provider-mock), groups from the ID token. In both, a member of `security` finds the
restricted incident by its canary word, in the Incidents list and at its URL; an outsider finds
none of it, and the incident's URL reads exactly like a missing document's.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import (
    CHROMIUM,
    IDLE,
    IdentityProxy,
    PortalServer,
    free_port,
    launch,
    open_page,
    settle,
)

from index.identity import LOCAL_ADDRESSES
from tests.access_fixtures import CANARY, RESTRICTED_IDS, build_restricted_index

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"{CHROMIUM} is missing (CI installs Debian's chromium package)",
    ),
]
sync_api = pytest.importorskip("playwright.sync_api")

RESTRICTED_PM = RESTRICTED_IDS[0]
RESTRICTED_TITLE = "Zorbulon signing key leaked through a failover runbook"
PUBLIC_TITLE = "Payments ledger served stale balances during replica failover"
MISSING = "That document is not in the archive (any more)."
SHOTS = Path(os.environ.get("HINDSIGHT_SHOTS", "")) if os.environ.get("HINDSIGHT_SHOTS") else None

GROUPS = "X-Forwarded-Groups"
SECRET_HEADER = "X-Hindsight-Proxy-Secret"
SECRET = "s3cret-from-the-proxy"
MEMBER = {
    "X-Forwarded-User": "Mara Member",
    "X-Forwarded-Email": "mara@kestrel.example",
    "X-Forwarded-Groups": "sre, Security",
}
OUTSIDER = {
    "X-Forwarded-User": "Otto Outsider",
    "X-Forwarded-Email": "otto@kestrel.example",
    "X-Forwarded-Groups": "sre",
}


@pytest.fixture(scope="module")
def portals(tmp_path_factory, real_embedder) -> Iterator[dict[str, PortalServer]]:  # type: ignore[no-untyped-def]
    """The portals of this module by name, started together while the index is built.

    proxy: trusts headers, listens on localhost; secret: trusts only requests with the proxy's
    secret; open: proxy mode on 0.0.0.0 without a secret (must refuse); oidc: st.login against
    the local identity provider (absent when oidc-provider-mock is not installed).
    """
    base = tmp_path_factory.mktemp("auth")
    data = base / "data"  # where build_restricted_index puts the index
    proxy = {"HINDSIGHT_AUTH": "proxy"}
    options: dict[str, dict[str, Any]] = {
        "proxy": {"env": proxy},
        "secret": {"env": {**proxy, "HINDSIGHT_PROXY_SECRET": SECRET}},
        "open": {"env": proxy, "address": "0.0.0.0"},
    }
    stack = contextlib.ExitStack()
    with stack:
        if importlib.util.find_spec("oidc_provider_mock") is not None:
            provider = stack.enter_context(identity_provider(base / "idp.log"))
            port = free_port()
            url = f"http://localhost:{port}"  # one name for the browser and the redirect URI
            secrets = write_secrets(base / "secrets.toml", url, provider)
            options["oidc"] = {
                "env": {"HINDSIGHT_AUTH": "oidc"},
                "args": ["--secrets.files", str(secrets)],
                "host": "localhost",
                "port": port,
            }
        servers = {}
        for name, option in options.items():
            servers[name] = PortalServer(data, base / f"{name}.log", **option)
            stack.callback(servers[name].stop)
        # Callbacks run last-in first-out: every server is told to stop before any is awaited.
        stack.callback(lambda: [s.process.terminate() for s in servers.values()])
        build_restricted_index(base, real_embedder)
        for server in servers.values():
            server.wait()
        yield servers


@pytest.fixture(scope="module")
def chromium():  # type: ignore[no-untyped-def]
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        yield browser
        browser.close()


@contextlib.contextmanager
def explained(server: PortalServer) -> Iterator[None]:
    """Failures carry the server's output: a traceback there is usually the real cause."""
    try:
        yield
    except Exception as exc:
        raise AssertionError(f"{type(exc).__name__}: {exc}{server.output()}") from exc


def shown(page) -> str:  # type: ignore[no-untyped-def]
    """Everything the page shows, sidebar included."""
    return str(page.locator("[data-testid='stApp']").inner_text())


def grid(page) -> list[str]:  # type: ignore[no-untyped-def]
    """The cells of the page's table (the grid draws on a canvas; its cells are ARIA too)."""
    cells = page.locator("[data-testid='stDataFrame'] [role='gridcell']")
    if page.locator("[data-testid='stDataFrame']").count():
        cells.first.wait_for(state="attached", timeout=10_000)
    return list(cells.all_inner_texts())


def alone(page) -> bool:  # type: ignore[no-untyped-def]
    """True when the page shows no navigation: a sign-in screen or a refusal stands alone."""
    return bool(page.locator("[data-testid='stSidebarNav']").count() == 0)


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """With HINDSIGHT_SHOTS=DIR, keep a screenshot to look at (never asserted on)."""
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def member_sees_it(page, base: str, name: str) -> None:  # type: ignore[no-untyped-def]
    open_page(page, f"{base}/search?q={CANARY}+key")
    assert name in page.locator("[data-testid='stSidebar']").inner_text()
    assert RESTRICTED_TITLE in shown(page)
    shot(page, f"{name.split()[0].lower()}-search")
    open_page(page, f"{base}/incidents")
    assert RESTRICTED_TITLE in grid(page) and PUBLIC_TITLE in grid(page)
    shot(page, f"{name.split()[0].lower()}-incidents")
    open_page(page, f"{base}/document?doc={RESTRICTED_PM}")
    text = shown(page)
    assert RESTRICTED_TITLE in text and "pasted into a public runbook" in text
    assert MISSING not in text


def outsider_sees_none(page, base: str, name: str) -> None:  # type: ignore[no-untyped-def]
    open_page(page, f"{base}/search?q={CANARY}+key")
    text = shown(page)
    assert name in page.locator("[data-testid='stSidebar']").inner_text()
    assert "Zorbulon" not in text and "Ghost Analyst" not in text
    # The only "zorbulon" left is the query itself, shown back in the search box.
    assert page.get_by_role("textbox").first.input_value() == f"{CANARY} key"
    shot(page, f"{name.split()[0].lower()}-search")
    open_page(page, f"{base}/incidents")
    titles = grid(page)
    assert PUBLIC_TITLE in titles and not any(CANARY in t.lower() for t in titles)
    assert CANARY not in shown(page).lower()
    shot(page, f"{name.split()[0].lower()}-incidents")
    open_page(page, f"{base}/document?doc={RESTRICTED_PM}")
    restricted = page.locator("[data-testid='stMain']").inner_text()
    open_page(page, f"{base}/document?doc=pm-2025-07-01-no-such-incident")
    missing = page.locator("[data-testid='stMain']").inner_text()
    assert MISSING in restricted and restricted == missing
    assert CANARY not in shown(page).lower()


def test_proxy_headers_decide_what_each_person_sees(chromium, portals) -> None:  # type: ignore[no-untyped-def]
    server = portals["proxy"]
    with explained(server):
        for headers, check in ((MEMBER, member_sees_it), (OUTSIDER, outsider_sees_none)):
            context = chromium.new_context(viewport={"width": 1400, "height": 1000})
            with IdentityProxy(server.port, headers) as proxy:
                check(context.new_page(), proxy.url, headers["X-Forwarded-User"])
            context.close()
        # Straight to the portal, past the proxy: nobody vouched for, nothing shown.
        context = chromium.new_context()
        page = context.new_page()
        open_page(page, f"{server.url}/incidents")
        text = shown(page)
        assert "The sign-in proxy sent no user" in text and PUBLIC_TITLE not in text
        assert alone(page)
        context.close()


def test_proxy_secret_refuses_forged_headers(chromium, portals) -> None:  # type: ignore[no-untyped-def]
    server = portals["secret"]
    with explained(server):
        # Someone who reaches the port and sends identity headers of their own choosing.
        for forged in (MEMBER, {**MEMBER, SECRET_HEADER: "a-guess"}):
            context = chromium.new_context(viewport={"width": 1400, "height": 1000})
            with IdentityProxy(server.port, forged) as proxy:
                page = context.new_page()
                open_page(page, f"{proxy.url}/document?doc={RESTRICTED_PM}")
                text = shown(page)
                assert "did not come through the sign-in proxy" in text
                assert "Zorbulon" not in text and "In the archive" not in text and alone(page)
                shot(page, "proxy-forged-refused")
            context.close()
        context = chromium.new_context()
        with IdentityProxy(server.port, {**MEMBER, SECRET_HEADER: SECRET}) as proxy:
            page = context.new_page()
            open_page(page, f"{proxy.url}/document?doc={RESTRICTED_PM}")
            assert RESTRICTED_TITLE in shown(page)
        context.close()


def test_a_header_added_beside_a_forged_one_is_refused(chromium, portals) -> None:  # type: ignore[no-untyped-def]
    """A proxy that adds its headers after the client's copies instead of replacing them.

    The outsider's request reaches the portal with the secret and two group headers: the one
    they forged ("security") first, the proxy's ("sre") after it. Reading either one would be
    a guess (Streamlit's headers mapping answers the first); the portal refuses.
    """
    server = portals["secret"]
    with explained(server):
        careless = IdentityProxy(server.port, {**OUTSIDER, SECRET_HEADER: SECRET}, append=True)
        with careless, IdentityProxy(careless.port, {GROUPS: "security"}) as forger:
            context = chromium.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            open_page(page, f"{forger.url}/document?doc={RESTRICTED_PM}")
            text = shown(page)
            assert f"The request carried {GROUPS} more than once" in text
            assert "Zorbulon" not in text and "In the archive" not in text and alone(page)
            context.close()


def test_proxy_without_secret_refuses_to_listen_beyond_localhost(chromium, portals) -> None:  # type: ignore[no-untyped-def]
    assert "0.0.0.0" not in LOCAL_ADDRESSES
    server = portals["open"]
    with explained(server):
        context = chromium.new_context(viewport={"width": 1400, "height": 1000})
        with IdentityProxy(server.port, MEMBER) as proxy:
            page = context.new_page()
            open_page(page, f"{proxy.url}/incidents")
            text = shown(page)
            assert "HINDSIGHT_AUTH=proxy trusts identity headers" in text
            assert "Listening on 0.0.0.0 without one" in text
            assert PUBLIC_TITLE not in text and "In the archive" not in text and alone(page)
            shot(page, "proxy-open-refused")
        context.close()


# --- OIDC ---------------------------------------------------------------------------------

OIDC_USERS = {
    "mara": {"name": "Mara Member", "email": "mara@kestrel.example", "groups": ["security"]},
    "otto": {"name": "Otto Outsider", "email": "otto@kestrel.example", "groups": ["sre"]},
}


@contextlib.contextmanager
def identity_provider(log: Path) -> Iterator[str]:
    """oidc-provider-mock on a free port, the two people predefined: its base URL.

    Its own process, as an identity provider is: pytest turns warnings into errors, and
    oidc-provider-mock 0.3 calls Authlib APIs that Authlib now deprecates.
    """
    port = free_port()
    users = [json.dumps({"sub": sub, **claims}) for sub, claims in OIDC_USERS.items()]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "oidc_provider_mock", "--port", str(port)]
            + [arg for user in users for arg in ("--user-claims", user)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for(f"{base}/.well-known/openid-configuration", process, log)
            yield base
        finally:
            process.terminate()
            process.wait(10)


def wait_for(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the process exited\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer\n{log.read_text(errors='replace')}")


def write_secrets(path: Path, portal_url: str, provider: str) -> Path:
    auth = {
        "redirect_uri": f"{portal_url}/oauth2callback",
        "cookie_secret": "a-test-cookie-secret-that-is-long-enough",
        "client_id": "hindsight",
        "client_secret": "hindsight-secret",
        "server_metadata_url": f"{provider}/.well-known/openid-configuration",
    }
    lines = ["[auth]", *(f"{k} = {json.dumps(v)}" for k, v in auth.items())]
    lines.append('client_kwargs = { scope = "openid profile email" }')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def sign_in(page, server: PortalServer, sub: str) -> None:  # type: ignore[no-untyped-def]
    open_page(page, server.url)
    assert "Sign in to read what the organisation has learned" in shown(page) and alone(page)
    shot(page, "oidc-sign-in")
    page.get_by_role("button", name=re.compile("Sign in")).click()
    # The provider's authorization form: one button per predefined user (0.3 and 0.4 alike).
    page.locator(f"button[name='sub'][value='{sub}']").first.click()
    page.wait_for_url(re.compile(re.escape(server.url)))
    page.wait_for_selector("[data-testid='stApp']", timeout=60_000)
    settle(page)


def sign_out(page, server: PortalServer) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name=re.compile("Sign out")).click()
    # Streamlit ends the session at the provider too (RP-initiated logout), then comes back.
    page.wait_for_url(re.compile(r"/oauth2/end_session"))
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(re.compile(re.escape(server.url)))
    page.wait_for_selector(IDLE, timeout=30_000)
    assert "Sign in to read" in shown(page)


def test_oidc_login_groups_decide_what_each_person_sees(chromium, portals) -> None:  # type: ignore[no-untyped-def]
    if "oidc" not in portals:
        pytest.skip("oidc-provider-mock is not installed (pip install -e '.[dev]')")
    server = portals["oidc"]
    with explained(server):
        for sub, check in (("mara", member_sees_it), ("otto", outsider_sees_none)):
            context = chromium.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            sign_in(page, server, sub)
            check(page, server.url, OIDC_USERS[sub]["name"])
            sign_out(page, server)
            open_page(page, f"{server.url}/document?doc={RESTRICTED_PM}")
            assert "Sign in to read" in shown(page) and "Zorbulon" not in shown(page)
            context.close()
