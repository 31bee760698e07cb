"""An ingest that SIGKILLs itself at a chosen point, and the checks made after it.

tests/test_fault_injection.py runs `run_ingest` in child processes forked from a
multiprocessing forkserver that imported this module once, so a trial costs a fork rather
than an interpreter start. Hooks wrap the functions an ingest passes through — copying the
generation, embedding, catalog writes, FAISS and keyword saves, fsync, the CURRENT swap,
the sweep — and count their calls; the child kills itself before or after the Nth call of
one of them, exactly as `kill -9` would at that moment.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import signal
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import pandas  # noqa: F401 - DuckDB imports it on first use; load it once in the forkserver
import pyarrow  # noqa: F401
import tantivy

from index import generations
from index.embedding_cache import EmbeddingCache
from index.keyword import KeywordIndex
from index.reader import IndexSnapshot
from index.search import Searcher
from index.settings import Settings
from index.store import CatalogWriter
from index.vectors import VectorIndex
from index.writer import IndexWriter
from ingest.pipeline import Ingestor
from tests.conftest import HashingEmbedder

# name -> (owner, attribute). Methods are patched on their class, functions on their module.
HOOKS: dict[str, tuple[Any, str]] = {
    "sweep": (generations, "sweep"),
    "rmtree": (shutil, "rmtree"),  # sweeping old and unpublished generations, discarding
    "copy_generation_file": (generations, "_link_or_copy"),
    "embed_batch": (HashingEmbedder, "embed_batch"),
    "embedding_cache_put": (EmbeddingCache, "put"),
    "remove_document": (IndexWriter, "remove_document"),
    "insert_document": (CatalogWriter, "insert_document"),
    "put_file_state": (CatalogWriter, "put_file_state"),
    "keyword_add": (KeywordIndex, "add"),
    "vectors_save": (VectorIndex, "save"),  # the catalog is committed and closed by now
    "faiss_write_index": (faiss, "write_index"),
    "keyword_save": (KeywordIndex, "save"),
    "fsync": (os, "fsync"),  # publish: the generation's files, CURRENT.tmp, the folder
    "replace": (os, "replace"),  # vectors.tmp -> vectors.faiss, CURRENT.tmp -> CURRENT
    "publish": (generations, "publish"),
}
SIDES = ("before", "after")
BATCH_SIZE = 2  # 16 chunks per embedding batch: kills land between batches too


def _install(calls: Counter[str], kill: tuple[str, str, int] | None) -> None:
    def wrap(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def hooked(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            n = calls[name]
            if kill == (name, "before", n):
                os.kill(os.getpid(), signal.SIGKILL)
            result = fn(*args, **kwargs)
            if kill == (name, "after", n):
                os.kill(os.getpid(), signal.SIGKILL)
            return result

        return hooked

    for name, (owner, attr) in HOOKS.items():
        setattr(owner, attr, wrap(name, getattr(owner, attr)))


def run_ingest(
    data_dir: str, root: str, kill: tuple[str, str, int] | None, counts_path: str | None
) -> None:
    """Ingest ROOT; die at KILL = (hook, side, nth call), or write hook call counts."""
    calls: Counter[str] = Counter()
    _install(calls, kill)
    settings = Settings(data_dir=Path(data_dir), batch_size=BATCH_SIZE)
    Ingestor(settings, HashingEmbedder()).run([root])
    if counts_path:
        Path(counts_path).write_text(json.dumps(calls))


# --- a generated content tree ----------------------------------------------------------------

_VOCABULARY = (
    "replica failover lag ledger cache shard quorum deploy rollback pager queue backlog "
    "timeout retry breaker certificate expiry resolver kafka consumer vacuum bloat heap"
)
_WORDS = _VOCABULARY.split()


def _prose(seed: int, words: int = 60) -> str:
    rng = np.random.default_rng(seed)
    return " ".join(_WORDS[i] for i in rng.integers(0, len(_WORDS), words))


def _postmortem(i: int, extra: str = "") -> str:
    sections = "\n\n".join(f"## Part {s}\n{_prose(i * 10 + s)}" for s in range(3))
    return (
        f"---\nid: pm-{i:02d}\ntitle: Incident {i}\ndate: 2024-02-{i % 28 + 1:02d}\n"
        f"services: [svc-{i % 4}]\n---\n# Incident {i}\n\n{sections}\n{extra}"
    )


def _vtt(i: int) -> str:
    cues = "\n\n".join(
        f"00:00:{c * 5:02d}.000 --> 00:00:{c * 5 + 5:02d}.000\n<v Speaker {c % 2}>{_prose(500 + i * 7 + c, 25)}"
        for c in range(6)
    )
    return f"WEBVTT\n\n{cues}\n"


def _expert(i: int) -> str:
    return (
        f"---\nname: Expert {i}\nrole: Engineer\nteam: team-{i}\ntopics: [kafka, postgres]\n"
        f"office_hours:\n  - {{weekday: Monday, start: '10:00', end: '11:00', "
        f"timezone: UTC, where: Room {i}}}\n---\n{_prose(900 + i)}\n"
    )


def tree_files(version: int) -> dict[str, str | bytes]:
    """About 40 files; version 2 edits, adds, deletes, renames, breaks and repairs some."""
    files: dict[str, str | bytes] = {}
    for i in range(24):
        files[f"postmortems/pm-{i:02d}.md"] = _postmortem(i)
    for i in range(5):
        files[f"talks/talk-{i}.md"] = (
            f"---\ntitle: Talk {i}\n---\n# Talk {i}\n\n{_prose(300 + i)}\n"
        )
    for i in range(4):
        files[f"showcases/demo-{i}.vtt"] = _vtt(i)
    for i in range(2):  # sidecars
        files[f"showcases/demo-{i}.md"] = f"---\nid: demo-{i}\ntitle: Demo {i}\n---\nNotes {i}.\n"
    for i in range(3):
        files[f"experts/expert-{i}.md"] = _expert(i)
    files["postmortems/broken.md"] = "---\ntitle: [unclosed\n---\nbody\n"
    files["postmortems/binary.md"] = b"\x00\x01\x02binary\x00" * 40
    if version == 1:
        return files
    for i in range(4):  # edited
        files[f"postmortems/pm-{i:02d}.md"] = _postmortem(i, f"\n## Update\n{_prose(7000 + i)}\n")
    for i in (4, 5):  # deleted
        del files[f"postmortems/pm-{i:02d}.md"]
    for i in range(30, 33):  # added
        files[f"postmortems/pm-{i:02d}.md"] = _postmortem(i)
    files["postmortems/pm-07-renamed.md"] = files.pop("postmortems/pm-07.md")  # same id
    files["postmortems/pm-06.md"] = "---\n- turned\n- into a list\n---\n"  # turned bad
    files["postmortems/broken.md"] = "---\ntitle: Repaired\n---\nNow fine.\n"  # repaired
    files["showcases/demo-0.md"] = "---\nid: demo-0\ntitle: Demo 0, renamed\n---\nNew notes.\n"
    del files["showcases/demo-1.vtt"]  # its sidecar becomes a note of its own
    files["talks/talk-0.md"] = files["talks/talk-0.md"] + "\nAnother paragraph.\n"
    return files


def write_tree(root: Path, version: int) -> None:
    """Make ROOT hold exactly version VERSION's files (unchanged files are left alone)."""
    wanted = tree_files(version)
    for path in sorted(root.rglob("*"), reverse=True):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and rel not in wanted:
            path.unlink()
    for rel, content in wanted.items():
        path = root / rel
        data = content.encode() if isinstance(content, str) else content
        if path.exists() and path.read_bytes() == data:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


