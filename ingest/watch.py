"""hindsight watch: follow content folders live, re-ingesting after each burst of changes.

Editors save in several events (temp file, rename, chmod); events are coalesced until the
tree has been quiet for DEBOUNCE_S, then one incremental ingest runs. Changes arriving during
an ingest trigger another one afterwards, so a file always ends in its latest state.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from index.embedder import SentenceTransformerEmbedder
from index.errors import WriterBusyError
from index.settings import Settings
from ingest.pipeline import Ingestor
from ingest.report import IngestReport

DEBOUNCE_S = 0.4
MAX_DELAY_S = 3.0  # a steady stream of events still gets ingested this often
log = logging.getLogger("hindsight.watch")


class _Changes(FileSystemEventHandler):
    """Remembers when the tree last changed; ignores our own and editors' scratch files."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.first: float | None = None
        self.last: float | None = None
        self.wake = threading.Event()

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        name = Path(str(event.src_path)).name
        if name.startswith(".") and not getattr(event, "dest_path", ""):
            return  # editors' swap and temp files; their final rename is a separate event
        with self.lock:
            now = time.monotonic()
            self.first = self.first or now
            self.last = now
        self.wake.set()

    def due(self) -> bool:
        with self.lock:
            if self.last is None or self.first is None:
                return False
            now = time.monotonic()
            return now - self.last >= DEBOUNCE_S or now - self.first >= MAX_DELAY_S

    def take(self) -> None:
        with self.lock:
            self.first = self.last = None
            self.wake.clear()


def watch(
    settings: Settings,
    roots: list[str],
    *,
    stop: threading.Event | None = None,
    on_report: Callable[[IngestReport], None] | None = None,
) -> None:
    """Ingest ROOTS now, then after every change until STOP is set (or Ctrl-C)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    stop = stop or threading.Event()
    ingestor = Ingestor(settings, SentenceTransformerEmbedder(settings))
    changes = _Changes()
    observer = Observer()
    for root in roots:
        Path(root).mkdir(parents=True, exist_ok=True)
        observer.schedule(changes, root, recursive=True)
    observer.start()
    report_to = on_report or _log_report
    try:
        _run(ingestor, roots, report_to)
        log.info("watching %s for changes", ", ".join(roots))
        while not stop.is_set():
            changes.wake.wait(timeout=0.2)
            if changes.due():
                changes.take()
                _run(ingestor, roots, report_to)
    except KeyboardInterrupt:
        pass
    finally:
        observer.stop()
        observer.join()


def _run(ingestor: Ingestor, roots: list[str], report_to: Callable[[IngestReport], None]) -> None:
    for attempt in range(50):
        try:
            report_to(ingestor.run(roots))
            return
        except WriterBusyError as exc:  # someone else is ingesting: wait for them
            if attempt == 0:
                log.info("%s — waiting", exc)
            time.sleep(0.5)
    log.warning("gave up waiting for the writer lock; will retry on the next change")


def _log_report(report: IngestReport) -> None:
    changed = [o for o in report.outcomes if o.state != "unchanged"]
    for outcome in changed:
        log.info("%-9s %s", outcome.state, outcome.describe())
    if changed:
        log.info("%s → index version %s", report.summary(), report.generation)
