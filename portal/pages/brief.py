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

from circulation import radar
from circulation.brief import BriefExpert, clock
from circulation.brief import build as build_brief
from circulation.feedback import Item, Verdict
from circulation.links import decode_plan, encode_plan
from index.expertise import cite
from index.models import Document
from portal import circulation, feedback, links, office_hours, resources, safe, ui, views

MAX_UPLOAD = 500_000  # bytes: a long design doc is far smaller

archive = resources.require()
settings = resources.settings()
store = circulation.store()
owner = archive.viewer.person_key  # whose shared plans these are (withdrawal)
team_of = circulation.team_of(archive)
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

# A shared link fills the box once; after that the box is the viewer's. Coming back to the
# link from another page (Back, a link) refills it too: Streamlit dropped the box's state
# when the page was left, and the link must not open on an empty page.
token = st.query_params.get("plan") or ""
if token and (st.session_state.get("brief.token") != token or "brief.plan" not in st.session_state):
    st.session_state["brief.token"] = token
    st.session_state["brief.plan"] = decode_plan(token)

upload = st.file_uploader("…or upload a plan", type=["md", "txt"], key="brief.upload")
if upload is not None and st.session_state.get("brief.uploaded") != upload.file_id:
    st.session_state["brief.uploaded"] = upload.file_id
    st.session_state["brief.plan"] = upload.getvalue()[:MAX_UPLOAD].decode("utf-8", "replace")
with st.form("brief-form", border=False), st.container(key="searchbox"):
    st.text_area(
        "Your plan",
        key="brief.plan",
        height=200,
        placeholder="e.g. “We will fail over ledger-db to a new Postgres replica during the "
        "hardware migration and repoint the connection pooler once it accepts writes.”",
    )
    with st.expander("Share with other teams", icon=":material/groups:"):
        st.caption(
            f"If you share, Hindsight keeps this plan for {settings.radar_days} days so that "
            "another team checking a similar plan sees your team, your name if you tick it, "
            "the date and the plan's first line. Only the groups you choose can see it (none "
            "chosen: everyone who uses Hindsight), and you can withdraw it here at any time. "
            "Plans you do not share are not stored, except with a verdict you give on an item "
            "of the brief (kept for the team's judged set)."
        )
        share = st.checkbox("Share this plan with other teams", key="brief.share", value=False)
        st.text_input(
            "Your team",
            value=team_of.team if team_of else "",
            key="brief.team",
            help="From your expert profile, or the one group of yours that names a team."
            if team_of
            else "Nobody's profile says which team you are in: say it here.",
        )
        named = st.checkbox(
            f"Show my name ({archive.viewer.name or 'anonymous'})",
            key="brief.named",
            value=False,
            disabled=not archive.viewer.name,
        )
        audience = st.multiselect(
            "Who may see it",
            sorted(archive.viewer.groups),
            default=sorted(archive.viewer.groups),
            key="brief.groups",
            placeholder="Everyone",
            disabled=not archive.viewer.groups,
        )
    submitted = st.form_submit_button(
        "Check the plan", type="primary", icon=":material/fact_check:"
    )
plan = (st.session_state.get("brief.plan") or "").strip()
if submitted and plan:
    token = encode_plan(plan)
    st.session_state["brief.token"] = token
    st.query_params["plan"] = token  # the URL now shares this plan


def withdraw(plan_id: str) -> None:
    radar.withdraw(store, plan_id, owner=owner)
    shared = st.session_state.get("brief.shared", {})
    for key in [k for k, v in shared.items() if v == plan_id]:
        del shared[key]  # sharing that plan again shares it again


mine = radar.shared_by(store, settings, owner) if owner else []
if mine:
    with st.expander(f"Plans you share with other teams ({len(mine)})", icon=":material/share:"):
        for n, shared in enumerate(mine):
            cols = st.columns([5, 1], vertical_alignment="center")
            seen_by = ", ".join(shared.groups) or "everyone"
            cols[0].markdown(
                f"“{safe.text(shared.first_line)}”  \n:gray[{safe.text(shared.team)} · shared "
                f"{shared.shared_at:%Y-%m-%d} · kept until "
                f"{radar.kept_until(shared, settings):%Y-%m-%d} · seen by {safe.text(seen_by)}]"
            )
            cols[1].button(
                "Withdraw",
                key=f"brief-withdraw-{n}",
                icon=":material/delete:",
                on_click=withdraw,
                args=(shared.plan_id,),
            )
