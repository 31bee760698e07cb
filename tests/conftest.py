"""Fixtures as code: a small content tree written into tmp_path, and indexes built from it."""

from __future__ import annotations

import hashlib
import os
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from index.embedder import SentenceTransformerEmbedder  # noqa: E402
from index.settings import Settings  # noqa: E402
from ingest.pipeline import Ingestor  # noqa: E402

POSTMORTEM = """\
---
id: pm-2025-03-14-ledger-replica-lag
title: Payments ledger served stale balances during replica failover
date: 2025-03-14
severity: SEV2
status: resolved
services: [payments-ledger, ledger-db]
teams: [payments, sre]
authors: [Priya Raman]
duration: 47m
tags: [postgres, replication]
action_items:
  - {title: Gate promotion on replay lag, owner: Priya Raman, status: done}
related: [showcase-2025-05-failover-drills]
---
# Payments ledger served stale balances during replica failover

## Summary
During a planned failover of ledger-db the new primary was promoted while it was still
38 seconds behind. Customers saw stale balances for 47 minutes.

## Root cause
The promotion script did not check `pg_last_wal_replay_lsn` replay lag before promoting the
replica. The setting `max_standby_streaming_delay` was raised months earlier.

## Lessons learned
- Check replication lag before any promotion.
"""

POSTMORTEM_DNS = """\
---
id: pm-2025-06-02-dns-ttl
title: Shipment tracking unreachable after DNS provider migration
date: 2025-06-02
severity: SEV1
services: [shipment-tracker]
teams: [edge]
authors: [Jonas Becker]
---
# Shipment tracking unreachable after DNS provider migration

## Summary
We moved our DNS zone to a new provider. Resolvers kept the old NS records for two days
because the TTL was 172800 seconds; traffic went to a decommissioned load balancer.

## Root cause
The TTLs were not shortened before the migration.
"""

SHOWCASE_VTT = """\
WEBVTT

00:00:01.000 --> 00:00:08.000
<v Priya Raman>Welcome to the May showcase. Today we talk about failover drills.

00:00:08.000 --> 00:00:20.000
<v Priya Raman>We automated weekly failover drills for every Postgres cluster we run.

00:00:20.000 --> 00:00:40.000
<v Jonas Becker>The drill that bit us: the replica was promoted while replication lag was thirty eight seconds, so the ledger served stale balances.

00:00:40.000 --> 00:00:55.000
<v Jonas Becker>Now the drill refuses to promote unless replay lag is under one second.

00:00:55.000 --> 00:01:10.000
<v Priya Raman>Next, the cost dashboard for our GPU inference fleet.
"""

SHOWCASE_SIDECAR = """\
---
id: showcase-2025-05-failover-drills
title: Failover drills we automated — and the one that bit us
date: 2025-05-22
team: sre
presenters: [Priya Raman, Jonas Becker]
outcome: mixed
recording: https://video.kestrel.example/showcase/2025-05-failover-drills
related: [pm-2025-03-14-ledger-replica-lag]
---
How we automated failover drills.
"""

TALK_SRT = """\
1
00:00:00,000 --> 00:00:05,000
Maya Chen: Today, evaluating retrieval for our support assistant.

2
00:00:05,000 --> 00:00:15,000
Maya Chen: We measure recall at ten on judged queries before every model change.
"""

WHISPER_JSON = """\
{"text": "Embeddings turn text into vectors.", "language": "en", "segments": [
 {"id": 0, "start": 0.0, "end": 6.0, "text": " Embeddings turn text into vectors."},
 {"id": 1, "start": 6.0, "end": 14.0, "text": " Cosine similarity finds passages close to a query."}]}
"""

EXPERT = """\
---
name: Priya Raman
role: Staff Engineer, Data Platform
team: data-platform
email: priya.raman@kestrel.example
topics: [postgres, replication, failover]
office_hours:
  - {weekday: Tuesday, start: "15:00", end: "16:00", timezone: Europe/London, where: Room 4.12}
booking: https://cal.kestrel.example/priya-raman
---
Priya runs the Postgres fleet and wrote the ledger failover post-mortem.
"""

TALK_NOTES = """\
---
id: talk-2025-02-zero-downtime-migrations
kind: talk
title: Zero-downtime schema migrations
date: 2025-02-11
speakers: [Priya Raman]
tags: [postgres, migrations]
---
# Zero-downtime schema migrations

## Key ideas
Add a foreign key constraint as NOT VALID first, then VALIDATE CONSTRAINT separately, so the
table is never locked for the whole scan.
"""


def write_content(root: Path) -> Path:
    """A small content tree: two post-mortems, one transcript per format, a talk, an expert."""
    files = {
        "postmortems/2025-03-14-ledger-replica-lag.md": POSTMORTEM,
        "postmortems/2025-06-02-dns-ttl.md": POSTMORTEM_DNS,
        "showcases/2025-05-failover-drills.vtt": SHOWCASE_VTT,
        "showcases/2025-05-failover-drills.md": SHOWCASE_SIDECAR,
        "showcases/2025-04-retrieval-evals.srt": TALK_SRT,
        "showcases/2025-03-embeddings-101.json": WHISPER_JSON,
        "talks/2025-02-zero-downtime-migrations.md": TALK_NOTES,
        "experts/priya-raman.md": EXPERT,
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "postmortems/latin1.md").write_bytes(
        "---\ntitle: Caf\xe9 outage\ndate: 2024-01-02\n---\nThe caf\xe9 POS failed.\n".encode(
            "cp1252"
        )
    )
    return root


class HashingEmbedder:
    """Deterministic bag-of-words vectors: fast plumbing tests, never proof that search works."""

    model_id = "test/hashing-embedder"
    dim = 64
    max_tokens = 256

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def count_tokens(self, text: str) -> int:
        return len(text.split()) + 2

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for word in re.findall(r"\w+", text.lower()):
            v[int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        norm = np.linalg.norm(v)
        return v / norm if norm else v

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        self.embedded.extend(texts)
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim))

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    return write_content(tmp_path / "content")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def fake_embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture(scope="module")
def close_app_resources() -> Iterator[None]:
    """After a module of AppTest runs, close the snapshots the app cached (before exit)."""
    yield
    import streamlit as st

    st.cache_resource.clear()


@pytest.fixture(scope="session")
def real_embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(Settings())


@pytest.fixture(scope="session")
def real_index(
    tmp_path_factory: pytest.TempPathFactory, real_embedder: SentenceTransformerEmbedder
):
    """The small content tree indexed once with the real model: (settings, content root)."""
    base = tmp_path_factory.mktemp("real")
    content = write_content(base / "content")
    settings = Settings(data_dir=base / "data")
    report = Ingestor(settings, real_embedder).run([str(content)])
    assert report.count("indexed") >= 8, report.outcomes
    return settings, content


def dedent(text: str) -> str:
    return textwrap.dedent(text)
