"""Search: one box, facets with counts, one result per document with its best passage.

URL: q (query), like (doc id: "more like this"), kind, severity, outcome, team, service, tag
(repeatable), from / to (YYYY-MM-DD), n (results shown), weak (also show matches below the
relevance floor), exact (search the words as typed: no spelling correction).
"""

from __future__ import annotations

import re

import streamlit as st

from circulation.feedback import Item
from index.filters import SearchFilters
from index.findings import Findings
from index.kinds import kind_label
from index.models import Document, MomentHit, SearchHit
from index.timefmt import clock
from index.tokenize import query_terms as index_terms
from portal import (
    circulation,
    facets,
    feedback,
    links,
    media,
    resources,
    safe,
    state,
    transcript,
    ui,
)
from portal.review_views import result_labels as review_labels
from portal.state import PageState

PAGE_SIZE = 10  # a screenful: every result is a dozen elements the browser draws
MAX_RESULTS = 100

page = PageState(
    "search",
    [
        state.text("q"),
        state.text("like"),
        state.integer("n"),
        state.integer("weak"),
        state.integer("exact"),
        *facets.PARAMS,
    ],
    composite=facets.COMPOSITE,
)
page.seed()
archive = resources.require()
ignored = facets.sanitise(page, archive.facet_counts())


def more_like(doc_id: str) -> None:
    page.update(like=doc_id, q="", n=None)


st.title("Search", anchor=False)
query = page.widget(
    "q",
    st.container(key="searchbox").text_input,
    "Search the archive",
    label_visibility="collapsed",
    placeholder="What are you about to change? e.g. “promote a Postgres replica” "
    "(a whole plan? use Check a plan)",
    icon=":material/search:",
    max_chars=state.MAX_TEXT,
)
like_doc = archive.document(page.get("like")) if page.get("like") else None
if page.get("like") and like_doc is None:
    st.warning("The document for “more like this” is no longer in the archive.")
text = "" if like_doc else (query or "").strip()
limit = min(page.get("n") or PAGE_SIZE, MAX_RESULTS)
circulation.log_search(archive, text)  # the Gaps page's search log (HINDSIGHT_SEARCH_LOG)


# Weaker matches (and the words as typed) are for the query they were asked for; a new query
# starts without them.
if st.session_state.setdefault("search.weak_for", text) != text:
    st.session_state["search.weak_for"] = text
    page.set("weak", None)
    page.set("exact", None)
show_weak = bool(page.get("weak"))


def findings_for(key: SearchFilters) -> Findings:
    """The query's hits under KEY, its relevance floor and its spelling (Archive.find)."""
    return archive.find(text, key, limit=limit, exact=bool(page.get("exact")))


def hits_for(key: SearchFilters) -> list[SearchHit]:
    """What the list shows under KEY: the matches, or every hit when asked for."""
    if like_doc is not None:
        return archive.more_like(like_doc.doc_id, key, limit=limit)[1]
    found = findings_for(key)
    return list(found.hits if show_weak else found.matches)


def counts_for(facet: str) -> dict[str, int]:
    if not text and like_doc is None:
        return facets.archive_counts(archive, page, facet, None)
    key = facets.filter_key(page, without=facet)
    ids = tuple(h.doc_id for h in hits_for(key))
    return facets.archive_counts(archive, page, facet, ids) if ids else {}


def _clear_filters() -> None:
    for name, _ in facets.active(page):
        facets.clear(page, name)


filters_col, results_col = st.columns([1.2, 3], gap="large")
with filters_col, st.container(key="search-filters"):
    st.markdown("**Filter**")
    if ignored:
        st.caption(
            "Not in the archive, so not applied: " + ", ".join(safe.text(i) for i in ignored[:5])
        )
    facets.draw(page, counts_for)
    if facets.active(page):
        st.button(
            "Clear all filters",
            icon=":material/filter_alt_off:",
            type="tertiary",
            on_click=_clear_filters,
        )

key = facets.filter_key(page)
if text or like_doc is not None:
    results: list[SearchHit | Document] = list(hits_for(key))
else:
    results = list(archive.documents(key, limit=limit))


