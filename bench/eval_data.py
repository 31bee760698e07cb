"""Evaluation inputs: BEIR datasets and the judged query files, read into plain records."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Query:
    """One judged query: graded doc ids (BEIR, post-mortems) or judged moments (transcripts)."""

    query_id: str
    text: str
    relevant: dict[str, int]
    moments: tuple[Moment, ...] = ()
    style: str = ""


@dataclass(frozen=True)
class Moment:
    """A judged time window in one transcript file."""

    file: str
    start: float
    end: float
    grade: int

    @property
    def key(self) -> str:
        return f"{self.file}@{self.start:g}-{self.end:g}"


def _jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def beir_queries(root: Path, split: str = "test") -> list[Query]:
    """The judged queries of a BEIR dataset's split, in qrels order."""
    qrels: dict[str, dict[str, int]] = {}
    with (root / "qrels" / f"{split}.tsv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            qrels.setdefault(row["query-id"], {})[row["corpus-id"]] = int(row["score"])
    texts = {str(q["_id"]): str(q["text"]) for q in _jsonl(root / "queries.jsonl")}
    return [Query(qid, texts[qid], rel) for qid, rel in qrels.items() if qid in texts]


def beir_corpus(root: Path) -> Iterator[tuple[str, str, str]]:
    """(doc id, title, text) of a BEIR corpus."""
    for doc in _jsonl(root / "corpus.jsonl"):
        yield str(doc["_id"]), str(doc.get("title") or ""), str(doc.get("text") or "")


def write_beir_notes(root: Path, out: Path) -> int:
    """Mirror a BEIR corpus as Markdown notes (front matter id = BEIR id); returns the count.

    Files whose text is already right are left alone, so a re-run ingests nothing.
    """
    out.mkdir(parents=True, exist_ok=True)
    wanted: set[str] = set()
    for doc_id, title, text in beir_corpus(root):
        # JSON strings are valid YAML double-quoted scalars: any title survives the round trip.
        note = (
            f"---\nid: {json.dumps(doc_id)}\nkind: note\ntitle: {json.dumps(title)}\n---\n{text}\n"
        )
        name = f"{_safe(doc_id)}.md"
        wanted.add(name)
        path = out / name
        if not path.exists() or path.read_text(encoding="utf-8") != note:
            path.write_text(note, encoding="utf-8")
    for stale in out.glob("*.md"):
        if stale.name not in wanted:
            stale.unlink()
    return len(wanted)


def _safe(doc_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in doc_id)


def postmortem_queries(path: Path) -> list[Query]:
    """`{"id", "query", "relevant": {uuid: grade}, "style"}` lines."""
    return [
        Query(
            str(q["id"]),
            str(q["query"]),
            {str(k): int(v) for k, v in q["relevant"].items()},
            style=str(q.get("style", "")),
        )
        for q in _jsonl(path)
    ]


def transcript_queries(path: Path) -> list[Query]:
    """`{"id", "query", "relevant": [{"file", "start", "end", "grade"}], "style"}` lines."""
    out = []
    for q in _jsonl(path):
        moments = tuple(
            Moment(str(m["file"]), float(m["start"]), float(m["end"]), int(m["grade"]))
            for m in q["relevant"]
        )
        out.append(
            Query(
                str(q["id"]),
                str(q["query"]),
                {m.key: m.grade for m in moments},
                moments,
                str(q.get("style", "")),
            )
        )
    return out
