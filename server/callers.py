"""Who is calling the server: a personal API token, the sign-in proxy's headers, or nobody.

The rules, in order:

1. `Authorization: Bearer <token>`: a token made by `hindsight token create` and not revoked
   reads as its groups; any other token is refused (401), whatever else the request carries.
2. No token, `HINDSIGHT_AUTH=proxy`: the proxy's headers, under exactly the portal's trust rules
   (index/identity.py: the shared secret when one is set, no repeated identity header).
3. No token, `HINDSIGHT_AUTH=none`: the anonymous viewer, without groups (restricted documents
   are not shown).
4. Anything else (`oidc`, whose login lives in the portal's browser session): 401.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from circulation.state import StateStore
from index import identity
from index.access import Viewer
from index.errors import AccessDenied
from index.settings import Settings

ANONYMOUS = "anonymous"
CHALLENGE = 'Bearer realm="hindsight"'


class Unauthorized(Exception):
    """No acceptable credentials: answered 401 with the reason."""


@dataclass(frozen=True)
class Caller:
    """Who is asking and how they proved it (`token`, `proxy` or `anonymous`)."""

    viewer: Viewer
    how: str
    token_name: str = ""


def anonymous() -> Viewer:
    """The viewer without identity or groups: sees only unrestricted documents."""
    return Viewer(name=ANONYMOUS)


def token_viewer(name: str, groups: Iterable[str], settings: Settings) -> Viewer:
    return Viewer.of(name, groups=list(groups), admin_group=settings.admin_group)


def bearer(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer …` header; None when there is no such header."""
    scheme, _, token = authorization.strip().partition(" ")
    if not authorization.strip():
        return None
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization must be 'Bearer <token>' (hindsight token create).")
    return token.strip()


def identify(
    headers: list[tuple[str, str]],
    settings: Settings,
    store: StateStore,
    *,
    require_token: bool = False,
) -> Caller:
    """The caller of a request with HEADERS (every header as it came, repeats included).

    Raises:
        Unauthorized: an unknown or revoked token, a refused proxy identity, or no identity
            where one is required (REQUIRE_TOKEN: only a token will do, e.g. for /mcp).
    """
    sent = [v for k, v in headers if k.lower() == "authorization"]
    if len(sent) > 1:
        raise Unauthorized("The request carried Authorization more than once.")
    token = bearer(sent[0]) if sent else None
    if token is not None:
        found = store.api_token(token)
        if found is None:
            raise Unauthorized("Unknown or revoked token.")
        return Caller(token_viewer(found.name, found.groups, settings), "token", found.name)
    if require_token:
        raise Unauthorized("A personal API token is required: hindsight token create NAME.")
    if settings.auth == "proxy":
        try:
            return Caller(identity.from_headers(headers, settings), "proxy")
        except AccessDenied as exc:
            raise Unauthorized(str(exc)) from None
    if settings.auth == "none":
        return Caller(anonymous(), "anonymous")
    raise Unauthorized(
        f"HINDSIGHT_AUTH={settings.auth}: send a personal API token "
        "(Authorization: Bearer …; hindsight token create NAME --groups …)."
    )
