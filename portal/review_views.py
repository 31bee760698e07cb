"""Whether a document is still true, as pages show it (circulation/review.py).

On a document's own page: "Superseded by …" with a link, "Obsolete", what it replaces, and —
quietly, only once its review date has passed — when it was last reviewed and by whom; with
"Still accurate" for its owner or an editor and "Outdated" for any reader. In a result list,
only the superseded and obsolete labels: an old review date is no reason to doubt a hit.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3

import streamlit as st

from circulation import review
from index.archive import Archive
from index.models import Document, SearchHit
from portal import circulation, links, resources, safe, ui
from portal.state import PageState

log = logging.getLogger(__name__)
NOTICE_KEY = "_hindsight.review_notice"


def result_labels(archive: Archive, hit: SearchHit) -> None:
    """A hit's "Superseded by …" (a link to the successor) or "Obsolete" line."""
    if hit.superseded_by:
        successor = archive.successor(hit.doc_id)
        if successor is not None:
            links.doc_link(
                successor,
                label=f"Superseded by {successor.title}",
                icon=":material/update:",
                help="A newer document replaces this one",
            )
            return
    if hit.obsolete:
        what = "Superseded" if hit.obsolete_reason == "superseded" else "Obsolete"
        why = "" if hit.obsolete_reason in ("", "superseded") else safe.text(hit.obsolete_reason)
        st.caption(f":material/block: **{what}**" + (f" — {why}" if why else ""))


def _notice() -> None:
    said = st.session_state.pop(NOTICE_KEY, None)
    if said:
        st.toast(said, icon=":material/check:")


def _confirm(archive: Archive, doc_id: str) -> None:
    settings = resources.settings()
    try:
        review.confirm(archive, circulation.store(), doc_id, editors_group=settings.editors_group)
    except review.ReviewRefused as exc:
        st.session_state[NOTICE_KEY] = str(exc)
    except sqlite3.Error as exc:
        log.warning("could not record the review: %s", exc)
        st.session_state[NOTICE_KEY] = "Could not record the review; try again."
    else:
        st.session_state[NOTICE_KEY] = "Recorded: still accurate. Thank you."


def _outdated(archive: Archive, doc_id: str, key: str) -> None:
    note = str(st.session_state.get(key) or "")
    try:
        review.outdated(archive, circulation.store(), doc_id, note)
    except sqlite3.Error as exc:
        log.warning("could not record the flag: %s", exc)
        st.session_state[NOTICE_KEY] = "Could not record that; try again."
    else:
        st.session_state[NOTICE_KEY] = "Thanks: the owner will see it in their review queue."
        st.session_state.pop(key, None)


def standing(archive: Archive, doc: Document, *, here: PageState | None = None) -> None:
    """DOC's currency under its header: successor, obsolescence, review, and the two buttons.

    HERE: the page showing DOC (links to documents it shows itself become buttons)."""
    _notice()
    try:
        records = review.Records.read(circulation.store(), [doc.doc_id])
    except sqlite3.Error as exc:  # the store is a convenience; the document still shows
        log.warning("could not read reviews: %s", exc)
        records = review.Records([])
    today = dt.date.today()
    found = review.standing(archive, doc, records, today)
    now = found.currency
    successor = archive.successor(doc) if now.superseded_by else None
    why = "" if now.reason in ("", "superseded") else f" — {safe.text(now.reason)}"
    if successor is not None:
        with st.container(border=True, key="superseded"):
            st.markdown(f":material/update: **Superseded**{why}")
            links.doc_link(
                successor, label=f"Read instead: {successor.title}", bold=True, here=here
            )
    elif now.superseded or now.obsolete:
        what = "Superseded" if now.superseded else "Obsolete"
        st.warning(f"**{what}**{why}", icon=":material/block:")
    replaced = archive.predecessors(doc)
    if replaced:
        st.caption(":material/history: Replaces an earlier document:")
        for old in replaced:
            links.doc_link(
                old, help=ui.nice_date(old.date), here=here, key=f"replaces-{old.doc_id}"
            )
    _review_line(found, today)
    _buttons(archive, doc, found)


def _review_line(found: review.Standing, today: dt.date) -> None:
    """Quiet: owner and last review always, "a review was due …" only once it has passed."""
    parts: list[str] = []
    if found.owner_name:
        parts.append(f"Owner: {ui.person_link(found.owner_name)}")
    said = review.last_reviewed(found, today)
    if said:
        parts.append(safe.text(said[:1].upper() + said[1:]))
    if found.state == "overdue" and not found.currency.retired and found.dates.review_by:
        days = (today - found.dates.review_by).days
        parts.append(f"a review was due {review.ago(days)} ago")
    if found.flags:
        n = len(found.flags)
        parts.append(f"flagged outdated by {n} reader{'s' if n != 1 else ''}")
    if parts:
        st.caption(":material/verified: " + " · ".join(parts))


def confirm_button(archive: Archive, found: review.Standing, *, key: str) -> None:
    """The "Still accurate" button, for the document's owner, an editor or an admin."""
    doc, dates = found.doc, found.dates
    tracked = dates.tracked or bool(dates.owner) or bool(found.flags)
    editors = resources.settings().editors_group
    if not tracked or found.currency.retired or not review.may_confirm(archive, doc, editors):
        return
    st.button(
        "Still accurate",
        icon=":material/task_alt:",
        type="tertiary",
        key=key,
        help="Confirm it is still true: it counts as reviewed until the next interval",
        on_click=_confirm,
        args=(archive, doc.doc_id),
    )


def _buttons(archive: Archive, doc: Document, found: review.Standing) -> None:
    with st.container(horizontal=True, key="review-buttons"):
        confirm_button(archive, found, key="still-accurate")
        if not found.currency.retired:
            note_key = f"outdated-note-{doc.doc_id}"
            with st.popover("Outdated?", icon=":material/flag:", type="tertiary"):
                st.text_input("What is no longer true? (optional)", key=note_key, max_chars=500)
                st.button(
                    "Flag as outdated",
                    key="flag-outdated",
                    on_click=_outdated,
                    args=(archive, doc.doc_id, note_key),
                )
