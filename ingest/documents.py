"""Turn one content file (plus an optional sidecar) into a ParsedDocument."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from index import fields
from index.errors import ParseError, SkipFile
from index.kinds import known_kind, normalise_kind
from index.media import MEDIA_SUFFIXES
from index.models import ParsedDocument, Section
from ingest.action_items import body_action_items
from ingest.action_items import merge as merge_items
from ingest.decoding import read_text
from ingest.fields import text_value as _text
from ingest.formats import EXPORT_SUFFIXES, read_export
from ingest.formats.document import export_parts, notion_front_matter
from ingest.formats.export import Limits
from ingest.formats.titles import clean_title, pretty_stem
from ingest.frontmatter import FrontMatter, load_yaml_mapping, split_front_matter
from ingest.markdown import first_heading, markdown_sections
from ingest.pairing import caption_language, pair_stem, zoom_time
from ingest.profiles import expert_profile as _expert
from ingest.profiles import expert_sections as _expert_sections
from ingest.transcribe import NO_TRANSCRIBER, Transcriber, converter_name
from ingest.transcripts import Transcript, parse_srt, parse_vtt, parse_whisper_json

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
YAML_SUFFIXES = frozenset({".yaml", ".yml"})
TRANSCRIPT_PARSERS: dict[str, Callable[[str], Transcript]] = {
    ".vtt": parse_vtt,
    ".srt": parse_srt,
    ".json": parse_whisper_json,
}
SUPPORTED_SUFFIXES = (
    MARKDOWN_SUFFIXES
    | YAML_SUFFIXES
    | frozenset(TRANSCRIPT_PARSERS)
    | EXPORT_SUFFIXES
    | MEDIA_SUFFIXES
)
# Exports carry images and styles: they may be larger than a text file, and unpack further.
EXPORT_SIZE_FACTOR = 5
UNZIPPED_SIZE_FACTOR = 20

_DATE_FIELDS = (
    "date",
    "start_time",
    "published",
    "published_at",
    "source_published_at",
    "created",
    "created_at",
    "updated",  # an export's "last modified", when it states no other date
)
_SUMMARY_FIELDS = ("summary", "description", "abstract")
_NAME_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
# `2025-09-alert-noise.vtt`: a month is a date too (the first of it; `date_precision: month`).
_NAME_MONTH = re.compile(r"^((?:19|20)\d{2})-(0[1-9]|1[0-2])(?![\d])")
_TEXT_DATE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%Y/%m/%d")
_MAX_TITLE_CHARS = 300
_FORMATS = {".md": "markdown", ".markdown": "markdown", ".yaml": "yaml", ".yml": "yaml"}


def parse_document(
    path: Path,
    root: Path,
    *,
    max_bytes: int,
    sidecar: Path | None = None,
    media: Path | None = None,
    transcriber: Transcriber | None = None,
) -> ParsedDocument:
    """Parse a post-mortem, note, expert profile or transcript.

    Args:
        path: the content file.
        root: the content root; folders under it hint the kind, ids are relative to it.
        max_bytes: larger files are skipped.
        sidecar: Markdown notes with front matter for a transcript (same stem, `.md`).
        media: the recording beside a transcript (its `recording` unless the sidecar names one).
        transcriber: makes the transcript of a recording without captions (PATH is then the
            recording); without one such a recording is skipped with a reason.

    Raises:
        SkipFile: unsupported type, too large, empty or binary.
        ParseError: the file cannot be understood; `line` is set when known.
        OSError: the file cannot be read.
    """
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise SkipFile(f"unsupported file type {suffix or '(no suffix)'}")
    if suffix in EXPORT_SUFFIXES:
        limits = Limits(max_bytes * EXPORT_SIZE_FACTOR, max_bytes * UNZIPPED_SIZE_FACTOR)
        return parse_export(path, root, limits)
    rel = _relative(path, root)
    if suffix in MEDIA_SUFFIXES:
        if transcriber is None:
            raise SkipFile(NO_TRANSCRIBER)
        made = transcriber.transcript(path)
        transcript = parse_whisper_json(made.whisper_json)
        origin: dict[str, Any] = {
            "format": "recording",
            "converter": converter_name(made.model),
            "language": made.language,
            "transcribed": True,
        }
        return _recording(rel, root, max_bytes, transcript, list(transcript.warnings), sidecar,
                          path, origin)  # fmt: skip
    decoded = read_text(path, max_bytes)
    warnings = list(decoded.warnings)
    if suffix in TRANSCRIPT_PARSERS:
        transcript = TRANSCRIPT_PARSERS[suffix](decoded.text)
        warnings.extend(transcript.warnings)
        origin = {"format": suffix.lstrip("."), "language": caption_language(path.name)}
        return _recording(rel, root, max_bytes, transcript, warnings, sidecar, media, origin)
    if suffix in YAML_SUFFIXES:
        data = load_yaml_mapping(decoded.text, what="file")
        bio = data.get("bio") or data.get("body") or ""
        front = FrontMatter(data, bio if isinstance(bio, str) else "", 1)
        sections = [Section(s.text, s.heading_path) for s in markdown_sections(front.body)]
    else:
        front = split_front_matter(decoded.text)
        sections = markdown_sections(front.body, front.body_line)
        if not front.data:  # a Notion export, or a bare note: fields from the body
            front = notion_front_matter(front, rel)
            origin = {"format": "notion" if "original_url" in front.data else "markdown"}
            return _assemble(rel, front, "note", sections, warnings, origin)
    return _assemble(rel, front, "note", sections, warnings)


def _recording(
    rel: Path,
    root: Path,
    max_bytes: int,
    transcript: Transcript,
    warnings: list[str],
    sidecar: Path | None,
    media: Path | None,
    origin: dict[str, Any],
) -> ParsedDocument:
    """A transcript (captions, or one made from the recording) with its sidecar notes."""
    front, sources = _read_sidecar(sidecar, root, max_bytes, warnings)
    if media is not None and not _text(front.data.get("recording")):
        front = FrontMatter({**front.data, "recording": media.name}, front.body, front.body_line)
    # Sidecar sections keep no line: theirs would point into the sidecar, not this file.
    notes = [Section(s.text, s.heading_path) for s in markdown_sections(front.body)]
    segments = [
        Section(s.text, start=s.start, end=s.end, speaker=s.speaker) for s in transcript.segments
    ]
    origin = {k: v for k, v in origin.items() if v is not None}
    doc = _assemble(rel, front, "talk", notes + segments, warnings, origin)
    return replace(doc, segments=transcript.segments, sources=sources)


def parse_export(path: Path, root: Path, limits: Limits) -> ParsedDocument:
    """A DOCX, PDF, PPTX or HTML export as a parsed document (ParseError when it is bad)."""
    rel = _relative(path, root)
    export = read_export(path, limits)
    front, sections = export_parts(export, rel)
    origin = {"format": export.source_format, "converter": export.converter}
    fallback = "talk" if export.slides else "note"
    return _assemble(rel, front, fallback, sections, list(export.warnings), origin)


def _assemble(
    rel: Path,
    front: FrontMatter,
    fallback_kind: str,
    sections: list[Section],
    warnings: list[str],
    origin: dict[str, Any] | None = None,
) -> ParsedDocument:
    data = front.data
    kind = _kind(data, rel, fallback_kind, warnings)
    # The pair stem: a recording keeps its id when captions replace its own transcript.
    own_id = (rel.parent / pair_stem(rel.name)).as_posix()
    doc_id = _text(data.get("id")) or _text(data.get("uuid")) or own_id
    date = _date(data, rel, warnings)
    title = _title(data, front.body, kind, date, rel)
    metadata = _metadata(data)
    if date is None and (month := _NAME_MONTH.match(rel.name)):
        date = dt.date(int(month.group(1)), int(month.group(2)), 1)
        metadata.setdefault("date_precision", "month")
    expert = None
    if kind == "expert":
        expert = _expert(doc_id, title, data, front.body, warnings)
        sections = _expert_sections(expert, sections)
    sections = [*_front_matter_sections(metadata), *sections]
    if kind == "postmortem":
        # After the sections: body items are already in the body's own passages.
        found = body_action_items(front.body)
        if found:
            metadata["action_items"] = merge_items(metadata.get("action_items") or [], found)
    if origin is not None or warnings:  # a Markdown file read as it is has nothing to say
        origin = origin or {"format": _FORMATS.get(rel.suffix.lower(), rel.suffix.lstrip("."))}
        metadata["origin"] = {**origin, **({"warnings": warnings[:20]} if warnings else {})}
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


def _kind(data: dict[str, Any], rel: Path, fallback: str, warnings: list[str]) -> str:
    raw = data.get("kind")
    if isinstance(raw, str) and raw.strip():
        return normalise_kind(raw)
    if raw is not None:
        warnings.append("field 'kind' must be text; ignored")
    if looks_like_postmortem(data):
        return "postmortem"
    if len(rel.parts) > 1:
        folder = known_kind(rel.parts[0])
        if folder:
            return folder
    return fallback


# Fields only an incident write-up carries: such a file is a post-mortem wherever it lives.
POSTMORTEM_FIELDS = frozenset({"severity", "root_cause", "action_items"})
POSTMORTEM_HINTS = frozenset({"trigger", "detection", "impact", "mitigation", "time_to_resolve"})


def looks_like_postmortem(data: dict[str, Any]) -> bool:
    """True when front matter has a post-mortem field, or two of its usual companions."""
    keys = {re.sub(r"[\s-]+", "_", str(k).strip().lower()) for k in data}
    return bool(keys & POSTMORTEM_FIELDS) or len(keys & POSTMORTEM_HINTS) >= 2


def _title(data: dict[str, Any], body: str, kind: str, date: dt.date | None, rel: Path) -> str:
    title = _text(data.get("title")) or (_text(data.get("name")) if kind == "expert" else "")
    title = title or first_heading(body) or ""
    if not title and kind == "postmortem":
        company, product = _text(data.get("company")), _text(data.get("product"))
        if company and product.lower().startswith(company.lower()):
            company = ""  # "Basecamp Basecamp" reads badly
        title = " ".join(p for p in (company, product, date.isoformat() if date else "") if p)
    zoom = zoom_time(rel.name)
    if not title and zoom is not None:
        title = f"Zoom recording, {zoom:%d %b %Y %H:%M} UTC"
    title = title or pretty_stem(clean_title(pair_stem(rel.name)) or rel.stem)
    return title if len(title) <= _MAX_TITLE_CHARS else title[: _MAX_TITLE_CHARS - 1] + "…"


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
    if found:
        return to_date(found.group(0))
    zoom = zoom_time(rel.name)
    return zoom.date() if zoom else None


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
    """Every front-matter field, JSON-serialisable, folded into the product's fields
    (index/fields.py: `team` into `teams`, `Sev 2` → `SEV2`…) with action items normalised."""
    metadata = fields.canonical({key: jsonable(value) for key, value in data.items()})
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


_ACTION_FIELDS = {
    "title": ("title", "action", "item", "task", "description", "text", "summary"),
    "owner": ("owner", "assignee", "who", "owners"),
    "status": ("status", "state"),
    "due": ("due", "due_date", "deadline", "by"),
    # When it was finished: the coordination figures' time to close (issue 26).
    "closed": (
        "closed",
        "closed_at",
        "closed_on",
        "done_at",
        "done_on",
        "completed_at",
        "completed_on",
        "resolved_at",
        "resolved_on",
    ),
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
        if entry["closed"] is None:  # kept only when the write-up says when it was finished
            del entry["closed"]
        if entry["title"]:
            out.append(entry)
    return out


def _front_matter_sections(metadata: dict[str, Any]) -> list[Section]:
    """Summary, keywords, tags and action items live in front matter; make them searchable."""
    lines = [s for s in (_text(metadata.get(f)) for f in _SUMMARY_FIELDS) if s][:1]
    # Tags alone make a short passage dense with query words that wins "best passage" and
    # shows as a snippet repeating the chips; they already weigh in the keyword title field.
    for name in ("keywords", "tags") if lines else ():
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
