"""Recurrences are the same failure, on the bundled organisation; labels never change.

The bundled content/postmortems are ingested once with the real model. Their judged failure
families (bench/judgements/failure_modes_content.jsonl, judged by reading) say which pairs
are one failure: the retry storms (one of them a PDF export) and the two duplicate-webhook
incidents whose dedupe keys were lost. The lagging replica and the WAL disk filled by an orphaned
replication slot share postgres, wal, ledger-db and teams, and must not be one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from itertools import combinations
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest

from index import failure_modes, incidents, recurrence
from index.access import Viewer
from index.archive import Archive
from index.failure_vocabulary import BY_KEY, VOCABULARY
from index.generations import current_generation
from index.opener import open_archive
from index.settings import Settings
from index.store import CATALOG_FILE
from ingest.pipeline import Ingestor

REPO = Path(__file__).resolve().parent.parent
JUDGED = REPO / "bench" / "judgements" / "failure_modes_content.jsonl"
REPLICA = "pm-2025-03-14-ledger-replica-lag"
WAL = "pm-2026-01-21-ledger-wal-disk-full"
RETRIES = {
    "pm-2025-05-29-envoy-retry-storm",
    "pm-2026-10-13-carrier-poller-retry-storm",
    "postmortems/2025-12-03-customs-broker-api-throttling",  # a PDF: our retries kept a quota spent
}
DEDUPE = {
    "pm-2025-01-15-redis-eviction-duplicate-webhooks",
    "pm-2026-08-04-webhook-idempotency-key-expiry",
}
DOUBLE_CAPTURE = "pm-2025-11-12-payments-double-capture"


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> Settings:
    """content/postmortems indexed with the real model (content/ itself is only read)."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("bundled") / "data")
    report = Ingestor(settings, real_embedder).run([str(REPO / "content" / "postmortems")])
    assert report.count("indexed") == 24, report.outcomes
    return settings


_OPEN: dict[str, Archive] = {}


def _archive(settings: Settings, embedder: Any) -> Archive:
    """One archive per index for the module (its caches are what a portal process keeps)."""
    key = str(settings.data_dir)
    if key not in _OPEN:
        _OPEN[key] = open_archive(settings, Viewer.everything("test"), embedder)
    return _OPEN[key]


def test_a_lagging_replica_and_a_full_wal_disk_are_not_one_recurrence(
    bundled, real_embedder
) -> None:
    archive = _archive(bundled, real_embedder)
    assert not any({REPLICA, WAL} <= set(c.doc_ids) for c in archive.recurring())
    panel = archive.similar_incidents(REPLICA)
    assert panel is not None and WAL not in {i.doc.doc_id for i in panel.same}


def test_two_retry_storms_recur_under_a_label_naming_the_cause(bundled, real_embedder) -> None:
    clusters = _archive(bundled, real_embedder).recurring()
    retry = next(c for c in clusters if set(c.doc_ids) == RETRIES)
    assert retry.label.startswith("retries amplified the load")
    assert retry.headline().startswith("3rd occurrence in 17 months: retries amplified the load")
    dedupe = next(c for c in clusters if set(c.doc_ids) == DEDUPE)
    assert dedupe.label.startswith("duplicates got past the idempotency check")
    # The double capture is idempotency too, but a different mechanism (a new key per retry).
    assert DOUBLE_CAPTURE not in dedupe.doc_ids


def test_every_recurring_pair_is_one_judged_failure_family(bundled, real_embedder) -> None:
    families = {
        row["doc_id"]: row["failure_mode"]
        for row in map(json.loads, JUDGED.read_text().splitlines())
    }
    clusters = _archive(bundled, real_embedder).recurring()
    pairs = [p for c in clusters for p in combinations(c.doc_ids, 2)]
    assert pairs, "the bundled content has recurrences"
    assert all(families[a] == families[b] for a, b in pairs), pairs


def test_labels_are_the_same_in_any_order(bundled, real_embedder) -> None:
    iset = _archive(bundled, real_embedder).incident_set()
    forward = {frozenset(c.doc_ids): c.label for c in recurrence.clusters(iset)}
    backward = iset.subset(list(range(len(iset)))[::-1])
    assert {frozenset(c.doc_ids): c.label for c in recurrence.clusters(backward)} == forward


