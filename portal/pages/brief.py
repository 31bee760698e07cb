"""Check a plan: paste a plan (or upload a .md / .txt) and see what we already learned about it.

URL: plan (the plan itself, zlib-compressed and base64url-encoded by circulation.brief.encode_plan),
tz (IANA zone for office hours; default: the browser's). A shared link carries the plan, never
the brief: the brief is recomputed for whoever opens it, with their access.
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import available_timezones

import streamlit as st

from circulation.brief import BriefExpert, clock, decode_plan, encode_plan
from circulation.brief import build as build_brief
from index.expertise import cite
from index.models import Document
from portal import links, resources, safe, ui, views

MAX_UPLOAD = 500_000  # bytes: a long design doc is far smaller

archive = resources.require()
now = dt.datetime.now(dt.UTC)
zones = available_timezones()
tz = st.query_params.get("tz") or st.context.timezone or "UTC"
tz = tz if tz in zones else "UTC"

st.title("Check a plan", anchor=False)
st.markdown(
    "Paste what you are about to do — a ticket, a design doc, a PR description — and see what "
    "the organisation already learned about it: **past incidents**, **promises still open**, "
    "**where it was explained**, **who to ask** and **questions to answer first**."
)

# A shared link fills the box once; after that the box is the viewer's.
token = st.query_params.get("plan") or ""
if token and st.session_state.get("brief.token") != token:
    st.session_state["brief.token"] = token
    st.session_state["brief.plan"] = decode_plan(token)

upload = st.file_uploader("…or upload a plan", type=["md", "txt"], key="brief.upload")
if upload is not None and st.session_state.get("brief.uploaded") != upload.file_id:
    st.session_state["brief.uploaded"] = upload.file_id
    st.session_state["brief.plan"] = upload.getvalue()[:MAX_UPLOAD].decode("utf-8", "replace")
with st.form("brief-form", border=False):
    st.text_area(
        "Your plan",
        key="brief.plan",
        height=200,
        placeholder="e.g. “We will fail over ledger-db to a new Postgres replica during the "
        "hardware migration and repoint the connection pooler once it accepts writes.”",
    )
    submitted = st.form_submit_button(
        "Check the plan", type="primary", icon=":material/fact_check:"
    )
plan = (st.session_state.get("brief.plan") or "").strip()
if submitted and plan:
    token = encode_plan(plan)
    st.session_state["brief.token"] = token
    st.query_params["plan"] = token  # the URL now shares this plan
if not plan or not token:
    st.stop()


with st.spinner("Reading your plan…"):
    brief = build_brief(archive, plan, viewer_tz=tz, now=now)

if len(brief.passages) > 1:
    st.caption(f"Read in {len(brief.passages)} passages; the evidence of each is fused.")
with st.container(horizontal=True):
    st.download_button(
        "Download Markdown",
        brief.to_markdown(),
        file_name="brief.md",
        mime="text/markdown",
        icon=":material/download:",
        on_click="ignore",
        key="brief-md",
    )
    st.download_button(
        "Download JSON",
        json.dumps(brief.to_json(), indent=2),
        file_name="brief.json",
        mime="application/json",
        icon=":material/data_object:",
        on_click="ignore",
        key="brief-json",
    )
st.caption(
    ":material/link: This page's address carries your plan: share it, and each reader sees the "
    "brief their own access allows."
)


def doc_of(doc_id: str, kind: str, title: str, path: str) -> Document:
    return Document(doc_id, kind, title, path, None, {})


st.subheader("Past incidents like this", anchor=False)
if not brief.incidents:
    st.caption("No past incident you can see matches this plan.")
for n, inc in enumerate(brief.incidents):
    with st.container(border=True, key=f"brief-incident-{n}"):
        links.doc_link(inc.doc, bold=True, key=f"brief-inc-{n}")
        chips = [ui.badge(inc.severity, "red")] if inc.severity else []
        chips.append(safe.text(ui.nice_date(inc.doc.date)))
        if inc.recurrence:
            chips.append(ui.badge(inc.recurrence, "orange", ":material/repeat:"))
        st.markdown(" ".join(chips))
        st.markdown(
            f"**Why:** your plan says “{safe.text(inc.plan_passage)}”  \n"
            f"— the incident: “{safe.text(inc.incident_passage)}”"
        )
        if inc.shared_services:
            st.markdown(f"**Shared services:** {safe.text(', '.join(inc.shared_services))}")
        if inc.root_cause:
            st.markdown(f"**Root cause:** {safe.text(inc.root_cause)}")
        for lesson in inc.lessons:
            st.markdown(f":material/lightbulb: {safe.text(lesson)}")

st.subheader("Still open", anchor=False)
if not brief.open_action_items:
    st.caption("No open action items on these incidents.")
for item in brief.open_action_items:
    due = item.due.isoformat() if item.due else item.due_text or "no due date"
    late = " " + ui.badge("overdue", "red") if item.overdue else ""
    st.markdown(
        f":material/radio_button_unchecked: {safe.text(item.title)} · "
        f"{safe.text(item.owner or 'no owner')} · due {safe.text(due)}{late} · "
        f":gray[{safe.text(item.incident)}]"
    )

st.subheader("Where it was explained", anchor=False)
if not brief.moments and not brief.talks:
    st.caption("No recording or talk you can see covers this yet.")
for m in brief.moments:
    label = f"{m.title} · {clock(m.start)}" + (f" · {m.speaker}" if m.speaker else "")
    icon = ":material/play_circle:"
    links.doc_link(doc_of(m.doc_id, m.kind, m.title, m.path), label, seconds=m.start, icon=icon)
    if m.failure:
        st.markdown(ui.badge("Showcase failure", "red"))
    st.caption(safe.text(m.snippet))
for t in brief.talks:
    links.doc_link(t)

st.subheader("People to ask", anchor=False)
if not brief.experts:
    st.caption("Nobody you can see has evidence on this yet.")


def person(e: BriefExpert, n: int) -> None:
    match = e.match
    expert = match.expert
    with st.container(border=True, key=f"brief-expert-{n}"):
        st.markdown(f"**{safe.text(match.person.name)}**")
        for item in match.evidence[:3]:
            st.caption(safe.text(cite(item)))
        nxt = e.next_office_hours
        if nxt:
            st.markdown(
                f":material/event: Next office hours: **{nxt.viewer_start:%a %d %b, %H:%M}** "
                f"{safe.text(tz)}"
            )
        views.contact_buttons(expert, now, key=f"brief-{n}")


for n, e in enumerate(brief.experts):
    person(e, n)

st.subheader("Questions to answer before you start", anchor=False)
if not brief.checklist:
    st.caption("No matched incident gives a trigger, root cause or lesson to check.")
for n, c in enumerate(brief.checklist):
    st.checkbox(
        f"{safe.text(c.text)} :gray[({safe.text(c.source)}, {safe.text(c.title)})]",
        key=f"brief-check-{n}",
    )
