"""Commands about incidents: similar, recurring, actions."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cli.common import EXIT_OK, UsageError, command, positive, reading

if TYPE_CHECKING:
    from index.archive import Archive


def postmortem_id(archive: Archive, ref: str) -> str:
    """An incident id from an id or a file path (as ingested)."""
    if archive.document(ref, kind="postmortem") is not None:
        return ref
    wanted = {ref, str(Path(ref)), str(Path(ref).resolve())}
    for state in archive.file_states():
        if state.doc_id and (state.path in wanted or state.source_key in wanted):
            return str(state.doc_id)
    for state in archive.file_states():
        if state.doc_id and Path(state.path).name == Path(ref).name:
            return str(state.doc_id)
    return ref


def cmd_similar(args: argparse.Namespace) -> int:
    positive(args.limit)
    with reading(args) as archive:
        panel = archive.similar_incidents(postmortem_id(archive, args.incident), limit=args.limit)
    if panel is None:
        raise UsageError(f"no post-mortem {args.incident!r} (or not visible to you)")
    if args.json:
        for item in panel.items:
            print(json.dumps(item.to_json(), ensure_ascii=False))
        if not panel.items:
            print(
                json.dumps(
                    {"reason": panel.reason, "closest": panel.closest and panel.closest.to_json()}
                )
            )
        return EXIT_OK
    print(f"Like: {panel.seed.title}")
    for label, items in (
        ("Likely the same failure mode", panel.same),
        ("Possibly related", panel.related),
    ):
        if items:
            print(f"\n{label}:")
        for item in items:
            date = item.doc.date.isoformat() if item.doc.date else "undated"
            print(f"  {date}  {item.doc.title}  [{item.doc.doc_id}]")
            print(f"              why: {item.why}")
    if not panel.items and panel.closest is not None:
        closest = panel.closest
        print("Nothing shares its failure mode closely enough to count as similar.")
        print(f"Closest: {closest.doc.title}  [{closest.doc.doc_id}]")
        print(f"              why: {closest.why}")
    elif not panel.items:
        print(panel.reason)
    return EXIT_OK


def cmd_recurring(args: argparse.Namespace) -> int:
    with reading(args) as archive:
        clusters = archive.recurring()
    if args.json:
        for cluster in clusters:
            print(json.dumps(cluster.to_json(), ensure_ascii=False))
        return EXIT_OK
    if not clusters:
        print("No failure mode recurs among the post-mortems you may see.")
    for cluster in clusters:
        print(cluster.headline())
        for doc in cluster.members:
            print(
                f"  {doc.date.isoformat() if doc.date else 'undated'}  {doc.title}  [{doc.doc_id}]"
            )
    return EXIT_OK


def cmd_actions(args: argparse.Namespace) -> int:
    from index.action_items import ItemFilter, to_csv

    how = ItemFilter(open_only=args.open, overdue_only=args.overdue, owners=tuple(args.owner or ()))
    with reading(args) as archive:
        items = archive.action_items(how=how)
        unknown = [
            o
            for o in (args.owner or () if not items else ())
            if not archive.action_items(how=ItemFilter(owners=(o,)))
        ]
    if unknown:  # a typo, or someone who owns nothing you may see: say which
        names = ", ".join(repr(o) for o in unknown)
        print(
            f"hindsight actions: nobody called {names} owns an action item you may see "
            "(run `hindsight actions` for every owner)",
            file=sys.stderr,
        )
    if args.csv:
        sys.stdout.write(to_csv(items))
    elif args.json:
        for item in items:
            print(json.dumps(item.row(), ensure_ascii=False))
    elif not items:
        wanted = [w for flag, w in ((args.open, "open"), (args.overdue, "overdue")) if flag]
        print(f"No {' and '.join(wanted) + ' ' if wanted else ''}action items match.")
    else:
        for item in items:
            flag = "OVERDUE " if item.overdue else ""
            print(
                f"{flag}[{item.row()['status']}] {item.title} — {item.owner or 'no owner'}"
                f" (due {item.row()['due'] or '—'}; {item.incident})"
            )
    return EXIT_OK


def register(sub: Any, common: argparse.ArgumentParser, reader: argparse.ArgumentParser) -> None:
    p = command(
        sub,
        "similar",
        [common, reader],
        "post-mortems that share an incident's failure mode",
        "  hindsight similar pm-2025-05-29-envoy-retry-storm\n"
        "  hindsight similar content/postmortems/2025-03-14-ledger-replica-lag.md --json --limit 3",
    )
    p.add_argument("incident", metavar="ID|PATH")
    p.add_argument("--json", action="store_true", help="one JSON object per similar post-mortem")
    p.add_argument("--limit", type=int, default=5, help="post-mortems to return (default 5)")
    p.set_defaults(func=cmd_similar)

    p = command(
        sub,
        "recurring",
        [common, reader],
        "failure modes that keep happening",
        "  hindsight recurring\n  hindsight recurring --json --groups sre",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per cluster")
    p.set_defaults(func=cmd_recurring)

    p = command(
        sub,
        "actions",
        [common, reader],
        "every post-mortem action item",
        "  hindsight actions --open\n  hindsight actions --overdue --owner 'Kwame Asante'"
        "\n  hindsight actions --csv > action-items.csv",
    )
    p.add_argument("--open", action="store_true", help="only items not done")
    p.add_argument("--overdue", action="store_true", help="only open items past their due date")
    p.add_argument("--owner", action="append", help="only this owner's items (repeatable)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="one JSON object per item")
    out.add_argument("--csv", action="store_true", help="CSV on stdout")
    p.set_defaults(func=cmd_actions)
