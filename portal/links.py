"""Where each kind of document is shown, and links that reopen exactly that view."""

from __future__ import annotations

import re
from contextlib import nullcontext
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from index.models import Document, SearchHit
from portal import safe
from portal.state import PageState

OVERVIEW = "portal/pages/overview.py"
SEARCH = "portal/pages/search.py"
BRIEF = "portal/pages/brief.py"
INCIDENTS = "portal/pages/incidents.py"
SHOWCASE = "portal/pages/showcase.py"
TALKS = "portal/pages/talks.py"
EXPERTS = "portal/pages/experts.py"
DOCUMENT = "portal/pages/document.py"

PAGE_OF_KIND = {
    "postmortem": INCIDENTS,
    "showcase": SHOWCASE,
    "talk": TALKS,
    "paper-review": TALKS,
    "expert": EXPERTS,
}
KIND_ICON = {
    "postmortem": ":material/local_fire_department:",
    "showcase": ":material/smart_display:",
    "talk": ":material/co_present:",
    "paper-review": ":material/menu_book:",
    "expert": ":material/person:",
    "note": ":material/description:",
}


def kind_icon(kind: str) -> str:
    return KIND_ICON.get(kind, ":material/description:")


def target(item: Document | SearchHit, seconds: float | None = None) -> tuple[str, dict[str, Any]]:
    """The page and query params that show ITEM (at SECONDS into its recording)."""
    page = PAGE_OF_KIND.get(item.kind, DOCUMENT)
    if item.kind == "expert":
        return page, {"expert": item.doc_id}
    params: dict[str, Any] = {"doc": item.doc_id}
    if seconds is not None:
        params["t"] = str(int(seconds))
    return page, params


def doc_link(
    item: Document | SearchHit,
    label: str | None = None,
    *,
    seconds: float | None = None,
    icon: str | None = None,
    help: str | None = None,
    here: PageState | None = None,
    key: str | None = None,
    bold: bool = False,
) -> None:
    """A link that opens ITEM; labels come from content, so they are escaped.

    Always a real link (an address to middle-click, copy or bookmark). On the page that shows
    ITEM itself (HERE), the link keeps that page's other values (its filters), so "back to the
    list" returns to the same list; a new document starts at its top (no moment, no transcript
    search). KEY names the link's container (`st-key-open-KEY`) for the pages' tests and styles.
    """
    page, params = target(item, seconds)
    text = safe.text((label if label is not None else item.title).strip()) or "Untitled"
    text = f"**{text}**" if bold else text
    query: dict[str, Any] = dict(params)
    if here is not None and Path(page).stem == here.page:
        values: dict[str, Any] = {k: int(v) if k == "t" else v for k, v in params.items()}
        for name, default in (("t", None), ("tq", "")):
            if name in here.params:
                values.setdefault(name, default)
        query = here.link(**values)
        key = key or item.doc_id
    holder = st.container(key="open-" + re.sub(r"[^\w-]", "-", key)) if key else nullcontext()
    with holder:
        st.page_link(
            page,
            label=text,
            icon=icon or kind_icon(item.kind),
            query_params=query,
            help=help,
            width="stretch",
        )


def url(item: Document | SearchHit, seconds: float | None = None) -> str:
    """An absolute link to ITEM's view (relative when the browser's address is unknown)."""
    page, params = target(item, seconds)
    here = (st.context.url or "").split("?", 1)[0].split("#", 1)[0]
    base = here.rsplit("/", 1)[0] + "/" if "://" in here else ""
    return f"{base}{Path(page).stem}?{urlencode(params)}"


def copy_link(item: Document | SearchHit, *, key: str, seconds: float | None = None) -> None:
    """A small "Copy link" popover: the link in a code box, which has its own copy button."""
    with st.popover("Copy link", icon=":material/link:", type="tertiary", key=f"share-{key}"):
        st.code(url(item, seconds), language=None, wrap_lines=True)
