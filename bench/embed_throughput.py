"""`python -m bench.embed_throughput`: passage embedding chunks/s, setting by setting.

The chunks are the ones an ingest embeds (the product's parser and chunker over
../shared/corpus when present, else content/), repeated to --chunks, shuffled (an ingest
window is sorted by the pipeline; a caller's batch need not be). Each setting embeds all of
them once after a warm-up batch; vectors are compared with sentence-transformers' fp32 encode
of the distinct chunks (minimum cosine). Settings (those that apply to --device):

- `st-fp32-b32`: sentence-transformers' `encode`, fp32, batch 32: the product before issue 27;
- `st-fp32-b1024` (GPU): the same with a large batch;
- `torch-{fp32,fp16}-b{N}[-unsorted]`: `index.torch_passages` (length-sorted batches, the next
  one tokenized on a helper thread; `-unsorted` keeps the given order);
- `onnx-b{N}[-unsorted]` (CPU): `OnnxEncoder.encode_batch`, all cores;
- `ray-{k}-per-gpu` (GPU, with --ray): `RayEngine` on a local Ray, k actors per GPU
  (`num_gpus=1/k`), end to end and after the first batch came back;
- `tokenizer`: the fast tokenizer alone, one thread (the Python-side bound).

Prints a table and writes bench/results/embed_<device>.json; with --docs, the table replaces
the section between the `embed-<device>:begin/end` markers of docs/benchmarks.md.

Examples:
  python -m bench.embed_throughput --device cpu --chunks 1200 --rounds 4
  python -m bench.embed_throughput --device cuda --chunks 100000 --ray --docs
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DOCS = ROOT / "docs" / "benchmarks.md"


def corpus_texts(corpus: Path, distinct: int) -> list[str]:
    """Embed texts of up to DISTINCT chunks of CORPUS, as an ingest would make them."""
    from bench.ray_embed import collect
    from index.embedder import SentenceTransformerEmbedder
    from index.settings import Settings

    counter = SentenceTransformerEmbedder(Settings(passage_backend="onnx"))
    return [c.embed_text for c in collect(corpus, counter, distinct)]


def repeated(texts: list[str], total: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """TOTAL texts drawn from TEXTS in a shuffled order, and which text each one is."""
    rng = np.random.default_rng(seed)
    which = rng.permutation(np.resize(np.arange(len(texts)), total))
    return [texts[i] for i in which], which


def settings_for(device: str, quick: bool) -> list[tuple[str, dict[str, Any]]]:
    """(name, how) for every setting measured on DEVICE."""
    if device == "cpu":
        sizes = (16, 32) if quick else (8, 16, 32, 64)
        grid: list[tuple[str, dict[str, Any]]] = [("st-fp32-b32", {"kind": "st", "batch": 32})]
        grid += [
            (f"torch-fp32-b{b}", {"kind": "torch", "precision": "fp32", "batch": b}) for b in (32,)
        ]
        grid += [(f"onnx-b{b}", {"kind": "onnx", "batch": b}) for b in sizes]
        grid += [("onnx-b16-unsorted", {"kind": "onnx", "batch": 16, "sort": False})]
        return grid
    grid = [
        ("st-fp32-b32", {"kind": "st", "batch": 32}),
        ("st-fp32-b1024", {"kind": "st", "batch": 1024}),
        ("torch-fp32-b1024", {"kind": "torch", "precision": "fp32", "batch": 1024}),
        (
            "torch-fp16-b1024-unsorted",
            {"kind": "torch", "precision": "fp16", "batch": 1024, "sort": False},
        ),
    ]
    grid += [
        (f"torch-fp16-b{b}", {"kind": "torch", "precision": "fp16", "batch": b})
        for b in (256, 1024, 2048)
    ]
    grid += [("torch-bf16-b1024", {"kind": "torch", "precision": "bf16", "batch": 1024})]
    return grid


def encoder_for(how: dict[str, Any], device: str) -> Callable[[list[str]], np.ndarray]:
    from index.embedder import PROBES, SentenceTransformerEmbedder
    from index.settings import Settings
    from index.torch_passages import TorchPassages

    sort = how.get("sort", True)
    if how["kind"] == "onnx":
        onnx = SentenceTransformerEmbedder(Settings(passage_backend="onnx")).passage_encoder()
        assert onnx is not None
        return lambda texts: onnx.encode_batch(texts, how["batch"], sort)
    model = SentenceTransformerEmbedder(Settings(device=device, passage_backend="torch")).model
    if how["kind"] == "st":
        return lambda texts: np.asarray(
            model.encode(
                texts,
                batch_size=how["batch"],
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            ),
            dtype=np.float32,
        )
    passages = TorchPassages(model, how["precision"], PROBES, min_cosine=0.0)  # measure all
    return lambda texts: passages.encode(texts, how["batch"], sort)


def ray_runs(texts: list[str], device: str, per_gpu: list[int]) -> list[dict[str, Any]]:
    """RayEngine end to end on a local Ray, K actors per GPU for each K."""
    import ray

    from index.embedder import SentenceTransformerEmbedder
    from index.settings import Settings
    from ingest.ray_engine import RayEngine

    model_id = SentenceTransformerEmbedder(Settings()).model_id
    out = []
    ray.init(include_dashboard=False, log_to_driver=False)
    try:
        for k in per_gpu:
            settings = Settings(engine="ray", device=device, ray_actors_per_gpu=k)
            engine = RayEngine(settings, model_id)
            ids = list(range(len(texts)))
            started = time.perf_counter()
            first = None
            done = 0
            for got, _vectors in engine.embed(ids, texts):
                first = first or time.perf_counter()
                done += len(got)
            total = time.perf_counter() - started
            after_first = time.perf_counter() - (first or started)
            actors, batch, gpus = engine.plan()
            out.append(
                {
                    "setting": f"ray-{k}-per-gpu",
                    "chunks": done,
                    "seconds": round(total, 2),
                    "chunks_per_s": round(done / total, 1),
                    "steady_chunks_per_s": round(done / after_first, 1) if after_first else None,
                    "actors": actors,
                    "gpus_per_actor": gpus,
                    "ray_batch": batch,
                }
            )
            print(out[-1], flush=True)
    finally:
        ray.shutdown()
    return out


def tokenizer_rate(texts: list[str]) -> float:
    from index.embedder import bundled_model_dir
    from index.token_counter import TokenCounter

    tokenizer = TokenCounter.from_folder(bundled_model_dir()).tokenizer
    tokenizer.enable_truncation(max_length=256)
    started = time.perf_counter()
    for start in range(0, len(texts), 1024):
        tokenizer.encode_batch(texts[start : start + 1024])
    return len(texts) / (time.perf_counter() - started)


def machine(device: str) -> str:
    import torch

    cpu = platform.processor() or platform.machine()
    where = f"{os.cpu_count()} cores ({cpu})"
    if device == "cuda":
        where += f", {torch.cuda.get_device_name(0)} × {torch.cuda.device_count()}"
    return f"{where}; torch {torch.__version__}; Python {platform.python_version()}"


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"Measured {report['when']} with `{report['command']}`: {report['machine']}; "
        f"load average at start {report['load'][0]:.1f}/{report['load'][1]:.1f}/"
        f"{report['load'][2]:.1f}; {report['chunks']:,} chunks ({report['distinct']:,} distinct, "
        f"mean {report['mean_tokens']:.0f} word pieces), shuffled.",
        "",
        "| setting | chunks/s | vs before | min cosine to fp32 |",
        "|---|---:|---:|---:|",
    ]
    base = report["runs"][0]["chunks_per_s"]
    for run in report["runs"]:
        cosine = run.get("min_cosine")
        lines.append(
            f"| {run['setting']} | {run['chunks_per_s']:,.0f} | {run['chunks_per_s'] / base:.2f}x | "
            + (f"{cosine:.5f} |" if cosine is not None else "— |")
        )
    for run in report.get("ray", []):
        steady = run["steady_chunks_per_s"]
        lines.append(
            f"| {run['setting']} ({run['actors']} actors × {run['gpus_per_actor']:.2f} GPU, "
            f"batch {run['ray_batch']}; after the first batch: {steady:,.0f}/s) | "
            f"{run['chunks_per_s']:,.0f} | {run['chunks_per_s'] / base:.2f}x | — |"
        )
    lines.append(f"| tokenizer alone, one thread | {report['tokenizer_per_s']:,.0f} | — | — |")
    return "\n".join(lines)


def write_docs(device: str, table: str) -> None:
    begin, end = f"<!-- embed-{device}:begin -->", f"<!-- embed-{device}:end -->"
    text = DOCS.read_text()
    if begin not in text:
        raise SystemExit(f"{DOCS} has no {begin} marker")
    head, rest = text.split(begin, 1)
    _old, tail = rest.split(end, 1)
    DOCS.write_text(f"{head}{begin}\n{table}\n{end}{tail}")


def run(args: argparse.Namespace, command: str) -> dict[str, Any]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    load = os.getloadavg()
    distinct = corpus_texts(Path(args.corpus), args.distinct)
    texts, which = repeated(distinct, args.chunks)
    from index.embedder import SentenceTransformerEmbedder
    from index.settings import Settings

    counter = SentenceTransformerEmbedder(Settings(passage_backend="onnx"))
    reference = encoder_for({"kind": "st", "batch": 32}, args.device)(distinct)  # fp32
    chosen = [
        (name, how)
        for name, how in settings_for(args.device, args.quick)
        if not args.only or any(o in name for o in args.only.split(","))
    ]
    encoders = {name: encoder_for(how, args.device) for name, how in chosen}
    for encode in encoders.values():
        encode(texts[:64])  # warm-up: first-call allocations, kernels, thread pools
    # Settings take turns on slices of the chunks (--rounds), so a change in the machine's
    # load falls on all of them alike.
    slices = np.array_split(np.arange(len(texts)), max(1, args.rounds))
    seconds = dict.fromkeys(encoders, 0.0)
    vectors: dict[str, list[np.ndarray]] = {name: [] for name in encoders}
    for part in slices:
        batch = [texts[i] for i in part]
        for name, encode in encoders.items():
            started = time.perf_counter()
            vectors[name].append(encode(batch))
            seconds[name] += time.perf_counter() - started
    runs = []
    for name in encoders:
        got = np.concatenate(vectors[name])
        cosine = float(np.min(np.sum(got * reference[which], axis=1)))
        runs.append(
            {
                "setting": name,
                "seconds": round(seconds[name], 2),
                "chunks_per_s": round(len(texts) / seconds[name], 1),
                "min_cosine": round(cosine, 6),
            }
        )
        print(runs[-1], flush=True)
    report: dict[str, Any] = {
        "when": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "command": command,
        "machine": machine(args.device),
        "load": load,
        "chunks": len(texts),
        "distinct": len(distinct),
        "mean_tokens": float(np.mean([counter.count_tokens(t) for t in distinct])),
        "runs": runs,
        "tokenizer_per_s": round(tokenizer_rate(texts), 1),
    }
    if args.ray:
        report["ray"] = ray_runs(texts, args.device, [1, 2, 4, 8] if args.device == "cuda" else [1])
    return report


def parser(device_default: str) -> argparse.ArgumentParser:
    shared = ROOT.parent / "shared" / "corpus"
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", choices=("cpu", "cuda"), default=device_default)
    p.add_argument("--corpus", default=str(shared if shared.is_dir() else ROOT / "content"))
    p.add_argument("--distinct", type=int, default=6000, help="distinct chunks at most")
    p.add_argument("--chunks", type=int, default=2000, help="chunks embedded per setting")
    p.add_argument("--only", default="", help="comma-separated parts of setting names")
    p.add_argument("--quick", action="store_true", help="fewer batch sizes")
    p.add_argument("--rounds", type=int, default=1, help="settings take turns on this many slices")
    p.add_argument("--ray", action="store_true", help="also RayEngine, k actors per GPU")
    p.add_argument("--docs", action="store_true", help="write the table into docs/benchmarks.md")
    return p


def main(argv: list[str] | None = None, device_default: str = "cpu") -> dict[str, Any]:
    import sys

    args = parser(device_default).parse_args(argv)
    command = "python -m " + " ".join(
        [sys.modules["__main__"].__spec__.name if sys.modules["__main__"].__spec__ else "bench"]
        + (argv if argv is not None else sys.argv[1:])
    )
    report = run(args, command)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"embed_{args.device}.json").write_text(json.dumps(report, indent=1))
    table = markdown(report)
    print(table)
    if args.docs:
        write_docs(args.device, table)
    return report


if __name__ == "__main__":
    main()
