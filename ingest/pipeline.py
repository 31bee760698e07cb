"""Ingest: discover → detect changes → parse → chunk → embed what is new → publish."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.embedder import Embedder
from index.errors import ParseError, SkipFile
from index.models import Chunk, ParsedDocument
from index.settings import Settings
from index.store import FileState
from index.writer import IndexWriter
from ingest.chunking import chunk_document
from ingest.discovery import SourceUnit, discover
from ingest.documents import parse_document
from ingest.report import FileOutcome, IngestReport

# Bump when parsing or chunking changes meaning: every file is then re-read (vectors of
# unchanged chunk texts still come from the embedding cache).
PIPELINE_VERSION = "1"

Progress = Callable[[int, int], None]  # (done, total) chunks embedded


@dataclass
class _Pending:
    unit: SourceUnit
    doc: ParsedDocument
    chunks: list[Chunk]
    size: int
    mtime_ns: int
    content_hash: str


def _signature(unit: SourceUnit) -> tuple[int, int]:
    stats = [p.stat() for p in unit.files]
    return sum(s.st_size for s in stats), max(s.st_mtime_ns for s in stats)


def _content_hash(unit: SourceUnit) -> str:
    digest = hashlib.sha256()
    for path in unit.files:
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


class Ingestor:
    """Runs one ingest over some roots with one embedder, inside one writer session."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder

    def run(
        self,
        roots: Iterable[str],
        *,
        progress: Progress | None = None,
        on_scan: Callable[[int], None] | None = None,
    ) -> IngestReport:
        started = time.perf_counter()
        started_at = dt.datetime.now()
        roots = list(roots)
        report = IngestReport()
        data_dir = self.settings.data_dir
        with IndexWriter(data_dir, self.embedder.model_id) as writer:
            states = writer.catalog.file_states()
            trust_stat = writer.catalog.get_meta("pipeline") == PIPELINE_VERSION
            units, problems = [], []
            for root in roots:
                found, bad = discover(root)
                units.extend(found)
                problems.extend(bad)
            for problem in problems:
                report.outcomes.append(FileOutcome(problem.path, "skipped", problem.reason))
            if on_scan:
                on_scan(len(units))
            self._remove_vanished(writer, roots, units, states, report)
            pending = self._read_changed(writer, units, states, trust_stat, report)
            dim = self._embed_and_store(writer, pending, report, progress)
            report.seconds = time.perf_counter() - started
            if not writer.catalog.dirty and trust_stat:
                # Nothing changed: keep the published version rather than publish a copy of it.
                report.generation = writer.abandon()
                return report
            writer.catalog.set_meta("pipeline", PIPELINE_VERSION)
            writer.catalog.record_run(
                {
                    "started_at": started_at,
                    "finished_at": dt.datetime.now(),
                    "roots": roots,
                    "indexed": report.count("indexed"),
                    "unchanged": report.count("unchanged"),
                    "skipped": report.count("skipped"),
                    "failed": report.count("failed"),
                    "removed": report.count("removed"),
                    "chunks_embedded": report.chunks_embedded,
                    "seconds": report.seconds,
                }
            )
            writer.publish(dim)
            assert writer.generation is not None
            report.generation = writer.generation.name
        return report

    def _remove_vanished(
        self,
        writer: IndexWriter,
        roots: list[str],
        units: list[SourceUnit],
        states: dict[str, FileState],
        report: IngestReport,
    ) -> None:
        """Files indexed from these roots before that are gone now: drop their documents."""
        present = {u.source_key for u in units}
        scopes = [str(Path(r).absolute()) for r in roots]
        for key, state in states.items():
            inside = any(key == s or key.startswith(s.rstrip("/") + "/") for s in scopes)
            if inside and key not in present:
                if state.doc_id and writer.catalog.doc_owner(state.doc_id) == key:
                    writer.remove_document(state.doc_id)
                writer.catalog.drop_file_state(key)
                report.outcomes.append(FileOutcome(state.path, "removed", "file no longer exists"))

    def _read_changed(
        self,
        writer: IndexWriter,
        units: list[SourceUnit],
        states: dict[str, FileState],
        trust_stat: bool,
        report: IngestReport,
    ) -> list[_Pending]:
        pending: list[_Pending] = []
        claimed: dict[str, str] = {}  # doc_id -> display path, this run
        for unit in units:
            key, shown = unit.source_key, unit.display_path
            old = states.get(key)
            try:
                size, mtime_ns = _signature(unit)
                if old and trust_stat and (old.size, old.mtime_ns) == (size, mtime_ns):
                    self._report_unchanged(old, shown, report)
                    continue
                content_hash = _content_hash(unit)
                if old and trust_stat and old.content_hash == content_hash:
                    writer.catalog.put_file_state(
                        FileState(
                            key,
                            shown,
                            str(unit.root),
                            size,
                            mtime_ns,
                            content_hash,
                            old.doc_id,
                            old.state,
                            old.reason,
                            old.line,
                        )
                    )
                    self._report_unchanged(old, shown, report)
                    continue
                doc = parse_document(
                    unit.primary, unit.root, max_bytes=self.settings.max_bytes, sidecar=unit.sidecar
                )
                owner = claimed.get(doc.doc_id) or self._other_owner(
                    writer, doc.doc_id, key, states
                )
                if owner:
                    raise ParseError(f"id {doc.doc_id!r} is already used by {owner}")
                claimed[doc.doc_id] = shown
                chunks = chunk_document(
                    doc,
                    self.embedder.count_tokens,
                    max_tokens=self.embedder.max_tokens,
                    target_tokens=self.settings.chunk_tokens,
                    transcript_target_tokens=self.settings.transcript_chunk_tokens,
                )
            except SkipFile as exc:
                self._record_problem(writer, unit, old, "skipped", exc.reason, None, report)
                continue
            except ParseError as exc:
                self._record_problem(writer, unit, old, "failed", exc.reason, exc.line, report)
                continue
            except (OSError, UnicodeError, ValueError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                self._record_problem(
                    writer, unit, old, "failed", f"cannot read: {reason}", None, report
                )
                continue
            for warning in doc.warnings:
                report.warnings.append(f"{shown}: {warning}")
            if old and old.doc_id and old.doc_id != doc.doc_id:
                writer.remove_document(old.doc_id)  # the file now claims another id
            pending.append(_Pending(unit, doc, chunks, size, mtime_ns, content_hash))
        return pending

    @staticmethod
    def _other_owner(
        writer: IndexWriter, doc_id: str, key: str, states: dict[str, FileState]
    ) -> str | None:
        owner = writer.catalog.doc_owner(doc_id)
        if owner and owner != key:
            state = states.get(owner)
            if state is not None and Path(owner).exists():
                return state.path
        return None

    @staticmethod
    def _report_unchanged(old: FileState, shown: str, report: IngestReport) -> None:
        if old.state == "indexed":
            report.outcomes.append(FileOutcome(shown, "unchanged"))
        else:  # still bad: say so again, from the stored reason
            report.outcomes.append(FileOutcome(shown, old.state, old.reason or "", old.line))

    @staticmethod
    def _record_problem(
        writer: IndexWriter,
        unit: SourceUnit,
        old: FileState | None,
        state: str,
        reason: str,
        line: int | None,
        report: IngestReport,
    ) -> None:
        # A file that turned bad keeps its last good version searchable: bad input never loses data.
        try:
            size, mtime_ns = _signature(unit)
        except OSError:
            size, mtime_ns = None, None  # type: ignore[assignment]
        writer.catalog.put_file_state(
            FileState(
                unit.source_key,
                unit.display_path,
                str(unit.root),
                size,
                mtime_ns,
                None,
                old.doc_id if old else None,
                state,
                reason,
                line,
            )
        )
        report.outcomes.append(FileOutcome(unit.display_path, state, reason, line))

    def _embed_and_store(
        self,
        writer: IndexWriter,
        pending: list[_Pending],
        report: IngestReport,
        progress: Progress | None,
    ) -> int | None:
        if not pending:
            return None
        dim = self.embedder.dim
        cache = writer.embedding_cache(dim)
        all_chunks = [c for p in pending for c in p.chunks]
        vectors = cache.get([c.text_hash for c in all_chunks])
        missing = list({c.text_hash: c for c in all_chunks if c.text_hash not in vectors}.values())
        report.chunks_reused = len(all_chunks) - len(missing)
        # Similar lengths batch together: padding is the main waste in encoder batches.
        missing.sort(key=lambda c: c.n_tokens)
        batch = self.settings.batch_size * 8
        done = 0
        if progress:
            progress(0, len(missing))
        for start in range(0, len(missing), batch):
            part = missing[start : start + batch]
            embedded = self.embedder.embed_batch([c.embed_text for c in part])
            hashes = [c.text_hash for c in part]
            cache.put(hashes, embedded)
            vectors.update(zip(hashes, embedded, strict=True))
            done += len(part)
            if progress:
                progress(done, len(missing))
        report.chunks_embedded = len(missing)
        for item in pending:
            matrix = (
                np.stack([vectors[c.text_hash] for c in item.chunks])
                if item.chunks
                else np.zeros((0, dim), dtype=np.float32)
            )
            writer.put_document(
                item.doc,
                path=item.unit.display_path,
                source_key=item.unit.source_key,
                chunks=item.chunks,
                vectors=matrix,
                dim=dim,
            )
            writer.catalog.put_file_state(
                FileState(
                    item.unit.source_key,
                    item.unit.display_path,
                    str(item.unit.root),
                    item.size,
                    item.mtime_ns,
                    item.content_hash,
                    item.doc.doc_id,
                    "indexed",
                )
            )
            report.outcomes.append(
                FileOutcome(item.unit.display_path, "indexed", chunks=len(item.chunks))
            )
        return dim
