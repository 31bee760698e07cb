"""Check a plan in a real browser: paste a plan, see the brief, download it as Markdown, and
open the shared link the page's address became."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from browser_helpers import CHROMIUM, launch, open_page, portal, settle

from index.settings import Settings
from ingest.pipeline import Ingestor
from tests.conftest import write_content

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing"),
]
sync_api = pytest.importorskip("playwright.sync_api")

PLAN = (
    "We will fail over ledger-db to a new Postgres replica and promote it during the migration."
    " <img src=x onerror=alert(1)>"
)
LEDGER_TITLE = "Payments ledger served stale balances during replica failover"


def test_paste_a_plan_see_the_brief_and_download_it(tmp_path, real_embedder) -> None:
    content = write_content(tmp_path / "content")
    settings = Settings(data_dir=tmp_path / "data")
    Ingestor(settings, real_embedder).run([str(content)])
    with (
        portal(settings.data_dir, tmp_path / "streamlit.log") as app,
        sync_api.sync_playwright() as p,
    ):
        browser = launch(p)
        context = browser.new_context(
            viewport={"width": 1400, "height": 1000}, accept_downloads=True
        )
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        open_page(page, f"{app.url}/brief")
        page.get_by_label("Your plan").fill(PLAN)
        page.get_by_role("button", name="Check the plan").click()
        settle(page, timeout=120_000)
        main = page.locator("[data-testid='stMain']")
        main.get_by_text("Past incidents like this").wait_for()
        assert main.get_by_text(LEDGER_TITLE).first.is_visible()
        assert main.get_by_text("Questions to answer before you start").is_visible()
        assert "plan=" in page.url
        with page.expect_download() as download:
            page.get_by_role("button", name="Download Markdown").click()
        assert download.value.suggested_filename == "brief.md"
        markdown = Path(download.value.path()).read_text(encoding="utf-8")
        assert LEDGER_TITLE in markdown and "## People to ask" in markdown
        # Its links lead back to this portal: the operator's address, else the one browsed.
        here = os.environ.get("HINDSIGHT_PORTAL_URL") or app.url
        assert f"]({here}/incidents?doc=pm-2025-03-14-ledger-replica-lag)" in markdown
        assert f"[Open this brief in Hindsight]({here}/brief?plan=" in markdown
        # The address is a shared link: a fresh tab recomputes the same brief from it.
        shared = context.new_page()
        open_page(shared, page.url)
        settle(shared, timeout=120_000)
        assert shared.locator("[data-testid='stMain']").get_by_text(LEDGER_TITLE).first.is_visible()
        assert dialogs == []
        browser.close()
