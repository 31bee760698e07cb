"""Turn one content file (plus an optional sidecar) into a ParsedDocument."""

from __future__ import annotations

import datetime as dt
import math
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from index.errors import ParseError, SkipFile
from index.models import Expert, OfficeHour, ParsedDocument, Section
from ingest.decoding import read_text
from ingest.frontmatter import FrontMatter, load_yaml_mapping, split_front_matter
from ingest.markdown import first_heading, markdown_sections
from ingest.transcripts import Transcript, parse_srt, parse_vtt, parse_whisper_json

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
YAML_SUFFIXES = frozenset({".yaml", ".yml"})
TRANSCRIPT_PARSERS: dict[str, Callable[[str], Transcript]] = {
    ".vtt": parse_vtt,
    ".srt": parse_srt,
    ".json": parse_whisper_json,
}
SUPPORTED_SUFFIXES = MARKDOWN_SUFFIXES | YAML_SUFFIXES | frozenset(TRANSCRIPT_PARSERS)

# Front-matter `kind:` values and top-level folder names, normalised (lower case, "-" for " _").
_KINDS = {
    "postmortem": "postmortem",
    "postmortems": "postmortem",
    "post-mortem": "postmortem",
    "post-mortems": "postmortem",
    "incident": "postmortem",
    "incidents": "postmortem",
    "paper": "paper-review",
    "papers": "paper-review",
    "paper-review": "paper-review",
    "paper-reviews": "paper-review",
    "showcase": "showcase",
    "showcases": "showcase",
    "talk": "talk",
    "talks": "talk",
    "expert": "expert",
    "experts": "expert",
    "note": "note",
    "notes": "note",
}
LIST_FIELDS = (
    "services",
    "teams",
    "authors",
    "tags",
    "categories",
    "keywords",
    "presenters",
    "speakers",
    "related",
    "topics",
)
_DATE_FIELDS = (
    "date",
    "start_time",
    "published",
    "published_at",
    "source_published_at",
    "created",
    "created_at",
)
_SUMMARY_FIELDS = ("summary", "description", "abstract")
_NAME_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_TEXT_DATE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%Y/%m/%d")
_MAX_TITLE_CHARS = 300


def parse_document(
    path: Path, root: Path, *, max_bytes: int, sidecar: Path | None = None
) -> ParsedDocument:
    """Parse a post-mortem, note, expert profile or transcript.

    Args:
        path: the content file.
        root: the content root; folders under it hint the kind, ids are relative to it.
        max_bytes: larger files are skipped.
        sidecar: Markdown notes with front matter for a transcript (same stem, `.md`).

    Raises:
        SkipFile: unsupported type, too large, empty or binary.
        ParseError: the file cannot be understood; `line` is set when known.
        OSError: the file cannot be read.
    """
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise SkipFile(f"unsupported file type {suffix or '(no suffix)'}")
    decoded = read_text(path, max_bytes)
    warnings = list(decoded.warnings)
    rel = _relative(path, root)
    if suffix in TRANSCRIPT_PARSERS:
        transcript = TRANSCRIPT_PARSERS[suffix](decoded.text)
        warnings.extend(transcript.warnings)
        front, sources = _read_sidecar(sidecar, root, max_bytes, warnings)
        # Sidecar sections keep no line: theirs would point into the sidecar, not this file.
        notes = [Section(s.text, s.heading_path) for s in markdown_sections(front.body)]
        segments = [
            Section(s.text, start=s.start, end=s.end, speaker=s.speaker)
            for s in transcript.segments
        ]
        doc = _assemble(rel, front, "talk", notes + segments, warnings)
        return replace(doc, segments=transcript.segments, sources=sources)
    if suffix in YAML_SUFFIXES:
        data = load_yaml_mapping(decoded.text, what="file")
        bio = data.get("bio") or data.get("body") or ""
        front = FrontMatter(data, bio if isinstance(bio, str) else "", 1)
        sections = [Section(s.text, s.heading_path) for s in markdown_sections(front.body)]
    else:
        front = split_front_matter(decoded.text)
        sections = markdown_sections(front.body, front.body_line)
    return _assemble(rel, front, "note", sections, warnings)


def _assemble(
    rel: Path,
    front: FrontMatter,
    fallback_kind: str,
    sections: list[Section],
    warnings: list[str],
) -> ParsedDocument:
    data = front.data
    kind = _kind(data, rel, fallback_kind, warnings)
    doc_id = _text(data.get("id")) or _text(data.get("uuid")) or rel.with_suffix("").as_posix()
    date = _date(data, rel, warnings)
    title = _title(data, front.body, kind, date, rel)
    metadata = _metadata(data)
    expert = None
    if kind == "expert":
        expert = _expert(doc_id, title, data, front.body, warnings)
        sections = _expert_sections(expert, sections)
    sections = [*_front_matter_sections(metadata), *sections]
    return ParsedDocument(
        doc_id=doc_id,
        kind=kind,
        title=title,
        date=date,
        body=front.body,
        sections=tuple(sections),
        metadata=metadata,
        expert=expert,
        warnings=tuple(warnings),
    )