if not plan or not token:
    st.stop()


team = " ".join(str(st.session_state.get("brief.team") or "").split())
with st.spinner("Reading your plan…"):
    brief = build_brief(archive, plan, viewer_tz=tz, now=now)
    brief = radar.with_related(brief, store, archive, settings, team=team, owner=owner)

shared_now = st.session_state.setdefault("brief.shared", {})
if submitted and share and token not in shared_now:
    if not team:
        st.warning("Say which team the plan comes from to share it.", icon=":material/groups:")
    elif not owner:
        st.warning("Sign in to share a plan: only its sharer may withdraw it.")
    else:
        kept = radar.share(
            store,
            archive,
            plan,
            team=team,
            owner=owner,
            person=archive.viewer.name if named else None,
            groups=audience,
        )
        shared_now[token] = kept.plan_id
        st.success(
            f"Shared with other teams as {safe.text(kept.team)} until "
            f"{radar.kept_until(kept, settings):%Y-%m-%d}; seen by "
            f"{safe.text(', '.join(kept.groups) or 'everyone')}. Withdraw it above at any time.",
            icon=":material/share:",
        )
circulation.log_brief(archive, brief, team, token)

if len(brief.passages) > 1:
    st.caption(f"Read in {len(brief.passages)} passages; the evidence of each is fused.")
if brief.notice:
    st.info(brief.notice, icon=":material/search_off:")
with st.container(horizontal=True):
    st.download_button(
        "Download Markdown",
        brief.to_markdown(resources.portal_url()),  # its links lead back here
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


if brief.related_plans:
    st.subheader("Other teams on this", anchor=False)
    local_now = dt.datetime.now()
    for n, r in enumerate(brief.related_plans):
        with st.container(border=True, key=f"brief-related-{n}"):
            st.markdown(f":material/groups: **{safe.text(r.sentence(local_now))}**")
            st.caption(
                f"“{safe.text(r.first_line)}” · shared {r.shared_at:%Y-%m-%d} · "
                f"similarity {r.score:.2f}"
            )

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
        feedback.buttons(archive, Item("brief", plan, inc.doc.doc_id), key=f"brief-inc-{n}")

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
ABOUT_MEDIA: tuple[Verdict, ...] = ("helpful", "unrelated", "outdated")
for n, m in enumerate(brief.moments):
    label = f"{m.title} · {clock(m.start)}" + (f" · {m.speaker}" if m.speaker else "")
    icon = ":material/play_circle:"
    links.doc_link(doc_of(m.doc_id, m.kind, m.title, m.path), label, seconds=m.start, icon=icon)
    if m.failure:
        st.markdown(ui.badge("Showcase failure", "red"))
    st.caption(safe.text(m.snippet))
    subject = Item("brief", plan, m.doc_id)
    feedback.buttons(archive, subject, key=f"brief-moment-{n}", offered=ABOUT_MEDIA)
for n, t in enumerate(brief.talks):
    links.doc_link(t)
    subject = Item("brief", plan, t.doc_id)
    feedback.buttons(archive, subject, key=f"brief-talk-{n}", offered=ABOUT_MEDIA)

st.subheader("People to ask", anchor=False)
if not brief.experts:
    st.caption("Nobody you can see has evidence on this yet.")


def person(e: BriefExpert, n: int) -> None:
    match = e.match
    expert = match.expert
    with st.container(border=True, key=f"brief-expert-{n}"):
        st.page_link(
            links.EXPERTS,
            label=f"**{safe.text(match.person.name)}**",
            icon=":material/support_agent:",
            query_params={"expert": match.person.expert_id or match.person.key},
        )
        for item in match.evidence[:3]:
            st.caption(safe.text(cite(item)))
        nxt = e.next_office_hours
        if nxt:
            note = office_hours.outside_note(nxt)
            st.markdown(
                f":material/event: Next office hours: **{nxt.viewer_start:%a %d %b, %H:%M}** "
                f"{safe.text(tz)}" + (f" {note}" if note else "")
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
