"""PDF text layer → Markdown with pypdfium2 (PDFium, Apache-2.0/BSD-3).

A PDF has no headings, only lines. A line that names a usual section of a write-up (Summary,
Impact, Timeline, Root cause, Action items…) or is numbered like one ("3. Root cause") becomes
a Markdown heading; bullets become list items, and under an "Action items" heading, items (a
☐/☑ checkbox keeps its state). Running headers and page numbers are dropped. A PDF that needs
a password, or whose pages carry no text (a scan), is reported as such: no OCR is attempted.
"""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path
from typing import Any

from index.errors import ParseError, SkipFile
from ingest.formats.export import Export, Limits
from ingest.formats.properties import loose_date
from ingest.formats.titles import clean_title

SECTION_NAMES = (
    "summary", "executive summary", "overview", "background", "impact", "customer impact",
    "timeline", "detection", "response", "root cause", "root causes", "root cause analysis",
    "contributing factors", "trigger", "resolution", "mitigation", "recovery",
    "what went well", "what went wrong", "where we got lucky", "lessons", "lessons learned",
    "action items", "follow-ups", "follow-up actions", "next steps", "remediation",
    "appendix", "abstract", "key ideas", "notes", "discussion", "questions", "agenda",
)  # fmt: skip
_SECTION = re.compile(
    r"^(?:\d{1,2}[.)]\s*)?(" + "|".join(re.escape(n) for n in SECTION_NAMES) + r")\s*:?$", re.I
)
_BULLET = re.compile(r"^\s*[•●▪◦‣∙·*–-]\s+(.*)$")
_BOX = re.compile(r"^\s*([☐☑☒✓✔]|\[[ xX]\])\s*(.*)$")
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?$", re.I)
_ACTIONS = re.compile(
    r"^(action items?|follow[- ]?ups?|follow-up actions|next steps|remediation)", re.I
)
_DONE = re.compile(
    r"\s*[-–—(\[]?\s*(?:status:\s*)?(?:done|completed|closed|fixed)\s*[)\]]?\s*$", re.I
)
MIN_TEXT_CHARS = 20  # fewer over the whole file: no text layer worth the name


def read(path: Path, limits: Limits) -> Export:
    import pypdfium2 as pdfium

    if path.stat().st_size > limits.max_bytes:
        raise SkipFile(f"larger than {limits.max_bytes / 2**20:.0f} MB (5× HINDSIGHT_MAX_FILE_MB)")
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        message = str(exc)
        if "password" in message.lower():
            raise ParseError(
                "encrypted PDF: it needs a password; export it again without one"
            ) from None
        raise ParseError(f"damaged PDF or not a PDF ({message})") from None
    try:
        pages = _page_lines(pdf, limits.max_pages)
        info = _info(pdf)
    finally:
        pdf.close()
    warnings: list[str] = []
    if len(pages) >= limits.max_pages:
        warnings.append(f"only the first {limits.max_pages} pages were read")
    if sum(len(line) for page in pages for line in page) < MIN_TEXT_CHARS:
        raise ParseError(
            "no text layer — scanned? Run OCR on it (e.g. ocrmypdf) and add the result"
        )
    lines = _without_running_lines(pages)
    title = clean_title(info.get("Title")) if _meaningful(info.get("Title")) else ""
    markdown = to_markdown(lines, title)
    fields: dict[str, Any] = {}
    if info.get("Author"):
        fields["authors"] = [info["Author"]]
    created = _pdf_date(info.get("CreationDate", ""))
    if created:
        fields["created"] = created
    return Export(
        markdown=markdown,
        source_format="pdf",
        converter=f"pypdfium2 {version('pypdfium2')}",
        title=title,
        fields=fields,
        warnings=tuple(warnings),
    )


def _page_lines(pdf: Any, max_pages: int) -> list[list[str]]:
    pages = []
    for index in range(min(len(pdf), max_pages)):
        page = pdf[index]
        try:
            textpage = page.get_textpage()
            text = textpage.get_text_bounded()
            textpage.close()
        finally:
            page.close()
        pages.append([" ".join(line.split()) for line in text.replace("\r", "").split("\n")])
    return pages


def _info(pdf: Any) -> dict[str, str]:
    try:
        return {k: v.strip() for k, v in pdf.get_metadata_dict(skip_empty=True).items()}
    except Exception:  # noqa: BLE001 - a damaged info dictionary only loses the metadata
        return {}


def _meaningful(title: str | None) -> bool:
    return bool(clean_title(title)) and not re.match(r"^(?:microsoft|untitled)", title or "", re.I)


def _pdf_date(raw: str) -> str | None:
    found = re.match(r"D:(\d{4})(\d{2})(\d{2})", raw)
    if found:
        return "-".join(found.groups())
    date = loose_date(raw)
    return date.isoformat() if date else None


def _without_running_lines(pages: list[list[str]]) -> list[str]:
    """All lines, without page numbers and lines repeated on most pages (headers, footers)."""
    counts: dict[str, int] = {}
    for page in pages:
        for line in {_shape(line) for line in page}:
            if line:
                counts[line] = counts.get(line, 0) + 1
    running = {line for line, n in counts.items() if len(pages) >= 3 and n >= 0.6 * len(pages)}
    out: list[str] = []
    for page in pages:
        out.extend(
            line for line in page if _shape(line) not in running and not _PAGE_NUMBER.match(line)
        )
        out.append("")
    return out


def _shape(line: str) -> str:
    """A line with its numbers blanked: "Confidential 2 of 9" repeats as "Confidential # of #"."""
    return re.sub(r"\d+", "#", line)


def to_markdown(lines: list[str], title: str) -> str:
    """Lines of text as Markdown: a title, section headings, list items and action items."""
    out: list[str] = []
    body = list(lines)
    while body and not body[0]:
        body.pop(0)
    first = body.pop(0) if body else ""
    if title and first and clean_title(first).lower() != title.lower():
        body.insert(0, first)  # the first line is not the title: keep it as text
    out.append(f"# {title or clean_title(first) or first}")
    out.append("")
    in_actions = False
    for line in body:
        section = _SECTION.match(line)
        if section:
            in_actions = bool(_ACTIONS.match(section.group(1)))
            out += ["", f"## {line.rstrip(':').strip()}", ""]
            continue
        box = _BOX.match(line)
        bullet = _BULLET.match(line)
        if box:
            done = box.group(1) in ("☑", "☒", "✓", "✔", "[x]", "[X]")
            out.append(f"- [{'x' if done else ' '}] {box.group(2)}")
        elif bullet and in_actions:
            finished = _DONE.search(bullet.group(1)) is not None
            text = _DONE.sub("", bullet.group(1)).strip() if finished else bullet.group(1)
            out.append(f"- [{'x' if finished else ' '}] {text}")
        elif bullet:
            out.append(f"- {bullet.group(1)}")
        elif line and out and out[-1].startswith("- ") and not line[:1].isupper():
            out[-1] += " " + line  # a list item wrapped onto the next line
        else:
            if out and out[-1].startswith("- "):
                out.append("")  # end the list: a plain line is not part of its last item
            out.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip() + "\n"
