"""Overview: what is in the archive, the newest items, incidents per month, and a way in.

URL: none (the search box opens the Search page with ?q=).
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from index.filters import SearchFilters
from index.kinds import kind_label
from portal import links, resources, safe, ui

archive = resources.require()

st.title("Hindsight", anchor=False)
st.markdown(
    "What the organisation learned the hard way — **post-mortems**, **AI Showcase recordings**, "
    "**talks and paper reviews** — and **who to ask**."
)


def go_search() -> None:
    query = (st.session_state.get("overview.q") or "").strip()
    if query:
        st.session_state["overview.go"] = query


with st.form("overview-search", border=False, enter_to_submit=True):
    box, button = st.columns([6, 1], vertical_alignment="bottom")
    box.text_input(
        "Search everything",
        key="overview.q",
        label_visibility="collapsed",
        placeholder="Search incidents, recordings, talks… e.g. “replica lag during failover”",
        icon=":material/search:",
    )
    button.form_submit_button("Search", type="primary", on_click=go_search, width="stretch")
if st.session_state.get("overview.go"):
    st.switch_page(links.SEARCH, query_params={"q": st.session_state.pop("overview.go")})

jobs = st.columns(3)
JOBS: tuple[tuple[Any, str, str, str, dict[str, str]], ...] = (
    (
        links.BRIEF,
        ":material/fact_check:",
        "About to change something?",
        "Paste your plan: past incidents, open promises, moments and people to ask.",
        {},
    ),
    (
        links.SHOWCASE,
        ":material/smart_display:",
        "Learn from a failure",
        "Jump to the moment a Showcase talk explained what went wrong.",
        {"outcome": "failure"},
    ),
    (
        links.EXPERTS,
        ":material/support_agent:",
        "Ask someone",
        "Find an expert on a topic and put their office hours in your calendar.",
        {},
    ),
)
for col, (target, icon, title, blurb, params) in zip(jobs, JOBS, strict=True):
    with col, st.container(border=True, height="stretch"):
        st.page_link(target, label=f"**{title}**", icon=icon, query_params=params)
        st.caption(blurb)

SEVERITY_COLORS = {
    "SEV1": "#d62728",
    "SEV2": "#ff7f0e",
    "SEV3": "#e8c547",
    "SEV4": "#9e9e9e",
    "unrated": "#cfcfcf",
}


def incident_chart(rows: list[dict[str, object]]) -> alt.Chart:
    """Stacked bars per month (months without incidents included), coloured by severity."""
    frame = pd.DataFrame(rows)
    frame["month"] = pd.to_datetime(frame["month"])
    counts = frame.groupby(["month", "severity"]).size().reset_index(name="incidents")
    months = pd.date_range(counts["month"].min(), counts["month"].max(), freq="MS")
    counts = pd.concat(
        [counts, pd.DataFrame({"month": months, "severity": "SEV1", "incidents": 0})]
    )
    domain = [s for s in SEVERITY_COLORS if s in set(frame["severity"])]
    return (
        alt.Chart(counts)
        .mark_bar(width={"band": 0.8})
        .encode(
            x=alt.X(
                "yearmonth(month):O", title=None, axis=alt.Axis(format="%b %Y", labelAngle=-45)
            ),
            y=alt.Y(
                "sum(incidents):Q", title="Incidents", axis=alt.Axis(tickMinStep=1, format="d")
            ),
            color=alt.Color(
                "severity:N",
                title="Severity",
                scale=alt.Scale(domain=domain, range=[SEVERITY_COLORS[s] for s in domain]),
            ),
            order=alt.Order("severity:N"),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title="Month", format="%B %Y"),
                "severity:N",
                alt.Tooltip("sum(incidents):Q", title="Incidents"),
            ],
        )
        .properties(height=300)
    )


stats = archive.stats()
counts = stats.documents_by_kind
metrics = st.columns(5)
for col, (kind, label) in zip(
    metrics,
    (
        ("postmortem", "Incidents"),
        ("showcase", "Showcase sessions"),
        ("talk", "Talks"),
        ("paper-review", "Paper reviews"),
        ("expert", "Experts"),
    ),
    strict=True,
):
    col.metric(label, counts.get(kind, 0), border=True)

chart_col, newest_col = st.columns([3, 2], gap="large")
with chart_col:
    st.subheader("Incidents per month", anchor=False)
    incidents = archive.documents(SearchFilters(kinds=("postmortem",)))
    rows = [
        {"month": d.date.replace(day=1), "severity": ui.severity(d) or "unrated"}
        for d in incidents
        if d.date
    ]
    if rows:
        st.altair_chart(incident_chart(rows), width="stretch")
    else:
        st.caption("No dated incidents yet.")

with newest_col:
    st.subheader("Newest", anchor=False)
    for doc in archive.documents(limit=7):
        with st.container(gap=None):
            links.doc_link(doc)
            st.caption(f"{kind_label(doc.kind)} · {safe.text(ui.nice_date(doc.date))}")
