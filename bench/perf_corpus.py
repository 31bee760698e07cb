"""Scaled benchmark corpora from ../shared/corpus: varied copies of real files, real vectors.

Copy 0 of the corpus is the real files; copy i > 0 of a file keeps its format, structure and
length, replaces about one word in twelve by another word of the corpus (drawn by frequency)
and suffixes its id and title, so copies are distinct documents with realistic keyword
statistics. Vectors at scale come from `SyntheticEmbedder`: the real MiniLM vector of one of
the ~5k real chunks (picked by a hash of the text) plus small Gaussian noise, renormalised —
the real model's geometry without hours of embedding.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from index.embedder import DEFAULT_MODEL_SHA256, bundled_model_dir
from index.errors import ParseError, SkipFile
from index.models import Chunk, ParsedDocument
from index.settings import DEFAULT_MODEL
from ingest.chunking import chunk_document, chunk_id
from ingest.discovery import SourceUnit, discover
from ingest.documents import parse_document

BENCH_DIR = Path(__file__).resolve().parent.parent / ".hindsight-bench" / "perf"  # git-ignored
REAL_MODEL_ID = f"{DEFAULT_MODEL}@{DEFAULT_MODEL_SHA256[:12]}"
NOISE = 0.03  # per dimension: a variant's vector has cosine ≈ 0.86 to its real chunk's
SWAP_SHARE = 1 / 12  # share of words a variant replaces
_WORD = re.compile(r"\b[^\W\d_]{4,}\b")
_TAG = re.compile(r"(<[^>]*>)")


class TokenCounter:
    """The model's word-piece count (special tokens included) without loading torch."""

    def __init__(self) -> None:
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(bundled_model_dir() / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()

    def __call__(self, text: str) -> int:
        return len(self.tokenizer.encode(text).ids)


class SyntheticEmbedder:
    """Real vectors plus noise under the real model's id, so the portal's code opens the index."""

    model_id = REAL_MODEL_ID
    dim = 384
    max_tokens = 256

    def __init__(self, basis: np.ndarray, counter: TokenCounter | None = None) -> None:
        self.basis = basis
        self.counter = counter or TokenCounter()

    def count_tokens(self, text: str) -> int:
        return self.counter(text)

    def vector(self, text: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
        rng = np.random.default_rng(seed)
        v = self.basis[seed % len(self.basis)] + NOISE * rng.standard_normal(self.dim)
        return (v / np.linalg.norm(v)).astype(np.float32)

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.vector(t) for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self.vector(text)


@dataclass(frozen=True)
class RealDoc:
    unit: SourceUnit
    doc: ParsedDocument
    chunks: list[Chunk]


def parse_corpus(corpus: Path, count: TokenCounter) -> list[RealDoc]:
    """Every real document, parsed and chunked exactly as an ingest does."""
    units, _bad = discover(str(corpus))
    out = []
    for unit in units:
        try:
            doc = parse_document(unit.primary, unit.root, max_bytes=10 << 20, sidecar=unit.sidecar)
        except (SkipFile, ParseError):
            continue  # LICENSE files beside the transcripts
        chunks = chunk_document(doc, count, max_tokens=256, target_tokens=200,
                                transcript_target_tokens=96)  # fmt: skip
        out.append(RealDoc(unit, doc, chunks))
    return out


def real_vectors(docs: list[RealDoc]) -> np.ndarray:
    """Real MiniLM vectors of every real chunk, embedded once and cached."""
    texts = [c.embed_text for d in docs for c in d.chunks]
    digest = hashlib.sha256("\0".join(texts).encode()).hexdigest()[:16]
    path = BENCH_DIR / f"real-vectors-{digest}.npy"
    if path.exists():
        return np.load(path)
    from index.embedder import SentenceTransformerEmbedder
    from index.settings import Settings

    vectors = SentenceTransformerEmbedder(Settings()).embed_batch(texts)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


class Varier:
    """Deterministic word swaps drawn from the corpus's own vocabulary."""

    def __init__(self, corpus: Path) -> None:
        counts: Counter[str] = Counter()
        for path in corpus.rglob("*"):
            if path.is_file() and path.suffix in (".md", ".srt", ".vtt", ".json"):
                counts.update(_WORD.findall(path.read_text(encoding="utf-8", errors="replace")))
        words = [w for w, n in counts.items() if n >= 2]
        freq = np.array([counts[w] for w in words], dtype=np.float64)
        self.words = words
        self.cdf = np.cumsum(freq / freq.sum())

    def text(self, text: str, seed: str) -> str:
        rng = np.random.default_rng(
            int(hashlib.blake2b(seed.encode(), digest_size=8).hexdigest(), 16)
        )

        def swap(m: re.Match[str]) -> str:
            if rng.random() >= SWAP_SHARE:
                return m.group(0)
            return self.words[int(np.searchsorted(self.cdf, rng.random()))]

        # Tags (<v Speaker>, HTML) stay as they are; only running text changes.
        return "".join(
            part if _TAG.fullmatch(part) else _WORD.sub(swap, part) for part in _TAG.split(text)
        )

    def file(self, src: Path, dest: Path, copy: int) -> None:
        """Write variant COPY of SRC to DEST, in SRC's format."""
        raw = src.read_text(encoding="utf-8-sig", errors="replace")
        seed = f"{src.name}/{copy}"
        suffix = src.suffix.lower()
        if suffix == ".md":
            out = self._markdown(raw, seed, copy)
        elif suffix == ".json":
            data = json.loads(raw)
            data["text"] = self.text(data.get("text", ""), seed)
            for seg in data.get("segments", []):
                seg["text"] = self.text(seg.get("text", ""), f"{seed}/{seg.get('id')}")
            out = json.dumps(data)
        else:  # .srt / .vtt: cue text lines only
            lines = []
            for no, line in enumerate(raw.splitlines()):
                cue = line.strip() and "-->" not in line and not line.strip().isdigit()
                keep = not cue or line.startswith(("WEBVTT", "NOTE", "STYLE"))
                lines.append(line if keep else self.text(line, f"{seed}/{no}"))
            out = "\n".join(lines) + "\n"
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(out, encoding="utf-8")

    def _markdown(self, raw: str, seed: str, copy: int) -> str:
        head, body = "", raw
        if raw.startswith("---\n") and "\n---" in raw[4:]:
            end = raw.index("\n---", 4) + 4
            head, body = raw[:end], raw[end:]
            head = re.sub(
                r"^(uuid|id):\s*([\"']?)([^\"'\s]+)\2\s*$",
                rf"\g<1>: \g<2>\g<3>-v{copy}\g<2>",
                head,
                flags=re.M,
            )
            head = re.sub(
                r"^title:\s*([\"']?)(.*?)\1\s*$",
                rf"title: \g<1>\g<2> (variant {copy})\g<1>",
                head,
                flags=re.M,
            )
        return head + self.text(body, seed)


def write_tree(corpus: Path, dest: Path, copies: int) -> int:
    """COPIES of the corpus under DEST (copy 0 verbatim); returns the number of files."""
    varier = Varier(corpus)
    files = [p for p in sorted(corpus.rglob("*")) if p.is_file() and p.suffix in
             (".md", ".srt", ".vtt", ".json")]  # fmt: skip
    if dest.exists():
        shutil.rmtree(dest)
    for copy in range(copies):
        for src in files:
            rel = src.relative_to(corpus)
            if copy == 0:
                target = dest / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, target)
            else:
                target = dest / rel.parent / f"copy-{copy:03d}" / f"{src.stem}-v{copy}{src.suffix}"
                varier.file(src, target, copy)
    return len(files) * copies


def variant_docs(
    docs: list[RealDoc], varier: Varier, copy: int
) -> Iterator[tuple[ParsedDocument, list[Chunk], str]]:
    """Copy COPY of every real document as (document, chunks, path), without files."""
    for real in docs:
        doc = real.doc
        if copy:
            doc = replace(
                doc,
                doc_id=f"{doc.doc_id}-v{copy}",
                title=f"{doc.title} (variant {copy})",
                body=varier.text(doc.body, f"{doc.doc_id}/{copy}/body"),
            )
        chunks = []
        for c in real.chunks:
            text = varier.text(c.text, f"{c.chunk_id}/{copy}") if copy else c.text
            context = c.context.replace(real.doc.title, doc.title, 1) if copy else c.context
            embed_text = f"{context}\n{text}" if context else text
            text_hash = hashlib.sha256(embed_text.encode()).hexdigest()
            chunks.append(
                replace(
                    c,
                    doc_id=doc.doc_id,
                    text=text,
                    context=context,
                    text_hash=text_hash,
                    chunk_id=chunk_id(doc.doc_id, c.ordinal, text_hash),
                )
            )
        yield doc, chunks, f"{real.unit.display_path}#v{copy}"
