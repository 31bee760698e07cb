"""The portal as a new user meets it, in real Chromium: live updates, links that filter,
the index health view and a narrow window."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_helpers import CHROMIUM, IDLE, PortalServer, launch, portal, portal_content

from index.settings import Settings
from ingest.pipeline import Ingestor

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing"),
]
sync_api = pytest.importorskip("playwright.sync_api")

NEW_NOTE = """\
---
id: pm-2025-09-09-quokkafile-rotation
title: Quokkafile rotation filled the audit volume
date: 2025-09-09
severity: SEV3
services: [audit-log]
---
# Quokkafile rotation filled the audit volume

## Root cause
The quokkafile rotation job never deleted old segments.
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory, real_embedder) -> Iterator[tuple[PortalServer, Settings, Path]]:  # type: ignore[no-untyped-def]
    base = tmp_path_factory.mktemp("browser-portal")
    content = portal_content(base / "content")
    (content / "postmortems/broken.md").write_text("---\ntitle: [oops\n---\n")
    settings = Settings(data_dir=base / "data")
    Ingestor(settings, real_embedder).run([str(content)])
    with portal(settings.data_dir, base / "streamlit.log") as running:
        yield running, settings, content


@pytest.fixture
def tab(site):  # type: ignore[no-untyped-def]
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        yield context.new_page()
        browser.close()


def _open(tab, server: PortalServer, path: str) -> None:  # type: ignore[no-untyped-def]
    tab.goto(server.url + path)
    tab.wait_for_selector(IDLE, timeout=60_000)


def test_a_saved_file_appears_in_an_open_page_without_a_reload(site, tab, real_embedder) -> None:  # type: ignore[no-untyped-def]
    server, settings, content = site
    _open(tab, server, "/search?q=quokkafile+rotation")
    # Nothing uses the word yet: an honest nothing, not the nearest documents.
    tab.get_by_text("No document uses the words").first.wait_for(timeout=30_000)
    assert tab.get_by_text("Quokkafile rotation filled the audit volume").count() == 0
    (content / "postmortems/2025-09-09-quokkafile.md").write_text(NEW_NOTE, encoding="utf-8")
    Ingestor(settings, real_embedder).run([str(content)])
    # No navigation from here on: the open page follows the newly published index by itself.
    tab.get_by_text("Quokkafile rotation filled the audit volume").first.wait_for(timeout=20_000)


def test_a_service_chip_filters_the_search(site, tab) -> None:  # type: ignore[no-untyped-def]
    server, _, _ = site
    _open(tab, server, "/incidents?doc=pm-2025-03-14-ledger-replica-lag")
    chip = tab.locator("a[href='search?service=ledger-db']").first
    href = chip.get_attribute("href")
    assert href == "search?service=ledger-db"
    # Chips are links (a new tab): follow the same URL here.
    _open(tab, server, "/" + href)
    tab.locator("[class*='st-key-result-0']").wait_for(timeout=30_000)
    assert "service=ledger-db" in tab.url
    assert tab.get_by_text("Payments ledger served stale balances").count() >= 1


def test_the_health_view_shows_why_a_file_is_missing(site, tab) -> None:  # type: ignore[no-untyped-def]
    server, _, _ = site
    _open(tab, server, "/search")
    tab.get_by_role("link", name="1 file failed to ingest").click()
    tab.wait_for_selector(IDLE, timeout=60_000)
    tab.locator("[data-testid='stDataFrame']").wait_for(timeout=30_000)
    assert "state=failed" in tab.url
    assert tab.title() == "Index health · Hindsight"


def test_a_narrow_window_keeps_filters_usable(site) -> None:  # type: ignore[no-untyped-def]
    server, _, _ = site
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        tab = browser.new_context(viewport={"width": 800, "height": 900}).new_page()
        _open(tab, server, "/search?q=replica+failover")
        tab.locator("[class*='st-key-result-0']").wait_for(timeout=30_000)
        # The page draws in steps: wait until the layout has settled with the filters on top.
        tab.wait_for_function(
            """() => {
              const f = document.querySelector('.st-key-search-filters');
              const r = document.querySelector("[class*='st-key-result-0']");
              return f && r && f.getBoundingClientRect().bottom <= r.getBoundingClientRect().top;
            }""",
            timeout=20_000,
        )
        filters = tab.locator(".st-key-search-filters").bounding_box()
        results = tab.locator("[class*='st-key-result-0']").bounding_box()
        browser.close()
    assert filters and results
    # Filters sit above the results, as wide as them, instead of a squeezed column beside them.
    assert filters["y"] + filters["height"] <= results["y"] + 1
    assert filters["width"] >= results["width"] * 0.9


def test_clicking_a_row_of_the_incident_table_opens_it(site, tab) -> None:  # type: ignore[no-untyped-def]
    server, _, _ = site
    _open(tab, server, "/incidents")
    grid = tab.locator("[data-testid='stDataFrame']").first
    grid.wait_for(timeout=30_000)
    box = grid.bounding_box()
    assert box
    # The title cell of the first row (the grid is drawn on a canvas: click where it is).
    tab.mouse.click(box["x"] + 300, box["y"] + 52)
    tab.wait_for_url("**/incidents?doc=*", timeout=30_000)
    # The incident's own view, not just its URL: its way back to the list is drawn.
    tab.get_by_role("button", name="All incidents").wait_for(timeout=30_000)


def test_severity_filters_read_sev1_to_sev4(site, tab) -> None:  # type: ignore[no-untyped-def]
    server, _, _ = site
    _open(tab, server, "/search")
    severity = tab.locator("[data-testid='stButtonGroup']").nth(1).locator("button")
    severity.first.wait_for(timeout=30_000)
    pills = severity.all_inner_texts()
    severities = [p.split(" ·")[0] for p in pills]
    assert severities == sorted(severities) and severities[0] == "SEV1"