def _read_sidecar(
    sidecar: Path | None, root: Path, max_bytes: int, warnings: list[str]
) -> tuple[FrontMatter, tuple[str, ...]]:
    empty = FrontMatter({}, "", 1)
    if sidecar is None:
        return empty, ()
    name = _relative(sidecar, root).as_posix()
    try:
        front = split_front_matter(read_text(sidecar, max_bytes).text)
    except SkipFile as exc:
        warnings.append(f"sidecar {name} ignored: {exc.reason}")
        return empty, ()
    except ParseError as exc:
        raise ParseError(f"sidecar {name}: {exc.reason}", exc.line) from exc
    return front, (name,)


def _relative(path: Path, root: Path) -> Path:
    try:
        return path.relative_to(root)
    except ValueError:
        return Path(path.name)


def _text(value: Any) -> str:
    """A scalar field as stripped text ('' for missing, lists and mappings)."""
    if value is None or isinstance(value, dict | list):
        return ""
    return " ".join(str(value).split())


def normalise_kind(value: str) -> str:
    """`Post Mortem` -> `postmortem`; unknown kinds are kept, lower-cased."""
    key = re.sub(r"[\s_]+", "-", value.strip().lower())
    return _KINDS.get(key, key)


def _kind(data: dict[str, Any], rel: Path, fallback: str, warnings: list[str]) -> str:
    raw = data.get("kind")
    if isinstance(raw, str) and raw.strip():
        return normalise_kind(raw)
    if raw is not None:
        warnings.append("field 'kind' must be text; ignored")
    if len(rel.parts) > 1:
        folder = re.sub(r"[\s_]+", "-", rel.parts[0].lower())
        if folder in _KINDS:
            return _KINDS[folder]
    return fallback


def _title(data: dict[str, Any], body: str, kind: str, date: dt.date | None, rel: Path) -> str:
    title = _text(data.get("title")) or (_text(data.get("name")) if kind == "expert" else "")
    title = title or first_heading(body) or ""
    if not title and kind == "postmortem":
        company, product = _text(data.get("company")), _text(data.get("product"))
        if company and product.lower().startswith(company.lower()):
            company = ""  # "Basecamp Basecamp" reads badly
        title = " ".join(p for p in (company, product, date.isoformat() if date else "") if p)
    title = title or pretty_stem(rel.stem)
    return title if len(title) <= _MAX_TITLE_CHARS else title[: _MAX_TITLE_CHARS - 1] + "…"


def pretty_stem(stem: str) -> str:
    """`01_the-pipeline-function` -> `The pipeline function`."""
    text = re.sub(r"^\d{4}-\d{2}-\d{2}[-_. ]*", "", stem)
    text = re.sub(r"^(?:\d+[-_. ]+)+", "", text)
    text = " ".join(re.split(r"[-_\s]+", text)).strip() or stem
    return text[:1].upper() + text[1:]


def _date(data: dict[str, Any], rel: Path, warnings: list[str]) -> dt.date | None:
    for name in _DATE_FIELDS:
        value = data.get(name)
        if value is None or value == "":
            continue
        parsed = to_date(value)
        if parsed is not None:
            return parsed
        warnings.append(f"field {name!r}: {str(value)[:40]!r} is not a date; ignored")
    found = _NAME_DATE.search(rel.name)
    return to_date(found.group(0)) if found else None


