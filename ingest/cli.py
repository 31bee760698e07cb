"""hindsight — ingest content and search it from the shell. A thin layer over ingest/ and index/."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from index.errors import HindsightError, IndexNotBuiltError, WriterBusyError
from index.settings import Settings

EXAMPLES = {
    "ingest": (
        "Examples:\n  hindsight ingest content/\n  hindsight ingest --strict notes/ talks/a.vtt\n"
        "  hindsight ingest --engine ray archive/            # embed on a local Ray\n"
        "  hindsight ingest --engine ray --ray-address ray://head:10001 archive/"
    ),
    "publish": (
        "Examples:\n  hindsight publish /mnt/hindsight-snapshots\n"
        "  hindsight publish --grace 3600 /mnt/hindsight-snapshots\n"
        "  HINDSIGHT_DATA_DIR=/mnt/hindsight-snapshots streamlit run app.py   # a replica"
    ),
    "search": (
        'Examples:\n  hindsight search "replica lag during failover"\n'
        '  hindsight search --kind postmortem --limit 5 --json "TLS certificate expiry"\n'
        '  hindsight search --groups security,sre "credential leak"\n'
        "  hindsight search --queries queries.jsonl > results.jsonl"
    ),
    "similar": (
        "Examples:\n  hindsight similar pm-2025-05-29-envoy-retry-storm\n"
        "  hindsight similar content/postmortems/2025-03-14-ledger-replica-lag.md --json --limit 3"
    ),
    "recurring": "Examples:\n  hindsight recurring\n  hindsight recurring --json --groups sre",
    "actions": (
        "Examples:\n  hindsight actions --open\n  hindsight actions --overdue --owner 'Kwame Asante'"
        "\n  hindsight actions --csv > action-items.csv"
    ),
    "brief": (
        "Examples:\n  hindsight brief design-doc.md\n"
        "  pbcopy < plan.txt; pbpaste | hindsight brief - --format md >> PR.md\n"
        "  hindsight brief --json --groups sre plan.txt"
    ),
    "stats": "Examples:\n  hindsight stats\n  hindsight stats --json",
    "watch": "Examples:\n  hindsight watch content/",
    "digest": (
        "Examples:\n  hindsight digest --since 7d\n"
        "  hindsight digest --since 2026-11-01 --groups sre --format html > digest.html\n"
        "  hindsight digest --since 24h --all --format json"
    ),
    "gaps": "Examples:\n  hindsight gaps\n  hindsight gaps --json --groups showcase-organisers",
    "experts": (
        'Examples:\n  hindsight experts "postgres failover"\n'
        '  hindsight experts --json --limit 3 "retry storms"\n'
        '  hindsight experts --groups security "credential rotation"'
    ),
}

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUSY = 0, 1, 2, 3
RECURS_SHOWN = 20  # a first ingest of a large archive would otherwise list every cluster


class UsageError(Exception):
    """The command line asks for something impossible; exit 2 with the reason."""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hindsight")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if args.data_dir is not None:
        overrides["data_dir"] = Path(args.data_dir)
    return Settings(**overrides)


def _require_index(settings: Settings) -> None:
    from index.generations import current_generation

    if current_generation(settings.data_dir) is None:
        raise IndexNotBuiltError(settings.data_dir)


def cmd_ingest(args: argparse.Namespace) -> int:
    from ingest.progress import tqdm_progress
    from ingest.runner import ingest_paths

    settings = _settings(args)
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    if args.engine is not None or args.ray_address is not None:
        settings = settings.model_copy(
            update={
                k: v
                for k, v in (("engine", args.engine), ("ray_address", args.ray_address))
                if v is not None
            }
        )
    with tqdm_progress(enabled=not args.quiet) as progress:
        report = ingest_paths(settings, args.paths, progress=progress)
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
        lines = _recurrences(settings, report)
        for line in lines[:RECURS_SHOWN]:
            print(line, file=out)
        if len(lines) > RECURS_SHOWN:
            print(f"… {len(lines) - RECURS_SHOWN} more: hindsight recurring --all", file=out)
    return EXIT_FAILED if args.strict and report.has_failures else EXIT_OK


def _print_hits(hits: list[Any]) -> None:
    from index.timefmt import clock

    if not hits:
        print("No results.")
    for rank, hit in enumerate(hits, start=1):
        date = f" · {hit.date.isoformat()}" if hit.date else ""
        print(f"{rank:2d}. {hit.title}  [{hit.kind}{date}]  {hit.score:.4f}")
        where = hit.path
        if hit.start is not None:
            who = f"{hit.speaker} " if hit.speaker else ""
            where += f"  ({who}@ {clock(hit.start)})"
        elif hit.heading:
            where += f"  § {hit.heading}"
        print(f"    {where}")
        print(f"    {hit.snippet}")


def _recurrences(settings: Settings, report: Any) -> list[str]:
    """'recurs:' lines for new post-mortems, read as the operator who ran the ingest."""
    from index.access import Viewer
    from index.generations import current_generation
    from index.service import open_archive
    from ingest.report import recurrence_lines

    if current_generation(settings.data_dir) is None:
        return []
    archive = open_archive(settings, Viewer.everything("operator (ingest)"))
    try:
        return recurrence_lines(report, archive)
    finally:
        archive.searcher.snapshot.close()


def _postmortem_id(archive: Any, ref: str) -> str:
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
    archive = _archive(args)
    panel = archive.similar_incidents(_postmortem_id(archive, args.incident), limit=args.limit)
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
            why = ", ".join(f"{k} {v:.2f}" for k, v in item.signals.items())
            print(
                f"  {item.score:.3f}  {date}  {item.doc.title}  [{item.doc.doc_id}]\n         why: {why}"
            )
    if not panel.items:
        print(panel.reason)
    return EXIT_OK


def cmd_recurring(args: argparse.Namespace) -> int:
    clusters = _archive(args).recurring()
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
    items = _archive(args).action_items(how=how)
    if args.csv:
        sys.stdout.write(to_csv(items))
    elif args.json:
        for item in items:
            print(json.dumps(item.row(), ensure_ascii=False))
    else:
        for item in items:
            flag = "OVERDUE " if item.overdue else ""
            print(
                f"{flag}[{item.row()['status']}] {item.title} — {item.owner or 'no owner'}"
                f" (due {item.row()['due'] or '—'}; {item.incident})"
            )
    return EXIT_OK


def _viewer(args: argparse.Namespace) -> Any:
    """Who the command reads as: --all (everything), --groups G1,G2, or nobody's groups."""
    from dataclasses import replace

    from index.access import Viewer

    if args.all:
        return Viewer.everything("operator (--all)")
    return replace(Viewer.of("command line", groups=args.groups or ""), operator=True)


