"""Whose is a file that failed to ingest: the people and access its front matter names.

A file that fails made no document, so nothing in the catalog says who wrote it or who may see
it. Its owner is the person who can fix it, so the door (Archive.own_problems) looks at the
file itself, the way ingest would have: the people fields and `access:` of its front matter
block, read line by line so that the broken YAML that made it fail does not hide them. A
transcript's front matter is its Markdown sidecar. Reading is bounded (the first 16 KB) and
nothing in the file is interpreted beyond those lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from index import fields
from index.access import groups_of

READ_BYTES = 16_384
# The people fields as ingest folds them (index/fields.py), and the contacts a file may name.
PEOPLE_FIELDS = frozenset(f.name for f in fields.FIELDS if f.facet == "person") | {
    "email",
    "maintainer",
    "maintainers",
    "contact",
}
_KEY = re.compile(r"^([A-Za-z_][\w -]{0,40}?)\s*:\s*(.*)$")
_ITEM = re.compile(r"^\s+-\s+(.*)$|^-\s+(.*)$")


@dataclass(frozen=True)
class Claimed:
    """What a file's front matter says about who it belongs to and who may read it."""

    people: tuple[str, ...]  # names and e-mails as written
    access: tuple[str, ...] | None  # None: no access line (everyone, as ingest would read it)


def claimed(path: Path) -> Claimed:
    """The people and access that PATH's front matter (or its sidecar's) names."""
    for candidate in (path, path.with_suffix(".md")):
        found = _front_matter(candidate)
        if found is not None:
            return _read(found)
    return Claimed((), None)


def _front_matter(path: Path) -> list[str] | None:
    try:
        with path.open("rb") as handle:
            raw = handle.read(READ_BYTES)
    except OSError:
        return None
    lines = raw.decode("utf-8", "replace").lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        return None
    block = []
    for line in lines[1:]:
        if line.strip() in ("---", "..."):
            break
        block.append(line)
    return block


def _values(text: str) -> list[str]:
    text = text.strip()
    if not text or text.startswith(("|", ">")):
        return []
    text = text.strip("[]")
    return [v.strip().strip("\"'") for v in text.split(",") if v.strip().strip("\"'")]


def _read(block: list[str]) -> Claimed:
    people: list[str] = []
    access: list[str] | None = None
    field = ""
    for line in block:
        key = _KEY.match(line)
        if key:
            field = fields.canonical_name(key.group(1)) or key.group(1).strip().lower()
            values = _values(key.group(2))
        else:
            item = _ITEM.match(line)
            if not item or not field:
                continue
            inline = (item.group(1) or item.group(2) or "").strip()
            # `- {title: …, owner: Ann}` (an action item) is not a list of people
            values = [] if inline.startswith("{") else _values(inline)
        if field in PEOPLE_FIELDS:
            people += values
        elif field == "access":
            access = [*(access or []), *values]
    return Claimed(tuple(dict.fromkeys(people)), groups_of(access) if access is not None else None)
