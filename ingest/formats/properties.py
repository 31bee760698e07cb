"""Document fields written in the body of an export: a properties table or `Key: Value` lines.

Exports carry no front matter. Their fields sit where people put them: a metadata table at the
top of a Word or Google doc, Confluence's page-properties macro, Notion's property lines under
the title (`Severity: SEV2`), a PDF's `Date: 14 March 2025` line. Labels are mapped to the
front-matter names Markdown uses (`Incident date` → `date`, `Affected services` → `services`),
so every later step reads one vocabulary; an unknown label is kept under its snake_case name,
as unknown front-matter fields are.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from index import fields

# Labels exports use that the product's field table (index/fields.py) does not name; every
# other label folds through that table (`Team` → `teams`, `Components` → `services`).
EXPORT_LABELS: dict[str, str] = {
    **dict.fromkeys(
        (
            "date",
            "incident date",
            "date of incident",
            "event date",
            "occurred",
            "occurred on",
            "incident start",
            "start date",
            "started",
            "when",
            "session date",
            "talk date",
            "meeting date",
            "recorded",
            "recorded on",
        ),
        "date",
    ),  # fmt: skip
    **dict.fromkeys(("created", "created time", "created at", "created on"), "created"),
    **dict.fromkeys(("last edited time", "last modified", "last updated", "updated"), "updated"),
    **dict.fromkeys(("severity level",), "severity"),
    **dict.fromkeys(("postmortem status",), "status"),
    **dict.fromkeys(
        ("affected services", "impacted services", "affected components", "affected systems"),
        "services",
    ),
    **dict.fromkeys(("owning team", "responsible team"), "teams"),
    **dict.fromkeys(("incident commander", "commander", "ic", "dri"), "owner"),
    **dict.fromkeys(("prepared by", "created by", "postmortem author"), "authors"),
    **dict.fromkeys(("time to restore", "mttr", "outage duration", "impact duration"), "duration"),
    **dict.fromkeys(("how detected",), "detection"),
    **dict.fromkeys(("triggered by",), "trigger"),
    **dict.fromkeys(("root cause analysis",), "root_cause"),
    "impact": "impact",
    "mitigation": "mitigation",
    "resolution": "resolution",
    **dict.fromkeys(("topics",), "tags"),
    **dict.fromkeys(("kind", "type", "document type", "doc type"), "kind"),
    **dict.fromkeys(("recording", "recording link", "video"), "recording"),
    **dict.fromkeys(("slides", "deck", "slide deck"), "slides"),
    **dict.fromkeys(
        ("url", "link", "source", "original", "original url", "source url", "page url"),
        "original_url",
    ),
    **dict.fromkeys(("outcome", "result"), "outcome"),
    **dict.fromkeys(("access", "visibility groups", "restricted to"), "access"),
    **dict.fromkeys(("summary", "tl;dr", "tldr"), "summary"),
    **dict.fromkeys(("incident id", "incident", "ticket", "jira"), "incident_id"),
}


def _label_key(label: str) -> str:
    return " ".join(re.sub(r"[*_`:]", " ", label).split()).lower()


def field_name(label: str) -> str:
    """The front-matter name for LABEL: known labels mapped, others in snake_case."""
    key = _label_key(label)
    snake = re.sub(r"[^\w]+", "_", key).strip("_")
    return EXPORT_LABELS.get(key) or fields.canonical_name(snake) or snake


def known_label(label: str) -> bool:
    key = _label_key(label)
    return key in EXPORT_LABELS or fields.canonical_name(re.sub(r"[^\w]+", "_", key)) is not None


LIST_FIELDS = frozenset({f.name for f in fields.FIELDS if f.type in fields.LIST_TYPES} | {"access"})
DATE_FIELDS = frozenset({"date", "created", "updated"})
# A `Key: Value` line: a short label, then its value (a URL's "https:" is not a label).
_PROPERTY_LINE = re.compile(
    r"^\s*(?:[-*]\s+)?\**([A-Za-z][\w .;/&()'-]{0,38}?)\**\s*:\s*\**\s*(\S.*)$"
)  # match it on a right-stripped line: "(\S.*?)\s*$" is quadratic on a line of spaces
_HEADING = re.compile(r"^#{1,6}\s+\S")
_SPLIT = re.compile(r"\s*(?:[,;]|\s·\s|\n)\s*")
_GENERIC_HEADERS = {("field", "value"), ("property", "value"), ("key", "value"), ("", "")}

_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}  # fmt: skip
_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_SLASHED_YMD = re.compile(r"(?<!\d)(\d{4})/(\d{1,2})/(\d{1,2})(?!\d)")
_MONTH_DAY_YEAR = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b")
_DAY_MONTH_YEAR = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})\b")


def loose_date(text: str) -> dt.date | None:
    """The first date written in TEXT: ISO, `2025/03/14`, `March 14, 2025`, `14 Mar 2025`."""
    for pattern, order in (
        (_ISO, "ymd"),
        (_SLASHED_YMD, "ymd"),
        (_MONTH_DAY_YEAR, "mdy"),
        (_DAY_MONTH_YEAR, "dmy"),
    ):
        for found in pattern.finditer(text):
            parts = dict(zip(order, found.groups(), strict=True))
            month = parts["m"]
            number = _MONTHS.get(month[:3].lower()) if not month.isdigit() else int(month)
            if number is None:
                continue
            try:
                return dt.date(int(parts["y"]), number, int(parts["d"]))
            except ValueError:
                continue
    return None


def value_of(name: str, raw: str) -> Any:
    """RAW as the field NAME holds it: a list, an ISO date, or clean text."""
    text = " ".join(raw.replace("**", "").split()).strip()
    if name in LIST_FIELDS:
        return [v for v in (p.strip(" .`") for p in _SPLIT.split(text)) if v]
    if name in DATE_FIELDS:
        found = loose_date(text)
        return found.isoformat() if found else text
    if name == "original_url":
        link = re.search(r"https?://[^\s<>)\]]+", text)
        return link.group(0) if link else None
    return text


def extract(markdown: str) -> dict[str, Any]:
    """Fields stated in MARKDOWN's properties tables and property lines (the first wins)."""
    fields: dict[str, Any] = {}
    for label, raw in [*_table_pairs(markdown), *_property_lines(markdown)]:
        name = field_name(label)
        if not name or name in fields:
            continue
        value = value_of(name, _unlink(raw))
        if value not in (None, "", []):
            fields[name] = value
    return fields


