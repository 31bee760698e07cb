"""The Incidents page's other views: recurring failure modes, action items, trends, and an
incident's similar panel. Only drawing: the data comes from the Archive (index/incidents.py,
recurrence.py, action_items.py, trends.py), already narrowed to what the viewer may see.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd
import streamlit as st

from circulation.feedback import Item
from index.action_items import ActionItem, to_csv
from index.archive import Archive
from index.incidents import SimilarIncident, SimilarPanel
from index.recurrence import Cluster
from index.trends import Trends
from portal import feedback, links, safe, ui
from portal.state import PageState

VIEWS = {
    "table": "Table",
    "recurring": "Recurring",
    "actions": "Action items",
    "trends": "Trends",
}
SIGNAL_LABEL = {
    "cause meaning": "root cause / trigger meaning",
    "write-up meaning": "write-up meaning",
    "services": "shared services",
    "tags": "shared tags",
    "team": "same team",
}
SEVERITY_COLORS = {"SEV1": "#c62828", "SEV2": "#e65100", "SEV3": "#c9a100", "SEV4": "#757575"}


# -- similar incidents ------------------------------------------------------------------------


def why(item: SimilarIncident) -> str:
    """'root cause / trigger meaning 0.41 · shared services (ledger-db) 0.05 …' — escaped."""
    parts = []
    for name, value in sorted(item.signals.items(), key=lambda kv: -kv[1]):
        shared = item.shared.get({"team": "teams"}.get(name, name), ())
        detail = f" ({', '.join(shared[:3])})" if shared else ""
        parts.append(f"{SIGNAL_LABEL.get(name, name)}{detail} {value:.2f}")
    return safe.text(" · ".join(parts))


def similar_panel(
    panel: SimilarPanel | None, here: PageState, archive: Archive | None = None
) -> None:
    st.markdown("**Has this happened before?**")
    if panel is None:
        return
    for label, items in (
        ("Likely the same failure mode", panel.same),
        ("Possibly related", panel.related),
    ):
        if not items:
            continue
        st.caption(label)
        for item in items:
            links.doc_link(item.doc, here=here, key=f"similar-{item.doc.doc_id}", help=why(item))
            st.caption(f"{ui.nice_date(item.doc.date)} · score {item.score:.2f} · {why(item)}")
            if item.confirmed:
                people = f"{item.confirmed} {'person' if item.confirmed == 1 else 'people'}"
                st.caption(f":material/verified: Same failure mode, confirmed by {people}")
            if archive is not None:
                subject = Item("similar", panel.seed.doc_id, item.doc.doc_id)
                feedback.buttons(archive, subject, key=f"similar-{item.doc.doc_id}")
    if not panel.items:
        st.caption(safe.text(panel.reason))
        if panel.closest is not None:
            links.doc_link(
                panel.closest.doc, here=here, key="similar-closest", help=why(panel.closest)
            )
            if archive is not None:  # people may know better than the threshold
                subject = Item("similar", panel.seed.doc_id, panel.closest.doc.doc_id)
                feedback.buttons(archive, subject, key=f"similar-{panel.closest.doc.doc_id}")


def recurrence_banner(cluster: Cluster | None, doc_id: str) -> None:
    if cluster is None:
        return
    others = [d for d in cluster.members if d.doc_id != doc_id]
    names = ", ".join(
        f"{safe.text(d.title)} ({d.date:%Y-%m})" if d.date else safe.text(d.title) for d in others
    )
    st.warning(
        f"**Recurs — {safe.text(cluster.headline(doc_id))}.** Like {names}.",
        icon=":material/repeat:",
    )


# -- recurring --------------------------------------------------------------------------------


def recurring(clusters: Sequence[Cluster], shown: set[str], here: PageState) -> None:
    """Clusters with a member among SHOWN (the page's filtered incidents)."""
    mine = [c for c in clusters if shown & set(c.doc_ids)]
    if not mine:
        st.info(
            "No failure mode recurs among these incidents: no two of them share a cause.",
            icon=":material/repeat:",
        )
        return
    st.caption(f"{len(mine)} failure mode{'s' if len(mine) != 1 else ''} seen more than once")
    for n, cluster in enumerate(mine):
        with st.container(border=True):
            st.markdown(f"**{safe.text(cluster.headline())}**")
            for doc in cluster.members:
                with st.container(horizontal=True, vertical_alignment="center"):
                    st.caption(ui.nice_date(doc.date) or "undated")
                    links.doc_link(doc, here=here, key=f"recurring-{n}-{doc.doc_id}")


# -- action items -----------------------------------------------------------------------------


def action_table(items: Sequence[ActionItem]) -> pd.DataFrame:
    rows = [
        {
            "Overdue": "overdue" if i.overdue else "",
            "Action": i.title,
            "Owner": i.owner or "—",
            "Status": i.row()["status"],
            "Due": pd.Timestamp(i.due) if i.due else pd.NaT,
            "Incident": i.incident,
            "Severity": i.severity,
            "Teams": list(i.teams),
        }
        for i in items
    ]
    columns = ["Overdue", "Action", "Owner", "Status", "Due", "Incident", "Severity", "Teams"]
    return pd.DataFrame(rows, columns=columns)


def action_items(items: Sequence[ActionItem], *, total: int) -> None:
    if not items:
        st.info(
            "No action item matches."
            if total
            else "None of these post-mortems lists action items (front matter `action_items`, "
            "or a task list under an “Action items” heading).",
            icon=":material/checklist:",
        )
        return
    opened = sum(i.is_open for i in items)
    overdue = sum(i.overdue for i in items)
    cols = st.columns(3)
    cols[0].metric("Action items", len(items))
    cols[1].metric("Open", opened)
    cols[2].metric("Overdue", overdue)
    frame = action_table(items)
    styled = frame.style.apply(
        lambda row: ["background-color: #fdecea" if row["Overdue"] else "" for _ in row], axis=1
    )
    st.dataframe(
        styled,
        hide_index=True,
        key="incidents.actions",
        height=min(40 + 35 * len(frame), 600),
        column_config={
            "Due": st.column_config.DateColumn(format="YYYY-MM-DD", width=95),
            "Action": st.column_config.TextColumn(width=320),
            "Teams": st.column_config.ListColumn(width=120),
        },
    )
    st.download_button(
        "Download CSV",
        to_csv(items),
        file_name="action-items.csv",
        mime="text/csv",
        icon=":material/download:",
    )


# -- trends -----------------------------------------------------------------------------------


def trends(data: Trends) -> None:
    if not data.incidents:
        st.info("No incident to chart under these filters.", icon=":material/monitoring:")
        return
    notes = []
    if data.undated:
        notes.append(f"{data.undated} undated incident(s) are left out of the monthly charts")
    if data.without_duration:
        notes.append(f"{data.without_duration} without a duration are left out of time to resolve")
    st.caption(f"{data.incidents} incidents. " + ("; ".join(notes) + "." if notes else ""))
    left, right = st.columns(2)
    with left:
        st.markdown("**Incidents per month, by severity**")
        frame = pd.DataFrame(data.per_month, columns=["month", "severity", "incidents"])
        known = [s for s in SEVERITY_COLORS if s in set(frame["severity"])]
        others = sorted(set(frame["severity"]) - set(known))
        chart = (
            alt.Chart(frame)
            .mark_bar()
            .encode(
                x=alt.X("month:O", title=None),
                y=alt.Y("incidents:Q", title="incidents"),
                color=alt.Color(
                    "severity:N",
                    scale=alt.Scale(
                        domain=known + others,
                        range=[SEVERITY_COLORS[s] for s in known] + ["#9e9e9e"] * len(others),
                    ),
                ),
                tooltip=["month", "severity", "incidents"],
            )
        )
        st.altair_chart(chart, width="stretch")
    with right:
        st.markdown("**How incidents were detected**")
        _bars(data.detection, "detected by")
    left, right = st.columns(2)
    with left:
        st.markdown("**By service**")
        _bars(data.by_service[:15], "service")
    with right:
        st.markdown("**By team**")
        _bars(data.by_team[:15], "team")
    left, right = st.columns(2)
    with left:
        st.markdown("**Time to resolve**")
        order = [label for label, _ in data.durations]
        _bars(data.durations, "duration", sort=order)
    with right:
        st.markdown("**Recurring failure modes over time**")
        if data.recurring:
            frame = pd.DataFrame(data.recurring, columns=["month", "failure mode", "incidents"])
            chart = (
                alt.Chart(frame)
                .mark_circle(size=120)
                .encode(
                    x=alt.X("month:O", title=None),
                    y=alt.Y("failure mode:N", title=None),
                    size=alt.Size("incidents:Q", legend=None),
                    tooltip=["month", "failure mode", "incidents"],
                )
            )
            st.altair_chart(chart, width="stretch")
        else:
            st.caption("No failure mode recurs among these incidents.")


def _bars(rows: Sequence[tuple[str, int]], label: str, sort: list[str] | None = None) -> None:
    if not rows:
        st.caption("Nothing recorded.")
        return
    frame = pd.DataFrame(rows, columns=[label, "incidents"])
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y(f"{label}:N", title=None, sort=sort or "-x"),
            x=alt.X("incidents:Q", title="incidents"),
            tooltip=[label, "incidents"],
        )
    )
    st.altair_chart(chart, width="stretch")
