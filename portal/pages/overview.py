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


with (
    st.form("overview-search", border=False, enter_to_submit=True),
    st.container(horizontal=True, vertical_alignment="bottom", key="searchbox"),
):
    st.text_input(
        "Search everything",
        key="overview.q",
        label_visibility="collapsed",
        placeholder="Search incidents, recordings, talks… e.g. “replica lag during failover”",
        icon=":material/search:",
        width="stretch",
    )
    st.form_submit_button("Search", type="primary", on_click=go_search, width="content")
if st.session_state.get("overview.go"):
    st.switch_page(links.SEARCH, query_params={"q": st.session_state.pop("overview.go")})

jobs = st.container(key="wrap-jobs").columns(3)
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


def quarter_label(day: pd.Timestamp) -> str:
    return f"Q{(day.month - 1) // 3 + 1} {day.year}"


def incident_chart(rows: list[dict[str, object]]) -> alt.Chart:
    """Stacked bars per quarter (quiet quarters included, as empty bars), by severity.

    A quarter, not a month: a few dozen incidents over years are a row of 1-high bars per
    month, where a quarter shows a rhythm.
    """
    frame = pd.DataFrame(rows)
    frame["quarter"] = pd.to_datetime(frame["month"]).dt.to_period("Q").dt.start_time
    counts = frame.groupby(["quarter", "severity"]).size().reset_index(name="incidents")
    quarters = pd.date_range(counts["quarter"].min(), counts["quarter"].max(), freq="QS")
    present = set(counts["quarter"])
    quiet = [q for q in quarters if q not in present]
    counts = pd.concat(
        [counts, pd.DataFrame({"quarter": quiet, "severity": "SEV1", "incidents": 0})]
    )
    counts["label"] = counts["quarter"].map(quarter_label)
    order = [quarter_label(q) for q in quarters]
    domain = [s for s in SEVERITY_COLORS if s in set(frame["severity"])]
    return (
        alt.Chart(counts)
        .mark_bar(width={"band": 0.8})
        .encode(
            x=alt.X("label:O", title=None, sort=order, axis=alt.Axis(labelAngle=-45)),
            y=alt.Y(
                "sum(incidents):Q", title="Incidents", axis=alt.Axis(tickMinStep=1, format="d")
            ),
            color=alt.Color(
                "severity:N",
                title="Severity",
                scale=alt.Scale(domain=domain, range=[SEVERITY_COLORS[s] for s in domain]),
            ),
            order=alt.Order("severity:O"),
            tooltip=[
                alt.Tooltip("label:N", title="Quarter"),
                alt.Tooltip("severity:N", title="Severity"),
                alt.Tooltip("sum(incidents):Q", title="Incidents"),
            ],
        )
        .properties(height=300)
    )


stats = archive.stats()
counts = stats.documents_by_kind
metrics = st.container(key="wrap-metrics").columns(5)
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

chart_col, newest_col = st.container(key="rail-overview").columns([3, 2], gap="large")
with chart_col:
    st.subheader("Incidents per quarter", anchor=False)
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