def to_date(value: Any) -> dt.date | None:
    """A date from a YAML date/datetime or a date-like string; None when it is not one."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    if re.match(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
        except ValueError:
            try:
                return dt.date.fromisoformat(text[:10])
            except ValueError:
                return None
    for fmt in _TEXT_DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _metadata(data: dict[str, Any]) -> dict[str, Any]:
    """Every front-matter field, JSON-serialisable, with list fields and action items normalised."""
    metadata = {key: jsonable(value) for key, value in data.items()}
    for name in LIST_FIELDS:
        if name in metadata:
            metadata[name] = _string_list(metadata[name])
    if "action_items" in metadata:
        metadata["action_items"] = action_items(metadata["action_items"])
    return metadata


def jsonable(value: Any, depth: int = 0) -> Any:
    """Dates become ISO strings, tuples lists, anything exotic a string."""
    if depth > 32:  # YAML aliases can build cycles; stop rather than recurse forever
        return None
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v, depth + 1) for v in value]
    return str(value)


def _string_list(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, dict):  # e.g. authors: [{name: ..., email: ...}]
            item = item.get("name") or item.get("title") or item.get("id") or ""
        text = _text(item)
        if text:
            out.append(text)
    return out


_ACTION_FIELDS = {
    "title": ("title", "action", "item", "task", "description", "text", "summary"),
    "owner": ("owner", "assignee", "who", "owners"),
    "status": ("status", "state"),
    "due": ("due", "due_date", "deadline", "by"),
}


def action_items(value: Any) -> list[dict[str, str | None]]:
    """Normalise action items given as strings or mappings to {title, owner, status, due}."""
    items = value if isinstance(value, list) else [value]
    out: list[dict[str, str | None]] = []
    for item in items:
        fields = item if isinstance(item, dict) else {"title": item}
        entry = {
            key: next((_text(fields[a]) for a in aliases if _text(fields.get(a))), None)
            for key, aliases in _ACTION_FIELDS.items()
        }
        if entry["status"] is None and isinstance(fields.get("done"), bool):
            entry["status"] = "done" if fields["done"] else "open"
        if entry["title"]:
            out.append(entry)
    return out


def _front_matter_sections(metadata: dict[str, Any]) -> list[Section]:
    """Summary, keywords, tags and action items live in front matter; make them searchable."""
    lines = [s for s in (_text(metadata.get(f)) for f in _SUMMARY_FIELDS) if s][:1]
    for name in ("keywords", "tags"):
        values = metadata.get(name) or []
        if isinstance(values, list) and values:
            lines.append(f"{name.capitalize()}: {', '.join(values)}")
    sections = [Section("\n".join(lines), ("Summary",))] if lines else []
    items = metadata.get("action_items") or []
    if items:
        details = ("owner", "status", "due")
        text = "\n".join(
            f"- {item['title']}" + "".join(f"; {k}: {item[k]}" for k in details if item[k])
            for item in items
        )
        sections.append(Section(text, ("Action items",)))
    return sections


# --- experts ---------------------------------------------------------------------------------

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_CLOCK = r"\d{1,2}(?:[:.h]?\d{2})?(?:\s*[ap]\.?m\.?)?"
_TIME_TEXT = re.compile(r"(\d{1,2})(?:[:.h]?(\d{2}))?\s*(?:([ap])\.?m\.?)?", re.IGNORECASE)
_RANGE = re.compile(rf"\s*({_CLOCK})\s*(?:-|–|—|to)\s*({_CLOCK})\s*", re.IGNORECASE)
_SLOT_TEXT = re.compile(
    rf"\s*([A-Za-z]+)\s+({_CLOCK})\s*(?:-|–|—|to)\s*({_CLOCK})"
    r"(?:\s+([A-Za-z_]+(?:/[\w+-]+)+|UTC|GMT))?(?:\s*[,;@(]?\s*(.*?)\)?)?\s*",
    re.IGNORECASE,
)


def _expert(
    doc_id: str, title: str, data: dict[str, Any], body: str, warnings: list[str]
) -> Expert:
    default_tz = _text(data.get("timezone")) or _text(data.get("tz"))
    raw = data.get("office_hours")
    entries = raw if isinstance(raw, list) else [raw] if raw else []
    slots = [
        slot
        for n, entry in enumerate(entries, start=1)
        for slot in _slots(entry, default_tz, n, warnings)
    ]
    return Expert(
        expert_id=doc_id,
        name=_text(data.get("name")) or title,
        role=_text(data.get("role")) or _text(data.get("title")),
        team=_text(data.get("team")) or ", ".join(_string_list(data.get("teams") or [])),
        email=_text(data.get("email")),
        chat=_text(data.get("chat")) or _text(data.get("slack")),
        booking=_text(data.get("booking")) or _text(data.get("booking_url")),
        topics=tuple(_string_list(data.get("topics") or [])),
        bio=body.strip(),
        office_hours=tuple(slots),
        doc_id=doc_id,
    )


def _slots(entry: Any, default_tz: str, n: int, warnings: list[str]) -> list[OfficeHour]:
    """Office-hours slots from `{weekday, start, end, timezone, where}` or `Tue 15:00-16:00 UTC`."""
    if isinstance(entry, str):
        found = _SLOT_TEXT.fullmatch(entry)
        if not found:
            warnings.append(f"office_hours[{n}]: cannot read {entry[:60]!r}; slot dropped")
            return []
        day, start, end, tz, where = found.groups()
        entry = {"weekday": day, "start": start, "end": end, "timezone": tz, "where": where}
    if not isinstance(entry, dict):
        warnings.append(f"office_hours[{n}]: expected a mapping or text; slot dropped")
        return []
    start_raw, end_raw = _first(entry, "start", "from"), _first(entry, "end", "to", "until")
    span = _first(entry, "time", "hours")
    if start_raw is None and isinstance(span, str) and (found := _RANGE.fullmatch(span)):
        start_raw, end_raw = found.groups()
    start = parse_clock(start_raw)
    end = parse_clock(end_raw)
    if start is not None and end is None and end_raw is None:
        minutes = _first(entry, "duration", "duration_minutes")
        length = minutes if isinstance(minutes, int) and not isinstance(minutes, bool) else 60
        end = _add_minutes(start, length)
    tz = _text(_first(entry, "timezone", "tz")) or default_tz
    problem = _slot_problem(start, end, tz)
    days_raw = _first(entry, "weekday", "day", "days")
    days = [parse_weekday(d) for d in (days_raw if isinstance(days_raw, list) else [days_raw])]
    if problem is None and (not days or None in days):
        problem = f"unknown weekday {days_raw!r}"
    if problem is not None:
        warnings.append(f"office_hours[{n}]: {problem}; slot dropped")
        return []
    where = _text(_first(entry, "where", "location", "room", "link"))
    assert start is not None and end is not None  # _slot_problem checked them
    return [OfficeHour(d, start, end, tz, where) for d in days if d is not None]


def _first(entry: dict[str, Any], *keys: str) -> Any:
    return next((entry[k] for k in keys if entry.get(k) not in (None, "")), None)


def _slot_problem(start: dt.time | None, end: dt.time | None, tz: str) -> str | None:
    if start is None or end is None:
        return "start and end must be times such as 15:00"
    if end <= start:
        return f"ends ({end:%H:%M}) before it starts ({start:%H:%M})"
    if not tz:
        return "no timezone"
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return f"unknown timezone {tz!r}"
    return None


def parse_weekday(value: Any) -> int | None:
    """0-6, "Mon", "monday" or "Tuesdays" to 0 = Monday; None when it is none of them."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 <= value <= 6 else None
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if text.isdigit():
        return parse_weekday(int(text))
    return _WEEKDAYS.index(text[:3]) if text[:3] in _WEEKDAYS and text.isalpha() else None


