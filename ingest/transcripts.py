"""Parse WebVTT, SRT and Whisper JSON transcripts into timed, speaker-aware segments."""

from __future__ import annotations

import html
import json
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from index.errors import ParseError
from index.models import Segment

_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?"
_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}(?:\s.*)?$")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>")
_TAG = re.compile(r"</?[a-zA-Z][^>]*>|<\d[\d:.]*>")  # markup tags and karaoke timestamps
_ASS = re.compile(r"\{\\[^}]*\}")  # SSA/ASS overrides such as {\an8}
_NAME = r"[A-Z][\w'.-]*(?: [A-Z][\w'.-]*){0,3}|[A-Z][A-Z0-9'. -]{1,40}"
_PREFIX = re.compile(rf"^(?:-\s*)?({_NAME}):\s+(\S.*)$")
_NOT_NAMES = frozenset({"note", "warning", "example", "update", "edit", "step", "tip", "caution"})
# A cue that starts this much before the previous one is out of order, not a small overlap.
_REORDER_SECONDS = 30.0
_MAX_WARNINGS = 20
_MOSTLY_PREFIXED = 0.6


@dataclass(frozen=True)
class Transcript:
    """Parsed segments in time order and what had to be skipped or repaired."""

    segments: tuple[Segment, ...]
    warnings: tuple[str, ...] = ()


@dataclass
class _Cue:
    start: float
    end: float
    text: str
    speaker: str | None
    line: int


def parse_vtt(text: str) -> Transcript:
    """Parse WebVTT. Raises ParseError without a WEBVTT header or when no cue is valid."""
    lines = text.removeprefix("\ufeff").split("\n")
    header = lines[0].strip()
    if not (header == "WEBVTT" or header.startswith(("WEBVTT ", "WEBVTT\t"))):
        raise ParseError('not a WebVTT file: the first line must be "WEBVTT"', 1)
    i = 1
    while i < len(lines) and lines[i].strip() and "-->" not in lines[i]:
        i += 1  # header metadata such as "Kind: captions"
    warnings: list[str] = []
    blocks = list(_blocks(lines, i, warnings, vtt=True))
    # Zoom and Teams write the speaker as a `Name: text` prefix, not a <v> voice tag.
    speakers = _prefix_speakers(blocks)
    cues = [_vtt_cue(block, speakers) for block in blocks]
    return _finish([c for c in cues if c.text], warnings)


def parse_srt(text: str) -> Transcript:
    """Parse SubRip. Raises ParseError when no cue is valid."""
    lines = text.removeprefix("\ufeff").split("\n")
    warnings: list[str] = []
    blocks = list(_blocks(lines, 0, warnings, vtt=False))
    speakers = _prefix_speakers(blocks)
    cues = [_srt_cue(block, speakers) for block in blocks]
    return _finish([c for c in cues if c.text], warnings)


def _prefix_speakers(blocks: list[_Block]) -> set[str]:
    """Names used as `Name: text` prefixes often enough (or in capitals) to be speakers."""
    prefixes = Counter(m.group(1) for _, _, _, body in blocks for m in _prefixes(body))
    # When most cues name their speaker (Zoom, Teams), someone who speaks once is one too.
    every_cue = sum(prefixes.values()) >= _MOSTLY_PREFIXED * max(1, len(blocks))
    return {
        name
        for name, count in prefixes.items()
        if name.lower() not in _NOT_NAMES and (count >= 2 or every_cue or _all_caps(name))
    }


