"""The search log's modes and retention, the k threshold, and grouping gap queries by meaning."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from circulation.gaps import cluster, find_gaps, invitation, topics, unanswered
from circulation.search_log import log_open, log_search
from circulation.state import LoggedSearch, StateStore
from cli import main
from index.access import Viewer
from index.opener import open_archive
from index.settings import Settings
from tests.access_fixtures import build_restricted_index

NOW = dt.datetime(2026, 11, 20, 12, 0)
OUTSIDER = Viewer.of("Out", "out@kestrel.example", "sre")


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> Settings:
    return build_restricted_index(tmp_path_factory.mktemp("gaps"), real_embedder)  # type: ignore[return-value]


def _searches(*rows: tuple[str, str, bool, bool]) -> list[LoggedSearch]:
    return [LoggedSearch(NOW, q, who, matched, False, opened) for q, who, matched, opened in rows]


def test_only_searches_nothing_answered_count() -> None:
    rows = _searches(
        ("a", "s1", False, False),  # nothing above the floor
        ("b", "s1", True, False),  # answered, though nothing was opened: not a gap
        ("c", "s1", True, True),  # answered
        ("d", "s1", False, True),  # opened something anyway, but nothing matched
    )
    assert [s.query for s in unanswered(rows)] == ["a", "d"]


def test_askers_are_people_when_the_log_knows_them_and_sessions_otherwise(real_embedder) -> None:
    embed = real_embedder.embed_query
    query = "tls certificate rotation"
    named = [LoggedSearch(NOW, query, f"p{i}@x", False, False, False, named=True) for i in range(3)]
    anonymous = _searches(*[(query, f"s{i}", False, False) for i in range(9)])
    (by_people,) = topics(named, embed, min_askers=3, threshold=0.4)
    (by_sessions,) = topics(anonymous, embed, min_askers=3, threshold=0.4)
    (mixed,) = topics([*named[:2], *anonymous[:4]], embed, min_askers=3, threshold=0.4)
    assert (by_people.people, by_people.sessions, by_people.askers_label) == (3, 0, "3 people")
    assert (by_sessions.people, by_sessions.sessions) == (0, 9)
    assert by_sessions.askers_label == "9 sessions"  # nine browser sessions, maybe one person
    assert mixed.askers_label == "2 people and 4 sessions"
    assert by_sessions.to_json()["askers_label"] == "9 sessions"


def test_a_topic_needs_k_distinct_askers(real_embedder) -> None:
    embed = real_embedder.embed_query
    three = _searches(*[("tls certificate rotation", f"s{i}", False, False) for i in range(3)])
    one_asker_thrice = _searches(*[("kafka consumer lag", "s9", False, False)] * 3)
    found = topics([*three, *one_asker_thrice], embed, min_askers=3, threshold=0.4)
    assert [(t.label, t.askers, t.searches) for t in found] == [("tls certificate rotation", 3, 3)]
    assert topics(three, embed, min_askers=4, threshold=0.4) == []
    assert len(topics(one_asker_thrice, embed, min_askers=1, threshold=0.4)) == 1


def test_paraphrases_group_into_one_topic_and_others_stay_apart(real_embedder) -> None:
    queries = [
        "why did the ledger serve stale balances",
        "stale balance after ledger failover",
        "terraform state lock stuck",
        "terraform apply hangs waiting for state lock",
        "ledger showing old balances",
    ]
    groups = cluster(queries, real_embedder.embed_query, 0.4)
    assert sorted(sorted(g) for g in groups) == [[0, 1, 4], [2, 3]]
    asked = _searches(*[(q, f"s{i}", False, False) for i, q in enumerate(queries)])
    found = topics(asked, real_embedder.embed_query, min_askers=3, threshold=0.4)
    assert [t.askers for t in found] == [3]  # the terraform topic has two askers only
    assert set(found[0].queries) == {queries[0], queries[1], queries[4]}


@pytest.mark.parametrize(
    ("mode", "asker"), [("off", None), ("anonymous", None), ("named", "out@kestrel.example")]
)
def test_log_modes_store_what_the_readme_says(index, real_embedder, tmp_path, mode, asker) -> None:
    settings = index.model_copy(update={"search_log": mode})
    store = StateStore(tmp_path)
    archive = open_archive(settings, OUTSIDER, real_embedder)
    assert log_search(store, settings, archive, "  dns   ttl ", "browser-1", now=NOW) == (
        mode != "off"
    )
    assert log_open(store, settings, "browser-1", now=NOW) == (mode != "off")
    rows = store.raw_search_rows()
    if mode == "off":
        assert rows == []
        return
    ((at, query, who, session, matched, hidden),) = rows
    assert (at, query, who, matched, hidden) == (NOW.isoformat(), "dns ttl", asker, 1, 0)
    assert session != "browser-1" and len(session) == 16
    assert "Out" not in json.dumps(rows) and "sre" not in json.dumps(rows)


def test_a_typo_search_corrected_and_answered_is_no_gap(index, real_embedder, tmp_path) -> None:
    """Logged as search shows it: the portal searched the correction and it matched."""
    store = StateStore(tmp_path)
    archive = open_archive(index, OUTSIDER, real_embedder)
    assert archive.find("postgress replcia promotoin").matches  # what the asker was shown
    log_search(store, index, archive, "postgress replcia promotoin", "s", now=NOW)
    ((*_, matched, hidden),) = store.raw_search_rows()
    assert (matched, hidden) == (1, 0)


def test_old_rows_are_deleted_after_the_retention_period(index, real_embedder, tmp_path) -> None:
    settings = index.model_copy(update={"search_log_days": 30})
    store = StateStore(tmp_path)
    archive = open_archive(settings, OUTSIDER, real_embedder)
    log_search(store, settings, archive, "old question", "s", now=NOW - dt.timedelta(days=31))
    log_search(store, settings, archive, "recent question", "s", now=NOW - dt.timedelta(days=29))
    log_search(store, settings, archive, "new question", "s", now=NOW)
    assert [r[1] for r in store.raw_search_rows()] == ["recent question", "new question"]
    # reading the gaps purges too, by the reader's clock
    find_gaps(archive, store, settings, now=NOW + dt.timedelta(days=2))
    assert [r[1] for r in store.raw_search_rows()] == ["new question"]


def test_restricted_and_missing_topics_are_told_apart(index, real_embedder, tmp_path) -> None:
    settings = index.model_copy(update={"gaps_min_askers": 2})
    store = StateStore(tmp_path)
    outsider = open_archive(settings, OUTSIDER, real_embedder)
    for session in ("a", "b"):
        log_search(store, settings, outsider, "leaked runbook template", session, now=NOW)
        log_search(store, settings, outsider, "quantum teleportation budget", session, now=NOW)
    organiser = open_archive(
        settings, Viewer.of("Olu", groups="showcase-organisers"), real_embedder
    )
    found = {t.label: t for t in find_gaps(organiser, store, settings, now=NOW)}
    assert found["leaked runbook template"].category == "restricted"
    assert found["quantum teleportation budget"].category == "missing"
    # no restricted expert is offered to someone who may not see them
    names = {m.expert.name for t in found.values() for m in t.experts}
    assert "Ghost Analyst" not in names


def test_invitations_are_mailto_drafts(real_embedder, index) -> None:
    archive = open_archive(index, OUTSIDER, real_embedder)
    (match,) = archive.experts("postgres failover", limit=1)
    topic = topics(
        _searches(*[("postgres failover", f"s{i}", False, False) for i in range(3)]),
        real_embedder.embed_query,
        min_askers=3,
        threshold=0.4,
    )[0]
    link = invitation(topic, match, "http://hindsight")
    assert link.startswith("mailto:priya.raman@kestrel.example?subject=")
    assert "AI%20Showcase" in link and "\n" not in link
    assert "3%20sessions%20searched" in link  # sessions, not "3 people"


def test_a_topic_a_public_document_answers_now_is_no_gap(index, real_embedder, tmp_path):
    settings = index.model_copy(update={"gaps_min_askers": 2})
    store = StateStore(tmp_path)
    for session in ("a", "b"):  # logged unanswered (say, before the post-mortem was written)
        store.log_search(
            query="postgres failover", session=session, asker=None, matched=False,
            hidden=False, now=NOW,
        )  # fmt: skip
        store.log_search(
            query="quantum teleportation budget", session=session, asker=None,
            matched=False, hidden=False, now=NOW,
        )  # fmt: skip
    organiser = open_archive(
        settings, Viewer.of("Olu", groups="showcase-organisers"), real_embedder
    )
    found = [t.label for t in find_gaps(organiser, store, settings, now=NOW)]
    assert found == ["quantum teleportation budget"]


def test_nobody_is_invited_to_present_what_their_own_document_covers(
    index, real_embedder, tmp_path
) -> None:
    settings = index.model_copy(update={"gaps_min_askers": 2})
    store = StateStore(tmp_path)
    outsider = open_archive(settings, OUTSIDER, real_embedder)
    for session in ("a", "b"):
        log_search(store, settings, outsider, "zorbulon signing key rotation", session, now=NOW)
    # An organiser in the security group sees the restricted post-mortem that covers it, by
    # Priya Raman, and the red-team recording by Ghost Analyst: neither is asked to present it.
    organiser = open_archive(
        settings, Viewer.of("Olu", groups="showcase-organisers,security"), real_embedder
    )
    (topic,) = find_gaps(organiser, store, settings, now=NOW)
    assert topic.category == "restricted"
    names = {m.expert.name for m in topic.experts}
    assert not names & {"Priya Raman", "Ghost Analyst"}
    # …while the evidence ranking alone would have put them first.
    top = {m.person.name for m in organiser.experts("zorbulon signing key rotation", limit=3)}
    assert top & {"Priya Raman", "Ghost Analyst"}


def test_gaps_command(index, capsys) -> None:
    data = ["--data-dir", str(index.data_dir)]
    store = StateStore(index.data_dir)
    for i in range(3):
        store.log_search(
            query="mobile app store review rejections",
            session=f"s{i}",
            asker=None,
            matched=False,
            hidden=False,
            now=dt.datetime.now(),
        )
    assert main(["gaps", "--json", *data]) == 0
    (topic,) = json.loads(capsys.readouterr().out)
    assert (topic["topic"], topic["askers"], topic["category"]) == (
        "mobile app store review rejections",
        3,
        "missing",
    )
    assert main(["gaps", *data]) == 0
    out = capsys.readouterr().out
    assert "mobile app store review rejections  [nothing in the archive]  3 sessions" in out
