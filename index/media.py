"""Recording files: which suffixes are media, and whether they are video or audio."""

from __future__ import annotations

from typing import Literal

VIDEO = frozenset({".mp4", ".webm", ".mov", ".m4v", ".ogv"})
AUDIO = frozenset({".mp3", ".m4a", ".wav", ".ogg", ".oga", ".flac", ".aac", ".opus"})
MEDIA_SUFFIXES = VIDEO | AUDIO


def media_kind(suffix: str) -> Literal["video", "audio", "link"]:
    """'video' or 'audio' for a media file suffix; 'link' for anything else (a web page)."""
    suffix = suffix.lower()
    return "video" if suffix in VIDEO else "audio" if suffix in AUDIO else "link"
