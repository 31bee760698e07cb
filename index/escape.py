"""Untrusted text made inert in Markdown: the one escaping function every output uses.

Content files are untrusted. Wherever their text lands in Markdown — portal pages (Streamlit
renders Markdown and its own directives), the brief's download, the chat digest — it goes
through `markdown`, so it shows literally: no HTML, links, emphasis, headings, tables, maths
(`$`) or Streamlit directives (`:red[…]`, `:material/icon:`) it did not have.
"""

from __future__ import annotations

import re

# Every ASCII punctuation mark that Markdown or Streamlit's directives give a meaning to;
# CommonMark renders a backslash before any ASCII punctuation as that mark alone.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>&$:])")


def markdown(value: object) -> str:
    """VALUE on one line, shown literally inside Markdown (labels, titles, chips, snippets)."""
    flat = re.sub(r"\s+", " ", str(value if value is not None else "")).strip()
    return _SPECIAL.sub(r"\\\1", flat)
