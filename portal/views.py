"""Pieces of a document's view that several pages share: header, links, related items."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import streamlit as st

from index.archive import Archive
from index.experts import calendar_filename, expert_calendar
from index.kinds import kind_label
from index.models import Document, Expert
from portal import links, safe, ui
from portal.state import PageState

LINK_FIELDS = (
    ("paper_url", "Paper", ":material/article:"),
    ("slides", "Slides", ":material/slideshow:"),
    ("recording", "Recording", ":material/play_circle:"),
)


TAB_TITLE = 60  # characters of a document's title in the browser tab


def tab_title(title: str) -> None:
    """Name the browser tab after what it shows ("Payments ledger served stale… · Hindsight"):
    tabs, history and bookmarks then say which document, not which page."""
    text = " ".join(title.split()) or "Untitled"
    if len(text) > TAB_TITLE:
        text = text[: TAB_TITLE - 1].rsplit(" ", 1)[0] + "…"
    st.set_page_config(page_title=f"{text} · Hindsight")


def header(doc: Document) -> None:
    tab_title(doc.title)
    st.caption(f"{links.kind_icon(doc.kind)} {kind_label(doc.kind)}")
    # The page's one h1 (screen readers and outlines start from it).
    st.container(key="doc-header").title(safe.text(doc.title.strip()) or "Untitled", anchor=False)
    st.caption(ui.byline(doc))
    line = ui.chips(doc, tags=12)
    if line:
        st.markdown(line)
    links.copy_link(doc, key="document")


def back(label: str, on_click: Callable[[], None]) -> None:
    st.button(label, icon=":material/arrow_back:", type="tertiary", on_click=on_click, key="back")


def external_links(doc: Document, fields: tuple[tuple[str, str, str], ...] = LINK_FIELDS) -> None:
    """Link buttons for the document's http(s) links; anything else is not linked."""
    shown = [
        (label, href, icon)
        for name, label, icon in fields
        if (href := _http(doc.metadata.get(name)))
    ]
    if not shown:
        return
    with st.container(horizontal=True):
        for label, href, icon in shown:
            st.link_button(label, href, icon=icon)


DOWNLOAD_MAX_BYTES = 50 * 2**20  # larger originals (a long video) are not offered as a download
_MIME = {".pdf": "application/pdf", ".html": "text/html", ".htm": "text/html",
         ".md": "text/markdown", ".vtt": "text/vtt", ".srt": "application/x-subrip",
         ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation"}  # fmt: skip


def original(archive: Archive, doc: Document) -> None:
    """Open the original where the export says it lives, or download the file it was read
    from; both only for a document the viewer may see (the door answers for the file)."""
    href = _http(doc.metadata.get("original_url"))
    path = archive.source_file(doc.doc_id)
    if path is not None and path.stat().st_size > DOWNLOAD_MAX_BYTES:
        path = None
    if not href and path is None:
        return
    with st.container(horizontal=True):
        if href:
            st.link_button("Open original", href, icon=":material/open_in_new:")
        if path is not None:
            st.download_button(
                f"Download {path.suffix.lstrip('.').upper() or 'file'}",
                path.read_bytes,  # read when clicked, not on every rerun of the page
                file_name=path.name,
                mime=_MIME.get(path.suffix.lower(), "application/octet-stream"),
                icon=":material/download:",
                on_click="ignore",
                key=f"original-{doc.doc_id}",
            )


def _http(value: object) -> str | None:
    href = safe.url(value)
    return href if href and href.lower().startswith(("http://", "https://")) else None


def related(
    archive: Archive,
    doc: Document,
    *,
    title: str = "Related",
    here: PageState | None = None,
) -> None:
    """Documents this one names in `related`, and those that name it."""
    found = archive.related(doc)
    if not found:
        return
    st.markdown(f"**{title}**")
    for item in found:
        links.doc_link(
            item,
            help=f"{kind_label(item.kind)} · {ui.nice_date(item.date)}",
            here=here,
            key=f"related-{item.doc_id}",
        )  # one link per item


def contact_buttons(expert: Expert, now: dt.datetime, *, key: str) -> None:
    """Book, e-mail and the office hours as .ics: how to reach someone, wherever they are shown."""
    with st.container(horizontal=True):
        booking = safe.url(expert.booking)
        if booking and booking.startswith(("http://", "https://")):
            st.link_button(
                "Book a slot", booking, icon=":material/event_available:", type="primary"
            )
        email = safe.mailto(expert.email)
        if email:
            st.link_button("E-mail", email, icon=":material/mail:")
        if expert.office_hours:
            st.download_button(
                "Add office hours to calendar",
                expert_calendar(expert, now),
                file_name=calendar_filename(expert),
                mime="text/calendar",
                icon=":material/calendar_add_on:",
                on_click="ignore",
                key=f"ics-{key}",
            )
    if expert.chat:
        st.caption(f":material/chat: {safe.text(expert.chat)}")
