"""Feedback that teaches: verdicts stored with who and when, access-checked, settling pairs of
post-mortems on the similar panel and in recurrences, and exported as a judged set.

Over a real index (real model, DuckDB, FAISS, tantivy) of the public fixture tree plus documents
restricted to `security`.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from circulation.feedback import (
    FeedbackRefused,
    Item,
    export,
    given,
    record,
    verdicts,
)
from circulation.state import StateStore
from cli import main
from index.access import Viewer
from index.archive import Archive
from index.opener import open_archive
from tests.access_fixtures import CANARY, RESTRICTED_IDS, build_restricted_index

LEDGER = "pm-2025-03-14-ledger-replica-lag"
DNS = "pm-2025-06-02-dns-ttl"
RESTRICTED_PM = RESTRICTED_IDS[0]
NOW = dt.datetime(2026, 11, 20, 12, 0)
ALICE = Viewer.of("Alice", "alice@kestrel.example", "sre")
BOB = Viewer.of("Bob", "bob@kestrel.example", "sre")
CAROL = Viewer.of("Carol", "carol@kestrel.example", "sre,security")  # may read the restricted


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> Any:
    return build_restricted_index(tmp_path_factory.mktemp("feedback"), real_embedder)


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return StateStore(tmp_path)


def _door(index: Any, viewer: Viewer, embedder: Any, store: StateStore | None = None) -> Archive:
    archive = open_archive(index, viewer, embedder)
    if store is not None:
        archive.pair_verdicts = verdicts(store)
    return archive


def test_a_verdict_is_stored_with_who_and_when(index, real_embedder, store) -> None:
    alice = _door(index, ALICE, real_embedder)
    item = Item("similar", LEDGER, DNS)
    stored = record(store, alice, item, "unrelated", now=NOW)
    assert (stored.person_key, stored.at, stored.verdict) == (
        "alice@kestrel.example",
        NOW,
        "unrelated",
    )
    assert given(store, alice, item) == "unrelated"
    record(store, alice, item, "same", now=NOW + dt.timedelta(minutes=1))  # changed her mind
    assert given(store, alice, item) == "same"  # the latest verdict counts
    assert given(store, _door(index, BOB, real_embedder), item) is None  # Bob said nothing
    assert len(store.judgements()) == 2  # both kept, with their times


@pytest.mark.parametrize(
    ("item", "verdict", "message"),
    [
        (Item("similar", LEDGER, RESTRICTED_PM), "same", f"no such document: {RESTRICTED_PM}"),
        (Item("similar", LEDGER, "pm-missing"), "same", "no such document: pm-missing"),
        (Item("similar", RESTRICTED_PM, LEDGER), "same", f"no such document: {LEDGER}"),
        (Item("search", "failover", RESTRICTED_PM), "helpful", "no such document"),
        (Item("search", "failover", LEDGER), "same", "'same' is not a verdict on search"),
        (Item("similar", LEDGER, DNS), "love it", "is not a verdict"),
    ],
)
def test_feedback_on_what_the_viewer_may_not_see_is_refused_like_a_missing_document(
    index, real_embedder, store, item: Item, verdict: str, message: str
) -> None:
    alice = _door(index, ALICE, real_embedder)
    with pytest.raises(FeedbackRefused, match=message):
        record(store, alice, item, verdict, now=NOW)
    assert store.judgements() == []
    anonymous = _door(index, Viewer(), real_embedder)
    with pytest.raises(FeedbackRefused, match="who gives it"):
        record(store, anonymous, Item("similar", LEDGER, DNS), "same")


def test_a_confirmed_pair_ranks_first_and_joins_a_recurrence(index, real_embedder, store) -> None:
    before = _door(index, ALICE, real_embedder, store)
    panel = before.similar_incidents(LEDGER)
    assert panel is not None and DNS not in [s.doc.doc_id for s in panel.same]
    assert before.recurrence_of(LEDGER) is None or DNS not in before.recurrence_of(LEDGER).doc_ids  # type: ignore[union-attr]
    record(store, before, Item("similar", LEDGER, DNS), "same", now=NOW)
    after = _door(index, ALICE, real_embedder, store)
    panel = after.similar_incidents(LEDGER)
    assert panel is not None
    first = panel.same[0]
    assert (first.doc.doc_id, first.tier, first.confirmed) == (DNS, "same", 1)
    assert first.to_json()["confirmed"] == 1
    # Both ways: the DNS incident's panel has the ledger first too.
    other = after.similar_incidents(DNS)
    assert other is not None and other.same[0].doc.doc_id == LEDGER
    cluster = after.recurrence_of(LEDGER)
    assert cluster is not None and {LEDGER, DNS} <= set(cluster.doc_ids)
    assert after.recurrence_of(DNS) == cluster
    # One person saying "not related" does not outvote the confirmation…
    record(store, _door(index, BOB, real_embedder), Item("similar", DNS, LEDGER), "unrelated")
    assert verdicts(store).confirmed(LEDGER, DNS) == 1


def test_a_pair_two_people_rule_out_is_not_shown_again(index, real_embedder, store) -> None:
    alice = _door(index, ALICE, real_embedder, store)
    panel = alice.similar_incidents(LEDGER)
    assert panel is not None
    shown = [s.doc.doc_id for s in panel.items] or [panel.closest.doc.doc_id]  # type: ignore[union-attr]
    target = shown[0]
    item = Item("similar", LEDGER, target)
    record(store, alice, item, "unrelated", now=NOW)
    once = _door(index, ALICE, real_embedder, store).similar_incidents(LEDGER)
    assert target in _ids(once)  # one person is not enough
    record(store, _door(index, BOB, real_embedder), item, "unrelated", now=NOW)
    twice = _door(index, BOB, real_embedder, store).similar_incidents(LEDGER)
    assert target not in _ids(twice)
    assert verdicts(store).dismissed(target, LEDGER)


def _ids(panel: Any) -> list[str]:
    items = [s.doc.doc_id for s in panel.items]
    return items + ([panel.closest.doc.doc_id] if panel.closest is not None else [])


def test_verdicts_on_restricted_pairs_leave_no_trace_for_outsiders(
    index, real_embedder, store
) -> None:
    carol = _door(index, CAROL, real_embedder)
    record(store, carol, Item("similar", LEDGER, RESTRICTED_PM), "same", now=NOW)
    member = _door(index, CAROL, real_embedder, store)
    panel = member.similar_incidents(LEDGER)
    assert panel is not None and panel.same[0].doc.doc_id == RESTRICTED_PM
    assert RESTRICTED_PM in member.recurrence_of(LEDGER).doc_ids  # type: ignore[union-attr]
    outsider = _door(index, ALICE, real_embedder, store)
    shown = repr((outsider.similar_incidents(LEDGER), outsider.recurring())).lower()
    assert CANARY not in shown and RESTRICTED_PM not in shown
    exported = repr(list(export(store, outsider))).lower()
    assert CANARY not in exported and RESTRICTED_PM not in exported
    assert given(store, outsider, Item("similar", LEDGER, RESTRICTED_PM)) is None


def test_export_is_a_judged_set_in_the_bench_shapes(index, real_embedder, store) -> None:
    alice, bob = _door(index, ALICE, real_embedder), _door(index, BOB, real_embedder)
    record(store, alice, Item("similar", LEDGER, DNS), "unrelated", now=NOW)
    record(store, bob, Item("similar", LEDGER, DNS), "unrelated", now=NOW)
    record(store, alice, Item("similar", LEDGER, "showcase-2025-05-failover-drills"), "helpful")
    record(store, alice, Item("search", "replica  promotion lag", LEDGER), "helpful", now=NOW)
    record(store, bob, Item("search", "replica promotion lag", DNS), "unrelated", now=NOW)
    record(store, bob, Item("search", "replica promotion lag", LEDGER), "outdated", now=NOW)
    plan = "We will promote a ledger-db replica during the hardware move."
    record(store, alice, Item("brief", plan, LEDGER), "same", now=NOW)
    record(store, alice, Item("brief", plan, "showcase-2025-05-failover-drills"), "helpful")
    lines = {json.dumps(x, sort_keys=True) for x in export(store, alice)}
    rows = [json.loads(x) for x in lines]
    similar = next(r for r in rows if "seed" in r)
    assert similar["seed"] == LEDGER and similar["lookalikes"] == [DNS]
    assert similar["relevant"] == {"showcase-2025-05-failover-drills": 1}
    assert similar["votes"] == 2 and similar["source"] == "feedback"
    search = next(r for r in rows if "query" in r)
    assert search["query"] == "replica promotion lag"  # spaces normalised: one question
    assert search["relevant"] == {LEDGER: 2} and search["not_relevant"] == [DNS]
    assert search["outdated"] == [LEDGER] and search["id"].startswith("fb-search-")
    brief = next(r for r in rows if "incidents" in r)
    assert brief["sentence"] == brief["paragraph"] == plan
    assert brief["incidents"] == {LEDGER: 2}
    assert brief["recordings"] == ["showcase-2025-05-failover-drills"]


def test_feedback_export_command(index, real_embedder, capsys) -> None:
    store = StateStore(index.data_dir)
    carol = _door(index, CAROL, real_embedder)
    record(store, carol, Item("search", "signing key rotation", RESTRICTED_PM), "helpful")
    record(store, carol, Item("search", "replica lag", LEDGER), "helpful")
    data = ["--data-dir", str(index.data_dir)]
    assert main(["feedback", "export", "--all", *data]) == 0
    everything = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert {r["query"] for r in everything} == {"signing key rotation", "replica lag"}
    assert main(["feedback", "export", "--groups", "sre", "--surface", "search", *data]) == 0
    outsider = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["query"] for r in outsider] == ["replica lag"]
    assert main(["feedback", "export", "--surface", "similar", *data]) == 0
    assert capsys.readouterr().out == ""
