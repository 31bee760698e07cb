"""What a format reader makes of one exported file, before it becomes a parsed document."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Slide:
    """One slide of a deck: its number (1-based, as the deck shows it), title, text and notes."""

    number: int
    title: str
    text: str
    notes: str = ""


@dataclass(frozen=True)
class Limits:
    """How much of an untrusted export is read at most."""

    max_bytes: int  # the file itself
    max_unzipped_bytes: int  # everything inside a DOCX/PPTX, unpacked
    max_pages: int = 2000  # PDF pages read


@dataclass(frozen=True)
class Export:
    """An export as Markdown, with what its container says about it.

    `fields` come from the container's own metadata (core properties, `<meta>` tags, the PDF
    info dictionary) and weigh least: the document's own properties table or lines win.
    """

    markdown: str
    source_format: str  # docx | pdf | pptx | html | notion
    converter: str  # the libraries (and versions) that read it
    title: str = ""  # the container's title, cleaned ('' when it names nothing)
    fields: dict[str, Any] = field(default_factory=dict)
    original_url: str | None = None
    slides: tuple[Slide, ...] = ()
    warnings: tuple[str, ...] = ()
