"""The review queue: `hindsight review` — what is due or overdue for review, flagged outdated,
or superseded without a link, grouped by owner (circulation/review.py)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from cli.common import EXIT_OK, UsageError, command, reading, settings


def cmd_review(args: argparse.Namespace) -> int:
    from circulation import review
    from circulation.state import StateStore

    found = settings(args)
    with reading(args) as archive:
        unknown = [o for o in args.owner or () if archive.who(o) is None]
        if unknown:
            raise UsageError(f"--owner names nobody: {', '.join(map(repr, unknown))}")
        items = review.queue(
            archive,
            StateStore(found.data_dir),
            overdue_only=args.overdue,
            owners=tuple(args.owner or ()),
        )
    if args.json:
        for item in items:
            print(json.dumps(item.to_json(found.portal_url), ensure_ascii=False))
        return EXIT_OK
    if not items:
        what = (
            "overdue for review"
            if args.overdue
            else ("due for review, flagged outdated or superseded without a link")
        )
        print(f"Nothing to review: no document you may see is {what}.")
    for owner, group in review.by_owner(items):
        print(f"{owner} ({len(group)})")
        for item in group:
            label = review.REASON_LABELS[item.reason]
            print(f"  {label:<32} {item.doc.title}  [{item.doc.doc_id}]")
            print(f"  {'':<32} {item.detail}")
    return EXIT_OK


def register(sub: Any, common: argparse.ArgumentParser, reader: argparse.ArgumentParser) -> None:
    p = command(
        sub,
        "review",
        [common, reader],
        "documents due or overdue for review, flagged outdated, or superseded without a link",
        "  hindsight review\n"
        "  hindsight review --overdue --owner 'Hannah Okafor'\n"
        "  hindsight review --overdue --json --all",
    )
    p.add_argument("--overdue", action="store_true", help="only documents past their review date")
    p.add_argument(
        "--owner", action="append", metavar="P", help="only this person's documents (repeatable)"
    )
    p.add_argument("--json", action="store_true", help="one JSON object per document")
    p.set_defaults(func=cmd_review)
