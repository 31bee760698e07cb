"""What ingest understood of one file: the read behind `hindsight show` and the portal's
"About this file". Built from what the door lets a viewer see, nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from index.headings import headings
from index.models import Document
from index.store import FileState

# Metadata that is shown in its own place, not among the fields.
_NOT_FIELDS = frozenset({"action_items", "origin", "title", "kind", "id", "uuid", "body"})


@dataclass(frozen=True)
class Understood:
    """One file as ingest read it: its document (None when it made none) and its file state."""

    path: str
    state: str  # indexed | skipped | failed
    reason: str | None = None
    line: int | None = None
    doc: Document | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    sections: tuple[str, ...] = ()  # headings, indented by level ("  " per level below 2)
    action_items: tuple[dict[str, Any], ...] = ()
    recording: str | None = None  # the media file or URL it plays
    source_format: str = "markdown"
    converter: str | None = None
    original_url: str | None = None
    language: str | None = None
    transcribed: bool = False
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        doc = self.doc
        return {
            "path": self.path,
            "state": self.state,
            "reason": self.reason,
            "line": self.line,
            "doc_id": doc.doc_id if doc else None,
            "title": doc.title if doc else None,
            "kind": doc.kind if doc else None,
            "date": doc.date.isoformat() if doc and doc.date else None,
            "fields": self.fields,
            "sections": list(self.sections),
            "action_items": list(self.action_items),
            "recording": self.recording,
            "source_format": self.source_format,
            "converter": self.converter,
            "original_url": self.original_url,
            "language": self.language,
            "transcribed": self.transcribed,
            "chunks": doc.n_chunks if doc else 0,
            "warnings": list(self.warnings),
        }


def understood(doc: Document | None, state: FileState | None, recording: str | None) -> Understood:
    """The record for a visible DOC (with its file STATE), or for a file that made none."""
    if doc is None:
        assert state is not None
        return Understood(state.path, state.state, state.reason, state.line)
    raw = doc.metadata.get("origin")
    origin: dict[str, Any] = raw if isinstance(raw, dict) else {}
    items = doc.metadata.get("action_items") or []
    return Understood(
        path=state.path if state else doc.path,
        state=state.state if state else "indexed",
        reason=state.reason if state else None,
        doc=doc,
        fields={k: v for k, v in doc.metadata.items() if k not in _NOT_FIELDS},
        sections=tuple(
            "  " * max(0, level - 2) + text
            for level, text in headings(doc.body or "")
            if not (level == 1 and text == doc.title)
        ),
        action_items=tuple(i for i in items if isinstance(i, dict)),
        recording=recording,
        source_format=str(origin.get("format") or "markdown"),
        converter=origin.get("converter"),
        original_url=doc.metadata.get("original_url")
        if isinstance(doc.metadata.get("original_url"), str)
        else None,
        language=origin.get("language"),
        transcribed=bool(origin.get("transcribed")),
        warnings=tuple(str(w) for w in origin.get("warnings") or []),
    )
