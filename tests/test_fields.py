"""Document fields declared once: messy spellings read the same on every surface.

Post-mortems write severity as `Sev 2`, `sev-2`, `SEV2` or `major`, a team as `team:` or
`teams:`, services as `components:`, a finished action item as `Won't fix` or `wontfix`. Each is
fed through ingest into a real index and read back through every surface that shows it: facet
counts, filters, trends, action items (CLI too), the brief, chips and Atom summaries.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from circulation.atom import summary
from circulation.brief import build as build_brief
from cli import main
from index import fields
from index.access import Viewer
from index.filters import SearchFilters
from index.opener import open_archive
from index.settings import Settings
from ingest.pipeline import Ingestor

MESSY = {
    "a.md": """\
---
id: pm-a
title: Checkout queue backed up
date: 2026-01-10
severity: Sev 2
team: Payments
components: [checkout-api]
action_items:
  - {title: Add a queue depth alert, owner: Ann Lee, status: "Won't fix"}
  - {title: Shed load at the edge, owner: Ann Lee, status: In progress}
---
# Checkout queue backed up
## Root cause
The checkout consumer stalled on a poison message in the queue.
""",
    "b.md": """\
---
id: pm-b
title: Checkout queue stalled again
date: 2026-02-11
severity: sev-2
teams: [payments, sre]
services: checkout-api, ledger-db
action_items:
  - {title: Dead-letter poison messages, owner: Ann Lee, status: wontfix}
---
# Checkout queue stalled again
## Root cause
A poison message stalled the checkout consumer queue.
""",
    "c.md": """\
---
id: pm-c
title: Ledger writes slow
date: 2026-03-12
Severity: major
Team: SRE
action_items:
  - {title: Index the ledger table, owner: Bob Ray, status: Done}
---
# Ledger writes slow
## Root cause
A missing index on the ledger table made writes slow.
""",
}


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> tuple[Settings, Any]:
    base = tmp_path_factory.mktemp("messy")
    folder = base / "content" / "postmortems"
    folder.mkdir(parents=True)
    for name, text in MESSY.items():
        (folder / name).write_text(text, encoding="utf-8")
    settings = Settings(data_dir=base / "data")
    embedder = real_embedder  # the CLI opens the index with the real model
    report = Ingestor(settings, embedder).run([str(base / "content")])
    assert report.count("indexed") == 3, report.outcomes
    return settings, embedder


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("SEV2", "SEV2"),
        ("Sev 2", "SEV2"),
        ("sev-2", "SEV2"),
        ("severity 1", "SEV1"),
        ("S3", "SEV3"),
        ("SEV0", "SEV1"),
        ("critical", "SEV1"),
        ("Major", "SEV2"),
        ("low", "SEV4"),
        ("P1", ""),
        ("sev 12", ""),
        ("", ""),
    ],
)
def test_severity_spellings(written: str, read: str) -> None:
    assert fields.severity(written) == read


@pytest.mark.parametrize(
    ("status", "done"),
    [
        ("done", True),
        ("Won't fix", True),
        ("won’t fix", True),
        ("wont-fix", True),
        ("WONTFIX", True),
        ("Closed", True),
        ("cancelled", True),
        ("in progress", False),
        ("open", False),
        ("", False),
        (None, False),
    ],
)
def test_done_like_statuses(status: object, done: bool) -> None:
    assert fields.is_done(status) is done


def test_statuses_read_alike_whoever_wrote_them() -> None:
    """A Word table's "Resolved" and front matter's "resolved" show as one status."""
    assert fields.canonical({"Status": "Resolved"})["status"] == "resolved"
    assert fields.canonical({"state": "Action items  Open"})["status"] == "action items open"
    assert fields.canonical({"severity": "Sev 2"})["severity"] == "SEV2"


def test_aliases_fold_into_one_field() -> None:
    folded = fields.canonical(
        {
            "team": "Payments",
            "Teams": ["sre", "payments"],
            "components": "checkout-api, ledger-db",
            "Root cause": "poison message",
            "sev": "sev 3",
            "custom": {"kept": True},
        }
    )
    assert folded["teams"] == ["Payments", "sre"]
    assert folded["services"] == ["checkout-api", "ledger-db"]
    assert folded["root_cause"] == "poison message"
    assert folded["severity"] == "SEV3"
    assert folded["custom"] == {"kept": True}
    assert not {"team", "Teams", "components", "Root cause", "sev"} & set(folded)


def test_every_surface_reads_the_same_values(messy) -> None:
    settings, embedder = messy
    archive = open_archive(settings, Viewer(name="local"), embedder)

    facets = dict((k, dict(v)) for k, v in archive.facet_counts().items())
    assert facets["severity"] == {"SEV2": 3}
    assert facets["team"] == {"payments": 2, "sre": 2}
    assert facets["service"] == {"checkout-api": 2, "ledger-db": 1}

    by_filter = archive.search(
        "queue", SearchFilters(facets={"severity": ("SEV2",)}), limit=10, mode="keyword"
    )
    assert {h.doc_id for h in by_filter} == {"pm-a", "pm-b"}
    assert len(archive.documents(SearchFilters(facets={"severity": ("SEV2",)}))) == 3
    team = archive.documents(SearchFilters(facets={"team": ("payments",)}))
    assert {d.doc_id for d in team} == {"pm-a", "pm-b"}

    trends = archive.trends()
    assert {severity for _, severity, _ in trends.per_month} == {"SEV2"}
    assert dict(trends.by_team) == {"payments": 2, "sre": 2}

    items = archive.action_items()
    assert {i.severity for i in items} == {"SEV2"}
    by_title = {i.title: i for i in items}
    assert not by_title["Add a queue depth alert"].is_open  # "Won't fix"
    assert not by_title["Dead-letter poison messages"].is_open  # "wontfix"
    assert by_title["Shed load at the edge"].is_open  # "In progress"
    assert by_title["Add a queue depth alert"].teams == ("payments",)

    brief = build_brief(archive, "The checkout consumer stalled on a poison message.")
    assert brief.incidents and {i.severity for i in brief.incidents} <= {"SEV2"}

    doc = archive.document("pm-a")
    assert doc is not None
    line = summary(doc)
    assert "severity: SEV2" in line and "team: Payments" in line and "checkout-api" in line


def test_the_cli_reads_them_the_same(messy, capsys: Any) -> None:
    settings, _ = messy
    data = ["--data-dir", str(settings.data_dir)]
    assert main(["actions", "--json", "--open", *data]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["title"] for r in rows] == ["Shed load at the edge"]
    assert rows[0]["severity"] == "SEV2" and rows[0]["teams"] == "payments"


def test_ui_chips_show_the_normalised_values(messy) -> None:
    from portal import ui

    settings, embedder = messy
    doc = open_archive(settings, Viewer(name="local"), embedder).document("pm-c")
    assert doc is not None
    chips = ui.chips(doc)
    assert "SEV2" in chips and "SRE" in chips
    assert ui.severity(doc) == "SEV2"


def test_unknown_front_matter_is_kept_as_written(tmp_path: Path) -> None:
    from ingest.documents import parse_document

    path = tmp_path / "postmortems" / "x.md"
    path.parent.mkdir()
    path.write_text("---\ntitle: X\nseverity: whatever\nflavour: salty\n---\nBody\n")
    doc = parse_document(path, tmp_path, max_bytes=1 << 20)
    assert doc.metadata["severity"] == "whatever"  # unreadable: shown as written, not as a SEV
    assert doc.metadata["flavour"] == "salty"
