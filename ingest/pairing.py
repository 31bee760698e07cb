"""Which files in a folder belong to one recording: captions, a recording and notes.

Tools name captions after the recording with their own additions: a language
(`talk.en.vtt`, `talk.pt-BR.srt`), Zoom's `.transcript.vtt` or `.cc.vtt`; Zoom names its
videos by layout and size (`…_Recording_gallery_1920x1080.mp4`). Each file's *pair stem* is
its stem without those, so all of them meet under one name.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from index.media import MEDIA_SUFFIXES

CAPTION_SUFFIXES = frozenset({".vtt", ".srt", ".json"})
NOTE_SUFFIXES = frozenset({".md", ".markdown"})
_TOOL_TAG = re.compile(r"\.(?:transcript|cc|captions?|subtitles?)$", re.I)
_LANGUAGE = re.compile(r"\.([a-z]{2}(?:[-_][A-Za-z]{2,4})?)$")
_MEDIA_DEBRIS = re.compile(
    r"_(?:(?:gallery|avo|as|speaker|shared_screen(?:_with_\w+_view)?)(?:_\d{3,4}x\d{3,4})?"
    r"|\d{3,4}x\d{3,4})$",
    re.I,
)
_ZOOM = re.compile(r"^GMT(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})(?:_|$)")


def pair_stem(name: str) -> str:
    """The name shared by a recording, its captions and its notes."""
    path = Path(name)
    suffix, stem = path.suffix.lower(), path.stem
    if suffix in CAPTION_SUFFIXES:
        stem = _TOOL_TAG.sub("", stem)
        stem = _LANGUAGE.sub("", stem) if _LANGUAGE.search(stem) and "." in stem else stem
        stem = _TOOL_TAG.sub("", stem)  # talk.transcript.en.vtt
    elif suffix in MEDIA_SUFFIXES:
        stem = _MEDIA_DEBRIS.sub("", stem)
    return stem


def caption_language(name: str) -> str | None:
    """`en` for talk.en.vtt; None when the name states no language."""
    stem = _TOOL_TAG.sub("", Path(name).stem)
    found = _LANGUAGE.search(stem)
    return found.group(1).lower().replace("_", "-") if found and "." in stem else None


def caption_preference(name: str) -> tuple[int, str]:
    """Sort key among captions of one recording: no language first, then English, then A–Z."""
    language = caption_language(name)
    rank = 0 if language is None else 1 if language.split("-")[0] == "en" else 2
    return rank, name


def zoom_time(name: str) -> dt.datetime | None:
    """When a Zoom recording started (UTC), from its file name (GMT20250211-150012_…)."""
    found = _ZOOM.match(Path(name).name)
    if not found:
        return None
    try:
        y, mo, d, h, mi, s = (int(g) for g in found.groups())
        return dt.datetime(y, mo, d, h, mi, s, tzinfo=dt.UTC)
    except ValueError:
        return None