def parse_whisper_json(text: str) -> Transcript:
    """Parse Whisper's JSON output (`segments` with start, end, text and maybe speaker)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"invalid JSON: {exc.msg}", exc.lineno) from exc
    except RecursionError as exc:
        raise ParseError("invalid JSON: nested too deeply", 1) from exc
    raw = data.get("segments") if isinstance(data, dict) else None
    if not isinstance(raw, list) or not raw:
        raise ParseError("Whisper JSON has no segments", 1)
    warnings: list[str] = []
    cues: list[_Cue] = []
    for n, seg in enumerate(raw, start=1):
        cue = _whisper_cue(seg, n)
        if cue is None:
            warnings.append(f"segment {n}: needs numeric start and end and a text; skipped")
        elif cue.text:
            cues.append(cue)
    return _finish(cues, warnings)


_Block = tuple[int, float, float, list[str]]  # (line of the timing, start, end, text lines)


def _blocks(lines: list[str], i: int, warnings: list[str], *, vtt: bool) -> Iterator[_Block]:
    """Yield timed cue blocks; skip comments, identifiers and cues whose timing is broken."""
    while i < len(lines):
        line = lines[i].strip()
        if not line:
            i += 1
            continue
        if vtt and re.match(r"(NOTE|STYLE|REGION)(\s|$)", line):
            i = _skip_block(lines, i)
            continue
        if "-->" not in line:
            if i + 1 < len(lines) and "-->" in lines[i + 1]:
                i += 1  # a cue identifier or SRT index, possibly garbled
                continue
            warnings.append(f"line {i + 1}: text without a timestamp skipped")
            i = _skip_block(lines, i)
            continue
        timing = _TIMING.match(line)
        times = _parse_times(timing) if timing else None
        body, j = _cue_body(lines, i + 1)
        if times is None:
            warnings.append(f"line {i + 1}: malformed timestamp {line[:60]!r}; cue skipped")
        else:
            yield i + 1, times[0], times[1], body
        i = j


def _cue_body(lines: list[str], i: int) -> tuple[list[str], int]:
    """Text lines from i up to a blank line or the next cue (some files omit the blank line)."""
    body: list[str] = []
    while i < len(lines) and lines[i].strip():
        if "-->" in lines[i]:
            break
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if "-->" in nxt and lines[i].strip().isdigit():
            break  # the next cue's SRT index
        body.append(lines[i].strip())
        i += 1
    return body, i


def _skip_block(lines: list[str], i: int) -> int:
    while i < len(lines) and lines[i].strip():
        i += 1
    return i


def _parse_times(match: re.Match[str]) -> tuple[float, float] | None:
    groups = match.groups()
    start, end = _seconds(groups[:4]), _seconds(groups[4:])
    return None if start is None or end is None else (start, end)


def _seconds(parts: tuple[str | None, ...]) -> float | None:
    hours, minutes, seconds, fraction = parts
    if int(minutes or 0) >= 60 or int(seconds or 0) >= 60:
        return None
    millis = int((fraction or "0").ljust(3, "0"))
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + int(seconds or 0) + millis / 1000


def _vtt_cue(block: _Block, speakers: set[str]) -> _Cue:
    line, start, end, body = block
    speaker: str | None = None
    texts: list[str] = []
    for raw in body:
        voice = _VOICE.search(raw)
        name = voice.group(1).strip() if voice else None
        text = _clean(raw)
        prefix = _PREFIX.match(text) if name is None else None
        if prefix and prefix.group(1) in speakers:
            name, text = prefix.groups()
        if name and speaker is None:
            speaker = name
        elif name and name != speaker and text:
            text = f"{name}: {text}"
        texts.append(text)
    return _Cue(start, end, _join(texts), speaker, line)


def _srt_cue(block: _Block, speakers: set[str]) -> _Cue:
    line, start, end, body = block
    speaker: str | None = None
    texts: list[str] = []
    for raw in body:
        text = _clean(raw)
        prefix = _PREFIX.match(text)
        if prefix and prefix.group(1) in speakers:
            name, text = prefix.groups()
            if speaker is None:
                speaker = name
            elif name != speaker:
                text = f"{name}: {text}"
        texts.append(text)
    return _Cue(start, end, _join(texts), speaker, line)


def _prefixes(body: list[str]) -> Iterator[re.Match[str]]:
    for raw in body:
        prefix = _PREFIX.match(_clean(raw))
        if prefix:
            yield prefix


def _all_caps(name: str) -> bool:
    letters = [c for c in name if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _clean(raw: str) -> str:
    return html.unescape(_ASS.sub("", _TAG.sub("", raw))).strip()


def _join(texts: list[str]) -> str:
    return " ".join(" ".join(texts).split())


def _whisper_cue(seg: Any, n: int) -> _Cue | None:
    if not isinstance(seg, dict):
        return None
    start, end, text = _time_value(seg.get("start")), _time_value(seg.get("end")), seg.get("text")
    if start is None or end is None or not isinstance(text, str):
        return None
    speaker = str(seg.get("speaker") or "").strip() or None
    return _Cue(start, end, _join([text]), speaker, n)


def _time_value(value: Any) -> float | None:
    """Seconds from JSON: a finite, non-negative number (JSON's NaN and booleans are not)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value >= 0 else None


def _finish(cues: list[_Cue], warnings: list[str]) -> Transcript:
    """Repair times (backwards, out of order, zero-length) and freeze the result."""
    if not cues:
        raise ParseError("no valid cues", _first_warning_line(warnings))
    out_of_order = False
    for prev, cue in zip([None, *cues], cues, strict=False):
        if cue.end < cue.start:
            warnings.append(f"line {cue.line}: cue ends before it starts; end set to its start")
            cue.end = cue.start
        if prev is not None and cue.start < prev.start:
            if prev.start - cue.start > _REORDER_SECONDS:
                warnings.append(f"line {cue.line}: cue starts long before the previous one")
                out_of_order = True
            else:  # a small overlap: keep the reading order, clamp the start
                warnings.append(f"line {cue.line}: cue starts before the previous one; clamped")
                cue.start, cue.end = prev.start, max(cue.end, prev.start)
    if out_of_order:
        warnings.append("cues are out of time order; sorted by start time")
        cues.sort(key=lambda c: c.start)
    if len(warnings) > _MAX_WARNINGS:  # one broken file should not flood the ingest report
        warnings[_MAX_WARNINGS:] = [f"... and {len(warnings) - _MAX_WARNINGS} more warnings"]
    return Transcript(tuple(_merge_zero_length(cues)), tuple(warnings))


def _merge_zero_length(cues: list[_Cue]) -> list[Segment]:
    """Fold zero-length cues into the previous segment (or the next, for a leading one)."""
    merged: list[_Cue] = []
    pending: list[_Cue] = []  # zero-length cues before any normal one
    for cue in cues:
        if cue.end > cue.start:
            for zero in reversed(pending):
                cue.text = f"{_labelled(zero, cue)} {cue.text}"
                cue.start = min(cue.start, zero.start)
            pending = []
            merged.append(cue)
        elif merged:
            merged[-1].text = f"{merged[-1].text} {_labelled(cue, merged[-1])}"
        else:
            pending.append(cue)
    if pending:  # nothing but zero-length cues: keep them rather than lose the text
        merged = pending
    return [Segment(c.start, c.end, c.text, c.speaker) for c in merged]


def _labelled(cue: _Cue, into: _Cue) -> str:
    if cue.speaker and cue.speaker != into.speaker:
        return f"{cue.speaker}: {cue.text}"
    return cue.text


def _first_warning_line(warnings: list[str]) -> int:
    for warning in warnings:
        found = re.match(r"line (\d+)", warning)
        if found:
            return int(found.group(1))
    return 1
