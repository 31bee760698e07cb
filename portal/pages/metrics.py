"""Coordination: does what one team learns reach the others, or is effort duplicated?

Team-level figures (circulation.metrics) for the organisers' group: plans checked, incidents found
and opened, searches answered, repeat incidents, action items, reuse across teams and duplicate
plans, with charts over time. URL: since (30d, 90d, 365d or all), team.
"""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from circulation.metrics import Coordination, TeamFigures, coordination
from portal import circulation, resources, safe

PERIODS = {"30d": "last 30 days", "90d": "last 90 days", "365d": "last year", "all": "everything"}

archive = resources.require()
settings = resources.settings()

st.title("Coordination", anchor=False)
if not circulation.may_see_metrics(archive.viewer):
    st.warning("This page is for the organisers.", icon=":material/lock:")
    st.stop()
if not settings.metrics:
    st.info(
        "Coordination figures are off (HINDSIGHT_METRICS=off).", icon=":material/visibility_off:"
    )
    st.stop()

st.caption(
    "Is what one team learns reaching the others? Team-level only: a team with fewer than "
    f"{settings.metrics_min_group} people known (expert profiles, people its documents name, "
    "people named on its shared plans) is listed without figures, and nothing is about a person. "
    f"Events come from the search log ({settings.search_log}, kept "
    f"{settings.search_log_days} days); documents and action items as you may see them."
)
asked = st.query_params.get("since", "90d")
period = st.segmented_control(
    "Period",
    list(PERIODS),
    default=asked if asked in PERIODS else "90d",
    format_func=PERIODS.__getitem__,
    key="metrics.since",
)
days = {"30d": 30, "90d": 90, "365d": 365}.get(period or "all")
since = dt.datetime.now() - dt.timedelta(days=days) if days else None
found = coordination(archive, circulation.store(), settings, since=since)
names = [t.team for t in found.shown]
wanted = st.query_params.get("team", "")
team = st.selectbox(
    "Team",
    ["All teams", *names],
    index=names.index(wanted) + 1 if wanted in names else 0,
    key="metrics.team",
)
if team != "All teams":
    found = coordination(archive, circulation.store(), settings, since=since, team=team)


def percent(part: int, whole: int) -> str:
    return f"{part / whole:.0%} ({part}/{whole})" if whole else "—"


def row(t: TeamFigures) -> dict[str, object]:
    days_to_close = sorted(t.days_to_close)
    return {
        "team": t.team,
        "people": t.people,
        "plans checked": t.plans_checked,
        "found past incidents": t.briefs_with_incidents,
        "incidents opened": percent(t.incidents_opened, t.incidents_shown),
        "searches answered": percent(t.searches_answered, t.searches),
        "repeat incidents": t.repeat_incidents,
        "action items done": percent(t.action_items_done, t.action_items),
        "overdue": t.action_items_overdue,
        "median days to close": days_to_close[len(days_to_close) // 2] if days_to_close else None,
        "opened by other teams": t.opened_by_other_teams,
        "Showcases cited by others": len(t.showcases_cited),
        "duplicate plans": percent(t.duplicate_plans, t.plans_checked),
    }


def totals(found: Coordination) -> None:
    cols = st.columns(4)
    cols[0].metric("Plans checked", found.total("plans_checked"))
    cols[1].metric(
        "Searches answered", percent(found.total("searches_answered"), found.total("searches"))
    )
    cols[2].metric("Repeat incidents", found.total("repeat_incidents"))
    cols[3].metric(
        "Duplicate plans", percent(found.total("duplicate_plans"), found.total("plans_checked"))
    )


if not found.teams:
    st.info(
        "Nothing yet: no team has checked a plan, searched or written a post-mortem in this period.",
        icon=":material/hub:",
    )
    st.stop()
totals(found)
if found.shown:
    st.dataframe(pd.DataFrame([row(t) for t in found.shown]), hide_index=True, width="stretch")
if found.withheld:
    st.caption(
        f"Not shown (fewer than {found.min_group} people known): "
        + ", ".join(safe.text(t.team) for t in found.withheld)
    )
if found.pairs:
    st.subheader("Teams that checked similar plans", anchor=False)
    st.caption("Matches of the duplicate-effort radar: one team's brief showed the other's plan.")
    pairs = pd.DataFrame(
        [{"teams": f"{a} · {b}", "matches": n} for a, b, n in found.pairs]
    ).sort_values("matches", ascending=False)
    st.dataframe(pairs, hide_index=True)

st.subheader("Over time", anchor=False)
if not found.series:
    st.caption("No events in this period yet.")
    st.stop()
frame = pd.DataFrame(
    [
        {"period": p.period, "team": p.team, "figure": p.figure, "count": p.value}
        for p in found.series
    ]
)
left, right = st.columns(2)
charts = [
    (left, "Plans checked, by team", ["plans checked"], "team"),
    (right, "Searches answered and not", ["searches answered", "searches unanswered"], "figure"),
    (left, "Repeat incidents, by team", ["repeat incidents"], "team"),
    (right, "Action items closed, by team", ["action items closed"], "team"),
    (left, "Duplicate plans, by team", ["duplicate plans"], "team"),
]
for column, title, figures, colour in charts:
    part = frame[frame["figure"].isin(figures)]
    with column:
        st.markdown(f"**{title}**")
        if part.empty:
            st.caption("Nothing in this period.")
            continue
        chart = (
            alt.Chart(part)
            .mark_bar()
            .encode(
                x=alt.X("period:O", title=None),
                y=alt.Y("sum(count):Q", title=None),
                color=alt.Color(f"{colour}:N", title=None),
                tooltip=["period", "team", "figure", "count"],
            )
        )
        st.altair_chart(chart, width="stretch")
