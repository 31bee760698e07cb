"""Keeping knowledge true in a real browser, over the bundled content: the review queue shows the
runbook past its review date under its owner; its page says so quietly; "Still accurate" takes
it off the queue; the superseded talk points to its successor, in results and on its page."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from browser_helpers import CHROMIUM, click_key, launch, open_page, portal, settle

from index.settings import Settings
from ingest.pipeline import Ingestor

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing"),
]
sync_api = pytest.importorskip("playwright.sync_api")

BUNDLED = Path(__file__).resolve().parent.parent / "content"
RUNBOOK = "Runbook: failing over ledger-db by hand"


def test_review_queue_still_accurate_and_successors(tmp_path, real_embedder) -> None:
    content = shutil.copytree(BUNDLED, tmp_path / "content")
    settings = Settings(data_dir=tmp_path / "data")
    Ingestor(settings, real_embedder).run([str(content)])
    with (
        portal(settings.data_dir, tmp_path / "streamlit.log") as app,
        sync_api.sync_playwright() as p,
    ):
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})

        def main() -> str:
            return page.locator("[data-testid='stMain']").inner_text()

        open_page(page, f"{app.url}/review")
        assert "Priya Raman (1)" in main() and RUNBOOK in main()
        page.get_by_role("link", name=RUNBOOK).first.click()
        settle(page)
        shown = main()
        assert "Owner: Priya Raman" in shown and "a review was due" in shown
        assert "by Priya Raman" in shown
        click_key(page, "still-accurate")
        assert "Last reviewed today" in main() and "a review was due" not in main()
        open_page(page, f"{app.url}/review")
        assert RUNBOOK not in main()

        open_page(page, f"{app.url}/search?q=retries+exponential+backoff")
        links = page.get_by_role("link", name="Superseded by Retry budgets")
        assert links.count() >= 1
        open_page(page, f"{app.url}/talks?doc=talk-2023-03-client-retries")
        assert "Superseded" in main() and "Retrying at every layer" in main()
        page.get_by_role("link", name="Read instead: Retry budgets").first.click()  # a real link
        settle(page)
        assert "Replaces an earlier document" in main()
        assert "Retry everything: exponential backoff" in main()
        browser.close()
