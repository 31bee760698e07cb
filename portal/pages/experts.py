"""Experts: find someone by topic, see their evidence, put their office hours in a calendar.

URL: topic (what you need help with), expert (id: the profile view), tz (IANA zone to show
office hours in; default: the browser's).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from typing import Any

import streamlit as st

from index.expertise import EvidenceItem, ExpertiseMatch, cite
from index.experts import upcoming
from index.models import Document, Expert
from index.people import Person, name_key
from portal import links, office_hours, resources, safe, state, ui, views
from portal.state import PageState

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ROLE_ICON = {
    "author": ":material/edit_note:",
    "action-owner": ":material/task_alt:",
    "presenter": ":material/smart_display:",
    "speaker": ":material/record_voice_over:",
    "talk-speaker": ":material/co_present:",
    "reviewer": ":material/menu_book:",
    "declared": ":material/person:",
}


page = PageState("experts", [state.text("topic"), state.text("expert"), state.text("tz")])
page.seed()
archive = resources.require()
browser_tz = office_hours.viewer_zone()
if page.get("tz") and not office_hours.valid(page.get("tz")):
    page.set("tz", "")
now = dt.datetime.now(dt.UTC)


def viewer_tz() -> str:
    return page.get("tz") or browser_tz


def office_hours_line(expert: Expert) -> None:
    line = office_hours.next_line(expert, now, viewer_tz())
    if line is None:
        st.caption("No regular office hours — book or e-mail instead.")
    else:
        st.markdown(line)


def evidence_link(item: EvidenceItem, *, key: str, on_topic: bool = True) -> None:
    """One cited piece of evidence that opens the document (a recording at that second)."""
    line = cite(item, on_topic=on_topic)
    if item.role == "declared":
        st.caption(f"{ROLE_ICON['declared']} {safe.text(line)}")
        return
    doc = Document(item.doc_id, item.kind, item.title, item.path, item.date, {})
    links.doc_link(doc, line, seconds=item.start, icon=ROLE_ICON.get(item.role), key=key)


def card(match: ExpertiseMatch, topic: str) -> None:
    person, expert = match.person, match.person.expert
    slug = _slug(expert.expert_id if expert else person.key)
    with st.container(border=True, key=f"expert-{slug}"):
        with st.container(key=f"open-expert-{slug}"):  # a link: middle-click, copy, bookmark
            st.page_link(
                links.EXPERTS,
                label=f"**{safe.text(person.name)}**",
                icon=":material/support_agent:" if expert else ":material/person_search:",
                query_params=page.link(expert=expert.expert_id if expert else person.key),
                help="Profile, evidence and all office hours",
            )
        if expert is None:
            st.caption("No profile yet: found through what they wrote, presented or said.")
        else:
            st.caption(safe.text(" · ".join(p for p in (expert.role, expert.team) if p)))
        badges = [
            ui.badge(t, "green" if t in match.declared else "gray") for t in match.expert.topics
        ]
        if match.note:
            badges.append(ui.badge(match.note, "orange"))
        if match.also_knows and topic:
            badges.append(ui.badge(f"also knows: {topic}", "violet"))
        if badges:
            st.markdown(" ".join(badges))
        for n, item in enumerate([e for e in match.evidence if e.role != "declared"][:3]):
            evidence_link(item, key=f"ev-{slug}-{n}")
        if expert is not None:
            office_hours_line(expert)
            views.contact_buttons(expert, now, key=expert.expert_id)


def _slug(text: str) -> str:
    return re.sub(r"[^\w-]", "-", text)


def pick_topic() -> None:
    picked = st.session_state.get("experts.pick")
    if picked:
        page.set("topic", picked)
    st.session_state["experts.pick"] = None


def tz_picker(container: Any) -> None:
    options = ["", *office_hours.zone_options(browser_tz, page.get("tz"))]
    page.widget(
        "tz",
        container.selectbox,
        "Show times in",
        options,
        format_func=lambda z: office_hours.zone_label(z or browser_tz) + ("" if z else " · yours"),
    )


def list_view(people: list[Expert]) -> None:
    st.title("Experts", anchor=False)
    st.caption(
        "People who have offered to help. Search by topic; book a slot or add their "
        "office hours to your calendar."
    )
    search_col, tz_col = st.container(key="wrap-experts-top").columns([5, 2])
    topic = page.widget(
        "topic",
        search_col.container(key="searchbox").text_input,
        "What do you need help with?",
        placeholder="e.g. postgres failover, kafka consumers, RAG evaluation",
        icon=":material/search:",
    )
    tz_picker(tz_col)
    popular = [t for t, _ in Counter(t for e in people for t in e.topics).most_common(14)]
    if popular:
        st.pills("Or pick a topic", popular, key="experts.pick", on_change=pick_topic)
    matches = archive.experts(topic or "", limit=20 if topic else 50)
    if topic and not matches:
        st.info(
            f"Nobody has written, presented or spoken about {ui.quoted(topic)} yet, and "
            "nobody declares it. Try a broader topic, or search the archive.",
            icon=":material/person_search:",
        )
        st.page_link(
            links.SEARCH,
            label=f"Search the archive for {ui.quoted(topic)}",
            icon=":material/search:",
            query_params={"q": topic},
        )
        return
    if topic:
        st.caption(
            f"{len(matches)} expert{'s' if len(matches) != 1 else ''} for "
            f"{ui.quoted(topic)}, ranked by evidence: documents on the topic vote for "
            "the people who wrote, presented, spoke in or own actions of them (newer counts "
            "more); a declared topic is one vote."
        )
    cols = st.container(key="rail-experts").columns(2)
    for i, match in enumerate(matches):
        with cols[i % 2]:
            card(match, topic or "")


def profile_view(expert: Expert) -> None:
    views.back("All experts", lambda: page.set("expert", ""))
    views.tab_title(expert.name)
    st.title(safe.text(expert.name), anchor=False)
    st.caption(safe.text(" · ".join(p for p in (expert.role, expert.team) if p)))
    if expert.topics:
        st.markdown(" ".join(ui.badge(t, "blue") for t in expert.topics))
    main, side = st.container(key="rail-profile").columns([3, 2], gap="large")
    with side, st.container(border=True):
        st.markdown("**Office hours**")
        tz_picker(st)
        occurrences = upcoming(expert, now, viewer_tz())
        for o in occurrences:
            note = office_hours.outside_note(o)
            st.markdown(
                f"**{WEEKDAYS[o.slot.weekday]}s** {o.slot.start:%H:%M}–{o.slot.end:%H:%M} "
                f"{safe.text(o.slot.timezone)}  \n"
                f"Next: **{office_hours.when(o)}** {safe.text(viewer_tz())} "
                f"({office_hours.relative(o.start, now)}){' ' + note if note else ''}"
                + (f"  \n:material/location_on: {safe.text(o.slot.where)}" if o.slot.where else "")
            )
        if not occurrences:
            st.caption("No regular office hours.")
        views.contact_buttons(expert, now, key="profile")
    with main:
        ui.md(expert.bio)
        timeline(archive.person(_person_key(expert)) or Person(_person_key(expert), expert.name))


def _person_key(expert: Expert) -> str:
    return name_key(expert.name)


def timeline(person: Person) -> None:
    """The person's evidence, newest first, and the topics it shows they know."""
    topics = archive.person_topics(person.key)
    if topics:
        st.markdown("**Knows about** (from what they wrote, presented and said)")
        st.markdown(" ".join(ui.badge(t, "violet") for t, _ in topics))
    evidence = archive.person_evidence(person.key)
    st.subheader("Evidence", anchor=False)
    if not evidence:
        st.caption("Nothing in the archive names them as author, presenter or speaker yet.")
    year = None
    for n, item in enumerate(evidence):
        if item.date and item.date.year != year:
            year = item.date.year
            st.markdown(f"**{year}**")
        evidence_link(item, key=f"timeline-{n}", on_topic=False)


def person_view(person: Person) -> None:
    """Someone without a profile: who they are is what the archive says they did."""
    views.back("All experts", lambda: page.set("expert", ""))
    views.tab_title(person.name)
    st.title(safe.text(person.name), anchor=False)
    st.caption("No profile yet: no declared topics, office hours or booking link.")
    timeline(person)


wanted = page.get("expert")
if wanted:
    chosen = archive.expert(wanted)
    someone = archive.person(wanted) if chosen is None else None
    if chosen is not None:
        profile_view(chosen)
    elif someone is not None and someone.expert is not None:
        profile_view(someone.expert)
    elif someone is not None:
        person_view(someone)
    else:
        st.warning("That expert is not in the directory (any more).", icon=":material/link_off:")
        st.button("All experts", on_click=page.set, args=("expert", ""))
else:
    list_view(archive.people())
page.publish()
