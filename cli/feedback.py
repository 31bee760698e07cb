"""Commands about feedback: export the verdicts people gave as a judged set."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from cli.common import EXIT_OK, command, reading, settings


def cmd_feedback_export(args: argparse.Namespace) -> int:
    from circulation.feedback import export
    from circulation.state import StateStore

    store = StateStore(settings(args).data_dir)
    with reading(args) as archive:
        lines = [
            json.dumps(line, ensure_ascii=False)
            for line in export(store, archive)
            if args.surface is None or _surface(line) == args.surface
        ]
    text = "".join(f"{line}\n" for line in lines)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        print(text, end="")
    return EXIT_OK


def _surface(line: dict[str, Any]) -> str:
    return "similar" if "seed" in line else "search" if "query" in line else "brief"


def register(sub: Any, common: argparse.ArgumentParser, reader: argparse.ArgumentParser) -> None:
    group = sub.add_parser("feedback", help="what people said about results").add_subparsers(
        dest="action", required=True
    )
    p = command(
        group,
        "export",
        [common, reader],
        "the verdicts as a judged set (JSONL in the shapes of bench/judgements)",
        "  hindsight feedback export --all > judged.jsonl\n"
        "  hindsight feedback export --surface similar --out similar_feedback.jsonl\n"
        "  hindsight feedback export --groups sre",
    )
    p.add_argument("--surface", choices=["similar", "brief", "search"])
    p.add_argument("--out", metavar="FILE", help="write here instead of stdout")
    p.set_defaults(func=cmd_feedback_export)
