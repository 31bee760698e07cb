"""The command line: `hindsight`, an interface beside the portal and the server.

One module per command group registers its sub-commands (`register`): `write` (ingest, watch,
publish), `search` (search, experts, stats), `show`, `incidents` (similar, recurring, actions),
`brief`, `circulation` (digest, gaps), `server` (serve, mcp), `tokens` (token), `review` (the
review queue), `metrics`, `feedback` (export). Reads go through `index.opener` and the door with
the command's viewer (`--groups`, `--all`); writes go through `ingest`.
"""

from __future__ import annotations

import argparse
import os
import sys

from cli import (
    brief,
    circulation,
    feedback,
    incidents,
    metrics,
    review,
    search,
    server,
    show,
    tokens,
    write,
)
from cli.common import EXIT_BUSY, EXIT_FAILED, EXIT_PIPE, EXIT_USAGE, UsageError
from index.errors import HindsightError, IndexNotBuiltError, WriterBusyError

GROUPS = (
    write,
    search,
    show,
    incidents,
    brief,
    circulation,
    server,
    tokens,
    review,
    metrics,
    feedback,
)
DISTRIBUTION = "hindsight-portal"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hindsight", description="Search what your organisation has learned."
    )
    parser.add_argument("--version", action="version", version=f"hindsight {_version()}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        metavar="DIR",
        help="index location (default: $HINDSIGHT_DATA_DIR or .hindsight/)",
    )
    reader = argparse.ArgumentParser(add_help=False)
    who = reader.add_mutually_exclusive_group()
    who.add_argument(
        "--groups",
        metavar="G1,G2",
        help="read as a member of these groups (default: none; restricted documents hidden)",
    )
    who.add_argument(
        "--all", action="store_true", help="read every document, restricted ones included"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.register(sub, common, reader)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; its exit code. A reader that stops early (`| head`) ends it quietly."""
    try:
        code = _run(argv)
        sys.stdout.flush()  # what is still buffered meets a closed pipe here, not at exit
        return code
    except BrokenPipeError:
        _discard_stdout()
        return EXIT_PIPE


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so that Python's own flush at exit does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (stdout replaced in-process)
        pass


def _run(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"hindsight {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except IndexNotBuiltError as exc:
        print(f"hindsight: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except WriterBusyError as exc:
        print(f"hindsight: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except HindsightError as exc:
        print(f"hindsight: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130


def run() -> None:
    """The console script."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
