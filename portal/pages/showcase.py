"""Showcase archive: sessions by month, team and outcome; each with its player and transcript.

URL: doc (session id: the session view), t (seconds into the recording), tq (search in the
transcript), q (find sessions: words said or written in them), month (YYYY-MM), team, outcome
(repeatable).
"""

from __future__ import annotations

import datetime as dt
import re

import streamlit as st

from index import fields
from index.filters import SearchFilters
from index.models import Document, SearchHit
from index.timefmt import clock
from index.tokenize import query_terms as index_terms
from portal import circulation, links, media, resources, safe, state, transcript, ui, views
from portal.review_views import standing as review_standing
from portal.state import PageState

page = PageState(
    "showcase",
    [
        state.text("doc"),
        state.integer("t"),
        state.text("tq"),
        state.text("month"),
        state.many("team"),
        state.many("outcome"),
        state.text("q"),
    ],
)
page.seed()
archive = resources.require()


def month_label(month: str) -> str:
    try:
        return dt.date.fromisoformat(f"{month}-01").strftime("%B %Y")
    except ValueError:
        return month


def list_view() -> None:
    st.title("Showcase archive", anchor=False)
    st.caption(
        "AI Showcase sessions: teams demo what worked and what did not. "
        "Open one to watch it and read the transcript, turn by turn."
    )
    sessions = archive.documents(SearchFilters(kinds=("showcase",)))
    months = sorted({d.date.strftime("%Y-%m") for d in sessions if d.date}, reverse=True)
    counts = archive.facet_counts(SearchFilters(kinds=("showcase",)))
    query = page.widget(
        "q",
        st.container(key="searchbox").text_input,
        "Find a session",
        placeholder="a topic, a system, a person, something said in it — e.g. “replica lag”",
        icon=":material/search:",
        max_chars=state.MAX_TEXT,
    )
    month_col, team_col, outcome_col = st.container(key="wrap-showcase-filters").columns([2, 3, 3])
    month = page.get("month")
    if not re.fullmatch(r"\d{4}-\d{2}", month or "") or month not in months:
        page.set("month", "")
    page.widget(
        "month",
        month_col.selectbox,
        "Month",
        ["", *months],
        format_func=lambda m: month_label(m) if m else "All months",
    )
    teams = dict(counts.get("team", []))
    chosen_teams = [t for t in page.get("team") if t in teams]
    if page.widget_key("team") not in st.session_state:
        page.set("team", chosen_teams)
    page.widget(
        "team",
        team_col.multiselect,
        "Team",
        list(teams),
        placeholder="Any team",
        format_func=lambda t: f"{t} ({teams[t]})",
    )
    outcomes = dict(counts.get("outcome", []))
    if page.widget_key("outcome") not in st.session_state:
        page.set("outcome", [o for o in page.get("outcome") if o in ui.OUTCOMES])
    with outcome_col:
        page.widget(
            "outcome",
            st.pills,
            "Outcome",
            list(ui.OUTCOMES),
            selection_mode="multi",
            format_func=lambda o: f"{o.capitalize()} · {outcomes.get(o, 0)}",
        )
    shown = [d for d in sessions if _keep(d)]
    found: dict[str, SearchHit] = {}
    if (query or "").strip():
        # What was said or written in them, by the search's own rules (words and meaning);
        # matches only (the relevance floor), best first.
        hits = archive.search(query, SearchFilters(kinds=("showcase",)), limit=50)
        found = {h.doc_id: h for h in hits if not h.weak}
        shown = sorted(
            (d for d in shown if d.doc_id in found), key=lambda d: -found[d.doc_id].score
        )
    if not shown:
        said = f" for {ui.quoted(query)}" if found or (query or "").strip() else ""
        st.info(f"No session matches these filters{said}.", icon=":material/filter_alt_off:")
        st.button("Show all sessions", on_click=page.reset, args=("month", "team", "outcome", "q"))
        return
    if found:
        st.caption(
            f"{len(shown)} session{'s' if len(shown) != 1 else ''} match {ui.quoted(query)}, "
            "best first."
        )
        for doc in shown:
            card(doc, found[doc.doc_id])
        return
    current = None
    for doc in shown:
        label = doc.date.strftime("%B %Y") if doc.date else "Undated"
        if label != current:
            st.subheader(label, anchor=False, divider="gray")
            current = label
        card(doc)


