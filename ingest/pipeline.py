"""Ingest: discover → detect changes → parse → chunk → embed what is new → publish."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from index import incidents
from index.embedder import Embedder
from index.embedding_cache import EmbeddingCache
from index.errors import ParseError, SkipFile
from index.models import Chunk, ParsedDocument
from index.settings import Settings
from index.store import FileState
from index.writer import IndexWriter
from ingest.chapters import chapters
from ingest.chunking import chunk_document
from ingest.discovery import Scope, SourceUnit, Unreadable, discover, discover_changed
from ingest.documents import parse_document
from ingest.engines import EmbedEngine, LocalEngine
from ingest.report import FileOutcome, IngestReport
from ingest.transcribe import TranscribeProgress, Transcriber, make_transcriber

# Bump when parsing or chunking changes meaning: every file is then re-read (vectors of
# unchanged chunk texts still come from the embedding cache).
PIPELINE_VERSION = "5"

Progress = Callable[[int, int], None]  # (done, total) chunks embedded
# A file whose mtime is this close to the moment it was read may change again within the same
# timestamp tick; such "racy" files are re-hashed rather than trusted on size and mtime.
RACY_NS = 2_000_000_000
ID_TAKEN = "is already used by"  # a failure that another file's change can cure
log = logging.getLogger("hindsight.ingest")


@dataclass
class _Pending:
    unit: SourceUnit
    doc: ParsedDocument
    chunks: list[Chunk]
    size: int
    mtime_ns: int
    content_hash: str
    read_at: dt.datetime


@dataclass
class _Prepared:
    """What the parse worker made of one file: unchanged, or parsed and chunked."""

    size: int
    mtime_ns: int
    read_at: dt.datetime
    content_hash: str | None = None  # None: unchanged by size and mtime, not even hashed
    doc: ParsedDocument | None = None  # None: unchanged
    chunks: list[Chunk] | None = None


@dataclass
class _EmbedState:
    """Carried across the windows of one run."""

    dim: int | None = None
    done: int = 0
    total: int = 0  # new chunks found so far: the total grows while files are still parsed


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _signature(unit: SourceUnit) -> tuple[int, int]:
    stats = [p.stat() for p in unit.files]
    return sum(s.st_size for s in stats), max(s.st_mtime_ns for s in stats)


def _content_hash(unit: SourceUnit) -> str:
    digest = hashlib.sha256()
    for path in unit.files:
        with path.open("rb") as fh:  # in blocks: a 5 GB video in the tree must not fill memory
            while block := fh.read(1 << 20):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()


def _conflicted(state: FileState) -> bool:
    """Failed only because another file held its id: worth another look every run."""
    return state.state == "failed" and ID_TAKEN in (state.reason or "")


def _retry(unit: SourceUnit, state: FileState) -> bool:
    """A recording left without a transcript last time: the extra may be installed since."""
    return unit.transcribe and state.state != "indexed"


def _racy(state: FileState) -> bool:
    """Changed so shortly before it was read that a later change may keep the same mtime."""
    if state.updated_at is None or state.mtime_ns is None:
        return True
    return state.mtime_ns >= state.updated_at.timestamp() * 1e9 - RACY_NS


class Ingestor:
    """Runs one ingest over some roots with one embedder, inside one writer session.

    The embedder parses (token counts) and names the model; ENGINE computes the vectors of
    new chunks — this process's embedder by default, or a Ray cluster (ingest/engines.py).
    """

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        engine: EmbedEngine | None = None,
        *,
        transcriber: Transcriber | None = None,
        transcribe_progress: TranscribeProgress | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.engine = engine or LocalEngine(embedder, settings.batch_size)
        # None when the transcribe extra is missing: a recording alone is then skipped, saying so.
        self.transcriber = transcriber or make_transcriber(settings, transcribe_progress)

    def run(
        self,
        roots: Iterable[str],
        *,
        paths: Iterable[str | Path] | None = None,
        progress: Progress | None = None,
        on_scan: Callable[[int], None] | None = None,
    ) -> IngestReport:
        """Bring the index in step with ROOTS.

        Args:
            roots: content folders (or files), as the user named them.
            paths: when given, only these changed files or folders under ROOTS are looked at
                (the watcher's events); the rest of the index is left as it is.
            progress: called with (done, total) chunks embedded.
            on_scan: called with the number of files found.
        """
        started = time.perf_counter()
        started_at = dt.datetime.now()
        roots = list(roots)
        report = IngestReport()
        data_dir = self.settings.data_dir
        with IndexWriter(data_dir, self.embedder.model_id) as writer:
            states = writer.catalog.file_states()
            trust_stat = writer.catalog.get_meta("pipeline") == PIPELINE_VERSION
            if not trust_stat:
                paths = None  # a new index, model or pipeline: every file is read, not just these
            units, problems, scopes = self._discover(roots, paths, states)
            unreadable = self._record_unreadable(writer, roots, problems, states, report)
            if on_scan:
                on_scan(len(units))
            present = {u.source_key for u in units}
            self._remove_vanished(writer, scopes, present, unreadable, states, report)
            self._transcribe_ahead(units, states, trust_stat)
            parser = ThreadPoolExecutor(1, thread_name_prefix="hindsight-parse")
            try:
                pending = self._read_changed(writer, units, states, trust_stat, report, parser)
                dim = self._embed_and_store(writer, pending, report, progress)
            finally:
                parser.shutdown(cancel_futures=True)  # an interrupted run parses no further
            # Derived at ingest, not on every cold read: the failure-mode vocabulary embedded.
            writer.store_failure_mode_vectors(self.embedder.embed_query)
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

    @staticmethod
    def _discover(
        roots: list[str], paths: Iterable[str | Path] | None, states: dict[str, FileState]
    ) -> tuple[list[SourceUnit], list[Unreadable], list[Scope]]:
        units: list[SourceUnit] = []
        problems: list[Unreadable] = []
        scopes: list[Scope] = []
        if paths is None:
            for root in roots:
                found, bad = discover(root)
                units.extend(found)
                problems.extend(bad)
                if Path(root).exists():  # a root that is gone (unmounted?) keeps its documents
                    scopes.append(Scope(prefixes=(os.path.abspath(root),)))
        else:
            # Files that lost an id clash get another look: the other file may have changed.
            changed = [Path(p) for p in paths]
            changed += [Path(key) for key, state in states.items() if _conflicted(state)]
            for root in roots:
                found, bad, scope = discover_changed(root, changed)
                units.extend(found)
                problems.extend(bad)
                scopes.append(scope)
        # Clashing files go last, after the files whose ids they wanted have changed.
        units.sort(key=lambda u: u.source_key in states and _conflicted(states[u.source_key]))
        return units, problems, scopes

    @staticmethod
    def _record_unreadable(
        writer: IndexWriter,
        roots: list[str],
        problems: list[Unreadable],
        states: dict[str, FileState],
        report: IngestReport,
    ) -> set[str]:
        """Report paths discovery could not use, and keep them in the file states for `stats`."""
        inside = [os.path.abspath(r) + os.sep for r in roots]
        keys: set[str] = set()
        for problem in problems:
            report.outcomes.append(FileOutcome(problem.path, "skipped", problem.reason))
            key = os.path.abspath(problem.path)
            if not any(key.startswith(r) for r in inside):
                continue  # a root itself that is missing: nothing to keep a state for
            keys.add(key)
            old = states.get(key)
            if old and (old.state, old.reason) == ("skipped", problem.reason):
                continue
            writer.catalog.put_file_state(
                FileState(
                    source_key=key,
                    path=problem.path,
                    root="",
                    size=None,
                    mtime_ns=None,
                    content_hash=None,
                    doc_id=old.doc_id if old else None,  # an earlier good version stays
                    state="skipped",
                    reason=problem.reason,
                )
            )
        return keys

    def _remove_vanished(
        self,
        writer: IndexWriter,
        scopes: list[Scope],
        present: set[str],
        unreadable: set[str],
        states: dict[str, FileState],
        report: IngestReport,
    ) -> None:
        """Files indexed from these scopes before that are gone now: drop their documents."""
        kept = Scope(prefixes=tuple(unreadable))  # unreadable paths, and all under them
        for key, state in states.items():
            if key in present or kept.covers(key):
                continue
            if any(scope.covers(key) for scope in scopes):
                self._drop(writer, key, state)
                report.outcomes.append(FileOutcome(state.path, "removed", "file no longer exists"))

    @staticmethod
    def _drop(writer: IndexWriter, key: str, state: FileState) -> None:
        if state.doc_id and writer.catalog.doc_owner(state.doc_id) == key:
            writer.remove_document(state.doc_id)
        writer.catalog.drop_file_state(key)

    def _transcribe_ahead(
        self, units: list[SourceUnit], states: dict[str, FileState], trust_stat: bool
    ) -> None:
        """With an engine that can (Ray), transcribe the recordings this run needs all at once,
        one task each, into the transcript cache the parse step then reads."""
        ahead = getattr(self.engine, "transcribe_all", None)
        if ahead is None or self.transcriber is None:
            return
        todo = [
            u.primary
            for u in units
            if u.transcribe
            and self._unchanged_by_stat(u, states.get(u.source_key), trust_stat) is None
        ]
        if todo:
            ahead(self.transcriber, todo)

    @staticmethod
    def _unchanged_by_stat(
        unit: SourceUnit, old: FileState | None, trust_stat: bool
    ) -> _Prepared | None:
        """The file as last indexed, judged by size and mtime alone; None: look closer."""
        if old is None or not trust_stat or _racy(old) or _conflicted(old) or _retry(unit, old):
            return None
        read_at = dt.datetime.now()
        try:
            size, mtime_ns = _signature(unit)
        except OSError:
            return None  # the closer look reports it
        same = (old.size, old.mtime_ns) == (size, mtime_ns)
        return _Prepared(size, mtime_ns, read_at) if same else None

    def _prepare(self, unit: SourceUnit, old: FileState | None, trust_stat: bool) -> _Prepared:
        """The pure part of reading a file (stat, hash, parse, chunk): runs on the parse thread."""
        read_at = dt.datetime.now()
        size, mtime_ns = _signature(unit)
        same_stat = old is not None and trust_stat and (old.size, old.mtime_ns) == (size, mtime_ns)
        retry = old is not None and _retry(unit, old)
        if old and same_stat and not _racy(old) and not _conflicted(old) and not retry:
            return _Prepared(size, mtime_ns, read_at)
        if unit.transcribe and unit.primary.stat().st_size > self.settings.max_media_mb * 2**20:
            raise SkipFile(
                f"recording larger than {self.settings.max_media_mb:.0f} MB is not transcribed "
                "(HINDSIGHT_MAX_MEDIA_MB); add captions beside it"
            )
        content_hash = _content_hash(unit)
        if old and trust_stat and old.content_hash == content_hash and not retry:
            return _Prepared(size, mtime_ns, read_at, content_hash)
        doc = parse_document(
            unit.primary,
            unit.root,
            max_bytes=self.settings.max_bytes,
            sidecar=unit.sidecar,
            media=unit.media,
            transcriber=self.transcriber,
        )
        chunks = chunk_document(
            doc,
            self.embedder.count_tokens,
            max_tokens=self.embedder.max_tokens,
            target_tokens=self.settings.chunk_tokens,
            transcript_target_tokens=self.settings.transcript_chunk_tokens,
        )
        return _Prepared(size, mtime_ns, read_at, content_hash, doc, chunks)

    def _read_changed(
        self,
        writer: IndexWriter,
        units: list[SourceUnit],
        states: dict[str, FileState],
        trust_stat: bool,
        report: IngestReport,
        parser: ThreadPoolExecutor,
    ) -> Iterator[_Pending]:
        """Changed files, parsed and chunked, in order; the rest reported or recorded.

        Files are read on the PARSER thread, running ahead of the caller, which embeds what
        it has been given meanwhile: parsing hides behind the model instead of preceding it.
        All index changes happen on the calling thread.
        """
        # Files unchanged by size and mtime (most, in a re-run) are settled here: a handoff to
        # the parse thread costs more than their stat.
        ahead: list[_Prepared | Future[_Prepared]] = []
        for u in units:
            old = states.get(u.source_key)
            quick = self._unchanged_by_stat(u, old, trust_stat)
            ahead.append(quick or parser.submit(self._prepare, u, old, trust_stat))
        claimed: dict[str, str] = {}  # doc_id -> display path, this run
        for unit, prepared in zip(units, ahead, strict=True):
            key, shown = unit.source_key, unit.display_path
            old = states.get(key)
            try:
                result = prepared if isinstance(prepared, _Prepared) else prepared.result()
                if result.doc is None or result.chunks is None:
                    if (
                        old
                        and result.content_hash
                        and (old.size, old.mtime_ns)
                        != (
                            result.size,
                            result.mtime_ns,
                        )
                    ):  # touched, not changed: remember the new stat
                        writer.catalog.put_file_state(
                            replace(
                                old,
                                path=shown,
                                size=result.size,
                                mtime_ns=result.mtime_ns,
                                updated_at=result.read_at,
                            )
                        )
                    assert old is not None  # only a file seen before is unchanged
                    self._report_unchanged(old, shown, report)
                    continue
                doc, chunks = result.doc, result.chunks
                owner = claimed.get(doc.doc_id) or self._other_owner(
                    writer, doc.doc_id, key, states
                )
                if owner:
                    raise ParseError(f"id {doc.doc_id!r} {ID_TAKEN} {owner}")
                claimed[doc.doc_id] = shown
            except SkipFile as exc:
                self._record_problem(writer, unit, old, "skipped", exc.reason, None, report)
                continue
            except ParseError as exc:
                self._record_problem(writer, unit, old, "failed", exc.reason, exc.line, report)
                continue
            except FileNotFoundError as exc:
                if old is not None and not unit.primary.exists():
                    # Deleted between discovery and reading: it is simply gone.
                    self._drop(writer, key, old)
                    report.outcomes.append(FileOutcome(shown, "removed", "deleted during the run"))
                elif old is None and not unit.primary.exists():
                    reason = "deleted before it could be read"  # a scratch file, most likely
                    report.outcomes.append(FileOutcome(shown, "skipped", reason))
                else:
                    self._record_problem(
                        writer, unit, old, "failed", f"cannot read: {exc.strerror}", None, report
                    )
                continue
            except (OSError, UnicodeError, ValueError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                self._record_problem(
                    writer, unit, old, "failed", f"cannot read: {reason}", None, report
                )
                continue
            except Exception as exc:  # noqa: BLE001 - a parser bug must not cost the other files
                log.warning("unexpected error reading %s", shown, exc_info=True)
                reason = f"could not be read ({type(exc).__name__}: {exc}); please report this"
                self._record_problem(writer, unit, old, "failed", reason, None, report)
                continue
            for warning in doc.warnings:
                report.warnings.append(f"{shown}: {warning}")
            old_id = old.doc_id if old else None
            if old_id and old_id != doc.doc_id and writer.catalog.doc_owner(old_id) == key:
                writer.remove_document(old_id)  # the file now claims another id
            yield _Pending(
                unit, doc, chunks, result.size, result.mtime_ns, result.content_hash or "",
                result.read_at,
            )  # fmt: skip

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
        report.outcomes.append(FileOutcome(unit.display_path, state, reason, line))
        try:
            size, mtime_ns = _signature(unit)
        except OSError:
            size, mtime_ns = None, None  # type: ignore[assignment]
        if old and (old.size, old.mtime_ns, old.state, old.reason, old.line) == (
            size,
            mtime_ns,
            state,
            reason,
            line,
        ):
            return  # the same verdict as last time: nothing to write, nothing to publish
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

    def _embed_and_store(
        self,
        writer: IndexWriter,
        pending: Iterable[_Pending],
        report: IngestReport,
        progress: Progress | None,
    ) -> int | None:
        """Embed and store PENDING in windows of about `engine.window` chunks, as they come.

        Within a window, new chunks are sorted by length (padding is the main waste in encoder
        batches) and handed to the engine; every vector goes into the embedding cache as soon
        as it comes back, so no chunk is embedded twice, even across a crash.
        """
        state = _EmbedState()
        window: list[_Pending] = []
        for item in pending:
            window.append(item)
            if sum(len(p.chunks) for p in window) >= self.engine.window:
                self._embed_window(writer, window, state, report, progress)
                window = []
        if window:
            self._embed_window(writer, window, state, report, progress)
        return state.dim

    def _incident_vectors(
        self, pending: list[_Pending], cache: EmbeddingCache, dim: int
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """(cause, account) vectors of the post-mortems in PENDING (index.incidents).

        Their texts go through the same engine and embedding cache as chunks, so an unchanged
        cause or account is never embedded twice, and readers never embed a write-up.
        """
        texts = {
            item.doc.doc_id: incidents.incident_texts(item.doc)
            for item in pending
            if item.doc.kind == "postmortem"
        }
        wanted = {_text_hash(t): t for ts in texts.values() for t in ts if t}
        vectors = cache.get(list(wanted))
        missing = [h for h in wanted if h not in vectors]
        for got, embedded in self.engine.embed(
            list(range(len(missing))), [wanted[h] for h in missing]
        ):
            hashes = [missing[i] for i in got]
            cache.put(hashes, embedded)
            vectors.update(zip(hashes, embedded, strict=True))
        return {
            doc_id: incidents.incident_vectors(
                [vectors[_text_hash(t)] if t else None for t in ts], dim
            )
            for doc_id, ts in texts.items()
        }

    def _embed_window(
        self,
        writer: IndexWriter,
        pending: list[_Pending],
        state: _EmbedState,
        report: IngestReport,
        progress: Progress | None,
    ) -> None:
        dim = state.dim = self.embedder.dim
        cache = writer.embedding_cache(dim)
        all_chunks = [c for p in pending for c in p.chunks]
        vectors = cache.get([c.text_hash for c in all_chunks])
        # Earlier windows' vectors come back from the cache like any other run's.
        missing = list({c.text_hash: c for c in all_chunks if c.text_hash not in vectors}.values())
        report.chunks_reused += len(all_chunks) - len(missing)
        missing.sort(key=lambda c: c.n_tokens)
        state.total += len(missing)
        if progress:
            progress(state.done, state.total)
        by_id = {c.chunk_id: c for c in missing}
        # Engines may answer in any order and grouping: each vector comes back with its id.
        ids, texts = [c.chunk_id for c in missing], [c.embed_text for c in missing]
        for got, embedded in self.engine.embed(ids, texts):
            hashes = [by_id[i].text_hash for i in got]
            cache.put(hashes, embedded)
            vectors.update(zip(hashes, embedded, strict=True))
            state.done += len(got)
            if progress:
                progress(state.done, state.total)
        lost = [c.chunk_id for c in missing if c.text_hash not in vectors]
        if lost:
            raise RuntimeError(f"the embedding engine returned no vector for {len(lost)} chunks")
        report.chunks_embedded += len(missing)
        incident = self._incident_vectors(pending, cache, dim)
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
                chapters=chapters(item.chunks, matrix),
                incident=incident.get(item.doc.doc_id),
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
                    updated_at=item.read_at,
                )
            )
            report.outcomes.append(
                FileOutcome(item.unit.display_path, "indexed", chunks=len(item.chunks))
            )
