"""Coordination figures from the shell: `hindsight metrics [--since] [--team] [--json]`."""

from __future__ import annotations

import argparse
import json
from typing import Any

from cli.common import EXIT_OK, command, reading, settings, since


def _pct(part: int, whole: int) -> str:
    return f"{part} of {whole} ({part / whole:.0%})" if whole else "none"


def render(found: Any) -> str:
    """The figures as plain text, one block per team."""
    start = f"{found.since:%Y-%m-%d}" if found.since else "the start of the log"
    lines = [
        f"Coordination, {start} → {found.until:%Y-%m-%d} (teams of {found.min_group}+ people; "
        f"search log: {found.search_log})",
        "",
    ]
    if not found.teams:
        lines.append("Nothing yet: no team checked a plan, searched, or has post-mortems here.")
    for t in found.shown:
        closure = _pct(t.action_items_done, t.action_items)
        dated = len(t.days_to_close)
        median = (
            f", median {t.median_days_to_close:g} days to close ({dated} dated)" if dated else ""
        )
        matched = f" — similar to {', '.join(sorted(t.matched_teams))}" if t.matched_teams else ""
        lines += [
            f"{t.team} ({t.people} people)",
            f"  plans checked          {t.plans_checked}",
            f"  found past incidents   {t.briefs_with_incidents} briefs; incidents opened "
            f"{_pct(t.incidents_opened, t.incidents_shown)}",
            f"  searches answered      {_pct(t.searches_answered, t.searches)}",
            f"  repeat incidents       {t.repeat_incidents}",
            f"  action items done      {closure}; {t.action_items_open} open, "
            f"{t.action_items_overdue} overdue{median}",
            f"  reuse                  {t.opened_by_other_teams} opens by "
            f"{len(t.teams_opening)} other teams; {t.opened_from_other_teams} opens of other "
            f"teams' documents; {len(t.showcases_cited)} Showcase sessions cited "
            f"{t.showcase_citations} times",
            f"  duplicate plans        {_pct(t.duplicate_plans, t.plans_checked)}{matched}",
            "",
        ]
    if found.withheld:
        names = ", ".join(t.team for t in found.withheld)
        lines.append(f"Not shown (fewer than {found.min_group} people known): {names}")
    return "\n".join(lines).rstrip() + "\n"


def cmd_metrics(args: argparse.Namespace) -> int:
    from circulation.metrics import coordination
    from circulation.state import StateStore

    found_settings = settings(args)
    start = since(args.since) if args.since else None
    if not found_settings.metrics:
        message = "Coordination figures are off (HINDSIGHT_METRICS=off)."
        print(json.dumps({"enabled": False, "reason": message}) if args.json else message)
        return EXIT_OK
    with reading(args) as archive:
        found = coordination(
            archive,
            StateStore(found_settings.data_dir),
            found_settings,
            since=start,
            team=args.team,
        )
    if args.json:
        print(json.dumps({"enabled": True} | found.to_json(), indent=2))
    else:
        print(render(found), end="")
    return EXIT_OK


def register(sub: Any, common: argparse.ArgumentParser, reader: argparse.ArgumentParser) -> None:
    p = command(
        sub,
        "metrics",
        [common, reader],
        "coordination figures per team: plans checked, reuse, repeats, duplicate plans",
        "  hindsight metrics\n"
        "  hindsight metrics --since 90d --json\n"
        "  hindsight metrics --team payments --groups eng",
    )
    p.add_argument("--since", metavar="DATE|30d", help="a date, or 24h / 30d / 12w (default: all)")
    p.add_argument("--team", metavar="T", help="only this team's figures")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_metrics)
