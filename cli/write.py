"""Commands that write: ingest, watch, publish."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cli.common import EXIT_FAILED, EXIT_OK, UsageError, command, require_index, settings

if TYPE_CHECKING:
    from index.archive import Archive
    from ingest.report import IngestReport

RECURS_SHOWN = 20  # a first ingest of a large archive would otherwise list every cluster


def cmd_ingest(args: argparse.Namespace) -> int:
    from ingest.progress import tqdm_progress, tqdm_transcribe_progress
    from ingest.runner import ingest_paths

    found = settings(args)
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    if args.engine is not None or args.ray_address is not None:
        found = found.model_copy(
            update={
                k: v
                for k, v in (("engine", args.engine), ("ray_address", args.ray_address))
                if v is not None
            }
        )
    with (
        tqdm_progress(enabled=not args.quiet) as progress,
        tqdm_transcribe_progress(enabled=not args.quiet) as heard,
    ):
        report = ingest_paths(found, args.paths, progress=progress, transcribe_progress=heard)
    out = sys.stdout
    for outcome in report.of("failed"):
        print(f"FAILED  {outcome.describe()}", file=out)
    for outcome in report.of("skipped"):
        print(f"skipped {outcome.describe()}", file=out)
    if args.verbose:
        for warning in report.warnings:
            print(f"warning {warning}", file=out)
    elif report.warnings:
        print(f"{len(report.warnings)} warnings (show them with --verbose)", file=out)
    print(report.summary(), file=out)
    if report.count("indexed"):
        lines = _recurrences(args, report)
        for line in lines[:RECURS_SHOWN]:
            print(line, file=out)
        if len(lines) > RECURS_SHOWN:
            print(f"… {len(lines) - RECURS_SHOWN} more: hindsight recurring --all", file=out)
    return EXIT_FAILED if args.strict and report.has_failures else EXIT_OK


def _recurrences(args: argparse.Namespace, report: IngestReport) -> list[str]:
    """'recurs:' lines for new post-mortems, read as the operator who ran the ingest."""
    from cli.common import reading
    from index.access import Viewer
    from index.generations import current_generation

    if current_generation(settings(args).data_dir) is None:
        return []
    with reading(args, Viewer.everything("operator (ingest)")) as archive:
        return recurrence_lines(report, archive)


def recurrence_lines(report: IngestReport, archive: Archive) -> list[str]:
    """'<path>: recurs: like X (2023-04) and Y (2024-11)' for each newly indexed post-mortem that
    joins a failure-mode cluster, as ARCHIVE's viewer (the operator who ran the ingest) sees it."""
    paths = {o.path for o in report.of("indexed")}
    doc_ids = {f.doc_id: f.path for f in archive.file_states() if f.path in paths and f.doc_id}
    lines = []
    for cluster in archive.recurring() if doc_ids else []:
        for doc_id in cluster.doc_ids:
            if doc_id not in doc_ids:
                continue
            others = [
                f"{d.title} ({d.date:%Y-%m})" if d.date else d.title
                for d in cluster.members
                if d.doc_id != doc_id
            ]
            listed = ", ".join(others[:-1]) + (" and " if len(others) > 1 else "") + others[-1]
            lines.append(f"{doc_ids[doc_id]}: recurs: like {listed} — {cluster.headline(doc_id)}")
    return lines


def cmd_publish(args: argparse.Namespace) -> int:
    from index.publish import publish

    found = settings(args)
    require_index(found)
    grace = found.publish_grace_s if args.grace is None else args.grace
    result = publish(found.data_dir, Path(args.dest), grace_s=grace)
    print(result.summary())
    return EXIT_OK


def cmd_watch(args: argparse.Namespace) -> int:
    import logging

    from ingest.watch import watch

    # The watcher logs what it re-indexes; the model library's own start-up lines are noise.
    logging.getLogger("sentence_transformers").setLevel(logging.WARNING)
    found = settings(args)
    roots = args.paths or [str(found.content_dir)]
    for root in roots:
        where = Path(root)
        if not where.exists():
            hint = (
                ""
                if args.paths
                else " (the content folder: give a PATH or set HINDSIGHT_CONTENT_DIR)"
            )
            raise UsageError(f"no such folder: {root}{hint}")
        if not where.is_dir():
            raise UsageError(
                f"{root} is a file; watch follows folders (hindsight ingest {root} indexes one file)"
            )
    watch(found, roots)
    return EXIT_OK


def register(sub: Any, common: argparse.ArgumentParser, reader: argparse.ArgumentParser) -> None:
    p = command(
        sub,
        "ingest",
        [common],
        "index content files",
        "  hindsight ingest content/\n  hindsight ingest --strict notes/ talks/a.vtt\n"
        "  hindsight ingest --engine ray archive/            # embed on a local Ray\n"
        "  hindsight ingest --engine ray --ray-address ray://head:10001 archive/",
    )
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--strict", action="store_true", help="exit 1 when any file failed")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--verbose", action="store_true", help="print every warning")
    p.add_argument(
        "--engine",
        choices=["local", "ray", "auto"],
        help="where new chunks are embedded (default: $HINDSIGHT_ENGINE or auto: Ray when "
        "RAY_ADDRESS is set)",
    )
    p.add_argument(
        "--ray-address", metavar="ADDR", help="Ray cluster to use (default: $RAY_ADDRESS)"
    )
    p.set_defaults(func=cmd_ingest)

    p = command(
        sub,
        "publish",
        [common],
        "copy the current index version to a shared folder replicas serve from",
        "  hindsight publish /mnt/hindsight-snapshots\n"
        "  hindsight publish --grace 3600 /mnt/hindsight-snapshots\n"
        "  HINDSIGHT_DATA_DIR=/mnt/hindsight-snapshots streamlit run app.py   # a replica",
    )
    p.add_argument("dest", metavar="DEST", help="shared folder (network file system or mount)")
    p.add_argument(
        "--grace",
        type=float,
        metavar="SECONDS",
        help="keep superseded versions this long (default: $HINDSIGHT_PUBLISH_GRACE_S or 600)",
    )
    p.set_defaults(func=cmd_publish)

    p = command(
        sub,
        "watch",
        [common],
        "keep the index in step with folders",
        "  hindsight watch content/",
    )
    p.add_argument("paths", nargs="*", metavar="PATH")
    p.set_defaults(func=cmd_watch)
