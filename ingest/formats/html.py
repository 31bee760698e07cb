"""HTML exports (Confluence space exports, Notion and Google Docs web pages) → Markdown.

html-to-markdown (MIT, a Rust core) does the conversion: it never fetches anything, drops
`<script>`, `<style>`, `<template>` and `<noscript>`, and keeps tables as pipe tables. Page
chrome is cut by CSS selector before conversion: breadcrumbs, headers, footers, page trees,
attachment and comment sections never reach the index. Task lists written as Confluence's
`inline-task-list` or Notion's `to-do-list` become Markdown task lists, so their items are
action items as in Markdown.
"""

from __future__ import annotations

import html as html_lib
import re
from importlib.metadata import version
from pathlib import Path
from typing import Any

from index.errors import ParseError, SkipFile
from ingest.decoding import read_text
from ingest.formats.export import Export, Limits
from ingest.formats.properties import loose_date
from ingest.formats.titles import clean_title

CHROME = [
    "#breadcrumb-section", "#breadcrumbs", ".breadcrumbs", "#main-header", "#title-heading",
    "#footer", "footer", "#navigation", "nav", ".page-metadata", ".pageSection",
    "#likes-and-labels-container", "#comments-section", ".plugin_pagetree", "#sidebar",
    ".aui-sidebar", "header.page-header", ".page-header", ".page-title", "#page-title",
    "form", "button",
]  # fmt: skip
_FRONT = re.compile(r"\A---\n.*?\n---\n", re.S)
_TAG = re.compile(r"<[^>]+>")
_CONFLUENCE_TITLE = re.compile(r'<span[^>]*id="title-text"[^>]*>(.*?)</span>', re.S | re.I)
_PAGE_METADATA = re.compile(
    r'<div[^>]*class="[^"]*page-metadata[^"]*"[^>]*>(.*?)</div>', re.S | re.I
)
_NOTION_TITLE = re.compile(r'<h1[^>]*class="[^"]*page-title[^"]*"[^>]*>(.*?)</h1>', re.S | re.I)
_CREATED_BY = re.compile(r"(?:created|owned) by\s+(.+?)(?:,|\s+on\s|\s+last\b|$)", re.I)
_CHECKED_LI = re.compile(r'(<li\b[^>]*\bclass="[^"]*\bchecked\b[^"]*"[^>]*>)', re.I)
_TASK_LI = re.compile(r"(<li\b[^>]*\bdata-inline-task-id\b[^>]*>)", re.I)
# The index.html of a Confluence space export lists the space's pages and says nothing else.
_SPACE_INDEX = re.compile(r"<h2[^>]*>\s*Available Pages:\s*</h2>", re.I)
_NOTION_BOX = re.compile(r'<div class="checkbox checkbox-(on|off)"></div>', re.I)


def converter_name() -> str:
    return f"html-to-markdown {version('html-to-markdown')}"


def to_markdown(html: str, *, exclude: list[str] | None = None) -> tuple[str, Any]:
    """HTML → (Markdown, html-to-markdown's metadata of the page). Images are dropped: their
    bytes say nothing searchable, and an address is never followed."""
    from html_to_markdown import ConversionOptions, convert

    options = ConversionOptions(
        extract_metadata=True,
        skip_images=True,
        exclude_selectors=exclude or [],
        autolinks=False,
        escape_asterisks=False,
        escape_underscores=False,
        max_depth=512,
    )
    try:
        result = convert(_mark_tasks(html), options)
    except Exception as exc:  # noqa: BLE001 - the converter's own errors name the problem
        raise ParseError(f"cannot convert the HTML: {exc}") from None
    return _FRONT.sub("", result.content or "", count=1).strip() + "\n", result.metadata


def _mark_tasks(html: str) -> str:
    """Confluence and Notion task items as checkboxes html-to-markdown turns into `- [x]`."""
    html = _CHECKED_LI.sub(r'\1<input type="checkbox" checked>', html)
    html = _TASK_LI.sub(
        lambda m: m.group(1) if "checked" in m.group(1) else m.group(1) + '<input type="checkbox">',
        html,
    )
    return _NOTION_BOX.sub(
        lambda m: '<input type="checkbox"' + (" checked>" if m.group(1) == "on" else ">"), html
    )


def _text(fragment: str) -> str:
    return " ".join(html_lib.unescape(_TAG.sub(" ", fragment)).split())


def read(path: Path, limits: Limits) -> Export:
    """An HTML page export as Markdown, without its chrome, titled as its page."""
    decoded = read_text(path, limits.max_bytes)
    html = decoded.text
    if _SPACE_INDEX.search(html):
        raise SkipFile("a Confluence space's index (its list of pages), not a page")
    confluence = _CONFLUENCE_TITLE.search(html)
    markdown, meta = to_markdown(html, exclude=CHROME)
    document = getattr(meta, "document", None)
    head_title = getattr(document, "title", None) or ""
    fields: dict[str, Any] = {}
    if confluence:
        title = clean_title(_text(confluence.group(1)), space_prefix=True)
    else:
        notion = _NOTION_TITLE.search(html)
        title = clean_title(_text(notion.group(1)) if notion else head_title, space_prefix=False)
    if not title:
        title = clean_title(head_title, space_prefix=True)
    page_meta = _PAGE_METADATA.search(html)
    if page_meta:  # "Created by Ann Lee, last modified on Mar 03, 2025"
        line = _text(page_meta.group(1))
        author = _CREATED_BY.search(line)
        if author:
            fields["authors"] = [author.group(1).strip()]
        when = loose_date(line)
        if when:
            fields["updated"] = when.isoformat()
    original = _original_url(document)
    if title and not re.match(r"#\s", markdown):
        markdown = f"# {title}\n\n{markdown}"
    return Export(
        markdown=markdown,
        source_format="confluence" if confluence else "html",
        converter=converter_name(),
        title=title,
        fields=fields,
        original_url=original,
        warnings=decoded.warnings,
    )


def _original_url(document: Any) -> str | None:
    """The page's own address when the export names it (canonical link, og:url)."""
    if document is None:
        return None
    candidates = [
        getattr(document, "canonical_url", None),
        (getattr(document, "open_graph", None) or {}).get("url"),
        (getattr(document, "meta_tags", None) or {}).get("original-url"),
    ]
    return next((c for c in candidates if c and re.match(r"https?://", c)), None)
