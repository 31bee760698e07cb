"""Ingest speed of Markdown, and of each export format: the read side alone and a whole ingest.

Parse + chunk (the part this code owns; the model's token counter included) is timed per file
over a folder, best of REPEATS; `--ingest` also times a whole `Ingestor.run` (real model) into
a fresh data directory. Run it against another checkout with PYTHONPATH to compare code:

    python bench/ingest_speed.py ../shared/corpus/postmortems --ingest
    PYTHONPATH=/path/to/other/checkout python bench/ingest_speed.py ../shared/corpus/postmortems
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

REPEATS = 5


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--ingest", action="store_true", help="also time a whole ingest")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import ingest
    from index.embedder import SentenceTransformerEmbedder
    from index.settings import Settings
    from ingest.chunking import chunk_document
    from ingest.discovery import discover
    from ingest.documents import parse_document

    settings = Settings()
    embedder = SentenceTransformerEmbedder(settings)
    units, _ = discover(str(args.folder))
    embedder.count_tokens("warm up the tokenizer")
    best = cpu = float("inf")
    chunks = 0
    for _ in range(REPEATS):
        started, started_cpu = time.perf_counter(), time.process_time()
        chunks = 0
        for unit in units:
            doc = parse_document(unit.primary, unit.root, max_bytes=settings.max_bytes,
                                 sidecar=unit.sidecar)  # fmt: skip
            chunks += len(chunk_document(doc, embedder.count_tokens,
                                         max_tokens=embedder.max_tokens))  # fmt: skip
        best = min(best, time.perf_counter() - started)
        cpu = min(cpu, time.process_time() - started_cpu)  # less swayed by other processes
    result: dict[str, object] = {
        "code": str(Path(ingest.__file__).resolve().parents[1]),
        "files": len(units),
        "chunks": chunks,
        "parse_chunk_s": round(best, 3),
        "parse_chunk_cpu_s": round(cpu, 3),
        "files_per_s": round(len(units) / best, 1),
    }
    if args.ingest:
        from ingest.pipeline import Ingestor

        with tempfile.TemporaryDirectory() as tmp:
            run = Settings(data_dir=Path(tmp))
            started = time.perf_counter()
            report = Ingestor(run, embedder).run([str(args.folder)])
            result["ingest_s"] = round(time.perf_counter() - started, 2)
            result["indexed"] = report.count("indexed")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
