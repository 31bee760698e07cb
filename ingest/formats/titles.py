"""Clean titles for exported documents: what the page is called, without what the export added.

Confluence prefixes the space ("Engineering : Checkout outage"), Notion suffixes the page id
("Checkout outage 0f3c…e9.md"), and files collect debris on their way ("Copy of …", "… (1)",
"…_FINAL", "… - Google Docs", "Microsoft Word - x.docx").
"""

from __future__ import annotations

import re

NOTION_ID = re.compile(r"[ _-]?\b([0-9a-f]{32})$", re.I)
_SPACE_PREFIX = re.compile(r"^[^:]{1,60}? : (?=\S)")
_EXTENSION = re.compile(r"\.(?:docx?|pdf|pptx?|html?|md|markdown|txt|odt|key)$", re.I)
_DEBRIS = (
    re.compile(r"^(?:copy of|kopie von|copie de)\s+", re.I),
    re.compile(r"^microsoft (?:word|powerpoint) - ", re.I),
    re.compile(r"\s+-\s+(?:google (?:docs|slides)|confluence|notion)$", re.I),
    re.compile(r"\s*\(\d{1,3}\)$"),
    re.compile(r"[\s_-]+(?:final|draft|v\d+(?:\.\d+)?|copy|edited|export(?:ed)?)$", re.I),
    re.compile(r"^\[(?:draft|wip|copy)\]\s*", re.I),
)
# Container titles that name nothing: template defaults and tool names.
JUNK_TITLES = frozenset(
    {
        "",
        "untitled",
        "untitled document",
        "untitled presentation",
        "document",
        "presentation",
        "powerpoint presentation",
        "slide 1",
        "title",
        "click to add title",
        "page",
        "notion",
        "microsoft word",
        "confluence",
    }  # fmt: skip
)


def clean_title(raw: str | None, *, space_prefix: bool = False) -> str:
    """RAW without export debris ('' when nothing meaningful is left).

    Args:
        space_prefix: strip a Confluence space name ("Space : Title").
    """
    title = " ".join((raw or "").replace("\u00a0", " ").split())
    if space_prefix:
        title = _SPACE_PREFIX.sub("", title)
    title = NOTION_ID.sub("", title).strip()
    for _ in range(3):  # debris comes stacked: "Copy of x_final (1).docx"
        before = title
        title = _EXTENSION.sub("", title)
        for pattern in _DEBRIS:
            title = pattern.sub("", title).strip()
        if title == before:
            break
    if "_" in title and " " not in title:
        title = title.replace("_", " ")
    title = title.strip(" -–—:·|")
    return "" if title.lower() in JUNK_TITLES else title


def notion_id(stem: str) -> str | None:
    """The 32-hex page id at the end of a Notion export's file name, if any."""
    found = NOTION_ID.search(stem)
    return found.group(1).lower() if found else None


def pretty_stem(stem: str) -> str:
    """`01_the-pipeline-function` -> `The pipeline function`."""
    text = re.sub(r"^\d{4}-\d{2}-\d{2}[-_. ]*", "", stem)
    text = re.sub(r"^(?:\d+[-_. ]+)+", "", text)
    text = " ".join(re.split(r"[-_\s]+", text)).strip() or stem
    return text[:1].upper() + text[1:]


def name_title(stem: str) -> str:
    """A title from a file name: its debris removed, then its date and numbering."""
    return pretty_stem(clean_title(stem) or stem)
