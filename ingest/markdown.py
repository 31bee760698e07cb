"""Markdown body to plain-text sections, split at headings (markdown-it-py's CommonMark parser)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser

from markdown_it import MarkdownIt
from markdown_it.token import Token

from index.models import Section

_MAX_HEADING_CHARS = 200
_SPACES = re.compile(r"[ \t]+")
_HIDDEN_HTML = ("script", "style", "template", "noscript")


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


def markdown_sections(body: str, first_line: int = 1) -> list[Section]:
    """Split Markdown into sections of plain text, one per heading.

    Args:
        body: Markdown source.
        first_line: the body's 1-based line in its file, so that sections point into the file.
    """
    builder = _SectionBuilder(first_line)
    tokens = _parser().parse(body)
    i = 0
    while i < len(tokens):
        i = builder.feed(tokens, i)
    return builder.finish()


def first_heading(body: str) -> str | None:
    """The text of the first non-empty heading, if any."""
    tokens = _parser().parse(body)
    for i, token in enumerate(tokens[:-1]):
        if token.type == "heading_open":
            text = _clip(_inline_text(tokens[i + 1]))
            if text:
                return text
    return None


@dataclass
class _SectionBuilder:
    first_line: int
    sections: list[Section] = field(default_factory=list)
    headings: list[tuple[int, str]] = field(default_factory=list)  # (level, text)
    blocks: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # lines of the open block
    line: int | None = None
    item_depth: int = 0
    item_started: list[bool] = field(default_factory=list)
    row: list[str] = field(default_factory=list)

    def feed(self, tokens: list[Token], i: int) -> int:
        """Consume the token at i (and its inline child); return the next index."""
        token = tokens[i]
        if token.level == 0 and token.nesting >= 0:
            self._close_block()
        if token.type == "heading_open":
            self._start_section(int(token.tag[1:]), _clip(_inline_text(tokens[i + 1])), token)
            return i + 3
        if self.line is None and token.map is not None:
            self.line = token.map[0] + self.first_line
        if token.type == "list_item_open":
            self.item_depth += 1
            self.item_started.append(False)
        elif token.type == "list_item_close":
            self.item_depth -= 1
            self.item_started.pop()
        elif token.type == "tr_open":
            self.row = []
        elif token.type == "tr_close":
            self.lines.append(" | ".join(self.row))
        elif token.type == "inline" and tokens[i - 1].type in ("th_open", "td_open"):
            self.row.append(_inline_text(token))
        elif token.type == "inline":
            self._add_text(_inline_text(token))
        elif token.type in ("fence", "code_block"):
            self._add_text(token.content.rstrip("\n"))
        elif token.type == "html_block":
            self._add_text(html_to_text(token.content))
        return i + 1

    def finish(self) -> list[Section]:
        self._close_block()
        self._close_section()
        return self.sections

    def _add_text(self, text: str) -> None:
        if not text.strip():
            return
        if self.item_depth:
            indent = "  " * (self.item_depth - 1)
            bullet = "  " if self.item_started[-1] else "- "
            self.item_started[-1] = True
            text = indent + bullet + text.replace("\n", "\n" + indent + "  ")
        self.lines.append(text)

    def _close_block(self) -> None:
        text = "\n".join(line for line in self.lines if line.strip())
        if text:
            self.blocks.append(text)
        self.lines = []

    def _start_section(self, level: int, text: str, token: Token) -> None:
        self._close_section()
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
        if text:
            self.headings.append((level, text))
        self.line = token.map[0] + self.first_line if token.map else None

    def _close_section(self) -> None:
        if self.blocks:
            path = tuple(text for _, text in self.headings)
            text = "\n\n".join(self.blocks)
            self.sections.append(Section(text=text, heading_path=path, line=self.line))
        self.blocks = []
        self.line = None


def _inline_text(token: Token) -> str:
    """Plain text of an inline token: markup dropped, inline HTML reduced to its text."""
    parts: list[str] = []
    hidden = 0
    for child in token.children or []:
        if child.type == "html_inline":
            tag = re.match(r"<(/?)([a-zA-Z][\w-]*)", child.content)
            if tag and tag.group(2).lower() in _HIDDEN_HTML:
                hidden = max(0, hidden + (-1 if tag.group(1) else 1))
        elif hidden:
            continue
        elif child.type in ("text", "code_inline", "image"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
    return "\n".join(_SPACES.sub(" ", line).strip() for line in "".join(parts).split("\n"))


class _TextExtractor(HTMLParser):
    """Collects the visible text of an HTML fragment; scripts and styles are dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_HTML:
            self.hidden += 1
        elif tag in ("br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_HTML:
            self.hidden = max(0, self.hidden - 1)

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of untrusted HTML, one line per block element."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(extractor.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_HEADING_CHARS else text[: _MAX_HEADING_CHARS - 1] + "…"
