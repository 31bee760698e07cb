"""Who is looking, decided from what a request carries (index/identity.py), without a browser."""

from __future__ import annotations

import pytest

from index import identity
from index.errors import AccessDenied, AuthConfigError
from index.settings import Settings

PROXY = Settings(auth="proxy")
MEMBER = [("X-Forwarded-User", "Mara"), ("X-Forwarded-Groups", "sre, Security")]


def test_proxy_headers_make_the_viewer() -> None:
    viewer = identity.from_headers(MEMBER, PROXY)
    assert viewer.name == "Mara" and viewer.groups == {"security", "sre"}
    assert identity.from_headers(dict(MEMBER), PROXY) == viewer  # a mapping reads the same


@pytest.mark.parametrize(
    "repeated",
    [
        ("x-forwarded-groups", "security"),  # a forged copy beside the proxy's, any case
        ("X-Forwarded-User", "Someone else"),
        ("X-Forwarded-Email", "a@x.example"),
    ],
)
def test_a_repeated_identity_header_is_refused(repeated: tuple[str, str]) -> None:
    sent = [repeated, ("X-Forwarded-Email", "mara@x.example"), *MEMBER]
    with pytest.raises(AccessDenied, match="more than once"):
        identity.from_headers(sent, PROXY)


def test_the_secret_is_checked_and_cannot_be_doubled() -> None:
    settings = Settings(auth="proxy", proxy_secret="s3cret")
    with pytest.raises(AccessDenied, match="sign-in proxy"):
        identity.from_headers(MEMBER, settings)
    with pytest.raises(AccessDenied, match="sign-in proxy"):
        identity.from_headers([*MEMBER, ("X-Hindsight-Proxy-Secret", "guess")], settings)
    secret = ("X-Hindsight-Proxy-Secret", "s3cret")
    assert identity.from_headers([*MEMBER, secret], settings).name == "Mara"
    with pytest.raises(AccessDenied, match="more than once"):
        identity.from_headers([("X-Hindsight-Proxy-Secret", "guess"), secret, *MEMBER], settings)


def test_proxy_without_secret_must_listen_on_localhost_only() -> None:
    identity.check_config(PROXY, "127.0.0.1")
    identity.check_config(Settings(auth="proxy", proxy_secret="s"), "0.0.0.0")
    identity.check_config(Settings(auth="oidc"), None)
    for address in ("0.0.0.0", "", None, "10.0.0.5"):
        with pytest.raises(AuthConfigError, match="HINDSIGHT_PROXY_SECRET"):
            identity.check_config(PROXY, address)
