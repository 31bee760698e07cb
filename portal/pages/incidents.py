"""Incidents: post-mortems as a table, recurring failure modes, action items and trends, all
under the same filters; and each one's write-up with "has this happened before?".

URL: doc (incident id: the detail view), view (table|recurring|actions|trends), q (words in
the title), severity, team, service, status, owner (repeatable), sort
(newest|oldest|severity|duration), open, overdue (action items: "1" to narrow), month
(YYYY-MM) and detection (how it was found): set by clicking a trend chart's bar.
"""

from __future__ import annotations

import datetime as dt
import re

import streamlit as st

from index import trends as trend_rows
from index.action_items import ItemFilter, is_open, open_count
from index.filters import SearchFilters
from index.models import Document
from portal import (
    circulation,
    incident_views,
    incidents,
    links,
    office_hours,
    resources,
    safe,
    state,
    ui,
    views,
)
from portal.review_views import standing as review_standing
from portal.state import PageState

FILTERS = (("severity", "Severity"), ("team", "Team"), ("service", "Service"), ("status", "Status"))

page = PageState(
    "incidents",
    [
        state.text("doc"),
        state.text("q"),
        *(state.many(name) for name, _ in FILTERS),
        state.choice("sort", tuple(incidents.SORTS), "newest"),
        state.choice("view", tuple(incident_views.VIEWS), "table"),
        state.many("owner"),
        state.text("open"),
        state.text("overdue"),
        state.text("month"),
        state.text("detection"),
    ],
)
page.seed()
archive = resources.require()


def list_view() -> None:
    st.title("Incidents", anchor=False)
    st.caption("Every post-mortem, newest first. Pick a row to read the write-up.")
    facet_values = archive.facet_counts(SearchFilters(kinds=("postmortem",)))
    top = st.container(key="wrap-incidents-top").columns([3, 2])
    query = page.widget(
        "q",
        top[0].container(key="searchbox").text_input,
        "Find in titles, services, root causes",
        placeholder="e.g. replica, DNS, retry storm",
        icon=":material/search:",
    )
    page.widget(
        "sort", top[1].selectbox, "Sort", list(incidents.SORTS), format_func=incidents.SORTS.get
    )
    cols = st.container(key="wrap-incidents-filters").columns(len(FILTERS))
    chosen: dict[str, tuple[str, ...]] = {}
    for col, (name, label) in zip(cols, FILTERS, strict=True):
        counts = dict(facet_values.get(name, []))
        # A value no incident you may see has (a typo in a link, SEV9) is not a filter.
        selected = [v for v in page.get(name) if isinstance(v, str) and v in counts]
        if page.widget_key(name) not in st.session_state:
            page.set(name, selected)
        options = list(counts)
        chosen[name] = tuple(
            page.widget(
                name,
                col.multiselect,
                label,
                options,
                placeholder="Any",
                format_func=lambda v, c=counts: f"{v} ({c.get(v, 0)})",
            )
        )
    scope = SearchFilters(kinds=("postmortem",), facets=tuple(chosen.items()))
    narrowed = picked_filters()
    docs = [
        d for d in archive.documents(scope) if _matches(d, query or "") and _picked(d, narrowed)
    ]
    view = page.widget(
        "view",
        st.segmented_control,
        "View",
        list(incident_views.VIEWS),
        format_func=incident_views.VIEWS.get,
        label_visibility="collapsed",
    )
    shown = scope.with_doc_ids([d.doc_id for d in docs]) if query or narrowed else scope
    if view == "recurring":
        incident_views.recurring(archive.recurring(), {d.doc_id for d in docs}, page)
        return
    if view == "actions":
        actions_view(shown)
        return
    if view == "trends":
        picks: dict[str, str] = {}
        incident_views.trends(archive.trends(shown), picks.__setitem__)
        if picks:
            apply_picks(picks)
        return
    table_view(docs, query or "")


def picked_filters() -> dict[str, str]:
    """The month and detection a chart click chose (checked: a link may carry anything),
    each shown as a chip that removes it."""
    out = {}
    month = page.get("month")
    if re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month or ""):
        out["month"] = month
    detection = page.get("detection")
    if detection in {*(name for name, _ in trend_rows.DETECTION), "other", trend_rows.UNKNOWN}:
        out["detection"] = detection
    for name in ("month", "detection"):
        if page.get(name) and name not in out:
            page.set(name, "")
    if out:
        with st.container(horizontal=True, vertical_alignment="center"):
            for name, value in out.items():
                shown = _month_label(value) if name == "month" else f"detected by {value}"
                st.button(
                    shown,
                    key=f"unpick-{name}",
                    icon=":material/close:",
                    help="Remove this filter",
                    on_click=page.set,
                    args=(name, ""),
                )
    return out


