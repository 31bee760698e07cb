"""Who is looking, as Streamlit sees it: headers (proxy) or its own login (oidc).

Every rule is in index.identity; this module only hands it what the request carries, and
shows a sign-in screen or a refusal when there is no trusted identity.
"""

from __future__ import annotations

from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from index import identity
from index.access import Viewer
from index.errors import AccessDenied, AuthConfigError
from index.settings import Settings
from portal import safe


def current_viewer(settings: Settings) -> Viewer:
    """The viewer of this run, or a sign-in screen / refusal and a stop."""
    try:
        identity.check_config(settings, st.get_option("server.address"))
        if settings.auth == "proxy":
            # Every value of every header: dict() would keep one of a repeated header silently.
            sent = st.context.headers
            pairs = [(name, value) for name in sent for value in sent.get_all(name)]
            return identity.from_headers(pairs, settings)
        if settings.auth == "oidc":
            return _oidc(settings)
    except AuthConfigError as exc:
        with _screen():
            st.error(str(exc), icon=":material/gpp_bad:")
        st.stop()
    except AccessDenied as exc:
        with _screen():
            st.error(str(exc), icon=":material/lock:")
        st.stop()
    return identity.local_viewer()


def _screen() -> DeltaGenerator:
    """A narrow column in the middle of the page, under the portal's name: nothing else shows."""
    _, middle, _ = st.columns([1, 2, 1])
    middle.title(":material/history_edu: Hindsight", anchor=False)
    return middle


def _logged_in() -> bool:
    # .get: outside a real server (AppTest) st.user carries no is_logged_in at all.
    return bool(st.user.get("is_logged_in"))


def _login_configured() -> bool:
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets file at all
        return False


def _oidc(settings: Settings) -> Viewer:
    if not _logged_in():
        if not _login_configured():  # st.login would fail with a traceback on the click
            raise AuthConfigError(
                "HINDSIGHT_AUTH=oidc signs people in with Streamlit's login, which needs an "
                "[auth] section in .streamlit/secrets.toml (redirect_uri, cookie_secret, "
                "client_id, client_secret, server_metadata_url): see README, Access control."
            )
        with _screen(), st.container(border=True):
            st.markdown("Sign in to read what the organisation has learned.")
            st.button("Sign in", icon=":material/login:", type="primary", on_click=st.login)
        st.stop()
    claims: dict[str, Any] = dict(st.user.to_dict())
    return identity.from_claims(claims, settings)


def signed_in(viewer: Viewer, settings: Settings) -> None:
    """Who is signed in and in which groups (sidebar), and Sign out in oidc mode."""
    st.caption(f":material/person: Signed in as **{safe.text(viewer.name)}**")
    if viewer.sees_everything:
        st.caption("Sees every document (admin group).")
    elif viewer.groups:
        st.caption("Groups: " + ", ".join(safe.text(g) for g in sorted(viewer.groups)))
    if settings.auth == "oidc" and _logged_in():
        st.button("Sign out", icon=":material/logout:", type="tertiary", on_click=st.logout)
