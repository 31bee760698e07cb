"""A small organisation for the radar and the coordination figures: teams, people, repeats.

Two teams of three (payouts and billing, by their expert profiles) and a team of one
(warehouse). Payouts lost merchant webhooks in February 2025, finished every action item, and
presented the fix at a Showcase in April; billing lost invoice webhooks the same way in
September, cites the Showcase, and left an item open past its due date.
"""

from __future__ import annotations

from pathlib import Path

PEOPLE = {
    "payouts": ("Ana Souza", "Bruno Lima", "Carla Dias"),
    "billing": ("Dev Patel", "Eva Novak", "Farid Khan"),
    "warehouse": ("Gus Moreau",),
}

PAYOUTS_POSTMORTEM = """\
---
id: pm-2025-02-10-payout-webhooks-lost
title: Payout status webhooks lost while a merchant endpoint was down
date: 2025-02-10
severity: SEV2
teams: [payouts]
services: [merchant-webhooks]
authors: [Ana Souza]
root_cause: Webhook deliveries were attempted once with no retry, so every status event sent while the merchant endpoint was down was dropped.
action_items:
  - {title: Retry webhook deliveries with exponential backoff, owner: Bruno Lima, status: done, due: 2025-03-01, closed: 2025-02-24}
  - {title: Dead-letter queue merchants can replay from, owner: Carla Dias, status: done, due: 2025-03-15, closed: 2025-03-12}
---
# Payout status webhooks lost while a merchant endpoint was down

## Summary
A merchant's webhook endpoint returned 503 for forty minutes. We attempted each payout status
webhook once and dropped it on failure, so the merchant never learned of 1,200 payouts.

## Root cause
Webhook deliveries were attempted once with no retry and no dead-letter queue.
"""

BILLING_POSTMORTEM = """\
---
id: pm-2025-09-15-invoice-webhooks-lost
title: Invoice webhooks lost while a merchant endpoint was down
date: 2025-09-15
severity: SEV2
teams: [billing]
services: [merchant-webhooks]
authors: [Dev Patel]
related: [showcase-2025-04-webhook-delivery]
root_cause: Invoice webhook deliveries were attempted once with no retry, so every invoice event sent while the merchant endpoint was down was dropped.
action_items:
  - {title: Retry invoice webhooks with backoff, owner: Eva Novak, status: open, due: 2025-10-01}
  - {title: Alert on webhook delivery failures, owner: Farid Khan, status: done, due: 2025-09-30, closed: 2025-09-25}
---
# Invoice webhooks lost while a merchant endpoint was down

## Summary
A merchant's webhook endpoint was down for an hour. Each invoice webhook was attempted once
and dropped on failure, so the merchant never learned of 300 invoices.

## Root cause
Invoice webhook deliveries were attempted once with no retry and no dead-letter queue.
"""

WAREHOUSE_POSTMORTEM = """\
---
id: pm-2025-06-01-scanner-firmware
title: Handheld scanners rebooted during the morning pick wave
date: 2025-06-01
severity: SEV3
teams: [warehouse]
services: [scanner-fleet]
authors: [Gus Moreau]
action_items:
  - {title: Stage firmware updates to one aisle first, owner: Gus Moreau, status: done}
---
# Handheld scanners rebooted during the morning pick wave

A firmware update pushed to every scanner at 06:00 rebooted them mid-pick.
"""

SHOWCASE_VTT = """\
WEBVTT

00:00:01.000 --> 00:00:10.000
<v Ana Souza>We lost payout webhooks when a merchant endpoint went down, because we tried once.

00:00:10.000 --> 00:00:25.000
<v Ana Souza>Now every delivery is retried with exponential backoff and lands in a dead-letter queue.
"""

SHOWCASE_SIDECAR = """\
---
id: showcase-2025-04-webhook-delivery
title: Webhook delivery that survives merchant outages
date: 2025-04-20
team: payouts
presenters: [Ana Souza]
outcome: success
---
Retries, backoff and a replayable dead-letter queue for merchant webhooks.
"""


def profile(name: str, team: str) -> str:
    email = name.lower().replace(" ", ".") + "@kestrel.example"
    return f"---\nname: {name}\nrole: Engineer\nteam: {team}\nemail: {email}\n---\n{name}.\n"


def write_organisation(root: Path) -> Path:
    files = {
        "postmortems/2025-02-10-payout-webhooks-lost.md": PAYOUTS_POSTMORTEM,
        "postmortems/2025-09-15-invoice-webhooks-lost.md": BILLING_POSTMORTEM,
        "postmortems/2025-06-01-scanner-firmware.md": WAREHOUSE_POSTMORTEM,
        "showcases/2025-04-webhook-delivery.vtt": SHOWCASE_VTT,
        "showcases/2025-04-webhook-delivery.md": SHOWCASE_SIDECAR,
    }
    for team, names in PEOPLE.items():
        for name in names:
            files[f"experts/{name.lower().replace(' ', '-')}.md"] = profile(name, team)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def build_organisation_index(base: Path, embedder: object) -> object:
    """The organisation above beside the public fixture tree, indexed: its Settings."""
    from index.settings import Settings
    from ingest.pipeline import Ingestor
    from tests.conftest import write_content

    content = write_organisation(write_content(base / "content"))
    settings = Settings(data_dir=base / "data")
    report = Ingestor(settings, embedder).run([str(content)])  # type: ignore[arg-type]
    assert report.count("indexed") >= 15, report.outcomes
    return settings
