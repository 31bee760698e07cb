"""Small frozen records passed between layers. Pages and the CLI never see raw rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from index.relevance import Evidence


@dataclass(frozen=True)
class Section:
    """A passage of a parsed document before token-aware chunking."""

    text: str
    heading_path: tuple[str, ...] = ()
    start: float | None = None  # seconds, transcripts only
    end: float | None = None
    speaker: str | None = None
    line: int | None = None  # 1-based line in the source file
    slide: int | None = None  # slide decks: the slide's number


@dataclass(frozen=True)
class Segment:
    """One transcript cue or speaker turn, kept whole for the transcript view."""

    start: float
    end: float
    text: str
    speaker: str | None = None


@dataclass(frozen=True)
class Chapter:
    """A topic segment of a recording: where it starts and ends (seconds) and a short label."""

    ordinal: int
    start: float
    end: float
    label: str


@dataclass(frozen=True)
class OfficeHour:
    """A weekly office-hours slot in the expert's own timezone."""

    weekday: int  # 0 = Monday
    start: dt.time
    end: dt.time
    timezone: str
    where: str = ""


@dataclass(frozen=True)
class Expert:
    """Someone people can ask, with their weekly office hours."""

    expert_id: str
    name: str
    role: str = ""
    team: str = ""
    email: str = ""
    chat: str = ""
    booking: str = ""
    topics: tuple[str, ...] = ()
    bio: str = ""
    office_hours: tuple[OfficeHour, ...] = ()
    doc_id: str = ""


@dataclass(frozen=True)
class ParsedDocument:
    """What a parser makes of one file: metadata, body, sections and (transcripts) segments."""

    doc_id: str
    kind: str
    title: str
    date: dt.date | None
    body: str
    sections: tuple[Section, ...]
    metadata: dict[str, Any] = field(default_factory=dict)
    segments: tuple[Segment, ...] = ()
    expert: Expert | None = None
    warnings: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # extra files that fed this document (a sidecar)


@dataclass(frozen=True)
class Chunk:
    """One embeddable passage with a stable integer id shared by FAISS and the keyword index."""

    chunk_id: int
    doc_id: str
    ordinal: int
    text: str
    context: str  # title and heading path, prepended for embedding
    text_hash: str
    n_tokens: int
    heading: str = ""
    start: float | None = None
    end: float | None = None
    speaker: str | None = None
    slide: int | None = None

    @property
    def embed_text(self) -> str:
        return f"{self.context}\n{self.text}" if self.context else self.text


@dataclass(frozen=True)
class Document:
    """A document as stored: what listings and detail views show."""

    doc_id: str
    kind: str
    title: str
    path: str
    date: dt.date | None
    metadata: dict[str, Any]
    body: str = ""
    n_chunks: int = 0


@dataclass(frozen=True)
class MomentHit:
    """One moment of a recording hit: a span of talk, playable from START (seconds)."""

    start: float
    end: float
    speaker: str | None
    snippet: str
    score: float

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "speaker": self.speaker,
            "snippet": self.snippet,
            "score": round(self.score, 6),
        }


@dataclass(frozen=True)
class SearchHit:
    """One document in a result list, with its best passage."""

    doc_id: str
    path: str
    kind: str
    title: str
    score: float
    snippet: str
    chunk_id: int
    date: dt.date | None = None
    heading: str = ""
    start: float | None = None
    end: float | None = None
    speaker: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    # A recording's best few moments, best first; start/end above are the first one's.
    moments: tuple[MomentHit, ...] = ()
    weak: bool = False  # below the relevance floor: the nearest, not a match (index.relevance)
    # Currency (index/lifecycle.py): the successor the reader may open, whether it is obsolete
    # (or superseded by nothing they can open), and when its next review is due.
    superseded_by: str | None = None
    obsolete: bool = False
    obsolete_reason: str = ""
    review_by: dt.date | None = None
    slide: int | None = None  # a deck's hit: the slide of the best passage
    evidence: Evidence | None = None  # what the floor read: best cosine and keyword coverage

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "doc_id": self.doc_id,
            "path": self.path,
            "kind": self.kind,
            "title": self.title,
            "score": round(self.score, 6),
            "snippet": self.snippet,
            "date": self.date.isoformat() if self.date else None,
            "heading": self.heading,
        }
        if self.start is not None:
            out.update(start=self.start, end=self.end, speaker=self.speaker)
            out["moments"] = [m.to_json() for m in self.moments]
        if self.slide is not None:
            out["slide"] = self.slide
        if self.weak:
            out["weak"] = True
        out["superseded_by"] = self.superseded_by
        out["obsolete"] = self.obsolete
        if self.obsolete and self.obsolete_reason:
            out["obsolete_reason"] = self.obsolete_reason
        out["review_by"] = self.review_by.isoformat() if self.review_by else None
        return out
