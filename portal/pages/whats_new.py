"""What's new: documents new or changed since the viewer's last visit, and what they follow.

A visit ends after 30 minutes without a page view (circulation.state); the next one shows
what was indexed since. Follows (a query and/or facet values) have an Atom feed each.
The list sits beside the follows (under them in a narrow window), each kind showing its first
few items: a first visit to a freshly indexed archive lists everything, and Follow stays in
reach.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from circulation.feeds import feed_url
from circulation.follows import describe
from circulation.whats_new import OWN_PROBLEMS, default_since, whats_new
from index.kinds import kind_label
from index.timefmt import stamp
from portal import circulation, links, resources, safe, ui

SHOWN = 5  # items per kind before "Show all"

archive = resources.require()
settings = resources.settings()
person = archive.viewer.person_key
store = circulation.store()

st.title("What's new", anchor=False)
visit = store.visit(person) if person else None
remembered = visit.since if visit and visit.since else None
default = remembered or default_since()
news_col, follow_col = st.container(key="rail-whats-new").columns([3, 2], gap="large")

with news_col:
    picked = st.date_input(
        "Show what is new or changed since",
        value=default.date(),
        max_value=dt.date.today(),
        key="whats_new.since",
    )
    since = (
        default if picked == default.date() else dt.datetime.combine(picked, dt.time())  # type: ignore[arg-type]
    )
    if remembered and since == remembered:
        st.caption(f"Since your last visit ({stamp(remembered)}).")
    elif not remembered:
        st.caption("Your first visit here: the last 7 days.")
    follows = store.follows(person) if person else []
    only = st.toggle("Only what I follow", key="whats_new.only", disabled=not follows)
    news = whats_new(archive, since, follows, only_followed=only)


def mark_seen() -> None:
    store.mark_seen(person)
    st.session_state.pop("whats_new.since", None)  # the date picker follows the new start


def show_all(kind: str) -> None:
    st.session_state[f"whats_new.all.{kind}"] = True


with news_col:
    if person:
        st.button("Mark everything as seen", icon=":material/done_all:", on_click=mark_seen)
    for section in news.extra:  # the reader's own broken files first: only they can fix them
        if section.title != OWN_PROBLEMS:
            continue
        with st.container(border=True, key="own-problems"):
            st.markdown(f":material/error: **{safe.text(section.title)}**")
            st.markdown("\n".join(f"- {safe.text(label)}" for label, _ in section.items))
            st.caption("Fix the file and save it: the watcher re-indexes it within seconds.")
    if not news.total:
        st.info("Nothing new since then.", icon=":material/inbox:")
    else:
        st.markdown(
            " · ".join(
                f"**{safe.text(g.label)}**: {g.new} new, {g.changed} changed" for g in news.groups
            )
        )
    for group in news.groups:
        st.subheader(f"{group.label} ({group.new} new, {group.changed} changed)", anchor=False)
        everything = st.session_state.get(f"whats_new.all.{group.kind}", False)
        shown = group.items if everything else group.items[:SHOWN]
        for i, item in enumerate(shown):
            with st.container(border=True, key=f"new-{group.kind}-{i}"):
                links.doc_link(item.document, bold=True)
                chips = [ui.badge(item.status, "green" if item.status == "new" else "blue")]
                chips += [ui.badge(f.label, "violet", ":material/bookmark:") for f in item.follows]
                st.markdown(" ".join(chips))
                dated = item.document.date or item.document.kind != "expert"  # people: no date
                when = f"{ui.doc_date(item.document)} · " if dated else ""
                st.caption(f"{when}indexed {stamp(item.at)}")
        hidden = len(group.items) - len(shown)
        if hidden:
            st.button(
                f"Show all {len(group.items)} ({hidden} more)",
                key=f"all-{group.kind}",
                icon=":material/expand_more:",
                type="tertiary",
                on_click=show_all,
                args=(group.kind,),
            )
    for section in news.extra:  # e.g. new recurrences, when that producer registers
        if section.title == OWN_PROBLEMS:
            continue
        st.subheader(safe.text(section.title), anchor=False)
        for label, _ in section.items:
            st.markdown(f"- {safe.text(label)}")

FOLLOWED = "whats_new.followed"  # what the last press of Follow did, to say so


def options(facet: str) -> list[str]:
    return [v for v, _ in counts.get(facet, [])]


def add_follow() -> None:
    get = st.session_state.get
    kinds = tuple(get("follow_kind") or ())
    facets = tuple(
        (name, tuple(get(f"follow_{name}") or ()))
        for name in ("service", "team", "tag")
        if get(f"follow_{name}")
    )
    query = str(get("follow_q") or "").strip()
    if not (kinds or facets or query):
        st.session_state[FOLLOWED] = (
            "warning",
            "Pick a kind, service, team or tag, or type words.",
        )
        return
    before = {f.follow_id for f in store.follows(person)}
    made = store.follow(
        person, describe(query, kinds, facets), query=query, kinds=kinds, facets=facets
    )
    if made.follow_id in before:
        st.session_state[FOLLOWED] = ("info", f"You already follow {made.label}.")
    else:
        st.session_state[FOLLOWED] = ("success", f"Now following {made.label}. Its feed is below.")


with follow_col:
    st.subheader("Following", anchor=False)
    if not person:
        st.info("Sign in to follow topics.", icon=":material/login:")
        st.stop()
    counts = archive.facet_counts()
    # Cleared after each Follow: the next one starts from nothing, not from the last picks.
    with st.form("follow-form", border=True, clear_on_submit=True):
        st.markdown("**Follow a service, a team, a tag or a search**")
        st.multiselect("Kind", options("kind"), key="follow_kind", format_func=kind_label)
        st.multiselect("Service", options("service"), key="follow_service")
        st.multiselect("Team", options("team"), key="follow_team")
        st.multiselect("Tag", options("tag"), key="follow_tag")
        st.text_input(
            "Words (optional): a document matches when it uses one of them", key="follow_q"
        )
        st.form_submit_button("Follow", icon=":material/bookmark_add:", on_click=add_follow)
    said = st.session_state.pop(FOLLOWED, None)
    if said:
        level, text = said
        {"warning": st.warning, "info": st.info, "success": st.success}[level](safe.text(text))

    # Only a hash of the feed token is stored, so its links are shown in the browser session
    # that made it; later visits offer a new token instead (the old links stop working).
    TOKEN_KEY = f"feed_token:{person}"
    token = st.session_state.get(TOKEN_KEY, "")
    if follows and not token and not store.has_feed_token(person):
        token = st.session_state[TOKEN_KEY] = store.new_feed_token(person)
    for follow in follows:
        with st.container(border=True, key=f"follow-{follow.follow_id}"):
            left, right = st.columns([5, 2], vertical_alignment="center")
            left.markdown(f":material/bookmark: **{safe.text(follow.label)}**")
            right.button(
                "Unfollow",
                key=f"unfollow-{follow.follow_id}",
                type="tertiary",
                on_click=store.unfollow,
                args=(person, follow.follow_id),
            )
            if token:
                st.caption("Atom feed (private: the link carries your secret token)")
                st.code(feed_url(settings, token, follow.follow_id), language=None, wrap_lines=True)
    if follows:

        def renew() -> None:
            st.session_state[TOKEN_KEY] = store.new_feed_token(person)

        if not token:
            st.caption(
                "Your feed links were shown when your feed token was made: Hindsight keeps only "
                "a hash of it. Make a new token to see the links again."
            )
        st.button(
            "Make a new feed token (old feed links stop working)",
            icon=":material/key:",
            type="tertiary",
            on_click=renew,
        )
