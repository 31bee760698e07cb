"""Front-matter values as clean text, whatever YAML made of them."""

from __future__ import annotations

from typing import Any


def text_value(value: Any) -> str:
    """A scalar field as stripped text ('' for missing, lists and mappings)."""
    if value is None or isinstance(value, dict | list):
        return ""
    return " ".join(str(value).split())


def string_list(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, dict):  # e.g. authors: [{name: ..., email: ...}]
            item = item.get("name") or item.get("title") or item.get("id") or ""
        text = text_value(item)
        if text:
            out.append(text)
    return out