# --- what an index holds, and whether its three parts agree ----------------------------------


def keyword_ids(snapshot: IndexSnapshot) -> list[int]:
    searcher = snapshot.keyword.index.searcher()
    n = searcher.num_docs
    if n == 0:
        return []
    hits = searcher.search(tantivy.Query.all_query(), n).hits
    return sorted(int(searcher.doc(address)["chunk_id"][0]) for _score, address in hits)


def check_consistent(snapshot: IndexSnapshot) -> set[int]:
    """Catalog chunk ids, FAISS ids and keyword ids are the same set; returns it."""
    cur = snapshot.cursor()
    catalog_ids = sorted(r[0] for r in cur.execute("SELECT chunk_id FROM chunks").fetchall())
    vector_ids = sorted(snapshot.vectors.ids().tolist())
    assert vector_ids == catalog_ids, "FAISS ids differ from the catalog's chunk ids"
    assert keyword_ids(snapshot) == catalog_ids, "keyword index differs from the catalog"
    assert snapshot.keyword.count() == len(catalog_ids)
    orphans = cur.execute(
        "SELECT count(*) FROM chunks WHERE doc_id NOT IN (SELECT doc_id FROM documents)"
    ).fetchone()
    assert orphans == (0,), "chunks without a document"
    return set(catalog_ids)


def index_state(data_dir: Path) -> dict[str, Any]:
    """Everything an ingest decides, minus timestamps: documents, chunks, vectors, file states."""
    snapshot = IndexSnapshot.open(data_dir)
    try:
        check_consistent(snapshot)
        cur = snapshot.cursor()

        def rows(sql: str) -> list[tuple[Any, ...]]:
            return sorted(cur.execute(sql).fetchall(), key=repr)

        digest = hashlib.sha256()
        for chunk_id in sorted(snapshot.vectors.ids().tolist()):
            digest.update(snapshot.vectors.index.reconstruct(int(chunk_id)).tobytes())
        return {
            "documents": rows(
                "SELECT doc_id, kind, title, path, source_key, date, metadata, body FROM documents"
            ),
            "chunks": rows("SELECT chunk_id, doc_id, ordinal, text_hash, text FROM chunks"),
            "files": rows(
                "SELECT source_key, path, size, mtime_ns, content_hash, doc_id, state, reason, "
                "line FROM files"
            ),
            "experts": rows("SELECT expert_id, doc_id, name, team FROM experts"),
            "office_hours": rows("SELECT expert_id, weekday, location FROM office_hours"),
            "facets": rows("SELECT doc_id, facet, value FROM doc_facets"),
            "segments": rows("SELECT doc_id, ordinal, start_s, text FROM segments"),
            "vectors": digest.hexdigest(),
        }
    finally:
        snapshot.close()


def answers_a_query(data_dir: Path) -> int:
    snapshot = IndexSnapshot.open(data_dir)
    try:
        hits = Searcher(snapshot, HashingEmbedder().embed_query).search("replica failover lag")
        assert hits, "no hits for a query every version can answer"
        return len(hits)
    finally:
        snapshot.close()
