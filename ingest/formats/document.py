"""An export, or a Markdown file without front matter, as front matter and sections.

What front matter states in a Markdown file, an export states in its body: a properties table
or `Key: Value` lines (ingest.formats.properties). They become the same fields, so kind,
date, severity, people and action items are inferred exactly as for Markdown.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from index.fields import severity
from index.headings import atx, headings
from index.kinds import known_kind
from index.models import Section
from ingest.formats.export import Export
from ingest.formats.pptx import slide_heading, slide_text
from ingest.formats.properties import extract as extract_properties
from ingest.formats.titles import clean_title, name_title, notion_id
from ingest.frontmatter import FrontMatter
from ingest.markdown import first_heading, markdown_sections

NOTION_URL = "https://www.notion.so/{}"
# Headings only a post-mortem has; with a stated severity they make one wherever it lives.
POSTMORTEM_HEADINGS = frozenset(
    {
        "root cause",
        "root causes",
        "root cause analysis",
        "contributing factors",
        "trigger",
        "detection",
        "impact",
        "customer impact",
        "timeline",
        "resolution",
        "mitigation",
    }  # fmt: skip
)


def export_parts(export: Export, rel: Path) -> tuple[FrontMatter, list[Section]]:
    """Front matter (fields, title, original URL) and sections of EXPORT, read from REL."""
    data: dict[str, Any] = dict(export.fields)
    data.update(extract_properties(export.markdown))
    _finish_fields(data, export.markdown, export.title)
    data.setdefault("title", name_title(rel.stem))  # not a later heading ("Discussion")
    url = data.get("original_url") or export.original_url
    if url:
        data["original_url"] = url
    if export.slides:
        sections = [
            Section(slide_text(s), (slide_heading(s),), slide=s.number) for s in export.slides
        ]
    else:
        sections = [Section(s.text, s.heading_path) for s in markdown_sections(export.markdown)]
    return FrontMatter(data, export.markdown, 1), sections


def notion_front_matter(front: FrontMatter, rel: Path) -> FrontMatter:
    """A Markdown file without front matter (a Notion export): fields from its body."""
    data = extract_properties(front.body)
    _finish_fields(data, front.body, "")
    page = notion_id(rel.stem)
    if page and "original_url" not in data:
        data["original_url"] = NOTION_URL.format(page)
    return FrontMatter(data, front.body, front.body_line)


def _finish_fields(data: dict[str, Any], body: str, container_title: str) -> None:
    if "title" not in data:  # else ingest.documents falls back to the file's name
        # A heading that opens the document names it; a later one ("Discussion") names a part.
        title = clean_title(_opening_heading(body)) or container_title
        if title:
            data["title"] = title
    rated = severity(data.get("severity"))
    if rated:
        data["severity"] = rated
    stated = data.get("kind")
    if stated is not None and not (isinstance(stated, str) and known_kind(stated)):
        data["type"] = data.pop("kind")  # "Type: Design review" is not a kind Hindsight has
    headings = _headings(body) & POSTMORTEM_HEADINGS
    causes = any(h.startswith("root cause") for h in headings)
    if "kind" not in data and (
        ("severity" in data and headings) or (causes and len(headings) >= 3)
    ):
        data["kind"] = "postmortem"


def _opening_heading(body: str) -> str | None:
    for line in body.splitlines():
        if line.strip():
            found = atx(line)
            return first_heading(line) if found and found[0] <= 2 and found[1] else None
    return None


def _headings(body: str) -> set[str]:
    return {re.sub(r"^\d+[.)]\s*", "", text).strip().lower() for _, text in headings(body)}
