"""`hindsight show ID|PATH`: what ingest understood of one file, through the door."""

from __future__ import annotations

import argparse
import json
from typing import Any

from cli.common import EXIT_OK, UsageError, command, reading
from index.understood import Understood


def cmd_show(args: argparse.Namespace) -> int:
    with reading(args) as archive:
        found = archive.understood(args.file)
    if found is None:
        raise UsageError(f"no document or file {args.file!r} in the index (or not visible to you)")
    if args.json:
        print(json.dumps(found.to_json(), ensure_ascii=False, indent=2))
    else:
        print(describe(found))
    return EXIT_OK


def describe(found: Understood) -> str:
    """The record as a reader wants it on a terminal."""
    out = found.to_json()
    lines = [f"{out['path']}  ({out['state']})"]
    if out["reason"]:
        lines.append(
            f"  reason: {out['reason']}" + (f" (line {out['line']})" if out["line"] else "")
        )
    if found.doc is None:
        return "\n".join(lines)
    converter = f" via {out['converter']}" if out["converter"] else ""
    rows: list[tuple[str, Any]] = [
        ("id", out["doc_id"]),
        ("title", out["title"]),
        ("kind", out["kind"]),
        ("date", out["date"] or "undated"),
        ("source", f"{out['source_format']}{converter}"),
        ("original", out["original_url"]),
        ("recording", out["recording"]),
        ("language", out["language"]),
        ("transcribed", "yes, at ingest" if out["transcribed"] else None),
        ("chunks", out["chunks"]),
    ]
    lines += [f"  {k + ':':<12} {v}" for k, v in rows if v not in (None, "")]
    if out["fields"]:
        lines.append("  fields:")
        lines += [f"    {k}: {_value(v)}" for k, v in out["fields"].items()]
    if out["sections"]:
        lines.append("  sections:")
        lines += [f"    {s}" for s in out["sections"]]
    if out["action_items"]:
        lines.append("  action items:")
        for item in out["action_items"]:
            extra = ", ".join(f"{k} {item[k]}" for k in ("owner", "status", "due") if item.get(k))
            lines.append(f"    - {item.get('title')}" + (f" ({extra})" if extra else ""))
    if out["warnings"]:
        lines.append("  warnings:")
        lines += [f"    {w}" for w in out["warnings"]]
    return "\n".join(lines)


def _value(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def register(sub: Any, common: argparse.ArgumentParser, reader: argparse.ArgumentParser) -> None:
    p = command(
        sub,
        "show",
        [common, reader],
        "what was understood of one file: title, kind, date, fields, sections, action items",
        "  hindsight show content/postmortems/2025-12-03-customs-broker-api-throttling.pdf\n"
        "  hindsight show talks/2026-03-backpressure-in-practice --json",
    )
    p.add_argument("file", metavar="ID|PATH", help="a document id or a file's path")
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.set_defaults(func=cmd_show)
