"""Driving the Streamlit app in-process (AppTest), shared by the tests/test_app_*.py modules."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from index.settings import Settings

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def run(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, page: str, **params: str | list[str]
) -> AppTest:
    """The app on PAGE with PARAMS in its URL, run once over SETTINGS' index; no exception."""
    monkeypatch.setenv("HINDSIGHT_DATA_DIR", str(settings.data_dir))
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page(page)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def link_params(at: AppTest, label: str) -> dict[str, str]:
    """The query of the page link labelled LABEL (AppTest cannot click links: a test follows
    one by running the page with what it carries)."""
    from urllib.parse import parse_qsl

    for el in at.get("page_link"):
        if el.proto.label.replace("\\", "").strip("*") == label:
            return dict(parse_qsl(el.proto.query_string))
    raise AssertionError(f"no page link {label!r}")


def texts(at: AppTest) -> str:
    """Everything the page wrote as Markdown or captions, one string, Markdown escapes removed."""
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption]).replace(
        "\\", ""
    )
