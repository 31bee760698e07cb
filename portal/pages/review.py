"""Review queue: documents due or overdue for review, flagged outdated, or superseded without a
link, grouped by owner (circulation/review.py). Each owner can follow their own queue as a feed.

URL: show (all|overdue), whose (everyone|mine), owner (one person's documents).
"""

from __future__ import annotations

import logging
import sqlite3

import streamlit as st

from circulation import review
from circulation.feeds import review_feed_url
from index.kinds import kind_label
from portal import circulation, links, resources, safe, state, ui
from portal.review_views import NOTICE_KEY, confirm_button
from portal.state import PageState

log = logging.getLogger(__name__)
SHOW = {"all": "Everything that needs a look", "overdue": "Only overdue"}
WHOSE = {"everyone": "Everyone's", "mine": "Mine"}
REASON_COLOR = {"overdue": "red", "outdated": "orange", "superseded": "violet", "due": "blue"}

page = PageState(
    "review",
    [
        state.choice("show", tuple(SHOW), "all"),
        state.choice("whose", tuple(WHOSE), "everyone"),
        state.text("owner"),
    ],
)
page.seed()
archive = resources.require()
settings = resources.settings()
store = circulation.store()
viewer = archive.viewer
me = next((p for p in map(archive.who, (viewer.email, viewer.name)) if p), None)

st.title("Review queue", anchor=False)
st.caption(
    "Documents whose review date has passed or falls within "
    f"{archive.review_policy.due_days} days, that a reader flagged as outdated, or that are "
    "marked superseded with no successor linked — grouped by owner. A document counts as "
    "reviewed when its owner (or an editor) marks it **Still accurate**."
)
said = st.session_state.pop(NOTICE_KEY, None)
if said:
    st.toast(said, icon=":material/check:")

with st.container(horizontal=True, gap="large"):
    show = page.widget("show", st.segmented_control, "Show", list(SHOW), format_func=SHOW.get)
    whose = page.widget("whose", st.segmented_control, "Whose", list(WHOSE), format_func=WHOSE.get)
owner = page.get("owner")
owners: tuple[str, ...] = ()
if owner:
    owners = (owner,)
    st.caption(f"Documents owned by **{safe.text(owner)}**")
    st.button("Show every owner", type="tertiary", on_click=page.set, args=("owner", ""))
elif whose == "mine":
    owners = (me.name,) if me else ("",)

try:
    items = review.queue(archive, store, overdue_only=show == "overdue", owners=owners)
except sqlite3.Error as exc:
    log.warning("could not read reviews: %s", exc)
    st.error("The review records could not be read; try again.")
    st.stop()

counts = {r: sum(1 for i in items if r in i.reasons) for r in review.REASONS}
cols = st.columns(len(review.REASONS))
for col, reason in zip(cols, review.REASONS, strict=True):
    col.metric(review.REASON_LABELS[reason], counts[reason])

if not items:
    st.info("Nothing to review here: every document is current.", icon=":material/task_alt:")
for name, group in review.by_owner(items):
    st.subheader(f"{safe.text(name)} ({len(group)})", anchor=False)
    for i, item in enumerate(group):
        doc = item.doc
        with st.container(border=True, key=f"review-{item.owner_key or 'none'}-{i}"):
            links.doc_link(doc, bold=True, key=f"review-{doc.doc_id}")
            chips = [ui.badge(review.REASON_LABELS[r], REASON_COLOR[r]) for r in item.reasons]
            chips.append(ui.badge(kind_label(doc.kind), "gray", links.kind_icon(doc.kind)))
            st.markdown(" ".join(chips))
            st.caption(safe.text(item.detail))
            confirm_button(archive, item.standing, key=f"confirm-{i}-{doc.doc_id}")

st.divider()
st.subheader("Follow your queue", anchor=False)
person = viewer.person_key
if not person:
    st.info("Sign in to follow your queue.", icon=":material/login:")
else:
    st.caption(
        "An Atom feed of the documents you own that need a look. Private: the link carries your "
        "secret feed token, the one your follows' feeds on What's new use."
    )
    # As on What's new (the same key): a token is shown only in the session that made it.
    TOKEN_KEY = f"feed_token:{person}"

    def renew() -> None:
        st.session_state[TOKEN_KEY] = store.new_feed_token(person)

    try:
        token = st.session_state.get(TOKEN_KEY, "")
        if not token and not store.has_feed_token(person):
            token = st.session_state[TOKEN_KEY] = store.new_feed_token(person)
    except sqlite3.Error as exc:
        log.warning("could not read the feed token: %s", exc)
    else:
        if token:
            st.code(review_feed_url(settings, token), language=None)
        else:
            st.caption(
                "Your feed links were shown when your feed token was made: Hindsight keeps only "
                "a hash of it. Make a new token to see the link again."
            )
        st.button(
            "Make a new feed token (old feed links stop working)",
            icon=":material/key:",
            type="tertiary",
            on_click=renew,
        )
page.publish()
