"""Restricted content beside the public fixture tree, for the leak tests.

A canary word appears only in documents restricted to the `security` group: a post-mortem (by
a public expert, related to a public post-mortem), a Showcase recording whose sidecar carries
the restriction, and an expert profile. Nobody outside the group may see any trace of them.
"""

from __future__ import annotations

from pathlib import Path

CANARY = "zorbulon"
GROUP = "security"
RESTRICTED_IDS = (
    "pm-2025-07-01-zorbulon-credential-leak",
    "showcase-2025-08-zorbulon-red-team",
    "experts/ghost-analyst",
)

RESTRICTED_MEDIA = "showcases/2025-08-zorbulon-red-team.mp3"

RESTRICTED_POSTMORTEM = """\
---
id: pm-2025-07-01-zorbulon-credential-leak
title: Zorbulon signing key leaked through a failover runbook
date: 2025-07-01
severity: SEV1
access: [Security]
services: [zorbulon-vault]
teams: [secops]
authors: [Priya Raman]
tags: [zorbulon, credentials, failover]
related: [pm-2025-03-14-ledger-replica-lag]
---
# Zorbulon signing key leaked through a failover runbook

## Summary
During a Postgres failover drill the zorbulon signing key was pasted into a public runbook.

## Root cause
The failover runbook template echoed the zorbulon key; replication lag alerts were ignored.

## Action items
- [ ] Rotate zorbulon keys before every failover drill (owner: Priya Raman, due: 2025-08-01)
"""

RESTRICTED_VTT = """\
WEBVTT

00:00:01.000 --> 00:00:09.000
<v Ghost Analyst>Our red team found the zorbulon key in a failover runbook.

00:00:09.000 --> 00:00:20.000
<v Ghost Analyst>Rotating zorbulon credentials now happens before every failover drill.
"""

RESTRICTED_SIDECAR = """\
---
id: showcase-2025-08-zorbulon-red-team
title: Red team findings on zorbulon
date: 2025-08-14
team: secops
presenters: [Ghost Analyst]
outcome: failure
access: security
tags: [zorbulon]
---
What the red team found.
"""

RESTRICTED_EXPERT = """\
---
name: Ghost Analyst
role: Red team lead
team: secops
email: ghost@kestrel.example
topics: [zorbulon, credential rotation, failover]
access: [security]
office_hours:
  - {weekday: Monday, start: "10:00", end: "11:00", timezone: UTC}
---
Knows everything about zorbulon keys.
"""


def write_restricted(root: Path) -> Path:
    """Add the restricted documents to a content tree written by conftest.write_content."""
    files = {
        "postmortems/2025-07-01-zorbulon-credential-leak.md": RESTRICTED_POSTMORTEM,
        "showcases/2025-08-zorbulon-red-team.vtt": RESTRICTED_VTT,
        "showcases/2025-08-zorbulon-red-team.md": RESTRICTED_SIDECAR,
        "experts/ghost-analyst.md": RESTRICTED_EXPERT,
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    # The recording itself, beside its transcript: the portal plays it only to members.
    (root / RESTRICTED_MEDIA).write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00")
    return root


def build_restricted_index(base: Path, embedder: object) -> object:
    """The public fixture tree plus the restricted documents, indexed: its Settings."""
    from index.settings import Settings
    from ingest.pipeline import Ingestor
    from tests.conftest import write_content

    content = write_restricted(write_content(base / "content"))
    settings = Settings(data_dir=base / "data")
    report = Ingestor(settings, embedder).run([str(content)])  # type: ignore[arg-type]
    assert report.count("indexed") >= 11, report.outcomes
    return settings
