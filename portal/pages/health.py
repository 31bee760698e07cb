"""Index health: what the last ingests made of each file, so a missing document explains itself.

URL: state (repeatable: indexed, skipped, failed).
"""

from __future__ import annotations

import streamlit as st

from portal import frame, resources, state
from portal.state import PageState

STATES = ("failed", "skipped", "indexed")

page = PageState("health", [state.many("state")])
page.seed()
archive = resources.require()
stats = archive.stats()
files = archive.file_states()

st.title("Index health", anchor=False)
st.caption(
    f"Model `{stats.model_id}` · index `{archive.version}` · last ingest "
    f"{frame.ago(stats.last_ingest)}. Files that failed keep their last good version, if any."
)
counts = {s: sum(1 for f in files if f.state == s) for s in STATES}
cols = st.columns(len(STATES))
for col, name in zip(cols, STATES, strict=True):
    col.metric(name.capitalize(), counts[name], border=True)
if page.widget_key("state") not in st.session_state:
    page.set("state", [s for s in page.get("state") if s in STATES] or ["failed", "skipped"])
chosen = page.widget(
    "state", st.pills, "Show", list(STATES), selection_mode="multi", format_func=str.capitalize
)
shown = [f for f in files if f.state in (chosen or STATES)]
if not shown:
    st.success("Every file was indexed.", icon=":material/check_circle:")
else:
    st.dataframe(
        [
            {
                "File": f.path,
                "State": f.state,
                "Line": f.line,
                "Reason": f.reason or "",
                "When": f.updated_at,
            }
            for f in shown
        ],
        hide_index=True,
        column_config={
            "File": st.column_config.TextColumn(width="large"),
            "Line": st.column_config.NumberColumn(width="small"),
            "Reason": st.column_config.TextColumn(width="large"),
            "When": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
        },
    )
page.publish()
