"""The shared sidebar: what the index holds and where it lives."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import streamlit as st

from index.archive import Archive
from index.errors import HindsightError
from index.kinds import KIND_LABELS, kind_label
from portal import auth, resources


def ago(moment: dt.datetime | None) -> str:
    if moment is None:
        return "never"
    now = dt.datetime.now(moment.tzinfo) if moment.tzinfo else dt.datetime.now()
    seconds = max(0, int((now - moment).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n > 1 else ''} ago"
    return "just now"


VERSION_POLL_S = 3

# Our own presentation rules (never content): long titles in page links and in-page document
# links (buttons) wrap instead of being cut with an ellipsis, and the buttons read like links,
# left-aligned.
STYLE = """<style>
.st-key-hs-behaviour { display: none !important; }
[data-testid="stPageLink-NavLink"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
}
[data-testid="stPageLink-NavLink"] { height: auto !important; align-items: flex-start; }
[data-testid="stPageLink-NavLink"] p { line-height: 1.45 !important; padding: 0.15rem 0 !important; }
[class*="st-key-open-"] button { justify-content: flex-start; text-align: left; }
[class*="st-key-open-"] button p { line-height: 1.45; }
/* Narrow windows (~800 px with the sidebar open): the search filters go above the results,
   their widgets flowing in rows, instead of a squeezed column beside them. */
