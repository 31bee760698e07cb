"""The pre-work brief from the shell: `hindsight brief FILE|-`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cli.common import EXIT_OK, UsageError, command, reading, settings


def cmd_brief(args: argparse.Namespace) -> int:
    from circulation.brief import build
    from circulation.links import Links
    from circulation.pr_check import comment, plan_of

    if args.plan == "-":
        plan = sys.stdin.read()
    else:
        try:
            plan = Path(args.plan).read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise UsageError(f"cannot read {args.plan}: {exc.strerror}") from exc
    if args.format == "pr":
        plan = plan_of(plan)
    if not plan.strip():
        raise UsageError("the plan is empty")
    with reading(args) as archive:
        found = build(archive, plan, viewer_tz=args.tz)
        who = archive.viewer
    if args.format == "pr":  # advisory: a PR check never fails the build on what it found
        groups = "everything" if who.sees_everything else ", ".join(sorted(who.groups))
        portal = settings(args).portal_url
        sys.stdout.write(comment(found, Links(portal), groups=groups or "none"))
        return EXIT_OK
    if args.json:
        print(json.dumps(found.to_json(), indent=2))
    else:
        sys.stdout.write(found.to_markdown())
    return EXIT_OK


def register(sub: Any, common: argparse.ArgumentParser, reader: argparse.ArgumentParser) -> None:
    p = command(
        sub,
        "brief",
        [common, reader],
        "what we already learned about a plan: incidents, open items, moments, people",
        "  hindsight brief design-doc.md\n"
        "  pbcopy < plan.txt; pbpaste | hindsight brief - --format md >> PR.md\n"
        "  hindsight brief --json --groups sre plan.txt\n"
        '  { echo "$PR_TITLE"; echo "$PR_BODY"; git diff --name-only main...; } \\\n'
        "      | hindsight brief - --format pr > comment.md   # a PR check (docs/pr-check.md)",
    )
    p.add_argument("plan", metavar="FILE|-", help="a .md or .txt plan; - reads stdin")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="the brief as one JSON object")
    out.add_argument(
        "--format",
        choices=["md", "pr"],
        default="md",
        help="md: the Markdown brief (default); pr: a short advisory PR comment from a PR's "
        "title, description and changed paths",
    )
    p.add_argument("--tz", default="UTC", help="timezone for office hours (default UTC)")
    p.set_defaults(func=cmd_brief)
