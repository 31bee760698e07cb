"""Render bench/results/perf.json as Markdown into docs/benchmarks.md, between markers."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import platform
import re
import statistics
import subprocess
from pathlib import Path
from typing import Any

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("torch", "sentence-transformers", "onnxruntime", "faiss-cpu", "duckdb", "tantivy",
            "numpy", "tokenizers")  # fmt: skip
LABELS = {"10k": "10k", "100k": "100k", "1m": "1M"}


def machine() -> dict[str, str]:
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    except OSError:
        lscpu = ""
    model = re.search(r"Model name:\s*(.+)", lscpu)
    mem_kb = 0
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    return {
        "cpu": model.group(1).strip() if model else platform.processor(),
        "cores": str(os.cpu_count()),
        "ram": f"{mem_kb / 1024 / 1024:.0f} GiB",
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def versions() -> str:
    out = []
    for name in PACKAGES:
        try:
            out.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            out.append(f"{name} (absent)")
    return ", ".join(out)


def _f(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _get(data: dict[str, Any], *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def floors(r: dict[str, Any]) -> list[str]:
    s = r.get("sizes", {})
    rows = []

    def row(what: str, floor: str, value: float | None, ok: bool | None, fmt: str) -> None:
        mark = "—" if ok is None else ("yes" if ok else "**no**")
        shown = "not measured" if value is None else fmt.format(value)
        rows.append(f"| {what} | {floor} | {shown} | {mark} |")

    ratio = _get(r, "ingest", "ratio_median")
    row("Ingest pipeline / raw encode", "≥ 0.9×", ratio, None if ratio is None else ratio >= 0.9,
        "{:.2f}×")  # fmt: skip
    for label, p50max, p95max in (("100k", 20, 35), ("1m", 40, None)):
        run = _get(s, label, "search", "runs", "hybrid")
        p50 = run["p50"] if run else None
        row(f"Search p50 at {LABELS[label]}", f"≤ {p50max} ms", p50,
            None if p50 is None else p50 <= p50max, "{:.1f} ms")  # fmt: skip
        if p95max:
            p95 = run["p95"] if run else None
            row(f"Search p95 at {LABELS[label]}", f"≤ {p95max} ms", p95,
                None if p95 is None else p95 <= p95max, "{:.1f} ms")  # fmt: skip
    recall = _get(s, "1m", "retrievers", "recall_at_10")
    row("Recall@10 vs exact at 1M", "≥ 0.95", recall, None if recall is None else recall >= 0.95,
        "{:.3f}")  # fmt: skip
    rss = _get(s, "1m", "search", "peak_rss_mb")
    row("Search peak RSS at 1M", "≤ 2.5 GB", rss, None if rss is None else rss <= 2560,
        "{:,.0f} MB")  # fmt: skip
    cold = _get(s, "100k", "cold", "median_s")
    row("Cold start at 100k", "≤ 5 s", cold, None if cold is None else cold <= 5, "{:.2f} s")
    upd = _get(s, "100k", "update", "median_watch_visible_s")
    row("One-file update at 100k, as the watcher does it (without embedding)", "≤ 1 s", upd,
        None if upd is None else upd <= 1, "{:.2f} s")  # fmt: skip
    full = _get(s, "100k", "update", "median_visible_s")
    row("… after a full-tree `hindsight ingest` instead", "≤ 1 s", full,
        None if full is None else full <= 1, "{:.2f} s")  # fmt: skip
    kw = _get(s, "1m", "retrievers", "keyword_ms", "p50")
    dense = _get(s, "1m", "retrievers", "dense_ms", "p50")
    row("Keyword p50 at 1M (not the bottleneck)", f"< dense ({_f(dense)} ms)", kw,
        None if kw is None or dense is None else kw < max(dense, 5), "{:.1f} ms")  # fmt: skip
    return ["| Figure | Floor | Measured | Met |", "|---|---|---|---|", *rows]


def size_tables(r: dict[str, Any]) -> list[str]:
    s = r.get("sizes", {})
    out = [
        "| Chunks | Vector index | Hybrid p50 / p95 | on-topic p50 / p95 | kind filter p50 / p95 "
        "| date filter p50 | Dense p50 | Keyword p50 | Recall@10 | Search peak RSS | Build "
        "| Build peak RSS |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label in ("10k", "100k", "1m"):
        e = s.get(label)
        if not e or "search" not in e:
            continue
        runs = e["search"]["runs"]
        kind = runs.get("hybrid, kind=postmortem", {})
        date = runs.get("hybrid, date ≥ 2020", {})
        judged = runs.get("hybrid, judged on-topic queries", {})
        ret = e.get("retrievers", {})
        build = e.get("build", {})
        out.append(
            f"| {e['search']['chunks']:,} | {e['search']['vector_kind']} "
            f"| {_f(runs['hybrid']['p50'])} / {_f(runs['hybrid']['p95'])} ms "
            f"| {_f(judged.get('p50'))} / {_f(judged.get('p95'))} ms "
            f"| {_f(kind.get('p50'))} / {_f(kind.get('p95'))} ms | {_f(date.get('p50'))} ms "
            f"| {_f(_get(ret, 'dense_ms', 'p50'), 2)} ms "
            f"| {_f(_get(ret, 'keyword_ms', 'p50'), 2)} ms "
            f"| {_f(ret.get('recall_at_10'), 3)} | {_f(e['search']['peak_rss_mb'], 0)} MB "
            f"| {_f(build.get('build_s'), 0)} s | {_f(build.get('peak_rss_mb'), 0)} MB |"
        )
    out += ["", *_encode_lines(s)]
    for key, title in (
        ("phases_mean_ms", "Where a hybrid query's time goes"),
        ("phases_kind_filter_mean_ms", "Where a query filtered to post-mortems spends it"),
    ):
        out += ["", f"{title} (mean ms per query, instrumented pass):", "", *_phase_table(s, key)]
    return out


def _encode_lines(s: dict[str, Any]) -> list[str]:
    rows, tokens = [], 0.0
    for x in ("10k", "100k", "1m"):
        ret = _get(s, x, "retrievers") or {}
        enc = ret.get("encode")
        if enc:
            tokens = enc["tokens_median"]
            rows.append(
                f"| {LABELS[x]} | {enc['onnx_ms']:.1f} / {enc['onnx_short_ms']:.1f} ms "
                f"| {enc['torch_ms']:.1f} / {enc['torch_short_ms']:.1f} ms "
                f"| {_f(ret.get('recall_at_10_on_topic'), 3)} "
                f"| {_f(ret.get('recall_at_10_off_topic'), 3)} |"
            )
    if not rows:
        return []
    return [
        f"Query embedding p50 (these queries, median {tokens:.0f} word pieces / a 3-word query) "
        "and recall@10 by kind of query (60 judged on-topic queries / 240 off-topic SciFact "
        "claims):",
        "",
        "| Chunks | ONNX (used) | torch | recall@10 on-topic | recall@10 off-topic |",
        "|---|---|---|---|---|",
        *rows,
    ]


def _phase_table(s: dict[str, Any], key: str) -> list[str]:
    sizes = [x for x in ("10k", "100k", "1m") if _get(s, x, "search", key)]
    labels: list[str] = []
    for x in sizes:
        labels += [k for k in s[x]["search"][key] if k not in labels]
    out = ["| Step | " + " | ".join(LABELS[x] for x in sizes) + " |"]
    out.append("|---" * (len(sizes) + 1) + "|")
    for k in labels:
        cells = [_f(s[x]["search"][key].get(k), 2) for x in sizes]
        out.append(f"| {k} | " + " | ".join(cells) + " |")
    return out


def search_profile(r: dict[str, Any]) -> list[str]:
    """The 100k search profile, shown while the latency floor is missed."""
    search = _get(r, "sizes", "100k", "search") or {}
    p50 = _get(search, "runs", "hybrid", "p50")
    if not search.get("profile") or p50 is None or p50 <= 20:
        return []
    lines = [ln.rstrip() for ln in search["profile"].splitlines() if ln.strip()]
    return ["", "Profile of 100 hybrid queries at 100k (cProfile, by own time):", "", "```",
            *[ln.replace(str(ROOT) + "/", "") for ln in lines[:30]], "```"]  # fmt: skip


def cold_table(r: dict[str, Any]) -> list[str]:
    out = [
        "| Chunks | First answer after start (median) | import | open index | first query "
        "| torch imported | peak RSS |",
        "|---|---|---|---|---|---|---|",
    ]
    for label in ("10k", "100k", "1m"):
        cold = _get(r, "sizes", label, "cold")
        if not cold:
            continue
        runs = cold["runs"]

        def med(key: str, runs: list[dict[str, Any]] = runs) -> float:
            return sorted(x[key] for x in runs)[len(runs) // 2]

        out.append(
            f"| {LABELS[label]} | {cold['median_s']:.2f} s | {med('import_s'):.2f} s "
            f"| {med('open_s'):.2f} s | {med('first_query_s'):.2f} s "
            f"| {'yes' if any(x['torch_imported'] for x in runs) else 'no'} "
            f"| {med('peak_rss_mb'):,.0f} MB |"
        )
    return out


def update_table(r: dict[str, Any]) -> list[str]:
    upd = _get(r, "sizes", "100k", "update")
    if not upd:
        return ["(not measured)"]
    watch = ""
    if upd.get("watch_runs"):
        watch = (
            f"The watcher ingests only the changed path: edit searchable in "
            f"{upd['median_watch_visible_s']:.2f} s (median of {len(upd['watch_runs'])}). "
        )
    out = [
        f"{watch}A full-tree `hindsight ingest` after one edit (walks and stats every file), "
        f"median of {len(upd['runs'])} edits: ingest {upd['median_ingest_s']:.2f} s, "
        f"ingest + open the new version + find the edit {upd['median_visible_s']:.2f} s. "
        f"The real model embeds such a file ({upd['real_embed_s']['median_chunks']:.0f} chunks) "
        f"in {upd['real_embed_s']['median_s']:.2f} s on top.",
        "",
        "| Phase of the full-tree ingest (median s) | |",
        "|---|---|",
    ]
    labels = list(upd["runs"][0]["phases_s"])
    for k in labels:
        vals = sorted(x["phases_s"].get(k, 0.0) for x in upd["runs"])
        out.append(f"| {k} | {vals[len(vals) // 2]:.3f} |")
    return out


def ingest_table(r: dict[str, Any]) -> list[str]:
    ing = r.get("ingest")
    if not ing:
        return ["(not measured)"]
    out = [
        f"{ing['files']} real files, {ing['chunks']:,} chunks, {ing['tokens']:,} tokens "
        f"({ing['tokens'] / ing['chunks']:.0f} per chunk).",
        "",
        "| | chunks/s | tokens/s |",
        "|---|---|---|",
        f"| Full pipeline (parse, chunk, embed, store, index, publish) "
        f"| {ing['pipeline_chunks_per_s']:.1f} | {ing['pipeline_tokens_per_s']:,.0f} |",
        f"| Raw `model.encode` of the same chunk texts "
        f"| {ing['raw_chunks_per_s']:.1f} | {ing['raw_tokens_per_s']:,.0f} |",
        f"| **Ratio (median of {len(ing['rounds'])} rounds)** | **{ing['ratio_median']:.3f}** | |",
        "",
        "| Round | pipeline s | raw s | ratio | " + " | ".join(ing["rounds"][0]["phases_s"]) + " |",
        "|---" * (4 + len(ing["rounds"][0]["phases_s"])) + "|",
    ]
    for no, rd in enumerate(ing["rounds"], 1):
        phases = " | ".join(f"{v:.1f}" for v in rd["phases_s"].values())
        cpu = f" (CPU {rd['cpu_ratio']:.3f})" if "cpu_ratio" in rd else ""
        out.append(
            f"| {no} | {rd['pipeline_s']:.1f} | {rd['raw_s']:.1f} | {rd['ratio']:.3f}{cpu} "
            f"| {phases} |"
        )
    busy = [r["raw_cores_busy"] for r in ing["rounds"] if "raw_cores_busy" in r]
    if busy:
        out.append(
            f"\nCores busy during raw encode: {statistics.median(busy):.2f} of {os.cpu_count()}."
        )
    out.append(f"\nIngest peak RSS (real model loaded): {ing['peak_rss_mb']:,.0f} MB.")
    if ing.get("profile") and ing["ratio_median"] < 0.9:
        out += ["", "Profile of one pipeline run (cProfile, cumulative):", "", "```"]
        out += [ln.replace(str(ROOT) + "/", "") for ln in ing["profile"].splitlines()[:45]]
        out.append("```")
    return out


def render(r: dict[str, Any]) -> str:
    m = machine()
    load = r.get("load_avg", {})
    lines = [
        BEGIN,
        f"Generated {dt.datetime.now():%Y-%m-%d %H:%M} by `{r.get('command', 'python -m bench.run')}`"
        f" in {r.get('bench_minutes', 0):.0f} min.",
        "",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['ram']} RAM, {m['os']}; no GPU.",
        f"- Versions: Python {m['python']}, {versions()}.",
        f"- Load average (1/5/15 min) at start {_load(load.get('start'))}, at end "
        f"{_load(load.get('end'))}: other jobs shared the 2 cores, so figures are medians.",
        "",
        "### Floors",
        "",
        *floors(r),
        "",
        "### Search at scale",
        "",
        *size_tables(r),
        *search_profile(r),
        "",
        "### Cold start: process start → first answer (portal's `open_searcher`)",
        "",
        *cold_table(r),
        "",
        "### One edited file at 100k chunks",
        "",
        *update_table(r),
        "",
        "### Ingest: pipeline vs raw encode, real model",
        "",
        *ingest_table(r),
        END,
    ]
    return "\n".join(lines) + "\n"


def _load(values: Any) -> str:
    return "/".join(f"{v:.1f}" for v in values) if values else "—"


def write(results: dict[str, Any], path: Path) -> None:
    """Replace the generated part of PATH (or create PATH) with RESULTS."""
    body = render(results)
    if path.exists():
        text = path.read_text()
        if BEGIN in text and END in text:
            head, rest = text.split(BEGIN, 1)
            body = head + body + "\n" + rest.split(END, 1)[1].lstrip("\n")
            path.write_text(body)
            return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# Benchmarks\n\n" + body)
