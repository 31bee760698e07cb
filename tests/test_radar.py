"""The duplicate-effort radar (circulation.radar) with the real model over a real index.

Team A shares a plan; team B's brief of a similar plan names team A; a third team's unrelated
plan names nobody; the first plan names nobody; a plan is only seen by the groups it was shared
with, is forgotten after `radar_days`, can be withdrawn by its sharer, and a plan that is not
shared leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from circulation import radar
from circulation.brief import build
from circulation.state import StateStore
from index.access import Viewer
from index.opener import open_archive
from index.settings import Settings

NOW = dt.datetime(2026, 11, 20, 10, 0)
PAYOUTS_PLAN = """\
# Retry outbound merchant webhooks

Merchants miss payout status webhooks whenever their endpoint is down for a few minutes,
because we deliver each one once. We will queue deliveries, retry with exponential backoff and
jitter for up to 24 hours, sign every delivery and park failures in a dead-letter queue that
merchants can replay from.
"""
BILLING_PLAN = (
    "Add retries with exponential backoff to the invoice webhooks we send merchants, and a "
    "dead-letter queue for deliveries that still fail after a day."
)
WAREHOUSE_PLAN = (
    "Re-slot the Leeds warehouse weekly so the most-picked SKUs sit closest to the packing "
    "stations and pickers walk less."
)


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return StateStore(tmp_path / "state")


@pytest.fixture(scope="module")
def archive(real_index: Any, real_embedder: Any) -> Any:
    settings, _ = real_index
    return open_archive(settings, Viewer.of("Bo", "bo@kestrel.example", "eng"), real_embedder)


@pytest.fixture
def settings(real_index: Any) -> Settings:
    return real_index[0]


def share_payouts(store: StateStore, archive: Any, **kw: Any) -> Any:
    args: dict[str, Any] = {"team": "payouts", "owner": "ana@kestrel.example", "now": NOW}
    return radar.share(store, archive, PAYOUTS_PLAN, **(args | kw))


def related(store: StateStore, archive: Any, settings: Settings, plan: str, **kw: Any) -> list:
    return radar.related(store, archive, settings, plan, now=NOW + dt.timedelta(days=3), **kw)


def test_the_first_plan_names_nobody(store, archive, settings) -> None:
    assert related(store, archive, settings, PAYOUTS_PLAN, team="payouts") == []
    brief = radar.with_related(build(archive, PAYOUTS_PLAN), store, archive, settings, now=NOW)
    assert brief.related_plans == () and brief.to_json()["related_plans"] == []
    assert "Other teams on this" not in brief.to_markdown()


def test_another_teams_similar_plan_names_the_team_that_shared(store, archive, settings) -> None:
    share_payouts(store, archive, person="Ana Souza")
    (found,) = related(store, archive, settings, BILLING_PLAN, team="billing")
    assert (found.team, found.person, found.first_line) == (
        "payouts",
        "Ana Souza",
        "Retry outbound merchant webhooks",
    )
    assert found.score >= settings.radar_similarity
    assert found.sentence(NOW + dt.timedelta(days=3)) == (
        "payouts checked a similar plan 3 days ago: talk to Ana Souza"
    )
    brief = radar.with_related(
        build(archive, BILLING_PLAN),
        store,
        archive,
        settings,
        team="billing",
        now=NOW + dt.timedelta(days=3),
    )
    out = brief.to_json()["related_plans"]
    assert out == [
        {
            "team": "payouts",
            "person": "Ana Souza",
            "date": "2026-11-20",
            "first_line": "Retry outbound merchant webhooks",
            "score": round(found.score, 3),
        }
    ]
    md = brief.to_markdown()
    assert md.index("## Other teams on this") < md.index("## Past incidents like this")
    assert "payouts checked a similar plan 3 days ago: talk to Ana Souza" in md.replace("\\", "")


def test_a_third_teams_unrelated_plan_names_nobody(store, archive, settings) -> None:
    share_payouts(store, archive, person="Ana Souza")
    assert related(store, archive, settings, WAREHOUSE_PLAN, team="fulfilment") == []


def test_a_name_is_shown_only_when_its_sharer_agreed(store, archive, settings) -> None:
    share_payouts(store, archive)
    (found,) = related(store, archive, settings, BILLING_PLAN, team="billing")
    assert found.person is None
    assert found.sentence(NOW + dt.timedelta(days=1)) == "payouts checked a similar plan yesterday"


def test_own_team_and_own_plans_are_not_shown_back(store, archive, settings) -> None:
    share_payouts(store, archive)
    assert related(store, archive, settings, BILLING_PLAN, team="Payouts") == []  # same team
    assert related(store, archive, settings, BILLING_PLAN, owner="ana@kestrel.example") == []
    assert len(related(store, archive, settings, BILLING_PLAN)) == 1  # team unknown: all teams
    # Ana, checking a plan for another team she works with, sees her first team's plan
    mine = related(
        store, archive, settings, BILLING_PLAN, team="billing", owner="ana@kestrel.example"
    )
    assert [r.team for r in mine] == ["payouts"]


def test_a_plan_is_seen_only_by_the_groups_it_was_shared_with(
    store, archive, settings, real_index, real_embedder
) -> None:
    share_payouts(store, archive, groups=["Payments-Eng"])
    outsider = open_archive(settings, Viewer.of("Eve", groups="eng"), real_embedder)
    member = open_archive(settings, Viewer.of("Max", groups="payments-eng"), real_embedder)
    admin = open_archive(settings, Viewer.everything(), real_embedder)
    assert related(store, outsider, settings, BILLING_PLAN, team="billing") == []
    assert len(related(store, member, settings, BILLING_PLAN, team="billing")) == 1
    assert len(related(store, admin, settings, BILLING_PLAN, team="billing")) == 1
    assert radar.visible(store, outsider, settings, NOW) == []


def test_shared_plans_are_forgotten_after_the_days_kept(store, archive, real_index) -> None:
    settings = real_index[0].model_copy(update={"radar_days": 30})
    share_payouts(store, archive)
    later = NOW + dt.timedelta(days=29)
    assert radar.related(store, archive, settings, BILLING_PLAN, now=later)
    gone = NOW + dt.timedelta(days=31)
    assert radar.related(store, archive, settings, BILLING_PLAN, now=gone) == []
    assert store.shared_plans() == []


def test_only_its_sharer_may_withdraw_a_plan(store, archive, settings) -> None:
    shared = share_payouts(store, archive)
    assert not radar.withdraw(store, shared.plan_id, owner="eve@kestrel.example")
    assert len(related(store, archive, settings, BILLING_PLAN)) == 1
    assert radar.shared_by(store, settings, "ana@kestrel.example", NOW) == [shared]
    assert radar.withdraw(store, shared.plan_id, owner="ana@kestrel.example")
    assert related(store, archive, settings, BILLING_PLAN) == []
    assert not radar.withdraw(store, shared.plan_id)  # already gone


def _state_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.glob("state.sqlite3*")))


def test_a_plan_not_shared_leaves_nothing_and_a_withdrawn_one_is_erased(
    store, archive, settings
) -> None:
    secret = "Quokkaflux migration of the settlement batch to the new clearing house."
    brief = radar.with_related(build(archive, secret), store, archive, settings, team="ops")
    assert brief.related_plans == ()
    assert store.shared_plans() == []
    assert b"Quokkaflux" not in _state_bytes(store.path.parent)
    shared = radar.share(store, archive, secret, team="ops", owner="o", now=NOW)
    assert b"Quokkaflux" in _state_bytes(store.path.parent)
    assert radar.withdraw(store, shared.plan_id, owner="o")
    assert b"Quokkaflux" not in _state_bytes(store.path.parent)


def test_sharing_the_same_plan_again_keeps_one_copy(store, archive) -> None:
    share_payouts(store, archive)
    again = share_payouts(store, archive, now=NOW + dt.timedelta(days=1))
    assert [p.plan_id for p in store.shared_plans()] == [again.plan_id]


def test_sharing_needs_a_team_and_a_plan(store, archive) -> None:
    with pytest.raises(radar.RadarError, match="team"):
        radar.share(store, archive, PAYOUTS_PLAN, team=" ", owner="a")
    with pytest.raises(radar.RadarError, match="empty"):
        radar.share(store, archive, "   ", team="payouts", owner="a")


def test_a_plan_of_another_model_is_embedded_again(store, archive, settings) -> None:
    shared = share_payouts(store, archive)
    store.share_plan(
        shared.__class__(**(vars(shared) | {"model": "old/model", "vectors": np.ones((1, 8))}))
    )
    (found,) = related(store, archive, settings, BILLING_PLAN, team="billing")
    assert found.score >= settings.radar_similarity


def test_boilerplate_sections_do_not_make_two_plans_alike() -> None:
    template = (
        "\n\n## Rollout\nStaging first, then production in the maintenance window.\n\n"
        "## Testing\nIntegration tests in CI and a load test at twice the peak.\n\n"
        "## Risks\nThe new component is one more thing to run.\n"
    )
    a = "# Dynamic warehouse slotting\n\nMove the most-picked SKUs next to packing." + template
    assert "Rollout" not in radar.gist(a) and "most-picked SKUs" in radar.gist(a)
    assert radar.gist("## Rollout\nOnly this.") == "## Rollout\nOnly this."  # nothing else left


@pytest.mark.parametrize(
    ("plan", "line"),
    [
        ("# Retry webhooks\n\nbody", "Retry webhooks"),
        ("\n\n  - **Move** DNS to `Route 53`\n", "Move DNS to Route 53"),
        ("---\n\n> Quote first", "Quote first"),
        ("word " * 60, ("word " * 60)[:140].rsplit(" ", 1)[0] + "…"),
    ],
)
def test_the_first_line_is_the_plans_own_words(plan: str, line: str) -> None:
    assert radar.first_line(plan) == line


def test_similarity_is_symmetric_and_one_for_the_same_plan() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 8)).astype(np.float32)
    b = rng.normal(size=(1, 8)).astype(np.float32)
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    assert radar.similarity(a, b) == pytest.approx(radar.similarity(b, a))
    assert radar.similarity(a, a) == pytest.approx(1.0)


def test_scoring_many_plans_at_once_agrees_with_one_at_a_time() -> None:
    rng = np.random.default_rng(1)

    def unit(rows: int) -> np.ndarray:
        v = rng.normal(size=(rows, 16)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    mine, others = unit(3), [unit(n) for n in (1, 4, 2, 1)]
    assert radar.similarities(mine, others) == pytest.approx(
        [radar.similarity(mine, o) for o in others], abs=1e-6
    )
    assert radar.similarities(mine, []) == []
