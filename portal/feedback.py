"""Feedback buttons: "same failure mode", "not related", "outdated", "helpful" on an item.

One small control per item (the similar panel, brief items, search results). A click stores
the viewer's verdict through circulation.feedback (who, when; refused for a document they may
not see); their current verdict stays selected. Failures never break a page.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping

import streamlit as st

from circulation import feedback
from circulation.feedback import FeedbackRefused, Item, Verdict
from index.archive import Archive
from portal import circulation

log = logging.getLogger(__name__)


def buttons(
    archive: Archive,
    item: Item,
    *,
    key: str,
    offered: tuple[Verdict, ...] | None = None,
    labels: Mapping[Verdict, str] | None = None,
) -> None:
    """The verdicts offered on ITEM, the viewer's current one selected (LABELS: shorter words
    for a narrow place)."""
    if not archive.viewer.person_key:
        return
    choices = offered or feedback.OFFERED[item.surface]
    store = circulation.store()
    try:
        current = feedback.given(store, archive, item)
    except sqlite3.Error as exc:
        log.warning("could not read the feedback: %s", exc)
        return
    widget = f"feedback-{key}"
    if st.session_state.get(widget) is None and current in choices:
        st.session_state[widget] = current

    def save() -> None:
        verdict = st.session_state.get(widget)
        if verdict is None:
            return
        try:
            feedback.record(store, archive, item, verdict)
            st.toast("Thanks: noted.", icon=":material/check:")
        except (FeedbackRefused, sqlite3.Error) as exc:
            log.warning("feedback not stored: %s", exc)
            st.toast("Could not store the feedback.", icon=":material/error:")

    st.segmented_control(
        "Was this right?",
        choices,
        format_func=lambda v: (labels or feedback.LABELS)[v],
        key=widget,
        on_change=save,
        label_visibility="collapsed",
        width="content",
    )
