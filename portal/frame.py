"""The shared sidebar: what the index holds and where it lives."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from index.errors import HindsightError
from index.kinds import KIND_LABELS, kind_label
from portal import auth, resources


def _ago(moment: dt.datetime | None) -> str:
    if moment is None:
        return "never"
    now = dt.datetime.now(moment.tzinfo) if moment.tzinfo else dt.datetime.now()
    seconds = max(0, int((now - moment).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n > 1 else ''} ago"
    return "just now"


# Our own presentation rules (never content): long titles in page links and in-page document
# links (buttons) wrap instead of being cut with an ellipsis, and the buttons read like links,
# left-aligned.
STYLE = """<style>
[data-testid="stPageLink-NavLink"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
}
[data-testid="stPageLink-NavLink"] { height: auto !important; align-items: flex-start; }
[data-testid="stPageLink-NavLink"] p { line-height: 1.45 !important; padding: 0.15rem 0 !important; }
[class*="st-key-open-"] button { justify-content: flex-start; text-align: left; }
[class*="st-key-open-"] button p { line-height: 1.45; }
[class*="st-key-open-"] button [data-testid="stMarkdownContainer"],
[class*="st-key-open-"] button p {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
}
</style>"""


def style() -> None:
    st.html(STYLE)


def gate() -> None:
    """Who is looking, before the navigation is drawn: a sign-in screen or a refusal is all a
    person without a trusted identity sees (then the run stops)."""
    auth.current_viewer(resources.settings())


def sidebar() -> None:
    settings = resources.settings()
    with st.sidebar:
        try:
            found = resources.archive()
        except HindsightError as exc:
            st.error(str(exc))
            return
        if settings.auth != "none":
            auth.signed_in(found.viewer if found else auth.current_viewer(settings), settings)
        if found is None:
            st.caption(resources.NO_INDEX)
        else:
            stats = found.stats()
            counts = stats.documents_by_kind
            lines = [
                f"{counts[k]} {kind_label(k).lower()}{'s' if counts[k] != 1 else ''}"
                for k in KIND_LABELS
                if counts.get(k)
            ]
            st.caption("**In the archive:** " + " · ".join(lines))
            st.caption(f"Index `{found.version}` · updated {_ago(stats.last_ingest)}")
        st.caption(
            f"Data: `{settings.data_dir}` — set `HINDSIGHT_DATA_DIR` to use another index; "
            "refresh it with `hindsight ingest content/`."
        )
