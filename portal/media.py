"""Recordings: play a recording from a moment in the page, or link to it at that moment.

A media file (local or a direct URL) plays in an HTML5 player; YouTube and Vimeo play in their
own embedded players, which take a start time; any other host gets a link in its own time
syntax where it has one (Loom, Twitch, Dailymotion, Wistia), else the media fragment `#t=`.
Embedded players are built from the video's id alone (checked characters), never from the
content's URL as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import streamlit as st

from index.archive import Archive
from index.media import media_kind
from index.models import Document
from index.timefmt import clock
from portal import safe

Kind = Literal["video", "audio", "youtube", "vimeo", "link"]
EMBED_HEIGHT = 400
_YOUTUBE_ID = re.compile(r"[\w-]{11}")


@dataclass(frozen=True)
class Recording:
    """Where a session's recording is and how it can be shown."""

    kind: Kind
    source: str  # an http(s) URL or a local file path; for youtube/vimeo, the video's id

    @property
    def playable(self) -> bool:
        """Plays in the page (and seeks there), rather than opening elsewhere."""
        return self.kind != "link"

    @property
    def seeks_on_host(self) -> bool:
        """A link to it at a moment starts there (a host whose time syntax we know)."""
        return self.kind != "link" or _host_time(self.source, 1) is not None

    def at(self, seconds: float | None) -> str:
        """A URL that opens the recording at SECONDS, in the host's own time syntax."""
        start = int(seconds or 0)
        if self.kind == "youtube":
            return f"https://www.youtube.com/watch?v={self.source}" + (
                f"&t={start}s" if start else ""
            )
        if self.kind == "vimeo":
            return f"https://vimeo.com/{self.source}" + (f"#t={start}s" if start else "")
        base = self.source.split("#", 1)[0]
        if not start:
            return base
        return _host_time(base, start) or f"{base}#t={start}"

    def embed(self, seconds: float | None, *, autoplay: bool) -> str:
        """The host's embeddable player, starting at SECONDS (youtube and vimeo only)."""
        start = int(seconds or 0)
        if self.kind == "youtube":
            query = {"start": start, "autoplay": int(autoplay), "rel": 0}
            return f"https://www.youtube-nocookie.com/embed/{self.source}?{urlencode(query)}"
        query = {"autoplay": int(autoplay)}
        return f"https://player.vimeo.com/video/{self.source}?{urlencode(query)}#t={start}s"


def _with_query(url: str, **extra: str) -> str:
    parts = urlsplit(url)
    query = {k: v for k, v in parse_qs(parts.query).items() if k not in extra}
    merged = urlencode({**{k: v[-1] for k, v in query.items()}, **extra})
    return urlunsplit(parts._replace(query=merged, fragment=""))


def _host_time(url: str, seconds: int) -> str | None:
    """URL at SECONDS for hosts whose players read a time from the address; else None."""
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    if host.endswith("loom.com"):
        return _with_query(url, t=str(seconds))
    if host.endswith("twitch.tv"):
        return _with_query(url, t=f"{h}h{m}m{s}s")
    if host.endswith("dailymotion.com"):
        return _with_query(url, start=str(seconds))
    if host.endswith("wistia.com") or host.endswith("wi.st"):
        return _with_query(url, wtime=f"{seconds}s")
    return None


def hosted(href: str) -> Recording | None:
    """A YouTube or Vimeo page as an embeddable recording (its id only), else None."""
    parts = urlsplit(href)
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    path = [p for p in parts.path.split("/") if p]
    candidate = ""
    if host in ("youtube.com", "youtube-nocookie.com", "music.youtube.com"):
        if path[:1] == ["watch"]:
            candidate = parse_qs(parts.query).get("v", [""])[0]
        elif path[:1] and path[0] in ("embed", "shorts", "live", "v") and len(path) > 1:
            candidate = path[1]
    elif host == "youtu.be" and path:
        candidate = path[0]
    if candidate and _YOUTUBE_ID.fullmatch(candidate):
        return Recording("youtube", candidate)
    if host in ("vimeo.com", "player.vimeo.com"):
        ids = [p for p in path if p.isdigit()]
        if ids:
            return Recording("vimeo", ids[0])
    return None


def recording(archive: Archive, doc: Document) -> Recording | None:
    """DOC's recording: an http(s) URL, or a media file beside its transcript."""
    raw = doc.metadata.get("recording")
    if not isinstance(raw, str) or not raw.strip():
        return None
    href = safe.url(raw)
    if href is not None:
        if not href.lower().startswith(("http://", "https://")):
            return None
        return hosted(href) or Recording(media_kind(Path(urlsplit(href).path).suffix), href)
    local = archive.local_media(doc, raw.strip())
    return Recording(media_kind(local.suffix), str(local)) if local else None


def player(rec: Recording, seconds: float | None, *, autoplay: bool = False) -> None:
    """The recording, starting at SECONDS: a player in the page, or a link to the host's."""
    start = int(seconds or 0)
    if rec.kind == "video":
        st.video(rec.source, start_time=start, autoplay=autoplay)
    elif rec.kind == "audio":
        st.audio(rec.source, start_time=start, autoplay=autoplay)
    elif rec.kind in ("youtube", "vimeo"):
        with st.container(key="embedded-player"):
            st.iframe(rec.embed(start, autoplay=autoplay), height=EMBED_HEIGHT)
        host = {"youtube": "YouTube", "vimeo": "Vimeo"}[rec.kind]
        st.caption(f"[Open on {host}]({rec.at(start)})")
    else:
        label = f"Watch from {clock(start)}" if start else "Watch the recording"
        st.link_button(label, rec.at(start), icon=":material/play_circle:", type="primary")
        where = (
            f", at {clock(start)}."
            if start and rec.seeks_on_host
            else f"; if it starts at the beginning, skip to {clock(start)}."
            if start
            else "."
        )
        st.caption("The recording opens in its own player" + where)