def _month_label(month: str) -> str:
    return dt.date.fromisoformat(f"{month}-01").strftime("%B %Y")


def _picked(doc: Document, narrowed: dict[str, str]) -> bool:
    month = narrowed.get("month")
    if month and not (doc.date and trend_rows.month(doc.date) == month):
        return False
    detection = narrowed.get("detection")
    return not detection or trend_rows.detection(doc) == detection


def apply_picks(picks: dict[str, str]) -> None:
    """A bar was clicked: list its incidents (the table under that filter)."""
    for facet in ("severity", "service", "team"):
        if facet in picks:
            page.set(facet, [picks[facet]])
    for name in ("month", "detection"):
        if name in picks:
            page.set(name, picks[name])
    page.set("view", "table")
    for key in [k for k in st.session_state if str(k).startswith("trends-")]:
        del st.session_state[key]  # the chart's selection is spent: it must not fire again
    st.rerun()


def actions_view(scope: SearchFilters) -> None:
    every = archive.action_items(scope)
    owners = sorted({i.owner for i in every if i.owner}, key=str.lower)
    row = st.container(horizontal=True, vertical_alignment="bottom", gap="medium")
    open_only = row.toggle(
        "Open only", value=page.get("open") == "1", key="incidents.t.open", width="content"
    )
    overdue_only = row.toggle(
        "Overdue only", value=page.get("overdue") == "1", key="incidents.t.overdue", width="content"
    )
    page.set("open", "1" if open_only else "")
    page.set("overdue", "1" if overdue_only else "")
    picked = [v for v in page.get("owner") if isinstance(v, str)]
    if page.widget_key("owner") not in st.session_state:
        page.set("owner", picked)
    chosen = page.widget(
        "owner",
        row.multiselect,
        "Owner",
        owners + [o for o in picked if o not in owners],
        placeholder="Anyone",
        width="stretch",
    )
    how = ItemFilter(open_only=open_only, overdue_only=overdue_only, owners=tuple(chosen))
    opened = incident_views.action_items(archive.action_items(scope, how), total=len(every))
    if opened:
        page.set("doc", opened)
        st.rerun()


def table_view(docs: list[Document], query: str) -> None:
    frame = incidents.sort(incidents.table(docs), page.get("sort"))
    if frame.empty:
        st.info("No incident matches these filters.", icon=":material/filter_alt_off:")
        with st.container(horizontal=True, vertical_alignment="center"):
            st.button(
                "Clear filters", on_click=page.reset, args=("q", *(name for name, _ in FILTERS))
            )
            if query:  # this box matches words exactly; Search also matches by meaning
                st.page_link(
                    links.SEARCH,
                    label=f"Search every post-mortem for {ui.quoted(query)}",
                    icon=":material/manage_search:",
                    query_params={"q": query, "kind": "postmortem"},
                )
        return
    st.caption(f"{len(frame)} incident{'s' if len(frame) != 1 else ''}")
    event = st.dataframe(
        incidents.styled(frame),
        key="incidents.table",
        hide_index=True,
        on_select="rerun",
        # A click on any cell of a row opens that post-mortem, as does its row checkbox.
        selection_mode=["single-row", "single-cell"],
        height=min(40 + 35 * len(frame), 700),
        column_order=["Date", "Severity", "Title", "Services", "Teams", "Duration", "Status"],
        column_config={
            "Date": st.column_config.DateColumn(format="YYYY-MM-DD", width=95),
            "Severity": st.column_config.TextColumn(width=70),
            "Title": st.column_config.TextColumn(width=300),
            "Services": st.column_config.ListColumn(width=160),
            "Teams": st.column_config.ListColumn(width=110),
            "Duration": st.column_config.TextColumn(width=80),
            "Status": st.column_config.TextColumn(width=80),
        },
    )
    picked = event.selection if event is not None else None
    rows = (list(picked.rows) + [cell[0] for cell in picked.cells]) if picked else []
    if rows:
        page.set("doc", str(frame.iloc[rows[0]]["doc_id"]))
        st.rerun()


def _matches(doc: Document, query: str) -> bool:
    words = query.lower().split()
    if not words:
        return True
    haystack = " ".join(
        [
            doc.title,
            *ui.words(doc.metadata.get("services")),
            *ui.words(doc.metadata.get("tags")),
            str(doc.metadata.get("root_cause") or ""),
            str(doc.metadata.get("trigger") or ""),
        ]
    ).lower()
    return all(w in haystack for w in words)


