"""Small building blocks shared by the pages: chips, dates, highlighted passages, sections."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from index import fields
from index.facets import normalise
from index.headings import atx
from index.models import Document
from portal import safe

SEVERITY_COLOR = {"SEV1": "red", "SEV2": "orange", "SEV3": "yellow", "SEV4": "gray"}
OUTCOME_COLOR = {"success": "green", "failure": "red", "mixed": "orange"}
OUTCOME_ICON = {
    "success": ":material/check_circle:",
    "failure": ":material/cancel:",
    "mixed": ":material/contrast:",
}
OUTCOMES = ("success", "failure", "mixed")


def words(value: Any) -> list[str]:
    """A metadata field as a list of display strings (lists, scalars and junk alike)."""
    if value is None or isinstance(value, dict):
        return []
    items = value if isinstance(value, list) else [value]
    return [" ".join(str(v).split()) for v in items if v is not None and str(v).strip()][:30]


def field(doc: Document, name: str) -> str:
    values = words(doc.metadata.get(name))
    return values[0] if values else ""


def badge(label: str, color: str = "gray", icon: str | None = None) -> str:
    """Inline Markdown for one chip; LABEL is content, so it is escaped."""
    prefix = f"{icon} " if icon else ""
    return f":{color}-badge[{prefix}{safe.text(label)}]"


def severity(doc: Document) -> str:
    return fields.severity(fields.text(doc.metadata, "severity"))


def outcome(doc: Document) -> str:
    raw = field(doc, "outcome").lower()
    return raw if raw in OUTCOMES else ""


Keep = Mapping[str, str | list[str]]


def filter_link(chip: str, page: str, keep: Keep | None = None, **params: str) -> str:
    """CHIP (Markdown) as a link to PAGE filtered by PARAMS (facet values as the index keeps them).

    KEEP: the search the reader is in (its query and filters): the chip narrows it rather than
    starting over. Relative URLs, so a portal served under a base path still works; values are
    URL-encoded.
    """
    values: dict[str, list[str]] = {
        k: [v] if isinstance(v, str) else list(v) for k, v in (keep or {}).items()
    }
    for name, value in params.items():
        value = normalise(name, value)
        values[name] = [*(v for v in values.get(name, []) if v != value), value]
    return f"[{chip}]({page}?{urlencode(values, doseq=True)})"


def chips(doc: Document, *, tags: int = 6, keep: Keep | None = None) -> str:
    """The chips for a document's most useful metadata, each a link that filters by it
    (within the search KEEP describes, when the reader is in one)."""
    out: list[str] = []
    sev = severity(doc)
    if sev:
        chip = badge(sev, SEVERITY_COLOR.get(sev, "gray"))
        out.append(filter_link(chip, "search", keep, kind="postmortem", severity=sev))
    result = outcome(doc)
    if result:
        chip = badge(result, OUTCOME_COLOR[result], OUTCOME_ICON[result])
        out.append(filter_link(chip, "showcase", outcome=result))
    status = field(doc, "status")
    if status and doc.kind == "postmortem":
        out.append(badge(status, "green" if status.lower() == "resolved" else "blue"))
    for team in fields.raw_values(doc.metadata, "teams"):
        chip = badge(team, "violet", ":material/group:")
        out.append(filter_link(chip, "search", keep, team=team))
    for service in fields.raw_values(doc.metadata, "services")[:4]:
        chip = badge(service, "blue", ":material/dns:")
        out.append(filter_link(chip, "search", keep, service=service))
    for tag in words(doc.metadata.get("tags"))[:tags]:
        out.append(filter_link(badge(f"#{tag}", "gray"), "search", keep, tag=tag))
    return " ".join(out)


QUOTE_LIMIT = 80  # characters of a reader's own query echoed back in a message


def quoted(text: str, limit: int = QUOTE_LIMIT) -> str:
    """TEXT (the reader's query) escaped and in quotes, shortened when long: a message repeats
    what was asked, not a pasted page."""
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1].rsplit(" ", 1)[0] + "…"
    return f"“{safe.text(flat)}”"


def people(doc: Document) -> list[str]:
    names: list[str] = []
    for key in ("authors", "presenters", "speakers"):
        names += [n for n in words(doc.metadata.get(key)) if n not in names]
    return names


def nice_date(value: dt.date | None) -> str:
    return value.strftime("%d %b %Y").lstrip("0") if value else "undated"


def doc_date(doc: Document) -> str:
    """DOC's date as precise as it is known: a month from a file name reads "Sep 2025"."""
    if doc.date and doc.metadata.get("date_precision") == "month":
        return doc.date.strftime("%b %Y")
    return nice_date(doc.date)


def person_link(name: str) -> str:
    """NAME, escaped, as a link to their page in the experts directory."""
    return f"[{safe.text(name)}](experts?{urlencode({'expert': name})})"


def byline(doc: Document) -> str:
    """Date and people (each a link to their page), escaped, as a caption line."""
    names = people(doc)
    date = safe.text(doc_date(doc))
    return " · ".join([date, ", ".join(map(person_link, names))] if names else [date])


_WORD = re.compile(r"\w+(?:[-.']\w+)*")  # "hs-codes", "max.poll.interval.ms", "it's"


def highlight(passage: str, terms: Iterable[str]) -> str:
    """PASSAGE escaped, with each of TERMS marked; for st.markdown."""
    wanted = tuple({t.lower() for t in terms if t and len(t) >= 2})
    if not wanted:
        return safe.text(passage)

    # Terms may be stems ("promot"): mark the whole word they start. A hyphenated word is
    # marked whole ("hs-codes"), else its marked halves read as separate chips ("hs - codes").
    spans = []
    for match in _WORD.finditer(passage):
        word = match.group(0).lower()
        if word.startswith(wanted) or any(p.startswith(wanted) for p in word.split("-")):
            spans.append((match.start(), match.end()))
    return mark(passage, spans)


def mark(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """TEXT escaped, with the character SPANS (start, end) marked; for st.markdown."""
    out: list[str] = []
    pos = 0
    for start, end in sorted(spans):
        if start < pos:
            continue
        out.append(_between(text[pos:start]))
        out.append(f":orange-background[**{safe.text(text[start:end])}**]")
        pos = end
    out.append(_between(text[pos:]))
    return "".join(out)


def _between(fragment: str) -> str:
    """Text between marked words, escaped with its spaces kept (escaping alone trims them)."""
    lead = " " if fragment[:1].isspace() else ""
    trail = " " if fragment[-1:].isspace() and fragment.strip() else ""
    return lead + safe.text(fragment) + trail


def sections(body: str) -> list[tuple[str, str]]:
    """A Markdown body split at level-1/2 headings: [(heading, text)]; '' for the preamble."""
    out: list[tuple[str, list[str]]] = [("", [])]
    fence = False
    for line in body.splitlines():
        if re.match(r"^ {0,3}(```|~~~)", line):
            fence = not fence
        heading = None if fence else atx(line)
        if heading and heading[0] <= 2 and heading[1]:
            out.append((heading[1], []))
        else:
            out[-1][1].append(line)
    return [(h, "\n".join(lines).strip()) for h, lines in out if h or "\n".join(lines).strip()]


def _same_title(heading: str, title: str) -> bool:
    a, b = heading.strip().lower(), title.strip().lower()
    return bool(a) and (a == b or b.startswith(a) or a.startswith(b))


def md(body: str, title: str = "") -> None:
    """Render an untrusted Markdown body under a page title (a repeated `# title` is dropped)."""
    lines = body.strip().splitlines()
    first = re.fullmatch(r"#\s+(.+?)\s*#*", lines[0].strip()) if lines and title else None
    if first and _same_title(first.group(1), title):
        lines = lines[1:]
    text = "\n".join(lines).strip()
    if text:
        st.markdown(safe.markdown(text, demote=2))
