"""The portal's server: Streamlit running app.py, plus a hint for the browser about where the
portal's root is (portal/root_hint.py: no 404 probes at `/<page>/_stcore/…`).

    streamlit run hindsight_portal.py --server.port 8501

(`streamlit run app.py` works too; its pages then probe one wrong address before the right one.)
"""

import streamlit as st
from starlette.middleware import Middleware

from portal.root_hint import RootHint

app = st.App(
    "app.py",
    middleware=[Middleware(RootHint, base_path=st.get_option("server.baseUrlPath"))],
)
