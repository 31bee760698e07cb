"""hindsight watch: follow content folders live, re-ingesting what changed after each burst.

Editors save in several events (temp file, rename, chmod); the paths they name are collected
until the tree has been quiet for DEBOUNCE_S (or MAX_DELAY_S have passed), then one
incremental ingest looks at just those paths. Changes arriving during an ingest are kept for
the next one, so a file always ends in its latest state; a run that cannot take the writer
lock, or fails, keeps its paths and is tried again.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from index.embedder import Embedder, SentenceTransformerEmbedder
from index.errors import WriterBusyError
from index.settings import Settings
from ingest.pipeline import Ingestor
from ingest.report import IngestReport

DEBOUNCE_S = 0.3
MAX_DELAY_S = 2.0  # a steady stream of events still gets ingested this often
RETRY_S = 0.5  # after a busy lock or a failed run; doubles up to MAX_RETRY_S while runs fail
MAX_RETRY_S = 30.0
POLL_S = 0.05
log = logging.getLogger("hindsight.watch")


def _hidden(name: str) -> bool:
    return name.startswith(".") or name == "__pycache__"


class _Changes(FileSystemEventHandler):
    """Collects the changed paths under the roots that discovery would look at."""

    def __init__(self, roots: list[Path], ignore: list[Path]) -> None:
        self.roots = [os.path.abspath(r) for r in roots]
        self.ignore = [os.path.abspath(p) for p in ignore]
        self.lock = threading.Lock()
        self.paths: set[str] = set()
        self.first: float | None = None
        self.last: float | None = None

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        if event.is_directory and event.event_type in ("modified", "closed"):
            return  # a folder's entries changed: their own events name them
        named = [event.src_path, getattr(event, "dest_path", "")]
        wanted = [p for p in (os.fsdecode(n) for n in named if n) if self._relevant(p)]
        if not wanted:
            return
        with self.lock:
            now = time.monotonic()
            self.paths.update(wanted)
            self.first = self.first or now
            self.last = now

    def _relevant(self, path: str) -> bool:
        path = os.path.abspath(path)
        if any(path == p or path.startswith(p + os.sep) for p in self.ignore):
            return False  # our own index, when it lives inside a watched folder
        for root in self.roots:
            if path.startswith(root + os.sep):
                # Editors' swap and temp files are hidden; their final rename names the file.
                return not any(_hidden(part) for part in path[len(root) + 1 :].split(os.sep))
        return False

    def due(self) -> bool:
        with self.lock:
            if self.last is None or self.first is None:
                return False
            now = time.monotonic()
            return now - self.last >= DEBOUNCE_S or now - self.first >= MAX_DELAY_S

    def take(self) -> set[str]:
        with self.lock:
            taken, self.paths = self.paths, set()
            self.first = self.last = None
            return taken

    def put_back(self, paths: set[str]) -> None:
        with self.lock:
            self.paths |= paths
            now = time.monotonic()
            self.first = self.first or now
            self.last = self.last or now


def watch(
    settings: Settings,
    roots: list[str],
    *,
    embedder: Embedder | None = None,
    stop: threading.Event | None = None,
    on_report: Callable[[IngestReport], None] | None = None,
) -> None:
    """Ingest ROOTS now, then what changes under them, until STOP is set (or Ctrl-C).

    Args:
        settings: where the index lives and how files are read.
        roots: content folders to follow (created when missing).
        embedder: the model (default: the configured sentence-transformers one).
        stop: set it to end the watch; checked several times a second.
        on_report: called with each run's report (default: log the files that changed).
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    stop = stop or threading.Event()
    ingestor = Ingestor(settings, embedder or SentenceTransformerEmbedder(settings))
    for root in roots:
        Path(root).mkdir(parents=True, exist_ok=True)
    changes = _Changes([Path(r) for r in roots], ignore=[settings.data_dir])
    observer = Observer()
    for root in roots:
        observer.schedule(changes, root, recursive=True)
    observer.start()  # before the first run, so that nothing saved during it is missed
    runner = _Runner(ingestor, roots, on_report or _log_report)
    try:
        while not stop.is_set() and not runner.run(None):  # the whole tree, once
            stop.wait(runner.delay)
        # Load the model now, not on the first save: that save is searchable seconds later.
        ingestor.embedder.embed_batch(["warm-up"])
        log.info("watching %s for changes", ", ".join(roots))
        while not stop.is_set():
            if not changes.due():
                stop.wait(POLL_S)
                continue
            batch = changes.take()
            if not runner.run(batch):
                changes.put_back(batch)
                stop.wait(runner.delay)
    except KeyboardInterrupt:
        pass
    finally:
        observer.stop()
        observer.join()


class _Runner:
    """One ingest at a time; says whether it ran, and how long to wait before trying again."""

    def __init__(
        self, ingestor: Ingestor, roots: list[str], report_to: Callable[[IngestReport], None]
    ) -> None:
        self.ingestor = ingestor
        self.roots = roots
        self.report_to = report_to
        self.failures = 0
        self.busy_since: float | None = None

    @property
    def delay(self) -> float:
        return min(RETRY_S * 2 ** max(self.failures - 1, 0), MAX_RETRY_S)

    def run(self, paths: set[str] | None) -> bool:
        try:
            report = self.ingestor.run(self.roots, paths=None if paths is None else sorted(paths))
        except WriterBusyError as exc:  # someone else is ingesting: wait for them
            if self.busy_since is None:
                self.busy_since = time.monotonic()
                log.info("%s; waiting for it to finish", exc)
            return False
        except Exception:  # the index could not be written (disk full, ...): keep the paths
            self.failures += 1
            log.exception("ingest failed; trying again in %.0f s", self.delay)
            return False
        if self.busy_since is not None:
            log.info("writer lock free again after %.0f s", time.monotonic() - self.busy_since)
            self.busy_since = None
        self.failures = 0
        self.report_to(report)
        return True


def _log_report(report: IngestReport) -> None:
    changed = [o for o in report.outcomes if o.state != "unchanged"]
    for outcome in changed:
        log.info("%-9s %s", outcome.state, outcome.describe())
    if changed:
        log.info("%s → index version %s", report.summary(), report.generation)
