"""The rough edges of issue 28, in real Chromium: links that stay in the tab, scrolling and
history, keys, embedded players, clickable charts, narrow windows, print, accessibility, and a
quiet, offline console."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import (
    CHROMIUM,
    PortalServer,
    click_key,
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
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing"),
]
sync_api = pytest.importorskip("playwright.sync_api")

LEDGER = "pm-2025-03-14-ledger-replica-lag"
DRILLS = "showcase-2025-05-failover-drills"
YOUTUBE_VTT = """\
WEBVTT

00:00:00.000 --> 00:00:30.000
<v Lee Park>Welcome. Today: why the cache stampede took the API down.

00:05:26.000 --> 00:05:40.000
<v Lee Park>Here is where it went wrong: every pod refilled the same key at once.
"""
YOUTUBE_SIDECAR = """\
---
id: showcase-2025-10-cache-stampede
title: The cache stampede that took the API down
date: 2025-10-09
team: platform
presenters: [Lee Park]
outcome: failure
recording: https://youtu.be/dQw4w9WgXcQ
tags: [caching]
---
"""
LONG_PM = """\
---
id: pm-2025-0{n}-01-filler-{n}
title: Filler incident number {n} about queue depth
date: 2025-0{n}-01
severity: SEV{sev}
services: [queue-{n}]
teams: [platform]
detection: customer report
action_items:
  - {{title: Add a queue depth alert number {n}, owner: Lee Park, status: open, due: 2025-12-0{n}}}
---
## Summary
Queue {n} grew until consumers fell behind.
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory, real_embedder) -> Iterator[PortalServer]:  # type: ignore[no-untyped-def]
    base = tmp_path_factory.mktemp("browser-polish")
    content = portal_content(base / "content")
    (content / "showcases/2025-10-cache-stampede.vtt").write_text(YOUTUBE_VTT)
    (content / "showcases/2025-10-cache-stampede.md").write_text(YOUTUBE_SIDECAR)
    for n in range(1, 9):  # enough incidents and sessions to scroll through
        (content / f"postmortems/2025-0{n}-01-filler-{n}.md").write_text(
            LONG_PM.format(n=n, sev=1 + n % 4)
        )
    settings = Settings(data_dir=base / "data")
    Ingestor(settings, real_embedder).run([str(content)])
    with portal(settings.data_dir, base / "streamlit.log") as running:
        yield running


class Tab:
    """A Chromium tab that records what would be noise in a console, and goes nowhere else."""

    def __init__(self, page: Any, server: PortalServer) -> None:
        self.page = page
        self.server = server
        self.errors: list[str] = []
        self.outside: list[str] = []
        page.on("console", self._console)
        page.on("response", self._response)
        page.route("**/*", self._route)

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.errors.append(f"{message.type}: {message.text}")

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.errors.append(f"{response.status}: {response.url}")

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(self.server.url) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:  # the portal must work offline: nothing leaves for another host
            self.outside.append(url)
            route.abort()

    def open(self, path: str) -> None:
        open_page(self.page, self.server.url + path)

    def scroller(self) -> Any:
        return self.page.locator("[data-testid='stMain']")

    def scroll_top(self) -> float:
        return float(self.page.evaluate("document.querySelector('[data-testid=stMain]').scrollTop"))


@pytest.fixture
def browser(site):  # type: ignore[no-untyped-def]
    with sync_api.sync_playwright() as p:
        chromium = launch(p)
        yield chromium
        chromium.close()


def new_tab(
    browser: Any, site: PortalServer, width: int = 1400, height: int = 900, **kw: Any
) -> Tab:
    context = browser.new_context(viewport={"width": width, "height": height}, **kw)
    return Tab(context.new_page(), site)


# -- 6: chips -------------------------------------------------------------------------------


def test_a_chip_narrows_the_search_in_this_tab(site, browser) -> None:  # type: ignore[no-untyped-def]
    tab = new_tab(browser, site)
    tab.open("/search?q=replica+failover")
    page = tab.page
    chip = page.locator("[class*='st-key-result-'] a[href*='service=ledger-db']").first
    assert "q=replica+failover" in (chip.get_attribute("href") or "")
    chip.click()
    settle(page)
    assert len(page.context.pages) == 1  # no new tab
    assert "q=replica+failover" in page.url and "service=ledger-db" in page.url
    assert page.get_by_text("Payments ledger served stale balances").count() >= 1
    page.go_back()
    settle(page)
    assert "service=" not in page.url and "q=replica+failover" in page.url


def test_an_action_item_row_opens_its_incident(site, browser) -> None:  # type: ignore[no-untyped-def]
    tab = new_tab(browser, site)
    tab.open("/incidents?view=actions&q=filler")
    grid = tab.page.locator("[data-testid='stDataFrame']").first
    grid.wait_for()
    box = grid.bounding_box()
    assert box
    tab.page.mouse.click(box["x"] + 200, box["y"] + 55)  # a cell of the first row
    settle(tab.page)
    assert "doc=pm-2025-0" in tab.page.url
    assert tab.page.locator("h1").first.inner_text().startswith("Filler incident number")


