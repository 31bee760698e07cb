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
# A Word export restricted by its own properties table (no front matter to say it).
RESTRICTED_EXPORT = "postmortems/2025-07-09-zorbulon-token-review"
RESTRICTED_EXPORT_URL = "https://wiki.kestrel.example/zorbulon-token-review"

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


# Currency (circulation/review.py): a public talk superseded by a restricted one, which the
# fixture tree's public migrations talk supersedes in turn; and a restricted runbook overdue for
# review, owned by a public expert. The public talk's own front matter names its restricted
# successor: the door must never pass that name to an outsider.
PUBLIC_SUPERSEDED = "talk-2023-manual-schema-migrations"
PUBLIC_SUCCESSOR = "talk-2025-02-zero-downtime-migrations"  # conftest's TALK_NOTES
RESTRICTED_TALK = "talk-2024-zorbulon-vault-migrations"
RESTRICTED_RUNBOOK = "runbook-zorbulon-key-rotation"

PUBLIC_SUPERSEDED_TALK = f"""\
---
id: {PUBLIC_SUPERSEDED}
kind: talk
title: Schema migrations by hand
date: 2023-04-04
speakers: [Priya Raman]
owner: Priya Raman
review_by: 2024-06-01
superseded_by: {RESTRICTED_TALK}
tags: [postgres, migrations]
---
# Schema migrations by hand

Lock the table, run the ALTER during the maintenance window and hope it finishes in time.
"""

RESTRICTED_TALK_NOTES = f"""\
---
id: {RESTRICTED_TALK}
kind: talk
title: Zorbulon vault schema migrations
date: 2024-10-01
speakers: [Priya Raman]
access: [security]
superseded_by: {PUBLIC_SUCCESSOR}
tags: [postgres, migrations, zorbulon]
---
# Zorbulon vault schema migrations

How the zorbulon vault's schema migrations ran without taking the signing service down.
"""

RESTRICTED_RUNBOOK_NOTES = f"""\
---
id: {RESTRICTED_RUNBOOK}
kind: runbook
title: Rotating zorbulon signing keys
date: 2024-11-05
owner: Priya Raman
review_by: 2025-01-15
access: [security]
tags: [zorbulon, credentials]
---
# Rotating zorbulon signing keys

Rotate the zorbulon keys in the vault before every failover drill.
"""


def write_restricted(root: Path) -> Path:
    """Add the restricted documents to a content tree written by conftest.write_content."""
    files = {
        "postmortems/2025-07-01-zorbulon-credential-leak.md": RESTRICTED_POSTMORTEM,
        "showcases/2025-08-zorbulon-red-team.vtt": RESTRICTED_VTT,
        "showcases/2025-08-zorbulon-red-team.md": RESTRICTED_SIDECAR,
        "experts/ghost-analyst.md": RESTRICTED_EXPERT,
        "talks/2023-04-manual-schema-migrations.md": PUBLIC_SUPERSEDED_TALK,
        "talks/2024-10-zorbulon-vault-migrations.md": RESTRICTED_TALK_NOTES,
        "runbooks/zorbulon-key-rotation.md": RESTRICTED_RUNBOOK_NOTES,
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    # The recording itself, beside its transcript: the portal plays it only to members.
    (root / RESTRICTED_MEDIA).write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00")
    from tests.export_files import docx_file

    docx_file(
        root / f"{RESTRICTED_EXPORT}.docx",
        "Zorbulon token review",
        [
            ("Date", "2025-07-09"),
            ("Severity", "SEV2"),
            ("Access", "security"),
            ("Team", "secops"),
            ("Original URL", RESTRICTED_EXPORT_URL),
        ],  # fmt: skip
        [
            ("Summary", "The zorbulon token was found in a failover runbook export."),
            ("Root cause", "Runbook exports kept secrets."),
        ],  # fmt: skip
        [("Action", "Owner"), ("Scrub zorbulon tokens from runbook exports", "Ghost Analyst")],
    )
    return root


def build_restricted_index(base: Path, embedder: object) -> object:
    """The public fixture tree plus the restricted documents, indexed: its Settings."""
    from index.settings import Settings
    from ingest.pipeline import Ingestor
    from tests.conftest import write_content

    content = write_restricted(write_content(base / "content"))
    settings = Settings(data_dir=base / "data")
    report = Ingestor(settings, embedder).run([str(content)])  # type: ignore[arg-type]
    assert report.count("indexed") >= 12, report.outcomes
    return settings


RESTRICTED_PLAN = (
    "Zorbulon signing key leaked in a failover runbook: rotate the keys before every drill."
)


def seed_radar(settings: object, embedder: object) -> None:
    """Issue 26: in the index's state store, a plan shared with `security` only (team secops,
    named) and a brief by a member that showed the restricted post-mortem and matched it."""
    import datetime as dt

    from circulation import radar
    from circulation.state import BriefEvent, StateStore
    from index.access import Viewer
    from index.opener import open_archive

    store = StateStore(settings.data_dir)  # type: ignore[attr-defined]
    archive = open_archive(settings, Viewer.everything(), embedder)  # type: ignore[arg-type]
    radar.share(
        store,
        archive,
        RESTRICTED_PLAN,
        team="secops",
        owner="ghost@kestrel.example",
        person="Ghost Analyst",
        groups=[GROUP],
    )
    store.log_brief(
        BriefEvent(
            at=dt.datetime.now(),
            team="sre",
            source="portal",
            session="s",
            incidents=(RESTRICTED_IDS[0], "pm-2025-03-14-ledger-replica-lag"),
            matches=(("secops", (GROUP,)),),
        )
    )