def detail_view(doc: Document) -> None:
    views.back("All incidents", lambda: page.set("doc", ""))
    views.header(doc)
    views.original(archive, doc)
    review_standing(archive, doc, here=page)
    incident_views.recurrence_banner(archive.recurrence_of(doc.doc_id), doc.doc_id)
    main, side = st.container(key="rail-incident").columns([5, 2], gap="large")
    with side:
        facts(doc)
        views.related(archive, doc, title="Related incidents, sessions and talks", here=page)
        incident_views.similar_panel(archive.similar_incidents(doc, limit=5), page, archive)
        people(doc)
    with main:
        root_cause = ui.field(doc, "root_cause")
        items = [i for i in doc.metadata.get("action_items") or [] if isinstance(i, dict)]
        sections = incidents.ordered_sections(doc.body, doc.title)
        has_lessons = any(h.lower().startswith("lessons") for h, _ in sections)
        lessons = [] if has_lessons else ui.words(doc.metadata.get("lessons"))
        shown_root = False
        for heading, text in sections:
            name = heading.lower()
            if name.startswith("action item") and items:
                st.markdown("#### Action items")
                action_items(items)
                items = []
                continue
            st.markdown(f"#### {safe.text(heading)}")
            if name.startswith("root cause") and root_cause:
                st.error(safe.text(root_cause), icon=":material/troubleshoot:")
                shown_root = True
            ui.md(text)
        if root_cause and not shown_root:
            st.markdown("#### Root cause")
            st.error(safe.text(root_cause), icon=":material/troubleshoot:")
        if items:  # the write-up has no action-items section: show the front matter's
            st.markdown("#### Action items")
            action_items(items)
        if lessons:
            st.markdown("#### Lessons learned")
            st.markdown("\n".join(f"- {safe.text(x)}" for x in lessons))


def facts(doc: Document) -> None:
    with st.container(border=True):
        sev = ui.severity(doc)
        lines = [
            "**Severity:** " + (ui.badge(sev, ui.SEVERITY_COLOR.get(sev, "gray")) if sev else "—"),
            f"**Duration:** {safe.text(incidents.human_duration(doc.metadata.get('duration')))}",
        ]
        for label, key in (
            ("Status", "status"),
            ("Detected by", "detection"),
            ("Trigger", "trigger"),
            ("Services", "services"),
            ("Teams", "teams"),
            ("Authors", "authors"),
        ):
            values = ui.words(doc.metadata.get(key))
            if values:
                lines.append(f"**{label}:** {safe.text(', '.join(values))}")
        still, total = open_count(doc)
        if total:
            lines.append(f"**Action items:** {still} of {total} still open")
        st.markdown("  \n".join(lines))


def action_items(items: list[dict[str, object]]) -> None:
    """Action items as a Markdown table (it wraps long titles; every cell is escaped)."""
    with st.container(key="incident-actions"):  # its dates stay on one line (frame.STYLE)
        _action_table(items)


def _action_table(items: list[dict[str, object]]) -> None:
    rows = ["| Action | Owner | Status | Due |", "|---|---|---|---|"]
    for item in items:
        status = str(item.get("status") or "")
        color = "orange" if is_open(status) and status else "green" if status else "gray"
        rows.append(
            "| "
            + " | ".join(
                [
                    safe.text(item.get("title") or ""),
                    safe.text(item.get("owner") or "—"),
                    ui.badge(status or "unknown", color),
                    safe.text(item.get("due") or ""),
                ]
            )
            + " |"
        )
    st.markdown("\n".join(rows))
    still = sum(1 for i in items if is_open(i.get("status")))
    st.caption(f"{len(items) - still} of {len(items)} done · {still} still open")


def people(doc: Document) -> None:
    """Who knows the incident's services and tags, and when they next hold office hours (in
    the reader's timezone), as the brief and the experts page show them."""
    topic = " ".join([*ui.words(doc.metadata.get("services")), *ui.words(doc.metadata.get("tags"))])
    matches = archive.experts(topic, limit=3) if topic else []
    if not matches:
        return
    st.markdown("**People to ask**")
    now = dt.datetime.now(dt.UTC)
    tz = office_hours.viewer_zone()
    for n, match in enumerate(matches):
        with st.container(key=f"ask-{n}", gap="xsmall"):
            st.page_link(
                links.EXPERTS,
                label=safe.text(match.expert.name),
                icon=":material/support_agent:",
                query_params={"expert": match.expert.expert_id or match.person.key},
                help=", ".join(match.topics or match.expert.topics[:4]),
            )
            line = office_hours.next_line(match.expert, now, tz, detail=False)
            if line is None:
                line = "No regular office hours." if match.person.has_profile else "No profile yet."
            st.caption(line)


doc_id = page.get("doc")
if doc_id:
    found = archive.document(doc_id, kind="postmortem")
    if found is None:
        st.warning("That incident is not in the archive (any more).", icon=":material/link_off:")
        st.button("All incidents", on_click=page.set, args=("doc", ""))
    else:
        circulation.record_open(found.doc_id)
        detail_view(found)
else:
    list_view()
page.publish()
