"""Token-aware chunks: merged or split Markdown sections, grouped transcript segments."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from index.models import Chunk, ParsedDocument, Section

CONTEXT_SEPARATOR = " › "
_MAX_CONTEXT_CHARS = 300
# Below this even one character plus the special tokens and a shortened context may not fit.
_MIN_MAX_TOKENS = 16
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")

CountTokens = Callable[[str], int]


@dataclass(frozen=True)
class _Piece:
    """Text bound for one chunk, before ids and token counts."""

    text: str
    heading_path: tuple[str, ...]
    start: float | None = None
    end: float | None = None
    speaker: str | None = None
    slide: int | None = None


def chunk_document(
    doc: ParsedDocument,
    count_tokens: CountTokens,
    *,
    max_tokens: int = 256,
    target_tokens: int = 200,
    transcript_target_tokens: int = 96,
) -> list[Chunk]:
    """Cut a parsed document into chunks whose embed_text never exceeds max_tokens.

    Args:
        doc: the parsed document.
        count_tokens: the embedding model's token count for a text, special tokens included.
        max_tokens: hard limit for a chunk's embed_text (context line + text).
        target_tokens: Markdown sections are merged or split towards this size.
        transcript_target_tokens: transcript segments are grouped into passages of this size.
    """
    if max_tokens < _MIN_MAX_TOKENS:
        raise ValueError(f"max_tokens must be at least {_MIN_MAX_TOKENS}")
    if target_tokens < 1 or transcript_target_tokens < 1:
        raise ValueError("token targets must be positive")
    # Targets above the model's limit would only be cut again: cap them instead of failing.
    target_tokens = min(target_tokens, max_tokens)
    transcript_target_tokens = min(transcript_target_tokens, max_tokens)
    pieces: list[tuple[_Piece, int]] = []
    for timed, run in _runs(doc.sections):
        group = _group_segments if timed else _pack_sections
        target = transcript_target_tokens if timed else target_tokens
        pieces.extend((piece, target) for piece in group(run, count_tokens, target))
    chunks: list[Chunk] = []
    for piece, target in pieces:
        path = piece.heading_path
        if path and _same(path[0], doc.title):  # an H1 repeating the title adds nothing
            piece = replace(piece, heading_path=path[1:])
        context = _context(doc.title, piece.heading_path, count_tokens, max_tokens)
        limits = _Limits(max_tokens, target)
        for text in _fit(piece.text.strip(), context, count_tokens, limits):
            chunks.append(_make_chunk(doc.doc_id, len(chunks), text, context, piece, count_tokens))
    return chunks


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def chunk_id(doc_id: str, ordinal: int, text_hash: str) -> int:
    """A stable positive 63-bit id, shared by the vector and keyword indexes."""
    digest = hashlib.blake2b(f"{doc_id}\x00{ordinal}\x00{text_hash}".encode()).digest()
    return int.from_bytes(digest[:8], "big") & ((1 << 63) - 1)


def _make_chunk(
    doc_id: str, ordinal: int, text: str, context: str, piece: _Piece, count_tokens: CountTokens
) -> Chunk:
    embed_text = f"{context}\n{text}" if context else text
    text_hash = hashlib.sha256(embed_text.encode()).hexdigest()
    return Chunk(
        chunk_id=chunk_id(doc_id, ordinal, text_hash),
        doc_id=doc_id,
        ordinal=ordinal,
        text=text,
        context=context,
        text_hash=text_hash,
        n_tokens=count_tokens(embed_text),
        heading=CONTEXT_SEPARATOR.join(piece.heading_path),
        start=piece.start,
        end=piece.end,
        speaker=piece.speaker,
        slide=piece.slide,
    )


def _runs(sections: tuple[Section, ...]) -> Iterator[tuple[bool, list[Section]]]:
    """Consecutive sections of one sort: timed transcript segments or plain text."""
    run: list[Section] = []
    for section in sections:
        if not section.text.strip():
            continue
        if run and (run[-1].start is not None) != (section.start is not None):
            yield run[0].start is not None, run
            run = []
        run.append(section)
    if run:
        yield run[0].start is not None, run


def _cost(text: str, count_tokens: CountTokens) -> int:
    """Tokens a text adds inside a longer one: its count without the special tokens."""
    return max(0, count_tokens(text) - count_tokens(""))


def _pack_sections(run: list[Section], count_tokens: CountTokens, target: int) -> list[_Piece]:
    """Merge small neighbours under the same top heading; long sections are split later."""
    pieces: list[_Piece] = []
    group: list[Section] = []
    used = 0
    for section in run:
        heading = " ".join(section.heading_path)
        cost = _cost(section.text, count_tokens) + _cost(heading, count_tokens)
        same_top = bool(group) and group[0].heading_path[:1] == section.heading_path[:1]
        # A slide is a passage of its own: a hit must name one slide.
        own = section.slide is not None or (bool(group) and group[0].slide is not None)
        if group and (not same_top or own or used + cost > target):
            pieces.append(_merge(group))
            group, used = [], 0
        group.append(section)
        used += cost
    if group:
        pieces.append(_merge(group))
    return pieces


def _merge(group: list[Section]) -> _Piece:
    """One piece from sections; headings below their common path stay in the text."""
    common = group[0].heading_path
    for section in group[1:]:
        n = 0
        while n < min(len(common), len(section.heading_path)) and (
            common[n] == section.heading_path[n]
        ):
            n += 1
        common = common[:n]
    parts = []
    for section in group:
        extra = CONTEXT_SEPARATOR.join(section.heading_path[len(common) :])
        parts.append(f"{extra}\n{section.text}" if extra and len(group) > 1 else section.text)
    if len(group) == 1:
        common = group[0].heading_path
    return _Piece("\n\n".join(parts), common, slide=group[0].slide)


def _group_segments(run: list[Section], count_tokens: CountTokens, target: int) -> list[_Piece]:
    """Consecutive segments up to the target, breaking at a speaker change when past half."""
    pieces: list[_Piece] = []
    group: list[Section] = []
    used = 0
    for segment in run:
        cost = _cost(segment.text, count_tokens) + (
            _cost(f"{segment.speaker}:", count_tokens) if segment.speaker else 0
        )
        speaker_change = bool(group) and segment.speaker != group[-1].speaker
        if group and (used + cost > target or (speaker_change and used >= target // 2)):
            pieces.append(_passage(group))
            group, used = [], 0
        group.append(segment)
        used += cost
    if group:
        pieces.append(_passage(group))
    return pieces


def _passage(group: list[Section]) -> _Piece:
    lines: list[str] = []
    previous: str | None = None
    for segment in group:
        if lines and segment.speaker == previous:
            lines[-1] += " " + segment.text
        else:
            lines.append(f"{segment.speaker}: {segment.text}" if segment.speaker else segment.text)
        previous = segment.speaker
    weights = Counter[str]()
    for segment in group:
        if segment.speaker:
            weights[segment.speaker] += len(segment.text)
    speaker = weights.most_common(1)[0][0] if weights else None
    return _Piece("\n".join(lines), (), group[0].start, group[-1].end, speaker)


def _context(title: str, path: tuple[str, ...], count_tokens: CountTokens, max_tokens: int) -> str:
    """`Title › Heading › Subheading`, shortened so that it leaves room for the text."""
    context = CONTEXT_SEPARATOR.join(p for p in (title, *path) if p)
    if len(context) > _MAX_CONTEXT_CHARS:
        context = context[: _MAX_CONTEXT_CHARS - 1].rstrip() + "…"
    words = context.split(" ")
    while words and count_tokens(" ".join(words)) > max_tokens // 4:
        words = words[: len(words) * 3 // 4]  # shrink fast: a quarter of the budget at most
    return " ".join(words)


@dataclass(frozen=True)
class _Limits:
    hard: int  # never exceeded
    target: int  # what split pieces aim for


def _fit(text: str, context: str, count_tokens: CountTokens, limits: _Limits) -> list[str]:
    """Split text so that every `context + "\\n" + part` has at most limits.hard tokens.

    Text within the hard limit stays whole; longer text is cut into pieces of about the target.
    """

    def fits(part: str) -> bool:
        return count_tokens(f"{context}\n{part}" if context else part) <= limits.hard

    if fits(text) or len(text) <= 1:
        return [text]
    budget = max(1, limits.target - count_tokens(context))
    for separator, splitter in _SPLITTERS:
        parts = [p.strip() for p in splitter(text) if p.strip()]
        if len(parts) < 2:
            continue
        packed = _pack(parts, separator, budget, count_tokens)
        if len(packed) < 2:  # the estimate said it fits, the exact count disagrees: halve
            mid = len(parts) // 2
            packed = [separator.join(parts[:mid]), separator.join(parts[mid:])]
        return [out for part in packed for out in _fit(part, context, count_tokens, limits)]
    half = len(text) // 2  # one unbreakable word: cut it in two
    return _fit(text[:half], context, count_tokens, limits) + _fit(
        text[half:], context, count_tokens, limits
    )


def _pack(parts: list[str], separator: str, budget: int, count_tokens: CountTokens) -> list[str]:
    """Greedy packing by estimated cost; _fit checks the exact count afterwards."""
    packed: list[str] = []
    current: list[str] = []
    used = 0
    for part in parts:
        cost = _cost(part, count_tokens)
        if current and used + cost > budget:
            packed.append(separator.join(current))
            current, used = [], 0
        current.append(part)
        used += cost
    if current:
        packed.append(separator.join(current))
    return packed


_SPLITTERS: tuple[tuple[str, Callable[[str], list[str]]], ...] = (
    ("\n\n", lambda t: t.split("\n\n")),
    ("\n", lambda t: t.split("\n")),
    (" ", lambda t: _SENTENCE_END.split(t)),
    (" ", lambda t: t.split()),
)
