"""Action items in every usual shape, flattened with the incident they came from."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from index.action_items import ItemFilter, items_of, open_count, select, to_csv
from index.models import Document
from ingest.action_items import body_action_items
from ingest.documents import parse_document

TODAY = dt.date(2026, 6, 1)


def _parse(tmp_path: Path, text: str) -> list[dict]:
    path = tmp_path / "postmortems" / "x.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return parse_document(path, tmp_path, max_bytes=1_000_000).metadata.get("action_items", [])


def test_front_matter_strings(tmp_path: Path) -> None:
    items = _parse(tmp_path, "---\nseverity: SEV2\naction_items: [Rotate keys, Add alert]\n---\nx")
    assert [(i["title"], i["status"], i["owner"]) for i in items] == [
        ("Rotate keys", None, None),
        ("Add alert", None, None),
    ]


def test_front_matter_mappings(tmp_path: Path) -> None:
    items = _parse(
        tmp_path,
        "---\nseverity: SEV2\naction_items:\n"
        "  - {title: Rotate keys, owner: Ann, status: done, due: 2026-01-02}\n"
        "  - {action: Add alert, assignee: Bo, done: false}\n---\nx",
    )
    assert [(i["title"], i["owner"], i["status"], i["due"]) for i in items] == [
        ("Rotate keys", "Ann", "done", "2026-01-02"),
        ("Add alert", "Bo", "open", None),
    ]


def test_markdown_task_lists_under_the_heading_only(tmp_path: Path) -> None:
    body = (
        "# T\n\n## Timeline\n- [ ] not an action item\n\n## Action items\n\n"
        "- [ ] Page before expiry (owner: Hannah Okafor, due: 2026-03-29)\n"
        "- [x] Synthetic probe per endpoint @kwame 2026-03-08\n"
        "* [X] Write the runbook\n"
        "- plain bullet, not a task\n\n### Later\n- [ ] Nested section still counts\n\n"
        "## Lessons\n- [ ] not one either\n"
    )
    items = _parse(tmp_path, "---\nseverity: SEV3\n---\n" + body)
    assert [(i["title"], i["owner"], i["status"], i["due"]) for i in items] == [
        ("Page before expiry", "Hannah Okafor", "open", "2026-03-29"),
        ("Synthetic probe per endpoint", "kwame", "done", "2026-03-08"),
        ("Write the runbook", None, "done", None),
        ("Nested section still counts", None, "open", None),
    ]


def test_markdown_tables_and_front_matter_restated_in_the_body() -> None:
    body = (
        "## Action items\n\n| Action | Owner | Status | Due |\n|---|---|---|---|\n"
        "| `retry_budget` in mesh defaults | Sofia | done | 2025-06-20 |\n"
        "| Jitter in the poller | Daniel | open | |\n"
    )
    assert [(i["title"], i["owner"], i["status"], i["due"]) for i in body_action_items(body)] == [
        ("retry_budget in mesh defaults", "Sofia", "done", "2025-06-20"),
        ("Jitter in the poller", "Daniel", "open", None),
    ]


def test_body_items_that_restate_front_matter_are_not_doubled(tmp_path: Path) -> None:
    items = _parse(
        tmp_path,
        "---\nseverity: SEV2\naction_items:\n"
        "  - {title: Retrieval regression suite run on every index rebuild, status: open}\n---\n"
        "## Action items\n| Action | Status |\n|---|---|\n"
        "| Retrieval regression suite on every rebuild | open |\n| Brand new item | open |\n",
    )
    assert [i["title"] for i in items] == [
        "Retrieval regression suite run on every index rebuild",
        "Brand new item",
    ]


def _doc(doc_id: str, items: list[dict], **meta: object) -> Document:
    return Document(
        doc_id,
        "postmortem",
        f"Incident {doc_id}",
        "",
        dt.date(2026, 1, 1),
        {"action_items": items, **meta},
    )


DOCS = [
    _doc(
        "a",
        [
            {"title": "Late one", "owner": "Ann", "status": "open", "due": "2026-05-01"},
            {"title": "Future one", "owner": "Bo", "status": "in-progress", "due": "2026-07-01"},
            {"title": "Finished", "owner": "Ann", "status": "Done", "due": "2026-01-01"},
        ],
        severity="sev1",
        teams=["payments"],
    ),
    _doc("b", [{"title": "No status, no due", "owner": None, "status": None, "due": None}]),
]


def test_open_overdue_and_owner_filters() -> None:
    items = items_of(DOCS, TODAY)
    assert [i.title for i in items][:1] == ["Late one"]  # overdue first
    assert [i.title for i in items if i.overdue] == ["Late one"]
    assert sorted(i.title for i in select(items, ItemFilter(open_only=True))) == [
        "Future one",
        "Late one",
        "No status, no due",
    ]
    assert [i.title for i in select(items, ItemFilter(overdue_only=True))] == ["Late one"]
    assert sorted(i.title for i in select(items, ItemFilter(owners=("ann",)))) == [
        "Finished",
        "Late one",
    ]
    assert items[0].severity == "SEV1" and items[0].teams == ("payments",)
    assert open_count(DOCS[0]) == (2, 3)


def test_csv_download_has_every_item_and_defuses_formulas() -> None:
    items = items_of([*DOCS, _doc("c", [{"title": "=HYPERLINK(1)", "owner": "@x"}])], TODAY)
    rows = list(csv.DictReader(io.StringIO(to_csv(items))))
    assert len(rows) == 5
    late = next(r for r in rows if r["title"] == "Late one")
    assert late["overdue"] == "yes" and late["incident_id"] == "a" and late["due"] == "2026-05-01"
    bad = next(r for r in rows if r["incident_id"] == "c")
    assert bad["title"] == "'=HYPERLINK(1)" and bad["owner"] == "'@x"


def test_numbered_headings_and_wrapped_task_lines() -> None:
    """An exported "3. Action items" section whose items wrap onto a second, indented line."""
    from ingest.action_items import body_action_items

    body = (
        "## 3. Action items\n\n- [ ] Alert on zone serial\n  drift between providers\n"
        "- [x] Re-open AXFR from the\n  primary (owner: Kwame Asante)\n"
    )
    items = body_action_items(body)
    assert [(i["title"], i["owner"], i["status"]) for i in items] == [
        ("Alert on zone serial drift between providers", None, "open"),
        ("Re-open AXFR from the primary", "Kwame Asante", "done"),
    ]


def test_when_an_item_was_closed_in_every_shape(tmp_path: Path) -> None:
    # Issue 26: the coordination figures' time to close reads it; an item without one has none.
    front = _parse(
        tmp_path,
        "---\nseverity: SEV2\naction_items:\n"
        "  - {title: Rotate keys, status: done, due: 2026-01-20, closed: 2026-01-12}\n"
        "  - {title: Add alert, status: done, completed_at: 2026-02-01}\n"
        "  - {title: Still open, status: open}\n---\nx",
    )
    assert [i.get("closed") for i in front] == ["2026-01-12", "2026-02-01", None]
    assert "closed" not in front[2]  # kept only when the write-up says
    tasks = body_action_items(
        "## Action items\n"
        "- [x] Page before expiry (owner: Ann, due: 2026-03-29, closed: 2026-03-20)\n"
        "- [x] Probe every endpoint, done 2026-03-02\n"
        "- [ ] Write the runbook (due: 2026-04-01)\n"
    )
    assert [(i["title"], i["due"], i.get("closed")) for i in tasks] == [
        ("Page before expiry", "2026-03-29", "2026-03-20"),
        ("Probe every endpoint", None, "2026-03-02"),
        ("Write the runbook", "2026-04-01", None),
    ]
    table = body_action_items(
        "## Action items\n\n| Action | Status | Due | Closed |\n|---|---|---|---|\n"
        "| Retry budget | done | 2025-06-20 | 2025-06-18 |\n| Jitter | open | | |\n"
    )
    assert [i.get("closed") for i in table] == ["2025-06-18", None]
    doc = Document("pm", "postmortem", "T", "pm.md", dt.date(2026, 1, 2), {"action_items": front})
    items = {i.title: i for i in items_of([doc], TODAY)}
    assert items["Rotate keys"].days_to_close == 10
    assert items["Add alert"].days_to_close == 30
    assert items["Still open"].days_to_close is None