# -- 5: scrolling and history ---------------------------------------------------------------


def test_a_session_opens_at_its_top_and_back_returns_to_the_list(site, browser) -> None:  # type: ignore[no-untyped-def]
    tab = new_tab(browser, site, height=600)
    page = tab.page
    tab.open("/showcase")
    page.evaluate("document.querySelector('[data-testid=stMain]').scrollTo(0, 99999)")
    page.wait_for_timeout(500)
    scrolled = tab.scroll_top()
    assert scrolled > 200
    link = page.locator("[class*='st-key-session-'] [data-testid='stPageLink-NavLink']").last
    link.click()
    settle(page)
    page.wait_for_timeout(800)
    assert "doc=" in page.url
    assert tab.scroll_top() < 50  # the title and player, not the bottom of the page
    assert page.locator("h1").first.is_visible()
    page.go_back()
    settle(page)
    page.wait_for_function(
        f"() => Math.abs(document.querySelector('[data-testid=stMain]').scrollTop - {scrolled}) < 40",
        timeout=10_000,
    )


def test_seeks_and_transcript_searches_leave_one_history_entry(site, browser) -> None:  # type: ignore[no-untyped-def]
    tab = new_tab(browser, site)
    page = tab.page
    tab.open("/showcase")
    tab.open(f"/showcase?doc={DRILLS}")
    before = page.evaluate("history.length")
    click_key(page, "seek-1")
    click_key(page, "seek-2")
    box = page.get_by_placeholder("a word or phrase said in it")
    box.fill("replica")
    box.press("Enter")
    settle(page)
    assert "t=" in page.url and "tq=replica" in page.url
    assert page.evaluate("history.length") == before
    page.go_back()  # leaves the session at once
    settle(page)
    assert "doc=" not in page.url


# -- 9: keys and tab titles -----------------------------------------------------------------


def test_slash_and_ctrl_k_reach_the_search_box(site, browser) -> None:  # type: ignore[no-untyped-def]
    tab = new_tab(browser, site)
    page = tab.page
    tab.open("/incidents")
    page.locator("h1").first.click()
    page.keyboard.press("/")
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused == "Find in titles, services, root causes"
    tab.open("/whats_new")  # no search box of its own: Ctrl-K opens Search
    page.locator("h1").first.click()
    page.keyboard.press("Control+k")
    settle(page)
    assert page.url.endswith("/search")
    assert page.title() == "Search · Hindsight"


def test_the_tab_names_the_document(site, browser) -> None:  # type: ignore[no-untyped-def]
    tab = new_tab(browser, site)
    tab.open(f"/incidents?doc={LEDGER}")
    assert tab.page.title() == "Payments ledger served stale balances during replica… · Hindsight"
    tab.open("/experts?expert=experts%2Fpriya-raman")
    assert tab.page.title() == "Priya Raman · Hindsight"


# -- 3: recordings --------------------------------------------------------------------------


def test_a_youtube_recording_seeks_in_the_page(site, browser) -> None:  # type: ignore[no-untyped-def]
    tab = new_tab(browser, site)
    page = tab.page
    tab.open("/showcase?doc=showcase-2025-10-cache-stampede")
    frame = page.locator(".st-key-embedded-player iframe")
    assert "/embed/dQw4w9WgXcQ?start=0" in (frame.get_attribute("src") or "")
    # Scrolled to as a reader would (Playwright's own scrolling misses beside a failed iframe).
    page.locator(".st-key-seek-1 button >> visible=true").evaluate(
        "e => e.scrollIntoView({block: 'center'})"
    )
    page.wait_for_timeout(300)
    click_key(page, "seek-1")
    page.wait_for_function(
        "() => (document.querySelector('.st-key-embedded-player iframe')?.src || '')"
        ".includes('start=326')"
    )
    src = frame.get_attribute("src") or ""
    assert src.startswith("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?start=326&autoplay=1")
    assert page.get_by_role("link", name="Open on YouTube").get_attribute("href") == (
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=326s"
    )


# -- 11: charts -----------------------------------------------------------------------------


def test_a_bar_of_a_trend_chart_lists_its_incidents(site, browser) -> None:  # type: ignore[no-untyped-def]
    tab = new_tab(browser, site)
    page = tab.page
    tab.open("/incidents?view=trends")
    bar = page.locator("[data-testid='stVegaLiteChart'] path[aria-label*='team: platform']").first
    bar.click()
    settle(page)
    assert "view=" not in page.url and "team=platform" in page.url
    assert page.get_by_text("8 incidents", exact=True).is_visible()  # the fillers, all platform


# -- 14: a narrow window, and print --------------------------------------------------------


