"""Personal API tokens: `hindsight token create|list|revoke`.

A token reads as the groups given when it was made. It is printed once and stored hashed in the
state store (circulation/state.py); lose it and make another.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from cli.common import EXIT_OK, command, settings


def _store(args: argparse.Namespace) -> Any:
    from circulation.state import StateStore

    return StateStore(settings(args).data_dir)


def cmd_create(args: argparse.Namespace) -> int:
    from index.access import groups_of

    groups = groups_of(args.groups or "")
    token = _store(args).create_api_token(args.name, groups)
    print(token)
    scope = ", ".join(groups) if groups else "no groups (unrestricted documents only)"
    print(
        f"Token {args.name!r} reads as: {scope}. It is shown only now: keep it in a secret "
        "store.\nUse: curl -H 'Authorization: Bearer <token>' http://localhost:8502/api/v1/me",
        file=sys.stderr,
    )
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    tokens = _store(args).api_tokens()
    if args.json:
        for t in tokens:
            print(
                json.dumps(
                    {
                        "name": t.name,
                        "groups": list(t.groups),
                        "created_at": t.created_at.isoformat(),
                        "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                        "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
                    }
                )
            )
        return EXIT_OK
    if not tokens:
        print("No tokens yet: hindsight token create NAME --groups G1,G2")
    for t in tokens:
        state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "active"
        used = f"last used {t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never used"
        groups = ",".join(t.groups) or "(no groups)"
        print(f"{t.name:<20} {groups:<28} created {t.created_at:%Y-%m-%d}  {used}  {state}")
    return EXIT_OK


def cmd_revoke(args: argparse.Namespace) -> int:
    _store(args).revoke_api_token(args.name)
    print(f"Revoked {args.name!r}: requests carrying it are now refused (401).")
    return EXIT_OK


def register(sub: Any, common: argparse.ArgumentParser, reader: argparse.ArgumentParser) -> None:
    p = command(
        sub,
        "token",
        [],
        "personal API tokens for the API, MCP and CI",
        "  hindsight token create ana --groups sre,security\n"
        "  hindsight token create ci-pr-check           # no groups: public documents only\n"
        "  hindsight token list\n"
        "  hindsight token revoke ana",
    )
    actions = p.add_subparsers(dest="action", required=True)
    made = actions.add_parser("create", parents=[common], help="make a token (printed once)")
    made.add_argument("name", help="who or what holds it (a person, a bot)")
    made.add_argument("--groups", metavar="G1,G2", default="", help="the groups it reads as")
    made.set_defaults(func=cmd_create)
    listed = actions.add_parser("list", parents=[common], help="every token, revoked ones too")
    listed.add_argument("--json", action="store_true")
    listed.set_defaults(func=cmd_list)
    gone = actions.add_parser("revoke", parents=[common], help="refuse a token from now on")
    gone.add_argument("name")
    gone.set_defaults(func=cmd_revoke)