def parse_clock(value: Any) -> dt.time | None:
    """A time from `15:00`, `9:30`, `0900`, `3pm`, or an int YAML made of an unquoted time.

    YAML 1.1 reads unquoted `15:00` as the sexagesimal int 900 (15 * 60), so ints from 60 to
    1439 are minutes after midnight; smaller ones are hours and larger ones HHMM (1500).
    """
    if isinstance(value, dt.time):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value < 24:
            return dt.time(value)
        if 60 <= value < 24 * 60:
            return dt.time(*divmod(value, 60))
        hours, minutes = divmod(value, 100)
        return dt.time(hours, minutes) if hours < 24 and minutes < 60 else None
    if not isinstance(value, str):
        return None
    found = _TIME_TEXT.fullmatch(value.strip())
    if not found:
        return None
    hours, minutes = int(found.group(1)), int(found.group(2) or 0)
    meridiem = (found.group(3) or "").lower()
    if meridiem and not 1 <= hours <= 12:
        return None
    if meridiem:
        hours = hours % 12 + (12 if meridiem == "p" else 0)
    return dt.time(hours, minutes) if hours < 24 and minutes < 60 else None


def _add_minutes(start: dt.time, minutes: int) -> dt.time | None:
    total = start.hour * 60 + start.minute + minutes
    return dt.time(*divmod(total, 60)) if minutes > 0 and total < 24 * 60 else None


def _expert_sections(expert: Expert, body_sections: list[Section]) -> list[Section]:
    """A profile section (name, role, topics, hours) first, then the bio."""
    head = expert.name + (f" — {expert.role}" if expert.role else "")
    lines = [head + (f", {expert.team}" if expert.team else "")]
    if expert.topics:
        lines.append("Topics: " + ", ".join(expert.topics))
    for slot in expert.office_hours:
        where = f" ({slot.where})" if slot.where else ""
        lines.append(
            f"Office hours: {_WEEKDAY_NAMES[slot.weekday]} {slot.start:%H:%M}–{slot.end:%H:%M}"
            f" {slot.timezone}{where}"
        )
    bio = [s if s.heading_path else replace(s, heading_path=("Bio",)) for s in body_sections]
    return [Section("\n".join(lines), (expert.name,)), *bio]