def test_an_800_px_window_keeps_every_label_whole(site, browser) -> None:  # type: ignore[no-untyped-def]
    tab = new_tab(browser, site, width=800)
    page = tab.page
    tab.open("/")
    sidebar = page.locator("[data-testid='stSidebar']").bounding_box()
    assert sidebar and sidebar["width"] <= 220
    clipped = """() => [...document.querySelectorAll(
        '[data-testid=stMetricLabel] p, [data-testid=stWidgetLabel] p, button p, [data-testid=stPageLink-NavLink] p')]
      .filter(e => e.offsetParent && e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)"""
    assert page.evaluate(clipped) == []
    assert page.get_by_role("button", name="Search", exact=True).is_visible()
    tab.open("/incidents?view=actions")
    assert page.evaluate(clipped) == []
    tab.open(f"/incidents?doc={LEDGER}")
    assert page.evaluate(clipped) == []
    main, rail = (
        c.bounding_box()
        for c in page.locator(".st-key-rail-incident [data-testid='stColumn']").all()
    )
    assert main and rail and rail["y"] >= main["y"] + main["height"] - 1  # under the write-up
    assert rail["width"] >= main["width"] - 1  # as wide as it, not a sliver
    dates = page.locator(".st-key-incident-actions td:last-child")
    heights = {round(d.bounding_box()["height"]) for d in dates.all() if d.bounding_box()}
    assert heights and max(heights) < 45, heights  # one line each: "2025-03-28", not "2025-/03-28"


def test_print_keeps_the_links_to_related_documents(site, browser) -> None:  # type: ignore[no-untyped-def]
    tab = new_tab(browser, site)
    page = tab.page
    tab.open(f"/incidents?doc={LEDGER}")
    shown = "[class*='st-key-open-{}'] a >> visible=true"
    on_screen = {k: page.locator(shown.format(k)).count() for k in ("related-", "similar-")}
    page.emulate_media(media="print")
    on_paper = {k: page.locator(shown.format(k)).count() for k in ("related-", "similar-")}
    assert on_paper == on_screen and min(on_paper.values()) >= 1, (on_screen, on_paper)
    text = page.locator("[data-testid='stMain']").inner_text()
    assert "score 0." not in text
    assert not page.locator("[data-testid='stSidebar']").is_visible()


# -- 17: accessibility ----------------------------------------------------------------------


def test_documents_have_one_h1_and_icons_say_words(site, browser) -> None:  # type: ignore[no-untyped-def]
    tab = new_tab(browser, site)
    page = tab.page
    tab.open(f"/incidents?doc={LEDGER}")
    assert page.locator("h1").all_inner_texts() == [
        "Payments ledger served stale balances during replica failover"
    ]
    read_aloud = page.evaluate(
        """() => [...document.querySelectorAll('.stMarkdownBadge [translate=no]')]
             .filter(i => i.getAttribute('aria-hidden') !== 'true')
             .map(i => i.getAttribute('aria-label'))"""
    )
    assert read_aloud and set(read_aloud) <= {"team", "service", "recurring", "followed"}
    copied = page.evaluate(
        """() => {
          const chips = [...document.querySelectorAll('.stMarkdownBadge')]
            .find(b => b.textContent.includes('payments')).closest('p');
          const range = document.createRange();
          range.selectNodeContents(chips);
          getSelection().removeAllRanges();
          getSelection().addRange(range);
          const data = new DataTransfer();
          document.dispatchEvent(new ClipboardEvent('copy', {clipboardData: data, bubbles: true}));
          return data.getData('text/plain');
        }"""
    )
    assert "payments" in copied and "group" not in copied and "dns" not in copied, copied


# -- 18: quiet and offline ------------------------------------------------------------------

VIEWS = [
    "/",
    "/brief",
    "/search?q=replica+failover",
    "/incidents",
    f"/incidents?doc={LEDGER}",
    "/incidents?view=trends",
    "/incidents?view=actions",
    "/showcase",
    f"/showcase?doc={DRILLS}",
    "/talks",
    "/experts?topic=postgres",
    "/whats_new",
    "/review",
    "/health",
]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_is_quiet_and_offline(site, browser, scheme) -> None:  # type: ignore[no-untyped-def]
    tab = new_tab(browser, site, color_scheme=scheme)
    for view in VIEWS:
        tab.open(view)  # a full load of each page's address, as a shared link opens it
        tab.page.wait_for_timeout(500)
    icon = tab.page.evaluate("document.querySelector('link[rel*=icon]')?.href || ''")
    assert icon.startswith(site.url), icon  # the tab icon is ours, not a font CDN's
    assert tab.errors == [], tab.errors
    assert tab.outside == [], tab.outside


# -- 4: the follow form ---------------------------------------------------------------------


def test_the_follow_form_starts_empty_after_each_follow(site, browser) -> None:  # type: ignore[no-untyped-def]
    tab = new_tab(browser, site)
    page = tab.page
    tab.open("/whats_new")
    box = page.locator(".st-key-follow_service input")
    box.fill("ledger-db")
    box.press("Enter")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Follow", exact=True).click()
    settle(page)
    assert page.get_by_text("Now following service: ledger-db.").is_visible()
    assert page.locator(".st-key-follow_service").inner_text().count("ledger-db") == 0
    page.get_by_role("button", name="Follow", exact=True).click()
    settle(page)
    assert page.get_by_text("Pick a kind, service, team or tag, or type words.").is_visible()
    # the list of what is new stays short enough to reach the form
    assert page.get_by_role("button", name=re.compile(r"Show all \d+ \(\d+ more\)")).count() >= 1
