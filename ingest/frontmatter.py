"""Split a Markdown file into front matter (YAML, TOML or JSON) and body."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from typing import Any

import yaml

from index.errors import ParseError

_YAML_OPEN = re.compile(r"-{3,}[ \t]*")
_YAML_CLOSE = re.compile(r"(?:-{3,}|\.{3})[ \t]*")
_TOML_FENCE = re.compile(r"\+{3}[ \t]*")
_JSON_OPEN = re.compile(r'\{\s*(?:"|$)')
_TOML_LINE = re.compile(r"\s*\(at (?:line (\d+), column \d+|end of document)\)")


MAX_YAML_VALUES = 50_000  # far above any real front matter; stops "billion laughs" alias bombs


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves timestamps as text: an impossible date is one bad field
    (a warning, read by documents.to_date), not a file that cannot be parsed."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _expanded_size(value: Any, seen: dict[int, int]) -> int:
    """How many values VALUE stands for once aliases are expanded (memoised by identity)."""
    if not isinstance(value, dict | list):
        return 1
    key = id(value)
    if key in seen:
        return seen[key]
    seen[key] = 1  # a cycle counts once instead of recursing forever
    items = list(value.values()) if isinstance(value, dict) else value
    total = 1 + sum(_expanded_size(v, seen) for v in items)
    seen[key] = total
    return total


@dataclass(frozen=True)
class FrontMatter:
    """Front-matter fields, the body after them and the body's 1-based line in the file."""

    data: dict[str, Any]
    body: str
    body_line: int


def split_front_matter(text: str) -> FrontMatter:
    """Separate leading front matter from the body.

    Args:
        text: the whole file, newlines already normalised.

    Raises:
        ParseError: the front matter is unclosed, malformed or not a mapping; `line` is the
            line in the file.
    """
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    lines = text.split("\n")
    first = lines[0]
    if _YAML_OPEN.fullmatch(first):
        close = _closing_fence(lines, _YAML_CLOSE, "---")
        data = load_yaml_mapping("\n".join(lines[1:close]), first_line=2)
        return _with_body(data, lines, close + 1)
    if _TOML_FENCE.fullmatch(first):
        close = _closing_fence(lines, _TOML_FENCE, "+++")
        return _with_body(_load_toml("\n".join(lines[1:close])), lines, close + 1)
    if _JSON_OPEN.match(first):
        return _split_json(text, lines)
    return _with_body({}, lines, 0)


def load_yaml_mapping(
    source: str, first_line: int = 1, *, what: str = "front matter"
) -> dict[str, Any]:
    """Parse YAML that must be a mapping; errors name the line in the file (source starts there)."""
    try:
        data = yaml.load(source, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        line = first_line + mark.line if mark is not None else first_line
        raise ParseError(f"invalid YAML {what}: {problem}", line) from exc
    except RecursionError as exc:  # `a: [[[[...` thousands deep
        raise ParseError(f"invalid YAML {what}: nested too deeply", first_line) from exc
    size = _expanded_size(data, {})
    if size > MAX_YAML_VALUES:
        raise ParseError(
            f"invalid YAML {what}: aliases expand it to {size:,} values (limit {MAX_YAML_VALUES:,})",
            first_line,
        )
    return _require_mapping(data, first_line, what)


def _closing_fence(lines: list[str], fence: re.Pattern[str], name: str) -> int:
    for i in range(1, len(lines)):
        if fence.fullmatch(lines[i]):
            return i
    raise ParseError(f"unclosed front matter: no closing '{name}' line", 1)


def _load_toml(source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _TOML_LINE.search(message)
        if found and found.group(1):
            line = 1 + int(found.group(1))  # TOML line 1 is file line 2
        else:  # "at end of document": the last line before the closing fence
            line = 1 + max(1, source.count("\n") + 1)
        reason = _TOML_LINE.sub("", message)
        raise ParseError(f"invalid TOML front matter: {reason}", line) from exc


def _split_json(text: str, lines: list[str]) -> FrontMatter:
    try:
        data, end = json.JSONDecoder().raw_decode(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"invalid JSON front matter: {exc.msg}", exc.lineno) from exc
    except RecursionError as exc:
        raise ParseError("invalid JSON front matter: nested too deeply", 1) from exc
    end_line = text.count("\n", 0, end)  # 0-based line holding the closing brace
    if text[end:].split("\n", 1)[0].strip():
        raise ParseError("unexpected text after JSON front matter", end_line + 1)
    return _with_body(_require_mapping(data, 1), lines, end_line + 1)


def _require_mapping(data: Any, line: int, what: str = "front matter") -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParseError(f"{what} must be a mapping of fields, got {_describe(data)}", line)
    # Keys such as `2024: x` arrive as ints; every consumer expects field names.
    return {str(key): value for key, value in data.items()}


def _describe(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return f"a {type(value).__name__}"


def _with_body(data: dict[str, Any], lines: list[str], start: int) -> FrontMatter:
    """Body from 0-based line `start`, leading blank lines dropped (body_line follows them)."""
    first = start
    while first < len(lines) and not lines[first].strip():
        first += 1
    if first == len(lines):  # no body: point just after the front matter
        return FrontMatter(data=data, body="", body_line=start + 1)
    return FrontMatter(data=data, body="\n".join(lines[first:]).rstrip(), body_line=first + 1)
