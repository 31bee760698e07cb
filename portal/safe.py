"""Rendering untrusted content: every string from a content file passes through here.

Streamlit renders Markdown itself, so content is neutralised as Markdown source: HTML is
escaped (it shows as text), `$` cannot start maths, and the only links that survive are
ones rebuilt here with an http(s) or mailto target. Nothing here ever enables raw HTML.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote, urlsplit

from index import escape

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")
_LINK = re.compile(
    r"(!?)\[([^\[\]\n]*)\]\(\s*(<[^<>\n]*>|[^\s()<>]*(?:\([^\s()<>]*\)[^\s()<>]*)*)"
    r"(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?\s*\)"
)
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^\s<>]+)>", re.I)
_DEFINITION = re.compile(r"^ {0,3}\[[^\]\n]+\]:\s*(\S+)")
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?=\s|$)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


# VALUE shown literally inside Markdown (labels, titles, chips, snippets): the one function.
text = escape.markdown


def url(value: object) -> str | None:
    """VALUE as a link target when its scheme is http, https or mailto; otherwise None."""
    if not isinstance(value, str):
        return None
    candidate = _CONTROL.sub("", html.unescape(value.strip().strip("<>")))
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    if parts.scheme.lower() not in SAFE_SCHEMES:
        return None
    if parts.scheme.lower() != "mailto" and not parts.netloc:
        return None
    if parts.scheme.lower() == "mailto" and not parts.path:
        return None
    return quote(candidate, safe=":/?#[]@!$&'*+,;=%~-._").replace("(", "%28").replace(")", "%29")


def link(label: object, target: object) -> str:
    """A Markdown link when TARGET is safe, else LABEL as plain text."""
    href = url(target)
    shown = text(label) or text(target)
    return f"[{shown}]({href})" if href else shown


def mailto(address: object) -> str | None:
    """A mailto: target for a plain e-mail address, or None."""
    if not isinstance(address, str) or not re.fullmatch(r"[^@\s<>()]+@[^@\s<>()]+\.\w+", address):
        return None
    return url(f"mailto:{address.strip()}")


def markdown(body: str, *, demote: int = 0) -> str:
    """Markdown BODY neutralised: formatting kept, HTML shown as text, unsafe links unlinked.

    Args:
        body: untrusted Markdown.
        demote: levels to push headings down, so a body's `#` sits under the page's own title.
    """
    out: list[str] = []
    fence: tuple[str, int] | None = None  # (character, length) of the open code fence
    for line in body.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        opened = _FENCE.match(line)
        if fence is not None:
            out.append(line)
            if (
                opened
                and opened.group(2)[0] == fence[0]
                and len(opened.group(2)) >= fence[1]
                and not opened.group(3).strip()
            ):
                fence = None
            continue
        if opened and not (opened.group(2)[0] == "`" and "`" in opened.group(3)):
            fence = (opened.group(2)[0], len(opened.group(2)))
            info = re.sub(r"[^\w+\-.#]", "", opened.group(3))[:30]  # a language name at most
            out.append(f"{opened.group(1)}{opened.group(2)}{info}")
            continue
        heading = _HEADING.match(line) if demote else None
        if heading:
            line = "#" * min(6, len(heading.group(1)) + demote) + line[heading.end(1) :]
        out.append(_line(line))
    return "\n".join(out)


def _line(line: str) -> str:
    definition = _DEFINITION.match(line)
    if definition:  # a reference definition: keep only a safe target, never a link to elsewhere
        href = url(definition.group(1))
        return text(line) if href is None else line[: definition.start(1)] + href
    out: list[str] = []
    for i, piece in enumerate(_code_spans(line)):
        out.append(piece if i % 2 else _inline(piece))
    return "".join(out)


def _code_spans(line: str) -> list[str]:
    """LINE split into [text, code, text, code, ..., text]; code spans keep their backticks."""
    pieces: list[str] = []
    pos = start = 0
    while True:
        opening = re.compile(r"`+").search(line, pos)
        if opening is None:
            break
        ticks = opening.group(0)
        closing = re.compile(rf"(?<!`){ticks}(?!`)").search(line, opening.end())
        if closing is None:
            pos = opening.end()
            continue
        pieces += [line[start : opening.start()], line[opening.start() : closing.end()]]
        pos = start = closing.end()
    pieces.append(line[start:])
    return pieces


def _inline(segment: str) -> str:
    """Text outside code: links rebuilt or dropped, everything else made inert."""
    out: list[str] = []
    pos = 0
    segment = _AUTOLINK.sub(lambda m: f"[{m.group(1)}]({m.group(1)})", segment)
    for match in _LINK.finditer(segment):
        out.append(_inert(segment[pos : match.start()]))
        image, label, target = match.group(1), match.group(2), match.group(3)
        href = url(target)
        # Images become links: untrusted content does not get to load pixels in the viewer.
        shown = _inert(label) or _inert(target)
        shown = f"image: {shown}" if image else shown
        out.append(f"[{shown}]({href})" if href else shown)
        pos = match.end()
    out.append(_inert(segment[pos:]))
    return "".join(out)


def _inert(fragment: str) -> str:
    """Markdown text that can no longer open HTML, links, maths or directives."""
    fragment = fragment.replace("&", "&amp;").replace("<", "&lt;")
    fragment = fragment.replace("$", "\\$").replace("](", "]\\(").replace("[", "\\[")
    # `:name` starts a Streamlit directive (:red[...], :material/icon:); `scheme://` never does.
    return re.sub(r":(?=[A-Za-z])", r"\\:", fragment)
