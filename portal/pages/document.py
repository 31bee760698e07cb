"""Any other document (notes, unknown kinds): its metadata, body and related items.

URL: doc (document id), t / tq (recording moment and transcript search, when it has one).
"""

from __future__ import annotations

import streamlit as st

from portal import circulation, links, media, resources, state, transcript, ui, views
from portal.review_views import standing as review_standing
from portal.state import PageState

page = PageState("document", [state.text("doc"), state.integer("t"), state.text("tq")])
page.seed()
archive = resources.require()

found = archive.document(page.get("doc"))
if found is None:
    st.warning("That document is not in the archive (any more).", icon=":material/link_off:")
    st.page_link(links.SEARCH, label="Search the archive", icon=":material/search:")
else:
    circulation.record_open(found.doc_id)
    views.header(found)
    review_standing(archive, found, here=page)
    views.external_links(found)
    views.original(archive, found)
    main, side = st.container(key="rail-document").columns([3, 1], gap="large")
    with main:
        segments = archive.segments(found.doc_id)
        if segments:
            transcript.show(page, segments, media.recording(archive, found))
        ui.md(found.body, found.title)
    with side:
        views.related(archive, found, here=page)
page.publish()
