"""The three jobs in a real browser: `streamlit run app.py` driven through Debian's Chromium.

Search and open an incident; jump to a Showcase moment (a linked recording and a local one);
find an expert and download their office hours as .ics. Hostile content is indexed alongside
and every view of it is checked: no dialog opens, no `window.__xss` is set, no live markup.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

import icalendar
import pytest
from browser_helpers import (
    CHROMIUM,
    PortalServer,
    click_key,
    click_link,
    launch,
    open_page,
    portal,
    portal_content,
    settle,
)

from index.settings import Settings
from ingest.pipeline import Ingestor

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"{CHROMIUM} is missing (CI installs Debian's chromium package)",
    ),
]
sync_api = pytest.importorskip("playwright.sync_api")

LEDGER = "Payments ledger served stale balances during replica failover"
# Elements that only content could have put there: inline handlers anywhere in the page, and
# any tag that Markdown text would turn into (Streamlit's own widgets use none of them).
_HANDLERS = ("onerror", "onload", "onmouseover", "ontoggle", "onclick", "onstart", "onfocus")
_TAGS = ("script", "iframe", "img", "marquee", "details", "style", "object", "embed", "video")
LIVE_MARKUP = ", ".join(
    [f"[data-testid='stMain'] [{h}]" for h in _HANDLERS]
    + ["[data-testid='stMain'] script"]
    + [f"[data-testid='stMarkdownContainer'] {t}" for t in _TAGS]
)
# Labels of visible document links whose text overflows its box (cut with "…").
CLIPPED_LINKS = """() => [...document.querySelectorAll(
    "[class*='st-key-open-'] [data-testid='stPageLink-NavLink'] [data-testid='stMarkdownContainer']")]
  .filter(e => e.offsetParent && e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)"""


@pytest.fixture(scope="module")
def server(tmp_path_factory, real_embedder) -> Iterator[PortalServer]:  # type: ignore[no-untyped-def]
    base = tmp_path_factory.mktemp("browser")
    content = portal_content(base / "content")
    settings = Settings(data_dir=base / "data")
    report = Ingestor(settings, real_embedder).run([str(content)])
    assert report.count("failed") == 0, report.outcomes
    with portal(settings.data_dir, base / "streamlit.log") as running:
        yield running


@contextlib.contextmanager
def explained(server: PortalServer) -> Iterator[None]:
    """Failures carry the server's output: a traceback there is usually the real cause."""
    try:
        yield
    except Exception as exc:
        raise AssertionError(f"{type(exc).__name__}: {exc}{server.output()}") from exc


@pytest.fixture
def page(server: PortalServer):  # type: ignore[no-untyped-def]
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(
            viewport={"width": 1400, "height": 1000}, accept_downloads=True
        )
        tab = context.new_page()
        tab.dialogs = []  # every alert(), confirm() or prompt() a page tries to open
        tab.on("dialog", lambda d: (tab.dialogs.append(d.message), d.dismiss()))
        yield tab
        browser.close()


def assert_inert(page) -> None:  # type: ignore[no-untyped-def]
    """Nothing from the content ran or became live markup on the current view."""
    assert page.dialogs == [], page.dialogs
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert (
        page.locator("a[href^='javascript' i], a[href^='data:' i], a[href^='vbscript' i]").count()
        == 0
    )
    assert page.locator(LIVE_MARKUP).count() == 0, page.locator(LIVE_MARKUP).first.evaluate(
        "e => e.outerHTML"
    )
    assert page.locator("[data-testid='stException']").count() == 0, page.locator(
        "[data-testid='stException']"
    ).first.inner_text()


def test_find_the_incident_behind_a_change(server, page) -> None:  # type: ignore[no-untyped-def]
    with explained(server):
        open_page(page, server.url + "/search")
        box = page.get_by_placeholder("What are you about to change?", exact=False)
        box.fill("promote a Postgres replica that lags")
        box.press("Enter")
        settle(page, timeout=60_000)  # the first query loads the embedding model
        assert "q=promote+a+Postgres+replica+that+lags" in page.url
        result = page.locator("[data-testid='stPageLink-NavLink']", has_text=LEDGER).first
        result.click()
        page.wait_for_url(re.compile(r"/incidents\?doc=pm-2025-03-14-ledger-replica-lag"))
        settle(page)
        main = page.locator("[data-testid='stMain']")
        assert main.get_by_role("heading", name="Root cause").is_visible()
        assert main.get_by_text("Gate promotion on replay lag").is_visible()
        # Document links (similar incidents) wrap long titles, never cut them.
        assert page.locator("[class*='st-key-open-similar-'] a").count() > 0
        assert page.evaluate(CLIPPED_LINKS) == []
        # The view reopens from its URL alone.
        open_page(page, page.url)
        assert page.get_by_role("heading", name=LEDGER).is_visible()
        assert_inert(page)


