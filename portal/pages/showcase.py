"""Showcase archive: sessions by month, team and outcome; each with its player and transcript.

URL: doc (session id: the session view), t (seconds into the recording), tq (search in the
transcript), month (YYYY-MM), team, outcome (repeatable).
"""

from __future__ import annotations

import datetime as dt
import re

import streamlit as st

from index import fields
from index.filters import SearchFilters
from index.models import Document
from index.timefmt import clock
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
    month_col, team_col, outcome_col = st.columns([2, 3, 3])
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
    if not shown:
        st.info("No session matches these filters.", icon=":material/filter_alt_off:")
        st.button("Show all sessions", on_click=page.reset, args=("month", "team", "outcome"))
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


def card(doc: Document) -> None:
    with st.container(border=True, key=f"session-{doc.doc_id}"):
        title, when = st.columns([5, 1])
        with title:
            links.doc_link(doc, here=page, bold=True)
        when.caption(ui.nice_date(doc.date))
        st.markdown(ui.chips(doc, tags=5))
        names = ui.people(doc)
        segments = archive.segments(doc.doc_id)
        length = f" · {clock(segments[-1].end)}" if segments else ""
        st.caption((safe.text("Presented by " + ", ".join(names)) if names else "") + length)


def session_view(doc: Document) -> None:
    views.back("All sessions", lambda: page.update(doc="", t=None, tq=""))
    views.header(doc)
    review_standing(archive, doc, here=page)
    views.external_links(doc, (("slides", "Slides", ":material/slideshow:"),))
    views.original(archive, doc)
    segments = archive.segments(doc.doc_id)
    rec = media.recording(archive, doc)
    watch, notes = st.columns([3, 2], gap="large")
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
