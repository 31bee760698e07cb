"""The radar from the shell and the coordination figures, over a small organisation (real model).

Payouts (three people) shares a plan; billing (three people) checks a similar one; warehouse (one
person) checks an unrelated one. `hindsight metrics --json` counts both teams, withholds the team
of one, names no person, and every figure reads through the viewer's archive.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from circulation import activity, search_log
from circulation.brief import build
from circulation.metrics import MetricsOff, coordination
from circulation.state import STATE_FILE, StateStore
from cli import main
from index.access import Viewer
from index.opener import open_archive
from tests.coordination_fixtures import PEOPLE, build_organisation_index

PAYOUTS_PLAN = """\
# Retry outbound merchant webhooks

Merchants miss payout status webhooks whenever their endpoint is down for a few minutes,
because we deliver each one once. We will queue deliveries, retry with exponential backoff and
jitter for up to 24 hours, and park failures in a dead-letter queue merchants can replay from.
"""
BILLING_PLAN = (
    "Add retries with exponential backoff to the invoice webhooks we send merchants, and a "
    "dead-letter queue for deliveries that still fail after a day."
)
WAREHOUSE_PLAN = (
    "Re-slot the Leeds warehouse weekly so the most-picked SKUs sit closest to packing."
)


@pytest.fixture(scope="module")
def organisation(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> Any:
    return build_organisation_index(tmp_path_factory.mktemp("organisation"), real_embedder)


@pytest.fixture
def org(organisation: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    for path in Path(organisation.data_dir).glob(STATE_FILE + "*"):
        path.unlink()  # every test starts with nobody's state
    for name in ("SEARCH_LOG", "METRICS", "METRICS_MIN_GROUP", "RADAR_SIMILARITY"):
        monkeypatch.delenv(f"HINDSIGHT_{name}", raising=False)
    return organisation


def hindsight(org: Any, capsys: Any, *args: str) -> tuple[int, str, str]:
    code = main([*args, "--data-dir", str(org.data_dir)])
    out = capsys.readouterr()
    return code, out.out, out.err


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def state_bytes(org: Any) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(Path(org.data_dir).glob(STATE_FILE + "*")))


def run_the_three_briefs(org: Any, capsys: Any, tmp_path: Path) -> list[dict[str, Any]]:
    """Payouts shares, then billing and warehouse check their plans: their JSON briefs."""
    a, b, c = (
        write(tmp_path, "a.md", PAYOUTS_PLAN),
        write(tmp_path, "b.md", BILLING_PLAN),
        write(tmp_path, "c.md", WAREHOUSE_PLAN),
    )
    runs = [
        ["brief", a, "--json", "--share", "--team", "payouts", "--person", "Ana Souza"],
        ["brief", b, "--json", "--team", "billing"],
        ["brief", c, "--json", "--team", "warehouse"],
    ]
    out = []
    for args in runs:
        code, text, _ = hindsight(org, capsys, *args)
        assert code == 0
        out.append(json.loads(text))
    return out


def test_the_radar_from_the_shell(org, capsys, tmp_path) -> None:
    first, billing, warehouse = run_the_three_briefs(org, capsys, tmp_path)
    assert first["related_plans"] == []  # the first plan names nobody
    assert first["shared"]["team"] == "payouts" and first["shared"]["groups"] == []
    (match,) = billing["related_plans"]
    assert (match["team"], match["person"], match["first_line"]) == (
        "payouts",
        "Ana Souza",
        "Retry outbound merchant webhooks",
    )
    assert match["score"] >= 0.55 and match["date"] == dt.date.today().isoformat()
    assert warehouse["related_plans"] == []  # an unrelated plan names nobody
    # Markdown says it in a sentence
    code, md, _ = hindsight(org, capsys, "brief", write(tmp_path, "b2.md", BILLING_PLAN))
    assert "payouts checked a similar plan today: talk to Ana Souza" in md.replace("\\", "")
    # the sharer lists and withdraws it; billing no longer sees it
    code, listed, _ = hindsight(org, capsys, "shared", "--person", "Ana Souza", "--json")
    (plan,) = json.loads(listed)
    assert plan["plan_id"] == first["shared"]["plan_id"]
    assert hindsight(org, capsys, "withdraw", plan["plan_id"])[0] == 0
    code, text, _ = hindsight(
        org, capsys, "brief", str(tmp_path / "b.md"), "--json", "--team", "billing"
    )
    assert json.loads(text)["related_plans"] == []
    assert hindsight(org, capsys, "withdraw", plan["plan_id"])[0] == 1  # nothing left to withdraw


def test_a_plan_shared_with_groups_is_seen_only_in_them(org, capsys, tmp_path) -> None:
    a, b = write(tmp_path, "a.md", PAYOUTS_PLAN), write(tmp_path, "b.md", BILLING_PLAN)
    share = ["brief", a, "--share", "--team", "payouts", "--groups", "payments-eng"]
    code, _, err = hindsight(org, capsys, *share)
    assert code == 0 and "seen by: payments-eng" in err and "hindsight withdraw " in err
    for groups, seen in (("", False), ("eng", False), ("payments-eng,eng", True)):
        args = ["brief", b, "--json", "--team", "billing", "--groups", groups]
        code, text, _ = hindsight(org, capsys, *args)
        assert bool(json.loads(text)["related_plans"]) is seen, groups


def test_plans_not_shared_are_never_stored(org, capsys, tmp_path) -> None:
    plan = write(tmp_path, "p.md", "Zanzibarite ledger export to the new clearing house.\n")
    for args in (["--team", "billing"], ["--team", "billing", "--json"], []):
        assert hindsight(org, capsys, "brief", plan, *args)[0] == 0
    assert b"Zanzibarite" not in state_bytes(org)
    assert StateStore(org.data_dir).shared_plans() == []
    assert hindsight(org, capsys, "brief", plan, "--share", "--team", "billing")[0] == 0
    assert b"Zanzibarite" in state_bytes(org)


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--share"], "--share needs --team"),
        (["--share", "--team", "payouts", "--all"], "--all reads everything"),
    ],
)
def test_sharing_asks_for_what_it_needs(org, capsys, tmp_path, args, reason) -> None:
    code, _, err = hindsight(org, capsys, "brief", write(tmp_path, "a.md", PAYOUTS_PLAN), *args)
    assert code == 2 and reason in err


def test_metrics_json_counts_both_teams(org, capsys, tmp_path) -> None:
    run_the_three_briefs(org, capsys, tmp_path)
    code, text, _ = hindsight(org, capsys, "metrics", "--json")
    assert code == 0
    found = json.loads(text)
    teams = {t["team"]: t for t in found["teams"]}
    assert teams["payouts"]["shown"] and teams["billing"]["shown"]
    assert teams["payouts"]["plans_checked"] == teams["billing"]["plans_checked"] == 1
    assert found["totals"]["plans_checked"] == 2  # the team of one is not in any total
    # the radar's match is billing's duplicate plan, and the pair of teams
    assert teams["billing"]["duplicate_plans"] == {
        "briefs_with_a_match": 1,
        "rate": 1.0,
        "matched_teams": ["payouts"],
    }
    assert teams["payouts"]["duplicate_plans"]["briefs_with_a_match"] == 0
    assert found["duplicate_pairs"] == [{"teams": ["billing", "payouts"], "matches": 1}]
    # warehouse (one person) is named, with no figure
    assert teams["warehouse"] == {"team": "warehouse", "people": 1, "shown": False}
    assert "warehouse" in found["withheld"]
    # no person anywhere
    for name in (n for names in PEOPLE.values() for n in names):
        for part in name.lower().split():
            assert part not in text.lower(), part
    # text output
    code, plain, _ = hindsight(org, capsys, "metrics", "--team", "billing")
    assert "billing (3 people)" in plain and "payouts (" not in plain
    assert "similar to payouts" in plain


def test_figures_from_documents(org, real_embedder) -> None:
    archive = open_archive(org, Viewer.everything(), real_embedder)
    found = coordination(archive, StateStore(org.data_dir), org, now=dt.datetime(2026, 1, 1))
    teams = {t.team: t for t in found.teams}
    billing, payouts = teams["billing"], teams["payouts"]
    # billing's write-up repeats payouts' failure mode after payouts closed every action item
    assert (billing.repeat_incidents, payouts.repeat_incidents) == (1, 0)
    assert (payouts.action_items, payouts.action_items_done, payouts.days_to_close) == (
        2,
        2,
        [14, 30],
    )
    assert (billing.action_items_open, billing.action_items_overdue) == (1, 1)
    assert billing.to_json()["action_items"]["closure_rate"] == 0.5
    assert payouts.to_json()["action_items"]["median_days_to_close"] == 22
    # payouts' Showcase, cited by billing's later post-mortem (`related:`)
    assert payouts.showcases_cited == {"showcase-2025-04-webhook-delivery"}
    assert payouts.showcase_citations == 1 and billing.showcase_citations == 0
    series = {(p.figure, p.team, p.period): p.value for p in found.series}
    assert series[("repeat incidents", "billing", "2025-09-01")] == 1
    assert series[("action items closed", "payouts", "2025-03-01")] == 1


def test_reuse_searches_and_opened_incidents(org, real_embedder) -> None:
    settings, store = org, StateStore(org.data_dir)
    billing = open_archive(settings, Viewer.of("Dev", "dev.patel@kestrel.example"), real_embedder)
    brief = build(billing, BILLING_PLAN)
    assert "pm-2025-02-10-payout-webhooks-lost" in [i.doc.doc_id for i in brief.incidents]
    brief_id = activity.log_brief(
        store, settings, billing, brief, team="billing", session="s1", source="portal"
    )
    assert brief_id
    # Dev opens payouts' post-mortem from the brief, then billing's own
    for doc in ("pm-2025-02-10-payout-webhooks-lost", "pm-2025-09-15-invoice-webhooks-lost"):
        activity.log_document_open(
            store, settings, doc_id=doc, team="billing", session="s1", brief_id=brief_id
        )
    search_log.log_search(store, settings, billing, "webhook retries", "s1", team="billing")
    search_log.log_open(store, settings, "s1")
    search_log.log_search(store, settings, billing, "quantum budget", "s2", team="billing")
    found = coordination(billing, store, settings)
    teams = {t.team: t for t in found.teams}
    assert teams["payouts"].opened_by_other_teams == 1  # billing read payouts' write-up
    assert teams["billing"].opened_by_other_teams == 0  # its own team's reads do not count
    assert teams["billing"].opened_from_other_teams == 1
    b = teams["billing"]
    assert (b.plans_checked, b.briefs_with_incidents) == (1, 1)
    assert b.incidents_opened == 2 and b.incidents_shown == len(brief.incidents)
    assert (b.searches, b.searches_answered) == (2, 1)


def test_a_team_too_small_to_show_is_never_named_as_a_match(org, capsys, tmp_path) -> None:
    """Warehouse (one person) shares a plan billing's is like: billing's brief names it (the
    radar is for people), but the figures name no team under the minimum group."""
    a, b = write(tmp_path, "a.md", PAYOUTS_PLAN), write(tmp_path, "b.md", BILLING_PLAN)
    hindsight(org, capsys, "brief", a, "--share", "--team", "warehouse", "--person", "Gus Moreau")
    code, text, _ = hindsight(org, capsys, "brief", b, "--json", "--team", "billing")
    assert code == 0 and [p["team"] for p in json.loads(text)["related_plans"]] == ["warehouse"]
    found = json.loads(hindsight(org, capsys, "metrics", "--json")[1])
    billing = next(t for t in found["teams"] if t["team"] == "billing")
    assert billing["duplicate_plans"]["briefs_with_a_match"] == 1
    assert billing["duplicate_plans"]["matched_teams"] == []
    assert found["duplicate_pairs"] == []


def test_the_minimum_group_and_the_off_switches(org, capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HINDSIGHT_METRICS_MIN_GROUP", "4")
    run_the_three_briefs(org, capsys, tmp_path)
    found = json.loads(hindsight(org, capsys, "metrics", "--json")[1])
    assert all(not t["shown"] and set(t) == {"team", "people", "shown"} for t in found["teams"])
    assert found["totals"]["plans_checked"] == 0 and found["series"] == []
    monkeypatch.setenv("HINDSIGHT_METRICS", "off")
    code, text, _ = hindsight(org, capsys, "metrics", "--json")
    assert code == 0 and json.loads(text)["enabled"] is False
    before = len(StateStore(org.data_dir).briefs())
    hindsight(org, capsys, "brief", str(tmp_path / "b.md"), "--team", "billing")
    assert len(StateStore(org.data_dir).briefs()) == before  # nothing recorded while off
    archive = open_archive(org, Viewer.everything())
    with pytest.raises(MetricsOff):
        coordination(archive, StateStore(org.data_dir), archive_settings(org))


def archive_settings(org: Any) -> Any:
    from index.settings import Settings

    return Settings(data_dir=org.data_dir)


def test_the_search_log_off_keeps_no_event_but_sharing_works(
    org, capsys, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("HINDSIGHT_SEARCH_LOG", "off")
    run_the_three_briefs(org, capsys, tmp_path)
    store = StateStore(org.data_dir)
    assert store.briefs() == [] and store.document_opens() == []
    assert len(store.shared_plans()) == 1  # sharing is its own explicit choice


def test_an_old_state_store_gains_the_new_columns(tmp_path) -> None:
    import sqlite3

    con = sqlite3.connect(tmp_path / STATE_FILE)
    con.execute(
        "CREATE TABLE searches (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, "
        "query TEXT NOT NULL, asker TEXT, session TEXT NOT NULL, matched INTEGER NOT NULL, "
        "hidden INTEGER NOT NULL)"
    )
    con.execute("INSERT INTO searches VALUES (1, '2026-11-01T09:00:00', 'old', NULL, 's', 1, 0)")
    con.commit()
    con.close()
    store = StateStore(tmp_path)
    (old,) = store.searches(dt.timedelta(minutes=30))
    assert (old.query, old.team) == ("old", "")
    store.log_search(
        query="new",
        session="s",
        asker=None,
        matched=True,
        hidden=False,
        now=dt.datetime(2026, 11, 2),
        team="billing",
    )
    assert [s.team for s in store.searches(dt.timedelta(minutes=30))] == ["", "billing"]
