"""Index health: what the last ingests made of each file, so a missing document explains itself.

URL: state (repeatable: indexed, skipped, failed).
"""

from __future__ import annotations

import streamlit as st

from index.timefmt import stamp
from portal import frame, resources, state
from portal.state import PageState

STATES = ("failed", "skipped", "indexed")

page = PageState("health", [state.many("state")])
page.seed()
archive = resources.require()
stats = archive.stats()
files = archive.file_states()
# Someone who is not an editor still sees their own files that failed (their front matter
# names them), the files only they can fix.
seen = {f.source_key for f in files}
files += [f for f in archive.own_problems() if f.source_key not in seen]
files.sort(key=lambda f: f.path)

st.title("Index health", anchor=False)
st.caption(
    f"Model `{stats.model_id}` · index `{archive.version}` · last ingest "
    f"{frame.ago(stats.last_ingest)}. Files that failed keep their last good version, if any."
)
if archive.viewer.operator:  # where the files live is the operator's business
    st.caption(
        f":material/folder: Index in `{resources.settings().data_dir}` (`HINDSIGHT_DATA_DIR`); "
        "refresh it with `hindsight ingest content/`."
    )
elif not archive.viewer.sees_failures:
    st.caption(
        "Listed: your own files and those of documents you may read. The editors group "
        "(`HINDSIGHT_EDITORS_GROUP`) sees every file."
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
                "Line": str(f.line) if f.line else "",  # blank, never "None"
                "Reason": f.reason or "",
                "When": stamp(f.updated_at) if f.updated_at else "",
            }
            for f in shown
        ],
        hide_index=True,
        column_config={
            "File": st.column_config.TextColumn(width="large"),
            "Line": st.column_config.TextColumn(width="small"),
            "Reason": st.column_config.TextColumn(width="large"),
            "When": st.column_config.TextColumn(width="medium"),
        },
    )
page.publish()
