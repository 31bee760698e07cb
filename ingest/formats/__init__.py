"""Readers for the formats organisations export: Word, PDF, slides, HTML pages (Confluence,
Notion, Google Docs). Each turns one file into an `Export` (Markdown plus what its container
says); ingest.formats.document makes that the same front matter and sections a Markdown file
gives. Converters are imported when a file of theirs is read, not at start-up."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ingest.formats import docx, html, pdf, pptx
from ingest.formats.export import Export, Limits

READERS: dict[str, Callable[[Path, Limits], Export]] = {
    ".docx": docx.read,
    ".pdf": pdf.read,
    ".pptx": pptx.read,
    ".html": html.read,
    ".htm": html.read,
}
EXPORT_SUFFIXES = frozenset(READERS)


def read_export(path: Path, limits: Limits) -> Export:
    """PATH read by the reader of its suffix (ParseError names what is wrong with it)."""
    return READERS[path.suffix.lower()](path, limits)
