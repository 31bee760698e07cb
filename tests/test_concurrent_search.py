"""Search while ingesting: another process's queries never fail and never see a half-done run.

The content flips between two versions that differ in several files at once (an edit, a
deletion, a new file); the main process re-ingests after each flip while a reader process
(tests/search_worker.py) queries in a loop. Every answer must be one version's answer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from index.reader import IndexSnapshot
from index.search import Searcher
from index.settings import Settings
from ingest.pipeline import Ingestor
from tests.conftest import HashingEmbedder
from tests.search_worker import signature

REPO = Path(__file__).resolve().parents[1]
QUERIES = (
    "keyword:hyacinth",
    "hybrid:hyacinth schema migration",
    "hybrid:replica failover lag",
    "keyword:VALIDATE CONSTRAINT",
    "dense:shipment tracking DNS provider",
)
FLIPS = 12


def _set_version(content: Path, version: int, originals: dict[str, str]) -> None:
    """Version 0 is the fixture tree; version 1 edits one file, deletes one, adds one."""
    dns, talk, new = (
        "postmortems/2025-06-02-dns-ttl.md",
        "talks/2025-02-zero-downtime-migrations.md",
        "talks/hyacinth.md",
    )
    if version == 0:
        (content / dns).write_text(originals[dns])
        (content / talk).write_text(originals[talk])
        (content / new).unlink(missing_ok=True)
    else:
        (content / dns).write_text(originals[dns] + "\n## Follow-up\nA hyacinth runbook.\n")
        (content / talk).unlink()
        (content / new).write_text("---\ntitle: Hyacinth\n---\nHyacinth schema migration.\n")


def _answers(settings: Settings) -> list[list[list[object]]]:
    snap = IndexSnapshot.open(settings.data_dir)
    try:
        searcher = Searcher(snap, HashingEmbedder().embed_query)
        return [signature(searcher, q.split(":", 1)[1], q.split(":", 1)[0]) for q in QUERIES]
    finally:
        snap.close()


def test_queries_during_reingests_see_only_complete_versions(
    settings: Settings, content_dir: Path, tmp_path: Path
):
    originals = {
        str(p.relative_to(content_dir)): p.read_text(encoding="utf-8", errors="replace")
        for p in content_dir.rglob("*.md")
    }
    ingestor = Ingestor(settings, HashingEmbedder())
    answers = []
    for version in (0, 1):
        _set_version(content_dir, version, originals)
        ingestor.run([str(content_dir)])
        answers.append(_answers(settings))
    assert answers[0] != answers[1]
    assert len(answers[1][0]) == 2  # both hyacinth documents, or neither
    expected = {q: [answers[0][i], answers[1][i]] for i, q in enumerate(QUERIES)}
    expected_path, stop, result = tmp_path / "expected.json", tmp_path / "stop", tmp_path / "r.json"
    expected_path.write_text(json.dumps(expected))

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    args = [str(settings.data_dir), str(expected_path), str(stop), str(result)]
    with subprocess.Popen(
        [sys.executable, "-m", "tests.search_worker", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as reader:
        assert reader.stdout is not None
        assert reader.stdout.readline().strip() == "ready", reader.stdout.read()
        try:
            for flip in range(FLIPS):
                _set_version(content_dir, flip % 2, originals)
                report = ingestor.run([str(content_dir)])
                assert report.count("indexed") + report.count("removed") >= 2, report.summary()
        finally:
            stop.touch()
            output = reader.communicate(timeout=60)[0]
    assert reader.returncode == 0, output
    outcome = json.loads(result.read_text())
    assert outcome["problems"] == [], outcome["problems"][:3]
    assert outcome["answered"] >= len(QUERIES) * 5, outcome
    assert len(outcome["versions"]) >= 3, f"the reader saw too few versions: {outcome}"
    print(
        f"\nreader answered {outcome['answered']} queries over {len(outcome['versions'])} "
        f"versions during {FLIPS} re-ingests, all complete"
    )
