"""Talks & paper reviews: a list with paper and slides links, and each talk's page.

URL: doc (talk id: the detail view), t / tq (recording moment and transcript search, for
talks with a transcript), kind (talk|paper-review, repeatable), tag (repeatable), q.
"""

from __future__ import annotations

import streamlit as st

from index.filters import SearchFilters
from index.kinds import kind_label
from index.models import Document
from portal import circulation, links, media, resources, safe, state, transcript, ui, views
from portal.review_views import standing as review_standing
from portal.state import PageState

KINDS = ("talk", "paper-review")

page = PageState(
    "talks",
    [
        state.text("doc"),
        state.integer("t"),
        state.text("tq"),
        state.many("kind"),
        state.many("tag"),
        state.text("q"),
    ],
)
page.seed()
archive = resources.require()


def list_view() -> None:
    st.title("Talks & paper reviews", anchor=False)
    st.caption("Tech talks and reading-group reviews, with their slides, papers and recordings.")
    counts = archive.facet_counts(SearchFilters(kinds=KINDS))
    kinds = dict(counts.get("kind", []))
    tags = dict(counts.get("tag", []))
    left, middle, right = st.container(key="wrap-talks-filters").columns([2, 3, 3])
    with left:
        if page.widget_key("kind") not in st.session_state:
            page.set("kind", [k for k in page.get("kind") if k in KINDS])
        chosen_kinds = page.widget(
            "kind",
            st.pills,
            "Kind",
            list(KINDS),
            selection_mode="multi",
            format_func=lambda k: f"{kind_label(k)} · {kinds.get(k, 0)}",
        )
    if page.widget_key("tag") not in st.session_state:
        page.set("tag", [t for t in page.get("tag") if t in tags])
    chosen_tags = page.widget(
        "tag",
        middle.multiselect,
        "Tags",
        list(tags),
        placeholder="Any tag",
        format_func=lambda t: f"{t} ({tags[t]})",
    )
    query = page.widget(
        "q",
        right.container(key="searchbox").text_input,
        "Find",
        placeholder="title, speaker or paper",
        icon=":material/search:",
        max_chars=state.MAX_TEXT,
    )
    docs = archive.documents(
        SearchFilters(kinds=tuple(chosen_kinds) or KINDS, facets=(("tag", tuple(chosen_tags)),))
    )
    words = (query or "").lower().split()
    docs = [d for d in docs if all(w in _haystack(d) for w in words)]
    if not docs:
        st.info("No talk matches these filters.", icon=":material/filter_alt_off:")
        st.button("Show all talks", on_click=page.reset, args=("kind", "tag", "q"))
        return
    for doc in docs:
        card(doc)


def _haystack(doc: Document) -> str:
    return " ".join(
        [doc.title, *ui.people(doc), ui.field(doc, "paper"), *ui.words(doc.metadata.get("tags"))]
    ).lower()


def card(doc: Document) -> None:
    with st.container(border=True, key=f"talk-{doc.doc_id}"):
        title, when = st.columns([5, 1])
        with title:
            links.doc_link(doc, here=page, bold=True)
        when.caption(ui.doc_date(doc))
        kind = ui.badge(kind_label(doc.kind), "primary", links.kind_icon(doc.kind))
        line = " ".join([kind, ui.chips(doc, tags=5)])
        st.markdown(line)
        names = ui.people(doc)
        paper = ui.field(doc, "paper")
        bits = [safe.text(", ".join(names))] if names else []
        if paper:
            bits.append(f"on {safe.link(paper, doc.metadata.get('paper_url'))}")
        if bits:
            st.caption(" ".join(bits))
        views.external_links(doc)


def detail_view(doc: Document) -> None:
    views.back("All talks", lambda: page.update(doc="", t=None, tq=""))
    views.header(doc)
    review_standing(archive, doc, here=page)
    paper = ui.field(doc, "paper")
    if paper:
        paper_link = safe.link(paper, doc.metadata.get("paper_url"))
        st.markdown(f":material/article: **Paper:** {paper_link}")
    views.external_links(doc)
    views.original(archive, doc)
    segments = archive.segments(doc.doc_id)
    main, side = st.container(key="rail-talk").columns([3, 1], gap="large")
    with main:
        if segments:
            transcript.show(page, segments, media.recording(archive, doc))
        ui.md(doc.body, doc.title)
    with side:
        views.related(archive, doc, here=page)


doc_id = page.get("doc")
if doc_id:
    found = archive.document(doc_id)
    found = found if found is None or found.kind in KINDS else None
    if found is None:
        st.warning("That talk is not in the archive (any more).", icon=":material/link_off:")
        st.button("All talks", on_click=page.update, kwargs={"doc": "", "t": None})
    else:
        circulation.record_open(found.doc_id)
        detail_view(found)
else:
    list_view()
page.publish()