def _keep(doc: Document) -> bool:
    month, teams, outcomes = page.get("month"), page.get("team"), page.get("outcome")
    if month and (not doc.date or doc.date.strftime("%Y-%m") != month):
        return False
    doc_teams = set(fields.values(doc.metadata, "teams"))
    if teams and not doc_teams & {t.lower() for t in teams}:
        return False
    return not outcomes or ui.outcome(doc) in outcomes


POSTER_ICON = {"video": "movie", "audio": "graphic_eq", "youtube": "smart_display"}


def poster(doc: Document, length: float | None) -> None:
    """A session's tile: its outcome's colour, what kind of recording, and how long it runs.

    Drawn, not fetched: content does not get to make the reader's browser load images.
    """
    rec = media.recording(archive, doc)
    kind = rec.kind if rec is not None else "none"
    icon = POSTER_ICON.get(kind, "play_circle" if rec is not None else "subtitles")
    what = {
        "video": "Video",
        "audio": "Audio",
        "youtube": "YouTube",
        "vimeo": "Vimeo",
        "link": "Recording",
    }.get(kind, "Transcript")
    slug = re.sub(r"[^\w-]", "-", doc.doc_id)
    with st.container(key=f"poster-{ui.outcome(doc) or 'none'}-{slug}", gap=None):
        st.markdown(f":material/{icon}:")
        st.caption(f"**{clock(length)}** · {what}" if length else what)


def card(doc: Document, hit: SearchHit | None = None) -> None:
    with st.container(border=True, key=f"session-{doc.doc_id}"):
        segments = archive.segments(doc.doc_id)
        length = segments[-1].end if segments else None
        tile, body = st.columns([1, 5], vertical_alignment="top")
        with tile:
            poster(doc, length)
        with body:
            title, when = st.columns([5, 1])
            with title:
                links.doc_link(doc, here=page, bold=True)
            when.caption(ui.doc_date(doc))
            st.markdown(ui.chips(doc, tags=5))
            names = ui.people(doc)
            runs = f" · {clock(length)}" if length else ""
            st.caption((safe.text("Presented by " + ", ".join(names)) if names else "") + runs)
            if hit is not None:
                moment(doc, hit)


def moment(doc: Document, hit: SearchHit) -> None:
    """Where a found session says it: a link to that second, or the passage that matched."""
    if hit.start is None:
        st.markdown(ui.highlight(hit.snippet, index_terms(page.get("q"))))
        return
    who = hit.speaker or transcript.UNNAMED  # doc_link escapes its label
    links.doc_link(
        doc,
        f"{who} at {clock(hit.start)}: “{_short(hit.snippet)}”",
        seconds=hit.start,
        icon=":material/record_voice_over:",
        here=page,
        key=f"moment-{doc.doc_id}",
    )


def _short(text: str, limit: int = 140) -> str:
    flat = " ".join(text.split()).strip("… ")
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"


def session_view(doc: Document) -> None:
    views.back("All sessions", lambda: page.update(doc="", t=None, tq=""))
    views.header(doc)
    review_standing(archive, doc, here=page)
    views.external_links(doc, (("slides", "Slides", ":material/slideshow:"),))
    views.original(archive, doc)
    segments = archive.segments(doc.doc_id)
    rec = media.recording(archive, doc)
    watch, notes = st.container(key="rail-session").columns([3, 2], gap="large")
    with watch:
        transcript.show(page, segments, rec)
    with notes:
        chapters(doc)
        if doc.body.strip():
            st.markdown("**Session notes**")
            ui.md(doc.body, doc.title)
        views.related(archive, doc, title="Related incidents and talks", here=page)


def chapters(doc: Document) -> None:
    """The recording's chapters (computed at ingest) as a table of contents: each seeks."""
    found = archive.chapters(doc.doc_id)
    if not found:
        return
    st.markdown("**Chapters**")
    with st.container(key="chapters", gap="xsmall"):
        for chapter in found:
            st.button(
                f"{clock(chapter.start)} · {safe.text(chapter.label)}",
                key=f"chapter-{chapter.ordinal}",
                icon=":material/bookmark:",
                type="tertiary",
                help=f"Play from {clock(chapter.start)}",
                on_click=page.set,
                args=("t", int(chapter.start)),
            )


doc_id = page.get("doc")
if doc_id:
    found = archive.document(doc_id, kind="showcase")
    if found is None:
        st.warning("That session is not in the archive (any more).", icon=":material/link_off:")
        st.button("All sessions", on_click=page.update, kwargs={"doc": "", "t": None})
    else:
        circulation.record_open(found.doc_id)
        session_view(found)
else:
    list_view()
page.publish()
