"""Hindsight portal: the frame. Pages live in portal/pages/; run with `streamlit run app.py`."""

from pathlib import Path

import streamlit as st

from portal import circulation, frame

# The tab's icon is a file of ours, served by the portal: a Material icon name here would make
# every browser fetch it from a font CDN (and fail, offline).
FAVICON = str(Path(__file__).parent / "portal" / "static" / "favicon.png")
st.set_page_config(page_title="Hindsight", page_icon=FAVICON, layout="wide")
frame.gate()
circulation.record_visit()  # "what's new" counts from the end of the last visit

page = st.navigation(
    [
        st.Page("portal/pages/overview.py", title="Overview", icon=":material/home:", default=True),
        st.Page(
            "portal/pages/brief.py",
            title="Check a plan",
            icon=":material/fact_check:",
            url_path="brief",
        ),
        st.Page(
            "portal/pages/search.py", title="Search", icon=":material/search:", url_path="search"
        ),
        st.Page(
            "portal/pages/incidents.py",
            title="Incidents",
            icon=":material/local_fire_department:",
            url_path="incidents",
        ),
        st.Page(
            "portal/pages/showcase.py",
            title="Showcase archive",
            icon=":material/smart_display:",
            url_path="showcase",
        ),
        st.Page(
            "portal/pages/talks.py",
            title="Talks & paper reviews",
            icon=":material/co_present:",
            url_path="talks",
        ),
        st.Page(
            "portal/pages/experts.py",
            title="Experts",
            icon=":material/support_agent:",
            url_path="experts",
        ),
        st.Page(
            "portal/pages/whats_new.py",
            title="What's new",
            icon=":material/notifications:",
            url_path="whats_new",
        ),
        st.Page(
            "portal/pages/review.py",
            title="Review queue",
            icon=":material/verified:",
            url_path="review",
        ),
        *circulation.gaps_pages(),
        *circulation.metrics_pages(),
        st.Page(
            "portal/pages/health.py",
            title="Index health",
            icon=":material/monitor_heart:",
            url_path="health",
        ),
        st.Page(
            "portal/pages/document.py",
            title="Document",
            icon=":material/description:",
            url_path="document",
            visibility="hidden",
        ),
    ]
)
# Each page names its browser tab. (Run bare, outside `streamlit run` — as a process started by
# multiprocessing re-runs __main__ — a page has no title: keep the app's name.)
title = getattr(page, "title", "")
st.set_page_config(page_title=f"{title} · Hindsight" if title else "Hindsight")
frame.style()
frame.behaviour()
frame.sidebar()
page.run()
