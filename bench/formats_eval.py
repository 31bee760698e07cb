"""`python -m bench.formats_eval`: the held-out exports (bench/formats_heldout.py) ingested with
the real model and the real transcriber; every check printed, failures counted.

Each good file must be the first hit for a phrase only it contains, with its title, kind, date,
severity, slide, moment (±3 s of where the words are said), paired recording and action items;
each broken file must be reported with its reason while the run completes.

    python -m bench.formats_eval [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.formats_heldout import Expect, build

MOMENT_TOLERANCE_S = 3.0


def _check(expect: Expect, archive: Any, content: Path) -> list[str]:
    """What is wrong with the file's first hit (empty: all right)."""
    from index import fields

    hits = archive.search(expect.phrase, limit=3)
    if not hits:
        return ["no hit"]
    hit = hits[0]
    wanted_path = str(content / expect.path)
    problems = []
    if hit.path != wanted_path:
        return [f"first hit is {hit.path.rsplit('/', 1)[-1]!r}"]
    date = hit.date.isoformat() if hit.date else None
    for what, got, want in (
        ("title", hit.title, expect.title),
        ("kind", hit.kind, expect.kind),
        ("date", date, expect.date),
        ("severity", fields.severity(hit.metadata.get("severity")) or None, expect.severity),
        ("slide", hit.slide, expect.slide),
    ):
        if got != want:
            problems.append(f"{what} {got!r} ≠ {want!r}")
    if expect.moment is not None:
        start = hit.moments[0].start if hit.moments else None
        if start is None or abs(start - expect.moment) > MOMENT_TOLERANCE_S:
            problems.append(f"moment {start} ≠ {expect.moment:.1f} ± {MOMENT_TOLERANCE_S:.0f}")
    if expect.recording is not None:
        found = archive.understood(hit.doc_id)
        played = Path(found.recording).name if found and found.recording else None
        if played != expect.recording:
            problems.append(f"recording {played!r} ≠ {expect.recording!r}")
    if expect.actions:
        items = hit.metadata.get("action_items") or []
        got_items = tuple(i.get("title") for i in items)
        got_states = tuple("done" if fields.is_done(i.get("status")) else "open" for i in items)
        if got_items != expect.actions or got_states != expect.statuses:
            problems.append(f"action items {list(zip(got_items, got_states, strict=False))}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", type=Path, help="build the folder and index here and keep them")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from index.access import Viewer
    from index.embedder import SentenceTransformerEmbedder
    from index.opener import open_archive
    from index.settings import Settings
    from ingest.pipeline import Ingestor

    base = args.keep or Path(tempfile.mkdtemp(prefix="hindsight-formats-"))
    content = base / "content"
    truth = build(content)
    settings = Settings(data_dir=base / "data")
    embedder = SentenceTransformerEmbedder(settings)
    started = time.perf_counter()
    report = Ingestor(settings, embedder).run([str(content)])
    took = time.perf_counter() - started
    archive = open_archive(settings, Viewer(name="eval", operator=True), embedder)
    failures = 0
    print(f"{'file':<62} result")
    for expect in truth.good:
        problems = _check(expect, archive, content)
        failures += bool(problems)
        print(f"{expect.path[:61]:<62} {'ok' if not problems else '; '.join(problems)}")
    reported = {o.path: o for o in report.outcomes if o.state in ("failed", "skipped")}
    for broken in truth.broken:
        outcome = reported.get(str(content / broken.path))
        ok = outcome is not None and broken.reason in (outcome.reason or "")
        failures += not ok
        said = f"{outcome.state}: {outcome.reason}" if outcome else "not reported"
        print(f"{broken.path[:61]:<62} {'ok' if ok else 'WRONG'} ({said})")
    unexpected = set(reported) - {str(content / b.path) for b in truth.broken}
    for path in sorted(unexpected):
        failures += 1
        print(
            f"{path.rsplit('/', 1)[-1]:<62} unexpectedly {reported[path].state}: {reported[path].reason}"
        )
    checks = len(truth.good) + len(truth.broken)
    print(f"\n{checks - failures}/{checks} files right; ingest {report.summary()}; {took:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