def transcript_moment(hit: SearchHit) -> None:
    """A recording's moments, best first: for each, the cue that answers the query, who said
    it, when, and a way to hear it from that second."""
    terms = index_terms(text)
    segments = archive.segments(hit.doc_id)
    rec = media.recording(archive, _as_document(hit))
    moments = hit.moments or (
        MomentHit(hit.start or 0.0, hit.end or 0.0, hit.speaker, hit.snippet, 0),
    )
    if len(moments) > 1:
        st.caption(f":material/timeline: {len(moments)} moments")
    for moment in moments:
        cue = transcript.best_moment(segments, moment.start, moment.end, terms)
        start = cue.start if cue else moment.start
        speaker = cue.speaker if cue else moment.speaker
        who = safe.text(speaker) if speaker else transcript.UNNAMED
        said = cue.text if cue else moment.snippet
        st.markdown(f":material/record_voice_over: **{who}** at **{clock(start)}**")
        st.markdown(f"> {ui.highlight(said, marks)}")
        with st.container(horizontal=True):
            links.doc_link(
                hit,
                f"Open the session at {clock(start)}",
                seconds=start,
                icon=":material/subtitles:",
            )
            if rec is not None and not rec.playable:
                st.link_button(
                    f"Watch from {clock(start)}", rec.at(start), icon=":material/play_circle:"
                )
        if rec is not None and rec.playable:
            with st.expander(f"Play from {clock(start)}", icon=":material/play_circle:"):
                media.player(rec, start)


def _as_document(hit: SearchHit) -> Document:
    return Document(hit.doc_id, hit.kind, hit.title, hit.path, hit.date, hit.metadata)


# Query terms as the index stems them ("promot"): a word is marked when it starts with one.
# "More like this" queries are whole passages, so nothing is marked for them.
searched = findings_for(key).searched if text and like_doc is None else text
marks = [] if like_doc else index_terms(searched)


# A chip narrows the search the reader is in (its words and filters), not a new one.
here_now = page.link(n=None, weak=None)


def result(i: int, item: SearchHit | Document) -> None:
    doc = _as_document(item) if isinstance(item, SearchHit) else item
    with st.container(border=True, key=f"result-{i}"):
        title_col, date_col = st.columns([5, 1])
        with title_col:
            links.doc_link(item, bold=True)
        if item.date or item.kind != "expert":  # people have no date: "undated" is noise
            date_col.caption(ui.doc_date(doc))
        kind = ui.badge(kind_label(item.kind), "primary", links.kind_icon(item.kind))
        line = " ".join(x for x in (kind, ui.chips(doc, tags=5, keep=here_now)) if x)
        st.markdown(line)
        if isinstance(item, SearchHit):
            review_labels(archive, item)
            if item.weak and not like_doc:
                st.caption(":material/trending_down: Weaker match: near in meaning, not a match")
            if item.slide is not None:
                title = re.sub(r"^Slide \d+:?\s*", "", item.heading)
                st.caption(
                    f":material/slideshow: slide {item.slide}"
                    + (f" · {safe.text(title)}" if title else "")
                )
            elif item.heading and item.start is None:
                st.caption(f":material/subdirectory_arrow_right: {safe.text(item.heading)}")
            if item.start is not None:
                transcript_moment(item)
            else:
                st.markdown(ui.highlight(item.snippet, marks))
        else:
            names = ui.people(item)
            if names:
                st.caption(safe.text(", ".join(names)))
        if isinstance(item, SearchHit) and like_doc is None and searched:
            subject = Item("search", searched, item.doc_id)
            feedback.buttons(archive, subject, key=f"search-{i}")
        with st.container(horizontal=True):
            st.button(
                "More like this",
                key=f"like-{i}",
                icon=":material/join_inner:",
                type="tertiary",
                on_click=more_like,
                args=(item.doc_id,),
            )
            links.copy_link(item, key=f"result-{i}")


def experts_panel(topic: str, *, heading: str) -> None:
    matches = archive.experts(topic, limit=3)
    if not matches:
        return
    st.markdown(f"**{heading}**")
    cols = st.container(key="wrap-experts-panel").columns(len(matches))
    for col, match in zip(cols, matches, strict=True):
        with col, st.container(border=True):
            st.page_link(
                links.EXPERTS,
                label=safe.text(match.expert.name),
                icon=":material/support_agent:",
                query_params={"expert": match.expert.expert_id},
            )
            topics = match.topics or match.expert.topics[:3]
            st.caption(safe.text(" · ".join([match.expert.role, *topics][:4])))


def without(name: str) -> int:
    """How many results there would be without the filter NAME."""
    key = facets.filter_key(page, without=name)
    if text or like_doc is not None:
        return len(hits_for(key))
    return len(archive.documents(key, limit=limit))


def spelling(found: Findings) -> None:
    """A corrected typo ("showing results for"), or a suggestion the reader may take."""
    if found.correction is None:
        return
    suggested = found.correction.query
    with st.container(horizontal=True, vertical_alignment="center", key="search-spelling"):
        if found.corrected:
            typed = ", ".join(f"“{safe.text(t)}”" for t in found.correction.typed)
            st.markdown(
                f":material/spellcheck: Showing results for **{safe.text(suggested)}** "
                f"(no document uses {typed})."
            )
            st.button(
                f"Search instead for {ui.quoted(found.asked)}",
                type="tertiary",
                key="search-exact",
                on_click=page.set,
                args=("exact", 1),
            )
        else:
            st.markdown(":material/spellcheck: Did you mean")
            st.button(
                safe.text(suggested),  # a button label renders Markdown (links, images)
                type="tertiary",
                key="search-suggestion",
                on_click=lambda: page.update(q=suggested, exact=None, n=None),
            )


