"""The portal's gate (AppTest): what a person sees before any trusted identity is known."""

from __future__ import annotations

import pytest

from index.settings import Settings
from tests.app_helpers import run

pytestmark = pytest.mark.usefixtures("close_app_resources")


def shown(at) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(
        [str(e.value) for e in (*at.error, *at.markdown, *at.title)]
        + [b.proto.label for b in at.button]
    )


def test_oidc_without_login_settings_says_what_is_missing(monkeypatch, settings: Settings) -> None:
    monkeypatch.setenv("HINDSIGHT_AUTH", "oidc")
    at = run(monkeypatch, settings, "portal/pages/incidents.py")
    text = shown(at)
    assert "[auth] section" in text and "secrets.toml" in text
    assert "Sign in" not in [b.proto.label for b in at.button]  # a button that could only fail


def test_oidc_with_login_settings_offers_sign_in_and_nothing_else(
    monkeypatch, settings: Settings
) -> None:
    monkeypatch.setenv("HINDSIGHT_AUTH", "oidc")
    monkeypatch.setenv("HINDSIGHT_DATA_DIR", str(settings.data_dir))
    from streamlit.testing.v1 import AppTest

    from tests.app_helpers import APP

    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback"}
    at.switch_page("portal/pages/incidents.py")
    at.run()
    assert not at.exception, at.exception
    assert "Sign in to read what the organisation has learned." in shown(at)
    assert [b.proto.label for b in at.button] == ["Sign in"]
    assert not at.error and "Incidents" not in [t.value for t in at.title]
