"""Who is looking: a Viewer from the configured source (nobody, a proxy's headers, OIDC claims).

The portal passes what it received (request headers, the logged-in user's claims); every
decision about trusting them is made here, so it is tested without a browser.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from typing import Any

from index.access import Viewer
from index.errors import AccessDenied, AuthConfigError
from index.settings import Settings

LOCAL_ADDRESSES = frozenset({"127.0.0.1", "localhost", "::1"})
LOCAL_VIEWER = "Local viewer"


def check_config(settings: Settings, server_address: str | None) -> None:
    """Refuse settings under which identities could be forged (AuthConfigError says why)."""
    if settings.auth != "proxy" or settings.proxy_secret:
        return
    if (server_address or "").strip().lower() not in LOCAL_ADDRESSES:
        raise AuthConfigError(
            "HINDSIGHT_AUTH=proxy trusts identity headers, so the portal must either listen on "
            "localhost only (--server.address 127.0.0.1, with the proxy in front of it) or check "
            f"a shared secret: set HINDSIGHT_PROXY_SECRET and have the proxy send it in "
            f"{settings.proxy_secret_header}. Listening on {server_address or 'every address'} "
            "without one, anyone who reaches the port could claim any identity."
        )


Headers = Mapping[str, str] | Iterable[tuple[str, str]]


def _header(headers: list[tuple[str, str]], name: str) -> str:
    """The one value of header NAME ('' when absent).

    Raises:
        AccessDenied: the header came more than once. A proxy that adds its header beside the
            browser's instead of replacing it leaves two, and which one a reader takes (first,
            last, joined) decides whether a forged value wins: refuse rather than guess.
    """
    wanted = name.lower()
    values = [str(v).strip() for k, v in headers if k.lower() == wanted]
    if len(values) > 1:
        raise AccessDenied(
            f"The request carried {name} more than once, so who is signed in is ambiguous. "
            "The sign-in proxy must replace that header, not add a second one."
        )
    return values[0] if values else ""


def from_headers(headers: Headers, settings: Settings) -> Viewer:
    """The viewer an authenticating proxy vouches for (proxy mode).

    HEADERS: a mapping, or (name, value) pairs with every repeated header as it came.

    Raises:
        AccessDenied: the shared secret is configured and missing or wrong, no user, or an
            identity header repeated.
    """
    headers = list(headers.items() if isinstance(headers, Mapping) else headers)
    if settings.proxy_secret:
        sent = _header(headers, settings.proxy_secret_header)
        if not hmac.compare_digest(sent.encode(), settings.proxy_secret.encode()):
            raise AccessDenied(
                "This request did not come through the sign-in proxy. Open Hindsight through "
                "your organisation's sign-in link."
            )
    name = _header(headers, settings.proxy_user_header)
    email = _header(headers, settings.proxy_email_header)
    if not (name or email):
        raise AccessDenied("The sign-in proxy sent no user: sign in again.")
    groups = _header(headers, settings.proxy_groups_header)
    return Viewer.of(
        name or email,
        email,
        groups,
        admin_group=settings.admin_group,
        editors_group=settings.editors_group,
    )


def from_claims(claims: Mapping[str, Any], settings: Settings) -> Viewer:
    """The viewer of an OIDC login (oidc mode): name, e-mail and groups from the ID token."""
    email = str(claims.get("email") or "")
    name = str(claims.get("name") or claims.get("preferred_username") or email or "")
    name = name or str(claims.get("sub") or "")
    if not name:
        raise AccessDenied("The identity provider sent no user: sign in again.")
    groups = claims.get(settings.oidc_groups_claim)
    return Viewer.of(
        name, email, groups, admin_group=settings.admin_group, editors_group=settings.editors_group
    )


def local_viewer() -> Viewer:
    """auth = none: one viewer without groups, who sees no restricted document (fail closed)."""
    return Viewer(name=LOCAL_VIEWER, operator=True)