def _unlink(text: str) -> str:
    """`[text](url)` → `text url` (a URL field still finds its URL; others read the text)."""
    return re.sub(r"\[([^\]]*)\]\(<?([^)>\s]*)>?\)", r"\1 \2", text).replace("<br>", ", ")


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _tables(markdown: str) -> Iterator[tuple[list[str], list[list[str]], str | None]]:
    """Every pipe table: (header cells, body rows, the heading it sits under)."""
    heading: str | None = None
    block: list[str] = []
    for line in [*markdown.splitlines(), ""]:
        if line.lstrip().startswith("|"):
            block.append(line)
            continue
        if len(block) >= 2 and set(block[1].replace("|", "").strip()) <= set("-: "):
            yield _cells(block[0]), [_cells(b) for b in block[2:]], heading
        block = []
        if _HEADING.match(line):
            heading = line.lstrip("#").strip().lower()


def _table_pairs(markdown: str) -> Iterator[tuple[str, str]]:
    """(label, value) from tables that state fields: two columns of labels and values, or
    one row of values under a header of labels. Action-item tables are not properties."""
    for header, rows, heading in _tables(markdown):
        if heading and re.match(r"(action items?|follow[- ]?ups?|timeline)", heading):
            continue
        if len(header) == 2 and rows and all(len(r) >= 2 for r in rows):
            pairs = [] if tuple(h.lower() for h in header) in _GENERIC_HEADERS else [header]
            pairs += [r[:2] for r in rows]
            if sum(known_label(k) for k, _ in pairs) >= max(2, len(pairs) // 2):
                yield from ((k, v) for k, v in pairs if k)
        elif len(rows) == 1 and sum(known_label(h) for h in header) >= 2:
            yield from zip(header, rows[0], strict=False)


def _property_lines(markdown: str) -> Iterator[tuple[str, str]]:
    """`Key: Value` lines at the top of the document (under its title, before the first
    section heading): Notion's properties, a PDF's or a Word file's header block."""
    run: list[tuple[str, str]] = []
    other = 0  # lines before the block that are not properties (a subtitle, a byline)
    for line in markdown.splitlines():
        if not line.strip() or line.startswith("# "):
            continue
        if _HEADING.match(line) or line.lstrip().startswith("|"):
            break
        found = _PROPERTY_LINE.match(line.rstrip())
        if found and (known_label(found.group(1)) or _looks_like_label(found.group(1))):
            run.append((found.group(1), found.group(2)))
            continue
        other += 1
        if run or other > 2:
            break
    if any(known_label(k) for k, _ in run):
        yield from run


def _looks_like_label(text: str) -> bool:
    """A Notion property name: a few words starting with a capital ("Review owner")."""
    return text[:1].isupper() and len(text.split()) <= 4
