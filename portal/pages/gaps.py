"""Gaps: what people searched for and found nothing useful, grouped by meaning, with who could
present it at the next AI Showcase. Only for the configured group (HINDSIGHT_GAPS_GROUP).
"""

from __future__ import annotations

import streamlit as st

from circulation.gaps import find_gaps, invitation
from portal import circulation, links, resources, safe

archive = resources.require()
settings = resources.settings()

st.title("Knowledge gaps", anchor=False)
if not circulation.may_see_gaps(archive.viewer):
    st.warning("This page is for the AI Showcase organisers.", icon=":material/lock:")
    st.stop()

st.caption(
    f"Searches nothing answered (no document the asker may see matched them), grouped by "
    f"meaning; a topic shows once {settings.gaps_min_askers} different "
    f"{'people' if settings.search_log == 'named' else 'sessions'} asked. "
    f"Search log: {settings.search_log}, kept {settings.search_log_days} days."
)
if settings.search_log == "off":
    st.info("The search log is off (HINDSIGHT_SEARCH_LOG=off).", icon=":material/visibility_off:")
    st.stop()

topics = find_gaps(archive, circulation.store(), settings)
if not topics:
    st.info(
        "No gaps yet: nothing was asked often enough without an answer.", icon=":material/check:"
    )
for i, topic in enumerate(topics):
    with st.container(border=True, key=f"gap-{i}"):
        st.markdown(f"**{safe.text(topic.label)}**")
        st.caption(
            f"{topic.askers_label} · {topic.searches} searches · {topic.category_label} · "
            f"last asked {topic.last_asked:%Y-%m-%d}"
        )
        if len(topic.queries) > 1:
            st.markdown(
                "Also asked: " + " · ".join(f"“{safe.text(q)}”" for q in topic.queries[1:6])
            )
        if not topic.experts:
            st.caption(
                "Nobody's evidence comes close yet (authors of a covering document are not asked)."
            )
        for match in topic.experts:
            cols = st.columns([3, 2], vertical_alignment="center")
            with cols[0]:
                st.page_link(
                    links.EXPERTS,
                    label=safe.text(match.expert.name),
                    icon=":material/support_agent:",
                    query_params={"expert": match.expert.expert_id},
                )
            target = safe.url(invitation(topic, match, resources.portal_url()))
            if match.expert.email and target:
                cols[1].link_button("Invite to the next Showcase", target, icon=":material/mail:")