def _archive(args: argparse.Namespace) -> Any:
    from index.service import open_archive

    settings = _settings(args)
    _require_index(settings)
    return open_archive(settings, _viewer(args))


def _kinds(args: argparse.Namespace) -> tuple[str, ...]:
    from index.kinds import KINDS, known_kind

    out = []
    for raw in args.kind or ():
        kind = known_kind(raw)
        if kind is None:
            raise UsageError(
                f"unknown kind {raw!r}; valid kinds: {', '.join(KINDS)} (or 'incident')"
            )
        out.append(kind)
    return tuple(out)


def cmd_search(args: argparse.Namespace) -> int:
    from index.filters import SearchFilters

    if args.limit <= 0:
        raise UsageError(f"--limit must be a positive number, not {args.limit}")
    filters = SearchFilters(kinds=_kinds(args))
    if not args.queries and not args.query:
        raise UsageError("give a QUERY or --queries FILE")
    archive = _archive(args)
    if args.queries:
        for line_no, line in enumerate(Path(args.queries).read_text().splitlines(), start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                query = str(item["query"])
            except (ValueError, KeyError, TypeError) as exc:
                raise HindsightError(
                    f'{args.queries}:{line_no}: expected {{"id": ..., "query": ...}} ({exc})'
                ) from None
            hits = archive.search(query, filters, limit=args.limit, mode=args.mode)
            print(json.dumps({"id": item.get("id"), "hits": [h.to_json() for h in hits]}))
        return EXIT_OK
    hits = archive.search(" ".join(args.query), filters, limit=args.limit, mode=args.mode)
    if args.json:
        for hit in hits:
            print(json.dumps(hit.to_json()))
    else:
        _print_hits(hits)
    return EXIT_OK


def cmd_experts(args: argparse.Namespace) -> int:
    from index.expertise import cite

    if args.limit <= 0:
        raise UsageError(f"--limit must be a positive number, not {args.limit}")
    topic = " ".join(args.topic).strip()
    if not topic:
        raise UsageError("give a TOPIC")
    matches = _archive(args).experts(topic, limit=args.limit)
    if args.json:
        for match in matches:
            print(json.dumps(match.to_json()))
        return EXIT_OK
    if not matches:
        print("Nobody yet.")
    for rank, match in enumerate(matches, start=1):
        person = match.person
        tag = "" if person.has_profile else "  (no profile)"
        print(f"{rank:2d}. {person.name}{tag}  {match.score:.3f}")
        if match.declared:
            print(f"    declares: {', '.join(match.declared)}")
        elif match.also_knows:
            print("    also knows (not declared in a profile)")
        for item in match.evidence[:4]:
            print(f"    {cite(item)}  [{item.path}]")
    return EXIT_OK


def cmd_brief(args: argparse.Namespace) -> int:
    if args.plan == "-":
        plan = sys.stdin.read()
    else:
        try:
            plan = Path(args.plan).read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise UsageError(f"cannot read {args.plan}: {exc.strerror}") from exc
    if not plan.strip():
        raise UsageError("the plan is empty")
    found = _archive(args).brief(plan, viewer_tz=args.tz)
    if args.json:
        print(json.dumps(found.to_json(), indent=2))
    else:
        sys.stdout.write(found.to_markdown())
    return EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    archive = _archive(args)
    settings = _settings(args)
    st = archive.stats()
    generation = archive.searcher.snapshot.generation
    size = sum(f.stat().st_size for f in generation.rglob("*") if f.is_file())
    files = archive.file_states()
    if args.json:
        print(
            json.dumps(
                {
                    "documents": st.documents_by_kind,
                    "chunks": st.chunks_by_kind,
                    "experts": st.experts,
                    "model": st.model_id,
                    "index_bytes": size,
                    "version": archive.version,
                    "last_ingest": st.last_ingest.isoformat() if st.last_ingest else None,
                    "files": [
                        {
                            "path": f.path,
                            "state": f.state,
                            "reason": f.reason,
                            "line": f.line,
                            "updated_at": f.updated_at.isoformat() if f.updated_at else None,
                        }
                        for f in files
                    ],
                },
                indent=2,
            )
        )
        return EXIT_OK
    print(
        f"Index      {settings.data_dir} (version {archive.version}, {size / 1e6:.1f} MB on disk)"
    )
    print(f"Model      {st.model_id}")
    print(
        f"Last ingest {st.last_ingest:%Y-%m-%d %H:%M:%S}" if st.last_ingest else "Last ingest never"
    )
    print(f"{'kind':<14}{'documents':>10}{'chunks':>10}")
    for kind, n in st.documents_by_kind.items():
        print(f"{kind:<14}{n:>10}{st.chunks_by_kind.get(kind, 0):>10}")
    print(
        f"{'total':<14}{sum(st.documents_by_kind.values()):>10}{sum(st.chunks_by_kind.values()):>10}"
    )
    print(
        "Files      " + ", ".join(f"{n} {state}" for state, n in sorted(st.files_by_state.items()))
    )
    for f in files:
        if f.state in ("failed", "skipped"):
            where = f"{f.path}:{f.line}" if f.line else f.path
            print(f"  {f.state:<8}{where}: {f.reason}  ({f.updated_at:%Y-%m-%d %H:%M})")
    return EXIT_OK


def cmd_publish(args: argparse.Namespace) -> int:
    from index.publish import publish

    settings = _settings(args)
    _require_index(settings)
    grace = settings.publish_grace_s if args.grace is None else args.grace
    result = publish(settings.data_dir, Path(args.dest), grace_s=grace)
    print(result.summary())
    return EXIT_OK


def _since(raw: str) -> Any:
    """--since: a duration back from now (7d, 24h, 2w) or a date / date-time (local time)."""
    import datetime as dt
    import re

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


def cmd_digest(args: argparse.Namespace) -> int:
    import datetime as dt

    from index import digest
    from index.whats_new import whats_new

    since = _since(args.since)
    archive = _archive(args)
    settings = _settings(args)
    news = whats_new(archive, since)
    print(digest.render(news, args.format, settings.portal_url, now=dt.datetime.now()), end="")
    return EXIT_OK


def cmd_gaps(args: argparse.Namespace) -> int:
    from index.gaps import find_gaps
    from index.state_store import StateStore

    settings = _settings(args)
    archive = _archive(args)
    topics = find_gaps(archive, StateStore(settings.data_dir), settings)
    if args.json:
        print(json.dumps([t.to_json() for t in topics], indent=2))
        return EXIT_OK
    if not topics:
        print(
            f"No gaps: no topic was asked by {settings.gaps_min_askers}+ people without an answer"
            f" (search log: {settings.search_log})."
        )
    for t in topics:
        print(f"{t.label}  [{t.category_label}]  {t.askers} askers, {t.searches} searches")
        for q in t.queries[:5]:
            print(f"    “{q}”")
        names = ", ".join(m.expert.name for m in t.experts) or "nobody yet"
        print(f"    closest people: {names}")
    return EXIT_OK


def cmd_watch(args: argparse.Namespace) -> int:
    from ingest.watch import watch

    settings = _settings(args)
    watch(settings, args.paths or [str(settings.content_dir)])
    return EXIT_OK


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
    fmt = argparse.RawDescriptionHelpFormatter

    p = sub.add_parser(
        "ingest",
        parents=[common],
        help="index content files",
        epilog=EXAMPLES["ingest"],
        formatter_class=fmt,
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

    p = sub.add_parser(
        "publish",
        parents=[common],
        help="copy the current index version to a shared folder replicas serve from",
        epilog=EXAMPLES["publish"],
        formatter_class=fmt,
    )
    p.add_argument("dest", metavar="DEST", help="shared folder (network file system or mount)")
    p.add_argument(
        "--grace",
        type=float,
        metavar="SECONDS",
        help="keep superseded versions this long (default: $HINDSIGHT_PUBLISH_GRACE_S or 600)",
    )
    p.set_defaults(func=cmd_publish)

    p = sub.add_parser(
        "search",
        parents=[common, reader],
        help="search the index",
        epilog=EXAMPLES["search"],
        formatter_class=fmt,
    )
    p.add_argument("query", nargs="*")
    p.add_argument("--json", action="store_true", help="one JSON object per hit")
    p.add_argument("--kind", action="append", help="only this kind (repeatable)")
    p.add_argument("--limit", type=int, default=10, help="documents to return (default 10)")
    p.add_argument("--mode", choices=["hybrid", "dense", "keyword"], default="hybrid")
    p.add_argument("--queries", metavar="FILE.jsonl", help='run {"id","query"} lines as JSONL')
    p.set_defaults(func=cmd_search)

    p = sub.add_parser(
        "stats",
        parents=[common, reader],
        help="what is in the index",
        epilog=EXAMPLES["stats"],
        formatter_class=fmt,
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser(
        "digest",
        parents=[common, reader],
        help="what is new since a moment, for an e-mail or chat post",
        epilog=EXAMPLES["digest"],
        formatter_class=fmt,
    )
    p.add_argument("--since", required=True, metavar="DATE|7d", help="a date, or 24h / 7d / 2w")
    p.add_argument("--format", choices=["md", "html", "json", "atom"], default="md")
    p.set_defaults(func=cmd_digest)

    p = sub.add_parser(
        "gaps",
        parents=[common, reader],
        help="topics people searched for and found nothing useful",
        epilog=EXAMPLES["gaps"],
        formatter_class=fmt,
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_gaps)

    p = sub.add_parser(
        "experts",
        parents=[common, reader],
        help="who knows about a topic, from the evidence",
        epilog=EXAMPLES["experts"],
        formatter_class=fmt,
    )
    p.add_argument("topic", nargs="*", metavar="TOPIC")
    p.add_argument("--json", action="store_true", help="one JSON object per person")
    p.add_argument("--limit", type=int, default=10, help="people to return (default 10)")
    p.set_defaults(func=cmd_experts)

    p = sub.add_parser(
        "brief",
        parents=[common, reader],
        help="what we already learned about a plan: incidents, open items, moments, people",
        epilog=EXAMPLES["brief"],
        formatter_class=fmt,
    )
    p.add_argument("plan", metavar="FILE|-", help="a .md or .txt plan; - reads stdin")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="the brief as one JSON object")
    out.add_argument("--format", choices=["md"], default="md", help="Markdown (the default)")
    p.add_argument("--tz", default="UTC", help="timezone for office hours (default UTC)")
    p.set_defaults(func=cmd_brief)

    p = sub.add_parser(
        "similar",
        parents=[common, reader],
        help="post-mortems that share an incident's failure mode",
        epilog=EXAMPLES["similar"],
        formatter_class=fmt,
    )
    p.add_argument("incident", metavar="ID|PATH")
    p.add_argument("--json", action="store_true", help="one JSON object per similar post-mortem")
    p.add_argument("--limit", type=int, default=5, help="post-mortems to return (default 5)")
    p.set_defaults(func=cmd_similar)

    p = sub.add_parser(
        "recurring",
        parents=[common, reader],
        help="failure modes that keep happening",
        epilog=EXAMPLES["recurring"],
        formatter_class=fmt,
    )
    p.add_argument("--json", action="store_true", help="one JSON object per cluster")
    p.set_defaults(func=cmd_recurring)

    p = sub.add_parser(
        "actions",
        parents=[common, reader],
        help="every post-mortem action item",
        epilog=EXAMPLES["actions"],
        formatter_class=fmt,
    )
    p.add_argument("--open", action="store_true", help="only items not done")
    p.add_argument("--overdue", action="store_true", help="only open items past their due date")
    p.add_argument("--owner", action="append", help="only this owner's items (repeatable)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="one JSON object per item")
    out.add_argument("--csv", action="store_true", help="CSV on stdout")
    p.set_defaults(func=cmd_actions)

    p = sub.add_parser(
        "watch",
        parents=[common],
        help="keep the index in step with folders",
        epilog=EXAMPLES["watch"],
        formatter_class=fmt,
    )
    p.add_argument("paths", nargs="*", metavar="PATH")
    p.set_defaults(func=cmd_watch)
    return parser


def main(argv: list[str] | None = None) -> int:
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


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