def nothing_matches(found: Findings) -> None:
    """An honest nothing: say so, and keep the nearest one click away."""
    words = ui.quoted(found.searched)
    said = (
        f"No document uses the words {words}."
        if not found.uses_words
        else (f"Nothing matches {words} closely.")
    )
    st.info(f"{said} Check the spelling or try other words.", icon=":material/search_off:")
    if found.hits:
        n = len(found.hits)
        st.button(
            f"Show the {n} nearest in meaning",
            icon=":material/expand_more:",
            type="tertiary",
            key="show-weak",
            on_click=page.set,
            args=("weak", 1),
        )


def match_summary(key: SearchFilters) -> None:
    """How many documents match, and the weaker ones one click away (the relevance floor)."""
    found = list(findings_for(key).hits)
    matches = sum(1 for h in found if not h.weak)
    weaker = len(found) - matches
    more = "+" if len(found) >= limit else ""
    if not matches:
        st.info(
            f"Nothing matches {ui.quoted(searched)} closely; these are the nearest in meaning.",
            icon=":material/search_off:",
        )
        return
    said = f"{matches}{more if not weaker else ''} document{'s' if matches != 1 else ''} match"
    with st.container(horizontal=True, vertical_alignment="center"):
        if show_weak and weaker:
            st.caption(f"{said}, best first; {weaker} weaker match{'es' if weaker != 1 else ''} "
                       "marked as such.")  # fmt: skip
            st.button(
                "Hide weaker matches", type="tertiary", on_click=page.set, args=("weak", None)
            )
        else:
            st.caption(f"{said}, best first, one per document.")
            if weaker:
                plural = "es" if weaker != 1 else ""
                st.button(
                    f"Show {weaker} or more weaker matches"
                    if more
                    else f"Show {weaker} weaker match{plural}",
                    icon=":material/expand_more:",
                    type="tertiary",
                    key="show-weak",
                    on_click=page.set,
                    args=("weak", 1),
                )


def pick_topic() -> None:
    picked = st.session_state.get("search.pick")
    if picked:
        page.update(q=picked, like="", n=None)
    st.session_state["search.pick"] = None


def suggestions() -> None:
    """Topics the archive knows most about, one click from a search."""
    tags = [t for t, _ in archive.facet_counts().get("tag", [])[:10]]
    if tags:
        st.pills(
            "Not sure where to start? Try a topic", tags, key="search.pick", on_change=pick_topic
        )


def empty_results() -> None:
    active = facets.active(page)
    if active:
        st.warning("Nothing matches all of these filters.", icon=":material/filter_alt:")
        st.markdown("Try dropping one:")
        for name, label in active:
            found = without(name)
            more = f"{found}+" if found >= limit else str(found)
            st.button(
                f"Drop “{label}” — {more} result{'s' if found != 1 else ''}",
                key=f"drop-{name}",
                icon=":material/close:",
                on_click=facets.clear,
                args=(page, name),
            )
    else:
        st.info("The archive has no documents yet.", icon=":material/inventory_2:")
    if text:
        experts_panel(text, heading="Ask someone who knows the topic")


with results_col:
    if like_doc is not None:
        with st.container(horizontal=True, vertical_alignment="center"):
            st.markdown(f"Documents like **{safe.text(like_doc.title)}**")
            st.button(
                "Back to my search",
                icon=":material/close:",
                type="tertiary",
                on_click=lambda: page.update(like="", n=None),
            )
    found = findings_for(key) if text and like_doc is None else None
    if found is not None:
        spelling(found)
    if not results and found is not None and found.hits:
        nothing_matches(found)
    elif not results:
        empty_results()
    else:
        if found is not None and not found.uses_words:
            # Meaning-based search always finds something; say when no word of it was found.
            st.info(
                f"No document uses the words {ui.quoted(found.searched)}. "
                "These are the closest in meaning — check your spelling or try other words.",
                icon=":material/search_off:",
            )
        elif like_doc is not None:
            st.caption(f"Top {len(results)} results, best first, one per document.")
        elif text:
            match_summary(key)
        else:
            suggestions()
            st.caption(
                "Newest first. Type above to search; “More like this” finds similar documents."
            )
        if query and not like_doc:
            experts_panel(searched, heading="People who know about this")
        for i, item in enumerate(results):
            result(i, item)
        if len(results) >= limit and limit < MAX_RESULTS:
            st.button(
                "Show more results",
                icon=":material/expand_more:",
                on_click=lambda: page.set("n", limit + PAGE_SIZE),
            )

page.publish()
