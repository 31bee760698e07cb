"""The pre-work brief from the shell: `hindsight brief FILE|-`, and the radar's shared plans
(`--share`, `hindsight shared`, `hindsight withdraw`)."""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from typing import Any

from cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    command,
    read_text,
    reading,
    settings,
    timezone,
    viewer,
)


def cmd_brief(args: argparse.Namespace) -> int:
    from circulation import activity, radar
    from circulation.brief import build
    from circulation.links import Links
    from circulation.pr_check import comment, plan_of
    from circulation.state import StateStore

    tz = timezone(args.tz)
    plan = sys.stdin.read() if args.plan == "-" else read_text(args.plan, "plan")
    if args.format == "pr":
        plan = plan_of(plan)
    if not plan.strip():
        raise UsageError("the plan is empty")
    team = " ".join((args.team or "").split())
    if args.share and not team:
        raise UsageError("--share needs --team T: the team the plan comes from")
    if args.share and args.all:
        raise UsageError(
            "--share shows the plan to the groups given with --groups (none: everyone); "
            "--all reads everything and names no group"
        )
    found_settings = settings(args)
    store = StateStore(found_settings.data_dir)
    session = activity.cli_session(args.person)
    shared = None
    with reading(args) as archive:
        found = build(archive, plan, viewer_tz=tz)
        try:
            # The OS user is no identity to hide plans by: only a --person's own plans are.
            mine = session if args.person else ""
            found = radar.with_related(found, store, archive, found_settings, team=team, owner=mine)
        except sqlite3.Error as exc:  # a read-only data dir (a replica): the brief still counts
            print(f"hindsight brief: other teams' plans not read: {exc}", file=sys.stderr)
        if args.share:
            try:
                shared = radar.share(
                    store,
                    archive,
                    plan,
                    team=team,
                    owner=session,
                    person=args.person,
                    groups=sorted(archive.viewer.groups),
                )
            except (sqlite3.Error, radar.RadarError) as exc:
                print(f"hindsight brief: the plan was not shared: {exc}", file=sys.stderr)
                return EXIT_FAILED
        try:
            activity.log_brief(
                store, found_settings, archive, found, team=team, session=session, source="cli"
            )
        except sqlite3.Error as exc:
            print(f"hindsight brief: not counted in the figures: {exc}", file=sys.stderr)
        who = archive.viewer
    if args.format == "pr":  # advisory: a PR check never fails the build on what it found
        groups = "everything" if who.sees_everything else ", ".join(sorted(who.groups))
        portal = settings(args).portal_url
        sys.stdout.write(comment(found, Links(portal), groups=groups or "none"))
    elif args.json:
        out = found.to_json()
        if shared is not None:
            out["shared"] = _shared_json(shared, radar.kept_until(shared, found_settings))
        print(json.dumps(out, indent=2))
    else:
        sys.stdout.write(found.to_markdown(settings(args).portal_url))
    if shared is not None:
        audience = ", ".join(shared.groups) or "everyone"
        print(
            f"Shared with other teams as {shared.team} (seen by: {audience}) until "
            f"{radar.kept_until(shared, found_settings):%Y-%m-%d}. "
            f"Withdraw it: hindsight withdraw {shared.plan_id}",
            file=sys.stderr,
        )
    return EXIT_OK


def _shared_json(shared: Any, until: Any) -> dict[str, Any]:
    return {
        "plan_id": shared.plan_id,
        "team": shared.team,
        "person": shared.person,
        "groups": list(shared.groups),
        "first_line": shared.first_line,
        "shared_at": shared.shared_at.isoformat(timespec="seconds"),
        "kept_until": until.isoformat(timespec="seconds"),
    }


def cmd_shared(args: argparse.Namespace) -> int:
    from circulation import activity, radar
    from circulation.state import StateStore

    found_settings = settings(args)
    store = StateStore(found_settings.data_dir)
    if args.every:
        radar.purge(store, found_settings)
        reader = viewer(args)
        plans = [p for p in store.shared_plans() if reader.may_see(p.groups)]
    else:
        plans = radar.shared_by(store, found_settings, activity.cli_session(args.person))
    if args.json:
        rows = [_shared_json(p, radar.kept_until(p, found_settings)) for p in plans]
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    if not plans:
        print("No shared plans" + ("." if args.every else " of yours (--every lists all)."))
    for p in plans:
        who = f", {p.person}" if p.person else ""
        print(
            f"{p.plan_id}  {p.shared_at:%Y-%m-%d}  {p.team}{who}  "
            f"[{', '.join(p.groups) or 'everyone'}]  {p.first_line}"
        )
    return EXIT_OK


def cmd_withdraw(args: argparse.Namespace) -> int:
    from circulation import radar
    from circulation.state import StateStore

    store = StateStore(settings(args).data_dir)
    if not radar.withdraw(store, args.plan_id.strip()):
        print(
            f"hindsight withdraw: no shared plan {args.plan_id!r} (withdrawn, expired or never "
            "shared; `hindsight shared` lists yours)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    print(f"Withdrawn: plan {args.plan_id} is no longer kept or shown to anyone.")
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
        "      | hindsight brief - --format pr > comment.md   # a PR check (docs/pr-check.md)\n"
        "  hindsight brief plan.md --team payouts           # shows other teams' similar plans\n"
        "  hindsight brief plan.md --share --team payouts --person 'Ana Souza' --groups eng",
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
    p.add_argument(
        "--team",
        metavar="T",
        help="your team: other teams' similar shared plans are shown, your own team's are not",
    )
    p.add_argument(
        "--share",
        action="store_true",
        help="keep this plan so other teams checking a similar one see it (needs --team; seen "
        "by the --groups given, none: everyone; kept HINDSIGHT_RADAR_DAYS days)",
    )
    p.add_argument(
        "--person",
        metavar="P",
        help="who you are: named on a plan you share (only then), and your own plans are "
        "never shown back to you (default: your OS user)",
    )
    p.set_defaults(func=cmd_brief)

    p = command(
        sub,
        "shared",
        [common, reader],
        "the plans you shared with other teams, with the ids to withdraw them",
        "  hindsight shared\n  hindsight shared --person 'Ana Souza' --json\n"
        "  hindsight shared --every",
    )
    p.add_argument("--person", metavar="P", help="the name you shared them as (--person)")
    p.add_argument(
        "--every",
        action="store_true",
        help="every kept plan the reader may see (--groups, --all), whoever shared it",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_shared)

    p = command(
        sub,
        "withdraw",
        [common],
        "withdraw a plan you shared: it is deleted and no brief shows it again",
        "  hindsight withdraw 3kXb9QvT0aLm",
    )
    p.add_argument("plan_id", metavar="PLAN_ID", help="as `hindsight brief --share` printed it")
    p.set_defaults(func=cmd_withdraw)
