"""Commands that find: search, experts, stats."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from typing import Any

from cli.common import EXIT_OK, UsageError, command, kinds, positive, read_text, reading, settings
from index.errors import HindsightError


def relevance(score: float, best: float) -> str:
    """A hit's fused score as a share of the best hit's: the scores have no unit of their own
    (each retriever's scores are put on a common scale per query), so only ratios mean much."""
    return f"{round(100 * score / best) if best > 0 else 0}%"


def _print_hits(hits: list[Any]) -> None:
    from index.timefmt import clock

    if not hits:
        return
    matches = sum(1 for h in hits if not h.weak)
    if matches:
        print(
            f"{matches} match{'es' if matches != 1 else ''}, best first "
            "(relevance: share of the best hit's score)."
        )
    best = max(hit.score for hit in hits)
    for rank, hit in enumerate(hits, start=1):
        date = f" · {hit.date.isoformat()}" if hit.date else ""
        weaker = "  (weaker match)" if hit.weak else ""
        print(f"{rank:2d}. {hit.title}  [{hit.kind}{date}]  {relevance(hit.score, best)}{weaker}")
        where = hit.path
        if hit.start is not None:
            who = f"{hit.speaker} " if hit.speaker else ""
            where += f"  ({who}@ {clock(hit.start)})"
        elif hit.heading:
            where += f"  § {hit.heading}"
        print(f"    {where}")
        print(f"    {hit.snippet}")


def cmd_search(args: argparse.Namespace) -> int:
    from circulation.review import Records, with_reviews
    from circulation.state import StateStore
    from index.filters import SearchFilters

    positive(args.limit)
    filters = SearchFilters(kinds=kinds(args.kind))
    query = " ".join(args.query).strip()
    if args.queries and args.query:
        raise UsageError("give a QUERY or --queries FILE, not both")
    if not args.queries and not query:
        raise UsageError(
            "give a QUERY or --queries FILE" + (" (the query is empty)" if args.query else "")
        )
    reviews = Records.read(StateStore(settings(args).data_dir))  # "Still accurate" moves review_by
    with reading(args) as archive:
        if args.queries:
            lines = read_text(args.queries, "queries file").splitlines()
            for line_no, line in enumerate(lines, start=1):
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
                hits = with_reviews(archive, hits, reviews)
                print(json.dumps({"id": item.get("id"), "hits": [h.to_json() for h in hits]}))
            return EXIT_OK
        found = archive.find(query, filters, limit=args.limit, mode=args.mode, exact=args.exact)
        found = replace(found, hits=tuple(with_reviews(archive, list(found.hits), reviews)))
    if args.json:
        # Every hit, those below the relevance floor with "weak": true; what to tell a person
        # goes to stderr, so stdout stays one hit per line.
        for notice in found.notices():
            print(notice, file=sys.stderr)
        for hit in found.hits:
            print(json.dumps(hit.to_json()))
        return EXIT_OK
    for notice in found.notices():
        print(notice)
    shown = list(found.hits if args.weak else found.matches)
    if not found.hits:
        print(f"Nothing in the archive you may read matches “{query}”.")
    _print_hits(shown)
    if found.weaker and not args.weak:
        more = len(found.weaker)
        print(
            f"({more} weaker match{'es' if more != 1 else ''} below the floor: --weak shows them)"
            if found.matches
            else "(--weak shows them)"
        )
    return EXIT_OK


def cmd_experts(args: argparse.Namespace) -> int:
    from index.expertise import cite

    positive(args.limit)
    topic = " ".join(args.topic).strip()
    if not topic:
        raise UsageError("give a TOPIC")
    with reading(args) as archive:
        matches = archive.experts(topic, limit=args.limit)
    if args.json:
        for match in matches:
            print(json.dumps(match.to_json()))
        return EXIT_OK
    if not matches:
        print(
            f"Nobody has written, presented or spoken about “{topic}” yet, and nobody declares it."
        )
    else:
        print(
            "Ranked by evidence: each document on the topic votes for its people by role, "
            "weighted by relevance and age."
        )
    for rank, match in enumerate(matches, start=1):
        person = match.person
        tag = "" if person.has_profile else "  (no profile)"
        print(f"{rank:2d}. {person.name}{tag}  evidence {match.score:.2f}")
        if match.note:
            print(f"    {match.note}")
        elif match.declared:
            print(f"    declares: {', '.join(match.declared)}")
        elif match.also_knows:
            print("    also knows (not declared in a profile)")
        for item in match.evidence[:4]:
            print(f"    {cite(item)}  [{item.path}]")
    return EXIT_OK


def _iso(moment: Any) -> str | None:
    """A stored time (this machine's local time) with its UTC offset."""
    return moment.astimezone().isoformat(timespec="seconds") if moment else None


def cmd_stats(args: argparse.Namespace) -> int:
    from index.timefmt import stamp

    with reading(args) as archive:
        st = archive.stats()
        size = archive.index_bytes() or 0
        files = archive.file_states()
        version = archive.version
    if args.json:
        print(
            json.dumps(
                {
                    "documents": st.documents_by_kind,
                    "chunks": st.chunks_by_kind,
                    "experts": st.experts,
                    "model": st.model_id,
                    "index_bytes": size,
                    "version": version,
                    "last_ingest": _iso(st.last_ingest),
                    "files": [
                        {
                            "path": f.path,
                            "state": f.state,
                            "reason": f.reason,
                            "line": f.line,
                            "updated_at": _iso(f.updated_at),
                        }
                        for f in files
                    ],
                },
                indent=2,
            )
        )
        return EXIT_OK
    print(f"Index      {settings(args).data_dir} (version {version}, {size / 1e6:.1f} MB on disk)")
    print(f"Model      {st.model_id}")
    print(
        f"Last ingest {stamp(st.last_ingest, seconds=True)}"
        if st.last_ingest
        else "Last ingest never"
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
            when = f"  ({stamp(f.updated_at)})" if f.updated_at else ""
            print(f"  {f.state:<8}{where}: {f.reason}{when}")
    return EXIT_OK


def register(sub: Any, common: argparse.ArgumentParser, reader: argparse.ArgumentParser) -> None:
    p = command(
        sub,
        "search",
        [common, reader],
        "search the index",
        '  hindsight search "replica lag during failover"\n'
        '  hindsight search --kind postmortem --limit 5 --json "TLS certificate expiry"\n'
        '  hindsight search --groups security,sre "credential leak"\n'
        "  hindsight search --queries queries.jsonl > results.jsonl",
    )
    p.add_argument("query", nargs="*")
    p.add_argument("--json", action="store_true", help="one JSON object per hit")
    p.add_argument("--kind", action="append", help="only this kind (repeatable)")
    p.add_argument("--limit", type=int, default=10, help="documents to return (default 10)")
    p.add_argument("--mode", choices=["hybrid", "dense", "keyword"], default="hybrid")
    p.add_argument("--queries", metavar="FILE.jsonl", help='run {"id","query"} lines as JSONL')
    p.add_argument(
        "--weak", action="store_true", help="also list matches below the relevance floor"
    )
    p.add_argument(
        "--exact", action="store_true", help="search the words as typed (no spelling correction)"
    )
    p.set_defaults(func=cmd_search)

    p = command(
        sub,
        "experts",
        [common, reader],
        "who knows about a topic, from the evidence",
        '  hindsight experts "postgres failover"\n'
        '  hindsight experts --json --limit 3 "retry storms"\n'
        '  hindsight experts --groups security "credential rotation"',
    )
    p.add_argument("topic", nargs="*", metavar="TOPIC")
    p.add_argument("--json", action="store_true", help="one JSON object per person")
    p.add_argument("--limit", type=int, default=10, help="people to return (default 10)")
    p.set_defaults(func=cmd_experts)

    p = command(
        sub,
        "stats",
        [common, reader],
        "what is in the index",
        "  hindsight stats\n  hindsight stats --json",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)
