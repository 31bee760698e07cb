"""`python -m bench.eval`: retrieval quality of the real pipeline, dense vs keyword vs hybrid.

Builds (or incrementally refreshes) one index per corpus under --data-dir with the product's
own ingest, runs every judged query in-process through `Searcher`, and prints Markdown tables:
nDCG@10, Recall@10 and MRR@10 per mode, plus hit@1/hit@5 for transcript moments.

Examples:
  python -m bench.eval --shared ../shared
  python -m bench.eval --shared ../shared --sets postmortems,transcripts --by-style
  python -m bench.eval --shared ../shared --json bench/results/eval.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from bench.eval_data import (
    Moment,
    Query,
    beir_queries,
    postmortem_queries,
    transcript_queries,
    write_beir_notes,
)
from bench.metrics import hit_at_k, mean, mrr_at_k, ndcg_at_k, recall_at_k
from index.embedder import Embedder
from index.models import SearchHit
from index.search import MODES, FusionParams, Mode, Searcher

SETS = ("scifact", "postmortems", "transcripts")
K = 10


@dataclass
class Result:
    """One set under one mode: mean metrics and per-query scores."""

    set_name: str
    mode: str
    metrics: dict[str, float]
    per_query: dict[str, dict[str, float]] = field(default_factory=dict)
    ms_per_query: float = 0.0


def doc_metrics(ranked: Sequence[str], relevant: dict[str, int]) -> dict[str, float]:
    """nDCG, Recall and MRR at 10 of ranked document ids."""
    return {
        "nDCG@10": ndcg_at_k(ranked, relevant, K),
        "Recall@10": recall_at_k(ranked, relevant, K),
        "MRR@10": mrr_at_k(ranked, relevant, K),
    }


def moment_ids(hits: Sequence[SearchHit], moments: Sequence[Moment]) -> list[str]:
    """Each moment shown, in the order a user sees them (a recording's moments, best first,
    then the next hit's), as the judged moment it lands in (best grade first, each counted
    once), or ''. A hit without moments counts as one item: its own span."""
    claimed: set[str] = set()
    out = []
    for hit in hits:
        name = PurePosixPath(hit.path).name
        spans = [(m.start, m.end) for m in hit.moments] or [(hit.start, hit.end)]
        for start, end in spans:
            found = ""
            if start is not None and end is not None:
                for m in sorted(moments, key=lambda m: -m.grade):
                    overlaps = start < m.end and end > m.start
                    if m.file == name and overlaps and m.key not in claimed:
                        found = m.key
                        claimed.add(found)
                        break
            out.append(found)
    return out


def moment_metrics(hits: Sequence[SearchHit], query: Query) -> dict[str, float]:
    """hit@1, hit@5 and the document metrics, with judged moments as the documents."""
    ranked = moment_ids(hits, query.moments)
    flags = [bool(r) for r in ranked]
    return {
        "hit@1": hit_at_k(flags, 1),
        "hit@5": hit_at_k(flags, 5),
        **doc_metrics(ranked, query.relevant),
    }


def evaluate(
    searcher: Searcher,
    set_name: str,
    queries: list[Query],
    mode: Mode,
    score: Callable[[list[SearchHit], Query], dict[str, float]],
) -> Result:
    """Run every query through SEARCHER in MODE and score its top 10."""
    per_query: dict[str, dict[str, float]] = {}
    started = time.perf_counter()
    for q in queries:
        hits = searcher.search(q.text, limit=K, mode=mode)
        per_query[q.query_id] = score(hits, q)
    elapsed = time.perf_counter() - started
    names = next(iter(per_query.values())).keys() if per_query else []
    metrics = {n: mean(m[n] for m in per_query.values()) for n in names}
    return Result(set_name, mode, metrics, per_query, 1000 * elapsed / max(1, len(queries)))


def build(data_dir: Path, roots: list[Path], embedder: Embedder, quiet: bool) -> None:
    """Ingest ROOTS into DATA_DIR with the product pipeline (incremental: cheap when unchanged)."""
    from index.settings import Settings
    from ingest.pipeline import Ingestor
    from ingest.progress import tqdm_progress

    settings = Settings(data_dir=data_dir)
    with tqdm_progress(enabled=not quiet) as progress:
        report = Ingestor(settings, embedder).run([str(r) for r in roots], progress=progress)
    print(f"[{data_dir}] {report.summary()}", file=sys.stderr)


def markdown(results: list[Result], by_style: dict[str, dict[str, str]] | None = None) -> str:
    """Tables: one row per set × metric, one column per mode."""
    modes = [m for m in ("dense", "keyword", "hybrid") if any(r.mode == m for r in results)]
    lines = ["| set | metric | " + " | ".join(modes) + " |", "|---|---|" + "---:|" * len(modes)]
    sets = list(dict.fromkeys(r.set_name for r in results))
    table = {(r.set_name, r.mode): r for r in results}
    for s in sets:
        names = next(r for r in results if r.set_name == s).metrics.keys()
        for name in names:
            cells = [f"{table[(s, m)].metrics[name]:.3f}" if (s, m) in table else "" for m in modes]
            lines.append(f"| {s} | {name} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("| set | ms/query | " + " | ".join(modes) + " |")
    lines.append("|---|---|" + "---:|" * len(modes))
    for s in sets:
        cells = [f"{table[(s, m)].ms_per_query:.1f}" if (s, m) in table else "" for m in modes]
        lines.append(f"| {s} | | " + " | ".join(cells) + " |")
    if by_style:
        lines += [
            "",
            "| set | style | queries | metric | " + " | ".join(modes) + " |",
            "|---|---|---:|---|" + "---:|" * len(modes),
        ]
        for s in sets:
            styles = by_style.get(s, {})
            metric = "hit@5" if s.startswith("transcripts") else "nDCG@10"
            for style in sorted(set(styles.values())):
                ids = [q for q, st in styles.items() if st == style]
                cells = [
                    f"{mean(table[(s, m)].per_query[q][metric] for q in ids):.3f}"
                    for m in modes
                    if (s, m) in table
                ]
                lines.append(
                    f"| {s} | {style} | {len(ids)} | {metric} | " + " | ".join(cells) + " |"
                )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.eval",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--shared",
        type=Path,
        default=Path("../shared"),
        help="the shared data folder (skipped cleanly when absent)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(".hindsight-bench"),
        help="where the built indexes are cached (default .hindsight-bench/)",
    )
    parser.add_argument("--sets", default=",".join(SETS), help=f"comma-separated: {','.join(SETS)}")
    parser.add_argument("--modes", default="dense,keyword,hybrid", help="comma-separated modes")
    parser.add_argument("--by-style", action="store_true", help="also break down by query style")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write per-query results here")
    parser.add_argument(
        "--no-build", action="store_true", help="use the cached indexes as they are"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument(
        "--transcripts-extra",
        type=Path,
        metavar="FILE",
        help="further judged transcript queries, scored as their own set over the transcripts "
        "index (e.g. bench/transcripts_extra.jsonl: held out, never used to choose anything)",
    )
    parser.add_argument(
        "--fusion",
        choices=["rrf", "convex"],
        default=FusionParams().fusion,
        help=f"how hybrid fuses (default {FusionParams().fusion}, the product's default)",
    )
    parser.add_argument(
        "--normalise",
        choices=["zscore", "minmax"],
        default=FusionParams().normalise,
        help=f"how convex fusion scales scores (default {FusionParams().normalise})",
    )
    parser.add_argument(
        "--dense-weight",
        type=float,
        default=0.5,
        metavar="W",
        help="dense share of the fusion, keyword gets 1 - W (default 0.5)",
    )
    parser.add_argument(
        "--reference",
        action="store_true",
        help="also run the published dense set-up on SciFact (one vector per whole document, "
        "exact search) to check model and metrics against MTEB's 0.645",
    )
    args = parser.parse_args(argv)
    args.sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    for s in args.sets:
        if s not in SETS:
            parser.error(f"unknown set {s!r} (choose from {', '.join(SETS)})")
    for m in args.modes:
        if m not in MODES:
            parser.error(f"unknown mode {m!r} (choose from {', '.join(MODES)})")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    shared: Path = args.shared
    if not shared.is_dir():
        print(f"bench.eval: {shared} not found — nothing to evaluate (skipped).")
        return 0
    # Source keys are absolute paths: resolve, so `../shared` and `/x/shared` are one corpus.
    shared = shared.resolve()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from index.embedder import SentenceTransformerEmbedder
    from index.opener import open_searcher
    from index.settings import Settings

    embedder = SentenceTransformerEmbedder(Settings())
    plans: list[tuple[str, Path, list[Path], list[Query], Callable]] = []
    scifact = shared / "benchmarks" / "scifact"
    corpus = shared / "corpus"

    def by_doc(hits: list[SearchHit], q: Query) -> dict[str, float]:
        return doc_metrics([h.doc_id for h in hits], q.relevant)

    for name in args.sets:
        if name == "scifact" and (scifact / "corpus.jsonl").exists():
            notes = (args.data_dir / "scifact" / "content").resolve()
            if not args.no_build:
                write_beir_notes(scifact, notes)
            plans.append(
                (name, args.data_dir / "scifact" / "data", [notes], beir_queries(scifact), by_doc)
            )
        elif name == "postmortems" and (shared / "queries" / "postmortems_dev.jsonl").exists():
            plans.append(
                (
                    name,
                    args.data_dir / name / "data",
                    [corpus / "postmortems"],
                    postmortem_queries(shared / "queries" / "postmortems_dev.jsonl"),
                    by_doc,
                )
            )
        elif name == "transcripts" and (shared / "queries" / "transcripts_dev.jsonl").exists():
            plans.append(
                (
                    name,
                    args.data_dir / name / "data",
                    [corpus / "transcripts"],
                    transcript_queries(shared / "queries" / "transcripts_dev.jsonl"),
                    moment_metrics,
                )
            )
        else:
            print(f"bench.eval: {name}: inputs not found under {shared} (skipped)", file=sys.stderr)
            continue
        if name == "transcripts" and args.transcripts_extra is not None:
            plans.append(
                (
                    "transcripts-extra",
                    args.data_dir / name / "data",
                    [corpus / "transcripts"],
                    transcript_queries(args.transcripts_extra),
                    moment_metrics,
                )
            )

    reference = None
    if args.reference and "scifact" in args.sets and (scifact / "corpus.jsonl").exists():
        from bench.eval_reference import reference_dense

        reference = reference_dense(
            scifact, beir_queries(scifact), embedder, args.data_dir / "scifact" / "reference.npy"
        )

    results: list[Result] = []
    built: set[Path] = set()
    styles: dict[str, dict[str, str]] = {}
    for name, data_dir, roots, queries, score in plans:
        if not args.no_build and data_dir not in built:
            build(data_dir, roots, embedder, args.quiet)
            built.add(data_dir)
        searcher = open_searcher(Settings(data_dir=data_dir), embedder)
        searcher.params = FusionParams(
            fusion=args.fusion,
            normalise=args.normalise,
            dense_weight=args.dense_weight,
            keyword_weight=1 - args.dense_weight,
        )
        styles[name] = {q.query_id: q.style or "-" for q in queries}
        for mode in args.modes:
            results.append(evaluate(searcher, name, queries, mode, score))
        searcher.snapshot.close()

    command = " ".join(argv if argv is not None else sys.argv[1:])
    print(
        f"Model: {embedder.model_id} · fusion: {args.fusion}/{args.normalise} "
        f"(dense share {args.dense_weight}) · "
        f"date: {dt.date.today().isoformat()} · command: python -m bench.eval {command}"
    )
    print()
    print(markdown(results, styles if args.by_style else None))
    if reference is not None:
        print()
        print(
            "Reference, SciFact (MTEB set-up: one vector per whole document, exact search): "
            + ", ".join(f"{name} {value:.3f}" for name, value in reference.items())
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                [
                    {
                        "set": r.set_name,
                        "mode": r.mode,
                        "metrics": r.metrics,
                        "ms_per_query": r.ms_per_query,
                        "per_query": r.per_query,
                    }
                    for r in results
                ],
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
