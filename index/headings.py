r"""ATX headings ("## Root cause ##") of Markdown, read one line at a time.

Bodies are untrusted: a pattern like `(.+?)\s*#*\s*$` backtracks for minutes on a heading
padded with thousands of spaces, so the closing sequence and trailing blanks are stripped with
string methods instead.
"""

from __future__ import annotations

import re

_OPENING = re.compile(r" {0,3}(#{1,6})(?:[ \t]+|$)")


def atx(line: str) -> tuple[int, str] | None:
    """(level, text) when LINE is an ATX heading, its closing #s and blanks removed; else None.
    The text may be empty ("## ")."""
    found = _OPENING.match(line)
    if found is None:
        return None
    text = line[found.end() :].strip()
    bare = text.rstrip("#")
    if bare != text and (not bare or bare[-1] in " \t"):  # "Root cause ##", not "C#"
        text = bare.rstrip()
    return len(found.group(1)), text


def headings(body: str) -> list[tuple[int, str]]:
    """Every ATX heading of BODY with text, in order (fenced code is not skipped)."""
    return [h for h in map(atx, body.splitlines()) if h is not None and h[1]]
