"""The pull-request check: a PR's title, description and changed paths become a plan, and the
brief of that plan a short advisory comment with portal links (exit 0, whatever it found)."""

from __future__ import annotations

import io
from typing import Any

import pytest

from circulation.pr_check import MARKER, path_words, plan_of
from cli import main
from tests.access_fixtures import CANARY, RESTRICTED_IDS
from tests.server_helpers import PORTAL, Served, restricted_server

__all__ = ["restricted_server"]
LEDGER = "pm-2025-03-14-ledger-replica-lag"
PR = """\
Promote ledger-db replicas automatically during failover

The failover script now promotes the most caught-up replica without waiting for an operator.

services/ledger-db/failover/promote.py
infra/terraform/ledger_db_replicas.tf
- `docs/runbooks/ledger-failover.md`
"""


def test_changed_paths_become_words_and_prose_stays() -> None:
    assert (
        path_words("services/ledger-db/failover/promote.py")
        == "services ledger db failover promote"
    )
    assert path_words("src/main.go") == ""
    plan = plan_of(PR)
    assert plan.startswith("Promote ledger-db replicas automatically during failover")
    assert "services/ledger-db" not in plan
    assert plan.endswith(
        "Changed: services ledger db failover promote; infra terraform ledger db replicas; "
        "docs runbooks ledger failover."
    )
    assert plan_of("Fix typo in README") == "Fix typo in README"


def _comment(
    server: Served, monkeypatch: pytest.MonkeyPatch, capsys: Any, text: str, *who: str
) -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    monkeypatch.setenv("HINDSIGHT_PORTAL_URL", PORTAL)
    data = ["--data-dir", str(server.settings.data_dir)]
    assert main(["brief", "-", "--format", "pr", *data, *who]) == 0
    return str(capsys.readouterr().out)


def test_the_pr_comment_names_incidents_items_and_people_with_links(
    restricted_server: Served, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    comment = _comment(restricted_server, monkeypatch, capsys, PR)
    assert comment.startswith(MARKER)
    assert f"]({PORTAL}/incidents?doc={LEDGER})" in comment
    assert "**Past incidents like it**" in comment and "**People to ask**" in comment
    assert "[Priya Raman](" in comment
    assert f"[Hindsight]({PORTAL}/brief?plan=" in comment
    assert "Read as groups: none." in comment
    assert len(comment.splitlines()) < 40  # a comment, not the whole brief
    lowered = comment.lower()
    assert CANARY not in lowered and not any(i.lower() in lowered for i in RESTRICTED_IDS)


def test_a_member_token_for_ci_sees_restricted_incidents(
    restricted_server: Served, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    plan = "Rotate the signing key found in the failover runbook before the next drill"
    comment = _comment(restricted_server, monkeypatch, capsys, plan, "--groups", "security")
    assert RESTRICTED_IDS[0] in comment and "Read as groups: security." in comment


def test_nothing_relevant_says_so_and_still_exits_zero(
    restricted_server: Served, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    comment = _comment(restricted_server, monkeypatch, capsys, "Bump the copyright year in LICENSE")
    assert (
        "Nothing in Hindsight looks like this change." in comment or "**Past incidents" in comment
    )