def test_jump_to_the_moment_a_failure_was_explained(server, page) -> None:  # type: ignore[no-untyped-def]
    with explained(server):
        open_page(page, server.url + "/showcase?doc=showcase-2025-05-failover-drills")
        click_key(page, "seek-1")
        assert re.search(r"[?&]t=20\b", page.url)
        watch = page.get_by_role("link", name="Watch from 0:20")
        assert watch.get_attribute("href") == (
            "https://video.kestrel.example/showcase/2025-05-failover-drills#t=20"
        )
        assert "Jonas Becker" in page.locator(".st-key-turn-1 >> visible=true").first.inner_text()
        # A recording stored beside its transcript plays in the page, from the moment clicked.
        open_page(page, server.url + "/showcase?doc=showcase-audio-demo")
        click_key(page, "seek-2")
        assert re.search(r"[?&]t=40\b", page.url)
        page.wait_for_function(
            "() => { const a = document.querySelector('audio');"
            " return a && a.readyState >= 1 && a.currentTime >= 39.5; }",
            timeout=20_000,
        )
        assert_inert(page)


def test_find_an_expert_and_take_their_office_hours(server, page) -> None:  # type: ignore[no-untyped-def]
    with explained(server):
        open_page(page, server.url + "/experts?tz=Asia%2FTokyo")
        box = page.get_by_placeholder("e.g. postgres failover", exact=False)
        box.fill("failover")
        box.press("Enter")
        settle(page, timeout=60_000)
        click_link(page, "open-expert-experts-priya-raman")
        assert "expert=experts%2Fpriya-raman" in page.url and "tz=Asia%2FTokyo" in page.url
        main = page.locator("[data-testid='stMain']")
        assert main.get_by_text("Asia/Tokyo", exact=False).first.is_visible()
        with page.expect_download() as download:
            page.get_by_role("button", name="Add office hours to calendar").click()
        assert download.value.suggested_filename == "office-hours-experts-priya-raman.ics"
        cal = icalendar.Calendar.from_ical(Path(download.value.path()).read_bytes())
        (event,) = cal.walk("VEVENT")
        assert str(event["SUMMARY"]) == "Office hours: Priya Raman"
        assert event["RRULE"]["FREQ"] == ["WEEKLY"] and event["RRULE"]["BYDAY"] == ["TU"]
        assert event["DTSTART"].params["TZID"] == "Europe/London"
        assert (
            main.get_by_role("link", name="Book a slot").get_attribute("href")
            == "https://cal.kestrel.example/priya-raman"
        )
        assert_inert(page)


HOSTILE_VIEWS = [
    "/search?q=hostile+script+alert",
    "/search?q=Mallory&kind=showcase",
    "/incidents",
    "/incidents?doc=pm-hostile",
    "/showcase?doc=showcase-hostile&t=5",
    "/talks?doc=talk-hostile",
    "/experts?topic=xss",
    "/experts?expert=mallory",
    "/",
]


def test_hostile_content_never_executes(server, page) -> None:  # type: ignore[no-untyped-def]
    with explained(server):
        for view in HOSTILE_VIEWS:
            open_page(page, server.url + view)
            page.mouse.move(600, 400)  # hover handlers would fire now
            page.mouse.move(900, 700)
            assert_inert(page)
        # The payloads are on screen as text, not swallowed.
        open_page(page, server.url + "/incidents?doc=pm-hostile")
        text = page.locator("[data-testid='stMain']").inner_text()
        assert "<script>window.__xss=1;alert('title')</script>" in text
        assert '<img src=x onerror="window.__xss=4;alert(19)">' in text
        click_key(page, "back")  # leave through the UI, too
        assert_inert(page)
