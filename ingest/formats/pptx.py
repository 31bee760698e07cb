"""Slide decks (.pptx, Google Slides' PowerPoint export) → one passage per slide, with notes.

python-pptx (MIT) reads the slides' text frames, tables and grouped shapes, and each slide's
speaker notes, which often say more than the slide. A hit on a deck then names its slide.
The deck's fields (presenter, date…) come from `Key: Value` lines on its first slide.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

from index.errors import ParseError, SkipFile
from ingest.formats.docx import container_fields, core_properties
from ingest.formats.export import Export, Limits, Slide
from ingest.formats.properties import extract as extract_properties
from ingest.formats.safety import check_office_zip
from ingest.formats.titles import clean_title


def read(path: Path, limits: Limits) -> Export:
    from pptx import Presentation

    if path.stat().st_size > limits.max_bytes:
        raise SkipFile(f"larger than {limits.max_bytes / 2**20:.0f} MB (5× HINDSIGHT_MAX_FILE_MB)")
    check_office_zip(path, "PPTX", limits.max_unzipped_bytes, "ppt/presentation.xml")
    core = core_properties(path)
    try:
        deck = Presentation(str(path))
        slides = [_slide(n, slide) for n, slide in enumerate(deck.slides, start=1)]
    except Exception as exc:  # noqa: BLE001 - any failure of the reader is a damaged file
        raise ParseError(f"damaged PPTX file: {type(exc).__name__}: {exc}") from None
    slides = [s for s in slides if s.title or s.text or s.notes]
    if not slides:
        raise ParseError("the deck has no text on any slide")
    # The title slide names the deck; the file's own title is often its file name.
    title = clean_title(slides[0].title) or clean_title(core.get("title"))
    fields: dict[str, Any] = container_fields(core)
    fields.update(extract_properties(f"# {title}\n\n{slides[0].text}"))
    return Export(
        markdown=deck_markdown(title, slides),
        source_format="pptx",
        converter=f"python-pptx {version('python-pptx')}",
        title=title,
        fields=fields,
        slides=tuple(slides),
    )


def deck_markdown(title: str, slides: list[Slide]) -> str:
    """The deck as one Markdown text: what `show` and "more like this" read."""
    parts = [f"# {title}"]
    for slide in slides:
        parts.append(f"## {slide_heading(slide)}")
        if slide.text:
            parts.append(slide.text)
        if slide.notes:
            parts.append(f"Notes: {slide.notes}")
    return "\n\n".join(parts) + "\n"


def slide_heading(slide: Slide) -> str:
    return f"Slide {slide.number}: {slide.title}" if slide.title else f"Slide {slide.number}"


def slide_text(slide: Slide) -> str:
    """The passage of one slide: its text, then its notes."""
    body = "\n".join(p for p in (slide.text, f"Notes: {slide.notes}" if slide.notes else "") if p)
    return body or slide.title


def _slide(number: int, slide: Any) -> Slide:
    title_shape = slide.shapes.title
    title = " ".join((title_shape.text_frame.text if title_shape is not None else "").split())
    lines = [
        line for shape in slide.shapes if shape is not title_shape for line in _shape_lines(shape)
    ]
    notes = ""
    if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
        notes = " ".join(slide.notes_slide.notes_text_frame.text.split())
    return Slide(number, title, "\n".join(lines), notes)


def _shape_lines(shape: Any) -> Iterator[str]:
    if getattr(shape, "shape_type", None) is not None and hasattr(shape, "shapes"):
        for inner in shape.shapes:  # a group
            yield from _shape_lines(inner)
        return
    if getattr(shape, "has_table", False):
        for row in shape.table.rows:
            cells = [" ".join(c.text.split()) for c in row.cells]
            if any(cells):
                yield " | ".join(cells)
        return
    if getattr(shape, "has_text_frame", False):
        for paragraph in shape.text_frame.paragraphs:
            text = " ".join("".join(run.text for run in paragraph.runs).split())
            if text:
                yield ("- " if paragraph.level else "") + text
