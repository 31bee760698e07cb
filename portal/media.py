"""Recordings: play a media file from a moment, or link to the recording page at that moment."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import streamlit as st

from index.archive import Archive
from index.media import media_kind
from index.models import Document
from index.timefmt import clock
from portal import safe


@dataclass(frozen=True)
class Recording:
    """Where a session's recording is and how it can be shown."""

    kind: Literal["video", "audio", "link"]
    source: str  # an http(s) URL or a local file path

    @property
    def playable(self) -> bool:
        return self.kind != "link"

    def at(self, seconds: float | None) -> str:
        """A URL that opens the recording at SECONDS (media fragment `#t=`)."""
        base = self.source.split("#", 1)[0]
        return f"{base}#t={int(seconds)}" if seconds else base


def recording(archive: Archive, doc: Document) -> Recording | None:
    """DOC's recording: an http(s) URL, or a media file beside its transcript."""
    raw = doc.metadata.get("recording")
    if not isinstance(raw, str) or not raw.strip():
        return None
    href = safe.url(raw)
    if href is not None:
        if not href.lower().startswith(("http://", "https://")):
            return None
        return Recording(media_kind(Path(urlsplit(href).path).suffix), href)
    local = archive.local_media(doc, raw.strip())
    return Recording(media_kind(local.suffix), str(local)) if local else None


def player(rec: Recording, seconds: float | None, *, autoplay: bool = False) -> None:
    """The recording, starting at SECONDS: a player for media, a link for a recording page."""
    start = int(seconds or 0)
    if rec.kind == "video":
        st.video(rec.source, start_time=start, autoplay=autoplay)
    elif rec.kind == "audio":
        st.audio(rec.source, start_time=start, autoplay=autoplay)
    else:
        label = f"Watch from {clock(start)}" if start else "Watch the recording"
        st.link_button(label, rec.at(start), icon=":material/play_circle:", type="primary")
        st.caption(
            "The recording opens in its own player" + (f", at {clock(start)}." if start else ".")
        )
