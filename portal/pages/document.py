"""Any other document (notes, unknown kinds): its metadata, body and related items.

URL: doc (document id), t / tq (recording moment and transcript search, when it has one).
"""

from __future__ import annotations

import streamlit as st

from index import catalog
from portal import links, media, resources, state, transcript, ui, views
from portal.state import PageState

page = PageState("document", [state.text("doc"), state.integer("t"), state.text("tq")])
page.seed()
searcher = resources.require()
cur = searcher.snapshot.cursor()

found = catalog.document(cur, page.get("doc")) if page.get("doc") else None
if found is None:
    st.warning("That document is not in the archive (any more).", icon=":material/link_off:")
    st.page_link(links.SEARCH, label="Search the archive", icon=":material/search:")
else:
    views.header(found)
    views.external_links(found)
    main, side = st.columns([3, 1], gap="large")
    with main:
        segments = catalog.segments(cur, found.doc_id)
        if segments:
            transcript.show(page, segments, media.recording(cur, found))
        ui.md(found.body, found.title)
    with side:
        views.related(cur, found, here=page)
page.publish()
