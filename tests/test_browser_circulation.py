"""Following in a real browser over the bundled content: follow a service on What's new, add a
file, see it in What's new and in the Atom feed the page links to."""

from __future__ import annotations

import shutil
import urllib.request
from pathlib import Path

import feedparser
import pytest
from browser_helpers import CHROMIUM, launch, open_page, portal, settle

from index.opener import Opener
from index.settings import Settings
from ingest.pipeline import Ingestor
from server.app import make_app
from tests.server_helpers import served

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing"),
]
sync_api = pytest.importorskip("playwright.sync_api")

BUNDLED = Path(__file__).resolve().parent.parent / "content"
NEW_FILE = """\
---
id: pm-2099-01-05-tracker-websocket-storm
title: Shipment tracker websocket reconnect storm
date: 2099-01-05
severity: SEV3
services: [shipment-tracker]
teams: [edge]
---
# Shipment tracker websocket reconnect storm

Clients reconnected in lockstep after a deploy and exhausted the connection pool.
"""


def test_follow_a_service_add_a_file_see_it_in_whats_new_and_the_feed(
    tmp_path, monkeypatch, real_embedder
) -> None:
    content = shutil.copytree(BUNDLED, tmp_path / "content")
    settings = Settings(data_dir=tmp_path / "data")
    Ingestor(settings, real_embedder).run([str(content)])
    with (
        Opener(settings, real_embedder) as opener,
        served(make_app(settings, opener=opener)) as feeds,  # `hindsight serve`
    ):
        feeds_port = int(feeds.rsplit(":", 1)[1])
        monkeypatch.setenv("HINDSIGHT_FEEDS_PORT", str(feeds_port))
        with (
            portal(settings.data_dir, tmp_path / "streamlit.log") as app,
            sync_api.sync_playwright() as p,
        ):
            browser = launch(p)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            open_page(page, f"{app.url}/whats_new")
            box = page.locator(".st-key-follow_service input")
            box.click()
            box.fill("shipment-tracker")
            page.keyboard.press("Enter")
            page.keyboard.press("Escape")
            page.get_by_role("button", name="Follow", exact=True).click()
            settle(page)
            url = page.locator("[data-testid='stCode'] code").first.inner_text().strip()
            assert url.startswith(f"http://localhost:{feeds_port}/feeds/"), url
            assert page.get_by_text("service: shipment-tracker").count() >= 1

            (content / "postmortems/2099-01-05-tracker-websocket-storm.md").write_text(NEW_FILE)
            Ingestor(settings, real_embedder).run([str(content)])
            open_page(page, f"{app.url}/whats_new")
            page.get_by_text("Only what I follow").click()
            settle(page)
            main = page.locator("[data-testid='stMain']").inner_text()
            assert "Shipment tracker websocket reconnect storm" in main
            browser.close()
        fetched = url.replace("localhost", "127.0.0.1")
        with urllib.request.urlopen(fetched, timeout=60) as reply:
            feed = feedparser.parse(reply.read())
        assert not feed.bozo, feed.bozo_exception
        assert feed.entries[0].title == "Shipment tracker websocket reconnect storm"
        assert feed.entries[0].link.endswith("/incidents?doc=pm-2099-01-05-tracker-websocket-storm")
        assert all("shipment-tracker" in e.summary for e in feed.entries)
