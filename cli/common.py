"""What every command shares: settings, who it reads as, the door, exit codes and usage errors."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.errors import IndexNotBuiltError
from index.settings import Settings

if TYPE_CHECKING:
    from index.access import Viewer
    from index.archive import Archive

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUSY = 0, 1, 2, 3
EXIT_PIPE = 141  # the reader closed the pipe (`| head`): what a shell reports for SIGPIPE
FORMATTER = argparse.RawDescriptionHelpFormatter


class UsageError(Exception):
    """The command line asks for something impossible; exit 2 with the reason."""


def settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if args.data_dir is not None:
        overrides["data_dir"] = Path(args.data_dir)
    return Settings(**overrides)


def require_index(settings: Settings) -> None:
    from index.generations import current_generation

    if current_generation(settings.data_dir) is None:
        raise IndexNotBuiltError(settings.data_dir)


def viewer(args: argparse.Namespace) -> Viewer:
    """Who the command reads as: --all (everything), --groups G1,G2, or nobody's groups."""
    from index.access import Viewer

    # A digest for someone (--for): their own files that failed are theirs to hear of.
    person = (getattr(args, "for_person", None) or "").strip()
    email = person if "@" in person else ""
    if args.all:
        return replace(Viewer.everything(person or "operator (--all)"), email=email)
    if person:
        return replace(Viewer.of(person, email, groups=args.groups or ""), operator=True)
    return replace(Viewer.of("command line", groups=args.groups or ""), operator=True)


@contextmanager
def reading(args: argparse.Namespace, as_viewer: Viewer | None = None) -> Iterator[Archive]:
    """The published index as the command's viewer may read it; closed when the command ends."""
    from circulation.feedback import verdicts
    from circulation.state import StateStore
    from index.opener import Opener

    found = settings(args)
    require_index(found)
    with Opener(found) as opener:
        archive = opener.require(as_viewer or viewer(args))
        # Pairs people settled on the similar panel (the door applies them to what it shows);
        # a state store this user cannot read (a replica's folder) settles nothing.
        with contextlib.suppress(sqlite3.Error):
            archive.pair_verdicts = verdicts(StateStore(found.data_dir))
        yield archive


def positive(value: int, flag: str = "--limit") -> int:
    if value <= 0:
        raise UsageError(f"{flag} must be a positive number, not {value}")
    return value


def kinds(raw: list[str] | None) -> tuple[str, ...]:
    """--kind values as canonical kinds; an unknown one is a usage error listing the valid ones."""
    from index.kinds import KINDS, known_kind

    out = []
    for value in raw or ():
        kind = known_kind(value)
        if kind is None:
            raise UsageError(
                f"unknown kind {value!r}; valid kinds: {', '.join(KINDS)} (or 'incident')"
            )
        out.append(kind)
    return tuple(out)


def timezone(raw: str, flag: str = "--tz") -> str:
    """An IANA zone name as given, or a usage error that says what a zone looks like."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = raw.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"{flag}: unknown timezone {raw!r}; give an IANA name such as Europe/London, "
            "America/New_York or UTC"
        ) from None
    return name


def read_text(path: str, what: str) -> str:
    """A file the command line names, or a usage error naming it and why it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except IsADirectoryError:
        raise UsageError(f"{what} {path} is a folder, not a file") from None
    except OSError as exc:
        raise UsageError(f"cannot read {what} {path}: {exc.strerror or exc}") from None


def since(raw: str) -> dt.datetime:
    """--since: a duration back from now (7d, 24h, 2w) or a date / date-time (local time)."""
    found = re.fullmatch(r"\s*(\d+)\s*([hdw])\s*", raw.lower())
    if found:
        n, unit = int(found[1]), found[2]
        hours = {"h": 1, "d": 24, "w": 24 * 7}[unit] * n
        return dt.datetime.now() - dt.timedelta(hours=hours)
    try:
        return dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        raise UsageError(
            f"--since takes 7d, 24h, 2w or a date like 2026-11-01, not {raw!r}"
        ) from None


def command(
    sub: Any, name: str, parents: list[argparse.ArgumentParser], help: str, examples: str
) -> argparse.ArgumentParser:
    """A sub-command with the shared options and its examples under --help."""
    return sub.add_parser(
        name,
        parents=parents,
        help=help,
        epilog="Examples:\n" + examples,
        formatter_class=FORMATTER,
    )
