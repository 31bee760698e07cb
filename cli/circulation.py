"""Commands about circulation: digest (with the review queue by owner), gaps."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

from cli.common import EXIT_OK, UsageError, command, reading, settings, since


def cmd_digest(args: argparse.Namespace) -> int:
    from circulation import digest, review
    from circulation.state import StateStore
    from circulation.whats_new import whats_new

    start = since(args.since)
    found = settings(args)
    with reading(args) as archive:
        news = whats_new(archive, start)
        queue = [] if args.no_review else review.queue(archive, StateStore(found.data_dir))
    if args.feed_url and args.format != "atom":
        raise UsageError("--feed-url is the address an Atom digest is served at: use --format atom")
    rendered = digest.render(
        news,
        args.format,
        found.portal_url,
        now=dt.datetime.now(),
        review=review.by_owner(queue),
        feed_url=args.feed_url,
    )
    print(rendered, end="")
    return EXIT_OK


def cmd_gaps(args: argparse.Namespace) -> int:
    from circulation.gaps import find_gaps
    from circulation.state import StateStore

    found = settings(args)
    with reading(args) as archive:
        topics = find_gaps(archive, StateStore(found.data_dir), found)
    if args.json:
        print(json.dumps([t.to_json() for t in topics], indent=2))
        return EXIT_OK
    if not topics:
        print(
            f"No gaps: no topic was asked by {found.gaps_min_askers}+ askers without an answer"
            f" (search log: {found.search_log})."
        )
    for t in topics:
        print(f"{t.label}  [{t.category_label}]  {t.askers_label}, {t.searches} searches")
        for q in t.queries[:5]:
            print(f"    “{q}”")
        names = ", ".join(m.expert.name for m in t.experts) or "nobody yet"
        print(f"    closest people: {names}")
    return EXIT_OK


def register(sub: Any, common: argparse.ArgumentParser, reader: argparse.ArgumentParser) -> None:
    p = command(
        sub,
        "digest",
        [common, reader],
        "what is new since a moment, for an e-mail or chat post",
        "  hindsight digest --since 7d\n"
        "  hindsight digest --since 2026-11-01 --groups sre --format html > digest.html\n"
        "  hindsight digest --since 24h --all --format json\n"
        "  hindsight digest --since 7d --for priya.raman@kestrel.example --groups payments\n"
        "  hindsight digest --since 7d --format atom --feed-url https://intranet.example/hindsight.atom",
    )
    p.add_argument("--since", required=True, metavar="DATE|7d", help="a date, or 24h / 7d / 2w")
    p.add_argument("--format", choices=["md", "html", "json", "atom"], default="md")
    p.add_argument(
        "--no-review", action="store_true", help="leave out the per-owner 'Due for review' section"
    )
    p.add_argument(
        "--for",
        dest="for_person",
        metavar="PERSON",
        help="a digest for this person (name or e-mail): adds their own files that failed to "
        "ingest",
    )
    p.add_argument(
        "--feed-url",
        metavar="URL",
        help="with --format atom: the address the feed will be served at (its rel=self link)",
    )
    p.set_defaults(func=cmd_digest)

    p = command(
        sub,
        "gaps",
        [common, reader],
        "topics people searched for and found nothing useful",
        "  hindsight gaps\n  hindsight gaps --json --groups showcase-organisers",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_gaps)