@media (max-width: 1100px) {
  [data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] .st-key-search-filters) {
    flex-direction: column;
  }
  [data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] .st-key-search-filters)
    > [data-testid="stColumn"] { width: 100% !important; flex: 1 1 auto !important; }
  .st-key-search-filters { flex-direction: row !important; flex-wrap: wrap; gap: 0.5rem 1rem; }
  .st-key-search-filters > div { width: auto !important; min-width: 12rem; flex: 1 1 12rem; }
  .st-key-search-filters > div:first-child { flex-basis: 100%; }
}
/* Printing a write-up: the page without the app's chrome and buttons. */
@media print {
  [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"],
  [data-testid="stButton"], [data-testid="stLinkButton"], [data-testid="stDownloadButton"],
  [data-testid="stPopover"], [data-testid="stExpanderIcon"] { display: none !important; }
  /* Links into the portal (related items, similar incidents, people) print as their titles. */
  [data-testid="stMain"] [data-testid="stPageLink-NavLink"] { padding-left: 0 !important; }
  [data-testid="stMain"] { margin: 0 !important; }
  [data-testid="stMainBlockContainer"] { padding: 0 !important; max-width: 100% !important; }
}
[class*="st-key-open-"] button [data-testid="stMarkdownContainer"],
[class*="st-key-open-"] button p {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
}
/* Links to documents in the page read as links: never highlighted as "the current page"
   (a similar incident is on the Incidents page too), underlined on hover. */
[data-testid="stMain"] [data-testid="stPageLink-NavLink"] { background-color: transparent !important; }
[data-testid="stMain"] [data-testid="stPageLink-NavLink"] p { font-weight: 400; }
[data-testid="stMain"] [data-testid="stPageLink-NavLink"]:hover p,
[data-testid="stMain"] [data-testid="stPageLink-NavLink"]:focus-visible p { text-decoration: underline; }
/* Feedback choices wrap onto a second row in a narrow rail instead of scrolling sideways. */
[class*="st-key-feedback-"] { max-width: 100%; }
[class*="st-key-feedback-"] [role="radiogroup"] { flex-wrap: wrap !important; overflow: visible !important; }
/* Dates in the write-up's action-items table stay on one line ("2025-03-28", not "2025-/03-28"). */
.st-key-incident-actions td:last-child { white-space: nowrap; }
/* Labels say what they are in full: metric tiles and toggles wrap rather than end in "…". */
[data-testid="stMetricLabel"] *, [data-testid="stWidgetLabel"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
}
/* A Showcase session's tile: drawn, tinted by its outcome (translucent: light and dark). */
[class*="st-key-poster-"] {
  height: 5.5rem !important; border-radius: 0.5rem; justify-content: center !important;
  gap: 0.2rem !important; background: rgba(128, 128, 128, 0.14); min-width: 5.5rem;
}
[class*="st-key-poster-failure-"] { background: rgba(214, 39, 40, 0.16) !important; }
[class*="st-key-poster-success-"] { background: rgba(46, 160, 67, 0.16) !important; }
[class*="st-key-poster-mixed-"] { background: rgba(255, 127, 14, 0.18) !important; }
[class*="st-key-poster-"] [data-testid="stElementContainer"] { text-align: center; }
[class*="st-key-poster-"] [data-testid="stCaptionContainer"] { text-align: center; }
[class*="st-key-poster-"] [data-testid="stMarkdownContainer"] p { margin: 0; }
[class*="st-key-poster-"] [data-testid="stElementContainer"]:first-child span[translate="no"] {
  font-size: 2rem; opacity: 0.8;
}
/* The sidebar's page names wrap in a slim sidebar rather than end in "…". */
[data-testid="stSidebarNavLink"] { height: auto !important; }
[data-testid="stSidebarNavLink"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
}
/* A document's title is long: the page's h1, at a size that leaves the write-up in view. */
.st-key-doc-header h1 { font-size: 2.1rem !important; line-height: 1.2 !important; }
/* Narrow windows (~800 px): a slimmer sidebar, rows of tiles that wrap, and a page's side
   rail (facts, related, people) under its main column instead of a sliver beside it. */
@media (max-width: 1100px) {
  [data-testid="stSidebar"][data-collapsed="false"] {
    width: 13.5rem !important; min-width: 13.5rem !important; max-width: 13.5rem !important;
  }
  [data-testid="stMainBlockContainer"] { padding-left: 1.5rem !important; padding-right: 1.5rem !important; }
  [class*="st-key-wrap-"] > * > [data-testid="stHorizontalBlock"],
  [class*="st-key-wrap-"] > [data-testid="stHorizontalBlock"] { flex-wrap: wrap !important; }
  [class*="st-key-wrap-"] > * > [data-testid="stHorizontalBlock"] > [data-testid="stColumn"],
  [class*="st-key-wrap-"] > [data-testid="stHorizontalBlock"] > [data-testid="stColumn"] {
    min-width: 9.5rem !important; flex: 1 1 9.5rem !important;
  }
  .st-key-wrap-metrics > * > [data-testid="stHorizontalBlock"] > [data-testid="stColumn"] {
    min-width: 6.5rem !important; flex: 1 1 6.5rem !important;
  }
  [class*="st-key-rail-"] > * > [data-testid="stHorizontalBlock"],
  [class*="st-key-rail-"] > [data-testid="stHorizontalBlock"] { flex-direction: column !important; }
  /* a rail that says how to reach someone comes first (an expert's office hours) */
  .st-key-rail-profile > * > [data-testid="stHorizontalBlock"],
  .st-key-rail-profile > [data-testid="stHorizontalBlock"] {
    flex-direction: column-reverse !important;
  }
  [class*="st-key-rail-"] > * > [data-testid="stHorizontalBlock"] > [data-testid="stColumn"],
  [class*="st-key-rail-"] > [data-testid="stHorizontalBlock"] > [data-testid="stColumn"] {
    width: 100% !important; flex: 1 1 auto !important;
  }
}
</style>"""


def style() -> None:
    st.html(STYLE)


# Our own script (portal/static/portal.js: links, scrolling, history, keys, icons): read once.
SCRIPT = (Path(__file__).parent / "static" / "portal.js").read_text(encoding="utf-8")


def behaviour() -> None:
    """The portal's browser behaviour, in a hidden element at the same place on every page (so
    it runs once per page load; the script also guards itself against a second run)."""
    with st.container(key="hs-behaviour"):
        st.html(f"<script>{SCRIPT}</script>", unsafe_allow_javascript=True)


@st.fragment(run_every=VERSION_POLL_S)
def follow_index(shown: str) -> None:
    """Rerun the page when a newer index is published: a saved file shows without a reload.

    Runs alone every few seconds (a fragment): one read of the CURRENT file, nothing drawn.
    """
    now = resources.current_version(resources.settings().data_dir)
    if now is not None and now != shown:
        st.rerun(scope="app")


def gate() -> None:
    """Who is looking, before the navigation is drawn: a sign-in screen or a refusal is all a
    person without a trusted identity sees (then the run stops)."""
    auth.current_viewer(resources.settings())


def failed_link(found: Archive) -> None:
    """Files that failed to ingest, for whoever can fix them: the operator and the editors
    group see every one; anyone else the ones that name them as author or owner."""
    viewer = found.viewer
    if viewer.sees_failures:
        failed = sum(1 for f in found.file_states() if f.state == "failed")
        label = f"{failed} file{'s' if failed != 1 else ''} failed to ingest"
    elif viewer.person_key:
        failed = len(found.own_problems())
        label = f"{failed} of your files did not make it into the index"
    else:
        return
    if failed:
        st.page_link(
            "portal/pages/health.py",
            label=label,
            icon=":material/error:",
            query_params={"state": "failed"},
        )


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
            return
        else:
            stats = found.stats()
            counts = stats.documents_by_kind
            lines = [
                f"{counts[k]} {kind_label(k).lower()}{'s' if counts[k] != 1 else ''}"
                for k in KIND_LABELS
                if counts.get(k)
            ]
            st.caption("**In the archive:** " + " · ".join(lines))
            st.caption(f"Index `{found.version}` · updated {ago(stats.last_ingest)}")
            follow_index(found.version)
            failed_link(found)
        st.caption(":material/keyboard: Press **/** or **Ctrl K** to search")