def test_labels_are_identical_across_process_restarts(bundled) -> None:
    outputs = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed, HF_HUB_OFFLINE="1")
        run = subprocess.run(
            [sys.executable, "-m", "cli", "recurring", "--json"]
            + ["--data-dir", str(bundled.data_dir), "--all"],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr
        outputs.append(run.stdout)
    assert outputs[0] == outputs[1]
    labels = [json.loads(line)["label"] for line in outputs[0].splitlines()]
    assert any(label.startswith("retries amplified the load") for label in labels)


def test_post_mortems_are_read_at_ingest_not_per_reader(bundled, real_embedder) -> None:
    """Readers embed nothing: incident vectors and the vocabulary's both come from ingest."""
    asked: list[str] = []

    class Counting:
        def __getattr__(self, name: str) -> Any:
            return getattr(real_embedder, name)

        def embed_query(self, text: str) -> np.ndarray:
            asked.append(text)
            return real_embedder.embed_query(text)

    archive = open_archive(bundled, Viewer.everything("test"), Counting())  # type: ignore[arg-type]
    assert len(archive.incident_set()) == 24
    assert asked == []


def test_an_index_without_stored_incident_vectors_still_reads_them(
    bundled, real_embedder, tmp_path
) -> None:
    import shutil

    copy = tmp_path / "data"
    shutil.copytree(bundled.data_dir, copy)
    generation = current_generation(copy)
    assert generation is not None
    with duckdb.connect(str(generation / CATALOG_FILE)) as con:
        con.execute("DELETE FROM incident_vectors")
    old = _archive(Settings(data_dir=copy), real_embedder)
    new = _archive(bundled, real_embedder)
    for doc_id in sorted(RETRIES | DEDUPE):
        a, b = old.similar_incidents(doc_id), new.similar_incidents(doc_id)
        assert a is not None and b is not None
        assert [i.doc.doc_id for i in a.same][:1] == [i.doc.doc_id for i in b.same][:1]


# -- the vocabulary ------------------------------------------------------------------------


def test_the_vocabulary_is_well_formed() -> None:
    import re

    assert len(BY_KEY) == len(VOCABULARY)  # unique keys
    for mode in VOCABULARY:
        assert mode.strong, mode.key
        for cue in mode.strong + mode.weak:
            re.compile(cue)
        assert len(mode.label.split()) <= 9, mode.label  # a label is a clause, not a list


@pytest.mark.parametrize(
    ("cause", "key"),
    [
        ("The TLS certificate on the load balancer expired and nobody renewed it.", "certificate-expired"),
        ("Clients retried immediately without backoff: a retry storm kept the API down.", "retry-storm"),
        ("Logs filled the volume until writes failed with no space left on device.", "disk-full"),
        ("The replica was 40 seconds behind the primary when it was promoted.", "replica-lag"),
        ("The nightly job ran twice because two schedulers both thought they were leader.", "duplicate-run"),
        ("A malformed rule was pushed to every edge server at once, with no canary.", "config-push"),
    ],
)  # fmt: skip
def test_words_alone_name_the_classic_modes(cause: str, key: str, real_embedder) -> None:
    params = failure_modes.ModeParams()
    words = failure_modes.mode_vector(failure_modes.read(cause, cause), params)  # no vector
    assert VOCABULARY[int(np.argmax(words))].key == key
    # With meaning as well (as the product reads), the incident claims that mode.
    descriptions = failure_modes.description_vectors(real_embedder.embed_query)
    vector = real_embedder.embed_query(cause)
    both = failure_modes.mode_vector(failure_modes.read(cause, cause, vector, descriptions), params)
    claimed = failure_modes.claims(both, params)
    assert claimed and VOCABULARY[claimed[0]].key == key


@pytest.mark.parametrize(
    ("cause", "key"),
    [
        (
            "The database host kept writing logs until there was no room left on the volume.",
            "disk-full",
        ),
        (
            "Traffic moved to a standby copy of the database that had not applied the last "
            "forty seconds of writes.",
            "replica-lag",
        ),
        (
            "Clocks went back an hour in October and the stored offset was wrong for half "
            "the year.",
            "time-handling",
        ),
    ],
)
def test_meaning_names_a_mode_in_other_words(cause: str, key: str, real_embedder) -> None:
    descriptions = failure_modes.description_vectors(real_embedder.embed_query)
    cos = descriptions @ real_embedder.embed_query(cause)
    assert VOCABULARY[int(np.argmax(cos))].key == key


def test_surface_words_never_make_a_failure_mode() -> None:
    """Company, region and cloud names are gone before any word is matched."""
    meta = {"company": "Acme", "region": "us-east-1"}
    text = incidents.without_surface("Acme us-east-1 AWS outage", meta)
    reading = failure_modes.read(text, text)
    assert not failure_modes.claims(
        failure_modes.mode_vector(reading, failure_modes.ModeParams()), failure_modes.ModeParams()
    )
