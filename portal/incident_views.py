"""The Incidents page's other views: recurring failure modes, action items, trends, and an
incident's similar panel. Only drawing: the data comes from the Archive (index/incidents.py,
recurrence.py, action_items.py, trends.py), already narrowed to what the viewer may see.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import altair as alt
import pandas as pd
import streamlit as st

from circulation.feedback import Item, Verdict
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
SEVERITY_COLORS = {"SEV1": "#c62828", "SEV2": "#e65100", "SEV3": "#c9a100", "SEV4": "#757575"}


# -- similar incidents ------------------------------------------------------------------------


# What a reader says of a pair in the narrow side rail: whether it is one failure mode.
PAIR: tuple[Verdict, ...] = ("same", "unrelated")
PAIR_LABELS: dict[Verdict, str] = {"same": "Same failure", "unrelated": "Unrelated"}


def why(item: SimilarIncident) -> str:
    """'same cause: a certificate expired unnoticed; both on ledger-db' — escaped."""
    return safe.text(item.why or "nothing specific in common")


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
            links.doc_link(item.doc, here=here, key=f"similar-{item.doc.doc_id}")
            st.caption(f"{ui.nice_date(item.doc.date)} · {why(item)}")
            if item.confirmed:
                people = f"{item.confirmed} {'person' if item.confirmed == 1 else 'people'}"
                st.caption(f":material/verified: Same failure mode, confirmed by {people}")
            if archive is not None:
                subject = Item("similar", panel.seed.doc_id, item.doc.doc_id)
                feedback.buttons(
                    archive,
                    subject,
                    key=f"similar-{item.doc.doc_id}",
                    offered=PAIR,
                    labels=PAIR_LABELS,
                )
    if not panel.items and panel.closest is not None:
        st.caption("Nothing shares its failure mode closely enough. The closest:")
        links.doc_link(panel.closest.doc, here=here, key="similar-closest")
        st.caption(f"{ui.nice_date(panel.closest.doc.date)} · {why(panel.closest)}")
        if archive is not None:  # people may know better than the threshold
            subject = Item("similar", panel.seed.doc_id, panel.closest.doc.doc_id)
            feedback.buttons(
                archive,
                subject,
                key=f"similar-{panel.closest.doc.doc_id}",
                offered=PAIR,
                labels=PAIR_LABELS,
            )
    elif not panel.items:
        st.caption(safe.text(panel.reason))


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
            # text: an empty cell rather than "None", and ISO dates still sort
            "Due": i.due.isoformat() if i.due else i.due_text,
            "Incident": i.incident,
            "doc_id": i.doc_id,
            "Severity": i.severity,
            "Teams": list(i.teams),
        }
        for i in items
    ]
    columns = ["Overdue", "Action", "Owner", "Status", "Due", "Incident", "Severity", "Teams"]
    return pd.DataFrame(rows, columns=[*columns, "doc_id"])


def action_items(items: Sequence[ActionItem], *, total: int) -> str | None:
    """The items as a table; returns the incident of a clicked row (the page opens it)."""
    if not items:
        st.info(
            "No action item matches."
            if total
            else "None of these post-mortems lists action items (front matter `action_items`, "
            "or a task list under an “Action items” heading).",
            icon=":material/checklist:",
        )
        return None
    opened = sum(i.is_open for i in items)
    overdue = sum(i.overdue for i in items)
    cols = st.columns(3)
    cols[0].metric("Action items", len(items))
    cols[1].metric("Open", opened)
    cols[2].metric("Overdue", overdue)
    frame = action_table(items)
    styled = frame.style.apply(
        lambda row: [
            "background-color: rgba(214, 39, 40, 0.18)" if row["Overdue"] else "" for _ in row
        ],
        axis=1,
    )
    st.caption("Click a row to open its incident.")
    event = st.dataframe(
        styled,
        hide_index=True,
        key="incidents.actions",
        height=min(40 + 35 * len(frame), 600),
        on_select="rerun",
        selection_mode=["single-row", "single-cell"],
        column_order=[
            "Overdue",
            "Action",
            "Owner",
            "Status",
            "Due",
            "Incident",
            "Severity",
            "Teams",
        ],
        column_config={
            "Due": st.column_config.TextColumn(width=95),
            "Action": st.column_config.TextColumn(width=320),
            "Incident": st.column_config.TextColumn(width=320),
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
    picked = event.selection if event is not None else None
    rows = (list(picked.rows) + [cell[0] for cell in picked.cells]) if picked else []
    return str(frame.iloc[rows[0]]["doc_id"]) if rows else None


# -- trends -----------------------------------------------------------------------------------


Pick = Callable[[str, str], None]
COUNT_AXIS = alt.Axis(tickMinStep=1, format="d")  # incidents are whole: no 0.2 steps
ROW_PX = 26  # height of one category row: a chart of rows gets a height in pixels (a
# height left to its categories is "discrete", which Vega then warns it cannot fit)


def _rows_height(n: int) -> int:
    return max(90, ROW_PX * n + 60)  # the rows, and room for the axis and its title


def trends(data: Trends, on_pick: Pick | None = None) -> None:
    """The charts; a click on a bar calls ON_PICK(filter, value) (the page narrows its list)."""
    if not data.incidents:
        st.info("No incident to chart under these filters.", icon=":material/monitoring:")
        return
    notes = []
    if data.undated:
        notes.append(
            f"{_count(data.undated, 'undated incident')} "
            f"{'is' if data.undated == 1 else 'are'} left out of the monthly charts"
        )
    if data.without_duration:
        notes.append(
            f"{_count(data.without_duration, 'incident')} without a duration "
            f"{'is' if data.without_duration == 1 else 'are'} left out of time to resolve"
        )
    said = f"{_count(data.incidents, 'incident')}. " + ("; ".join(notes) + ". " if notes else "")
    st.caption(said + ("Click a bar to list its incidents." if on_pick else ""))
    left, right = st.container(key="wrap-trends-1").columns(2)
    with left:
        st.markdown("**Incidents per month, by severity**")
        _per_month(data, on_pick)
    with right:
        st.markdown("**How incidents were detected**")
        _bars(data.detection, "detected by", pick=("detection", on_pick))
    left, right = st.container(key="wrap-trends-2").columns(2)
    with left:
        st.markdown("**By service**")
        _bars(data.by_service[:15], "service", pick=("service", on_pick))
    with right:
        st.markdown("**By team**")
        _bars(data.by_team[:15], "team", pick=("team", on_pick))
    st.markdown("**Time to resolve**")
    order = [label for label, _ in data.durations]
    _bars(data.durations, "duration", sort=order)
    st.markdown("**Recurring failure modes over time**")
    if data.recurring:
        frame = pd.DataFrame(data.recurring, columns=["month", "failure mode", "incidents"])
        frame["month"] = pd.to_datetime(frame["month"] + "-01")
        chart = (
            alt.Chart(frame)
            .mark_circle()
            .encode(
                x=alt.X("yearmonth(month):T", title=None, axis=alt.Axis(format="%b %Y")),
                # the whole failure mode: its label is what the row means
                y=alt.Y("failure mode:N", title=None, axis=alt.Axis(labelLimit=0)),
                size=alt.Size("incidents:Q", legend=None, scale=alt.Scale(range=[80, 400])),
                tooltip=[
                    alt.Tooltip("yearmonth(month):T", title="Month", format="%B %Y"),
                    "failure mode",
                    "incidents",
                ],
            )
            .properties(height=_rows_height(frame["failure mode"].nunique()))
        )
        st.altair_chart(chart, width="stretch")
    else:
        st.caption("No failure mode recurs among these incidents.")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _months(first: str, last: str) -> list[str]:
    """Every month from FIRST to LAST ('2024-11' … '2025-02'), quiet ones included."""
    days = pd.period_range(pd.Period(first, "M"), pd.Period(last, "M"), freq="M")
    return [f"{p.year:04d}-{p.month:02d}" for p in days]


def _per_month(data: Trends, on_pick: Pick | None) -> None:
    """Stacked bars for every month in the range: a quiet month is an empty slot, not gone."""
    frame = pd.DataFrame(data.per_month, columns=["month", "severity", "incidents"])
    if frame.empty:  # every incident in view is undated
        st.caption("No dated incidents to chart by month.")
        return
    frame["severity"] = frame["severity"].replace({"UNKNOWN": "unrated"})
    months = _months(frame["month"].min(), frame["month"].max())
    quiet = [m for m in months if m not in set(frame["month"])]
    frame = pd.concat(
        [
            frame,
            pd.DataFrame({"month": quiet, "severity": frame["severity"].iloc[0], "incidents": 0}),
        ]
    )
    frame["label"] = pd.to_datetime(frame["month"] + "-01").dt.strftime("%B %Y")
    known = [s for s in SEVERITY_COLORS if s in set(frame["severity"])]
    others = sorted(set(frame["severity"]) - set(known))
    # Label January and July only ("Jan 2025"): three years of month names would overlap.
    mm, yyyy = "substring(datum.value, 5, 7)", "substring(datum.value, 0, 4)"
    label = f"{mm} == '01' ? 'Jan ' + {yyyy} : {mm} == '07' ? 'Jul ' + {yyyy} : ''"
    chart = (
        alt.Chart(frame)
        .mark_bar(cursor="pointer" if on_pick else "default")
        .encode(
            x=alt.X(
                "month:O",
                title=None,
                sort=months,
                axis=alt.Axis(labelExpr=label, labelAngle=0, labelOverlap=False, ticks=False),
            ),
            y=alt.Y("sum(incidents):Q", title="incidents", axis=COUNT_AXIS),
            color=alt.Color(
                "severity:N",
                legend=alt.Legend(orient="bottom", title=None),
                scale=alt.Scale(
                    domain=known + others,
                    range=[SEVERITY_COLORS[s] for s in known] + ["#9e9e9e"] * len(others),
                ),
            ),
            tooltip=[
                alt.Tooltip("label:N", title="Month"),
                alt.Tooltip("severity:N", title="Severity"),
                alt.Tooltip("sum(incidents):Q", title="Incidents"),
            ],
        )
    )
    if on_pick is None:
        st.altair_chart(chart, width="stretch")
        return
    pick = alt.selection_point(name="pick", fields=["month", "severity"], on="click")
    event = st.altair_chart(
        chart.add_params(pick), width="stretch", on_select="rerun", key="trends-month"
    )
    for point in _picked(event):
        if point.get("month"):
            on_pick("month", str(point["month"]))
        if point.get("severity"):
            on_pick("severity", str(point["severity"]))


def _picked(event: object) -> list[dict[str, object]]:
    selection = getattr(event, "selection", None) or {}
    points = selection.get("pick") if isinstance(selection, dict) else None
    return [p for p in points or [] if isinstance(p, dict)]


def _bars(
    rows: Sequence[tuple[str, int]],
    label: str,
    sort: list[str] | None = None,
    pick: tuple[str, Pick | None] | None = None,
) -> None:
    if not rows:
        st.caption("Nothing recorded.")
        return
    frame = pd.DataFrame(rows, columns=[label, "incidents"])
    chart = (
        alt.Chart(frame)
        .mark_bar(cursor="pointer" if pick and pick[1] else "default")
        .encode(
            y=alt.Y(f"{label}:N", title=None, sort=sort or "-x", axis=alt.Axis(labelLimit=240)),
            x=alt.X("incidents:Q", title="incidents", axis=COUNT_AXIS),
            tooltip=[label, "incidents"],
        )
        .properties(height=_rows_height(len(frame)))
    )
    facet, on_pick = pick if pick else ("", None)
    if on_pick is None:
        st.altair_chart(chart, width="stretch")
        return
    chosen = alt.selection_point(name="pick", fields=[label], on="click")
    event = st.altair_chart(
        chart.add_params(chosen),
        width="stretch",
        on_select="rerun",
        key=f"trends-{facet}",
    )
    for point in _picked(event):
        if point.get(label):
            on_pick(facet, str(point[label]))
