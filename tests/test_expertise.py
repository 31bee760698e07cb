"""Who knows: identity across documents, each role's vote, recency, people without a profile."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from cli import main
from index.access import Viewer
from index.expertise import (
    DECLARED_ONLY,
    ExpertiseParams,
    PeopleIndex,
    Vote,
    cite,
    decay,
    inferred_topics,
    person_evidence,
    rank,
)
from index.models import Expert
from index.opener import open_archive
from index.people import Directory, fold, name_key, split_contact
from index.reader import IndexSnapshot
from index.settings import Settings
from ingest.pipeline import Ingestor
from tests.conftest import HashingEmbedder

TODAY = dt.date(2026, 1, 1)

# -- identity ----------------------------------------------------------------------------------

TOMAS = Expert("experts/tomas-ortega", "Tomás Ortega", email="Tomas.Ortega@kestrel.example")
SEUN = Expert("experts/oluwaseun-adeyemi", "Oluwaseun Adeyemi", email="oa@kestrel.example")


def directory() -> Directory:
    return Directory([(TOMAS, []), (SEUN, ["Seun Adeyemi", "seun@kestrel.example"])])


def test_fold_strips_accents_case_and_separators() -> None:
    assert fold("  Tomás   ORTEGA ") == "tomas ortega"
    assert fold("Inês Duarte") == fold("ines duarte") == "ines duarte"
    assert fold("Björn  Nilsson") == "bjorn nilsson"
    assert name_key("Lucía Fernández") == "lucia-fernandez"


def test_split_contact() -> None:
    assert split_contact("Tomás Ortega <TOMAS.ORTEGA@kestrel.example>") == (
        "Tomás Ortega",
        "tomas.ortega@kestrel.example",
    )
    assert split_contact("seun@kestrel.example") == ("", "seun@kestrel.example")
    assert split_contact("Priya Raman") == ("Priya Raman", "")


@pytest.mark.parametrize(
    "raw",
    [
        "Tomás Ortega",
        "tomas ortega",
        "TOMAS ORTEGA",
        "Tomas  Ortega",
        "tomas.ortega@kestrel.example",  # e-mail as a key, whatever its case
        "T. Ortega <Tomas.Ortega@Kestrel.example>",
    ],
)
def test_spellings_of_a_profiled_person_resolve_to_their_profile(raw: str) -> None:
    person = directory().resolve(raw)
    assert person is not None and person.expert_id == "experts/tomas-ortega"
    assert person.key == "tomas-ortega" and person.name == "Tomás Ortega"


@pytest.mark.parametrize("raw", ["Seun Adeyemi", "seun adeyemi", "SEUN@kestrel.example"])
def test_aliases_resolve_to_the_profile(raw: str) -> None:
    person = directory().resolve(raw)
    assert person is not None and person.expert_id == "experts/oluwaseun-adeyemi"


def test_people_without_a_profile_are_one_person_across_spellings() -> None:
    people = directory()
    a, b = people.resolve("Björn Nilsson"), people.resolve("bjorn nilsson")
    assert a is not None and a == b and a.expert is None and a.key == "bjorn-nilsson"
    assert a.name == "Björn Nilsson"  # the first spelling seen is shown
    assert people.resolve("  ") is None
    unknown = people.resolve("nadia.haddad@kestrel.example")
    assert unknown is not None and unknown.key == "nadia-haddad" and not unknown.has_profile


# -- the people index over a real catalog --------------------------------------------------------

FILES = {
    "experts/tomas-ortega.md": """\
---
name: Tomás Ortega
email: tomas.ortega@kestrel.example
topics: [payments-ledger, idempotency]
---
Payments.
""",
    "experts/priya-raman.md": """\
---
name: Priya Raman
aliases: [P. Raman]
email: priya.raman@kestrel.example
topics: [postgres, failover]
---
Postgres.
""",
    "postmortems/2025-03-14-ledger-lag.md": """\
---
id: pm-ledger
title: Ledger replica lag
date: 2025-03-14
severity: SEV2
services: [ledger-db]
authors: [TOMAS ORTEGA]
tags: [postgres, replication]
action_items:
  - {title: Gate promotion on lag, owner: Björn Nilsson, status: open}
  - {title: Drill monthly, owner: bjorn nilsson, status: done}
  - {title: Reconcile balances, owner: tomas.ortega@kestrel.example, status: open}
---
# Ledger replica lag
Replica lag during failover.
""",
    "showcases/2025-05-drills.md": """\
---
id: showcase-drills
title: Failover drills
date: 2025-05-22
presenters: [P. Raman]
tags: [failover, drills]
---
Drills.
""",
    "showcases/2025-05-drills.vtt": """\
WEBVTT

00:00:00.000 --> 00:00:10.000
<v Priya Raman>Welcome.

00:00:10.000 --> 00:00:40.000
<v Inês Duarte>The drill gates promotion on replay lag under one second.

00:00:40.000 --> 00:00:50.000
<v Priya Raman>Thanks Inês.
""",
    "talks/2024-02-migrations.md": """\
---
id: talk-migrations
kind: talk
title: Zero-downtime migrations
date: 2024-02-11
speakers: [Tomas Ortega]
tags: [postgres, migrations]
---
Migrations.
""",
    "talks/2025-06-raft.md": """\
---
id: paper-raft
kind: paper-review
title: Raft
date: 2025-06-17
speakers: [Ines Duarte]
tags: [raft, consensus]
---
Raft.
""",
}


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> PeopleIndex:
    root = tmp_path_factory.mktemp("people")
    for rel, text in FILES.items():
        (root / "content" / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / "content" / rel).write_text(text, encoding="utf-8")
    settings = Settings(data_dir=root / "data")
    Ingestor(settings, HashingEmbedder()).run([str(root / "content")])
    snapshot = IndexSnapshot.open(settings.data_dir)
    try:
        return PeopleIndex.build(snapshot.cursor(), None)
    finally:
        snapshot.close()


def _roles(index: PeopleIndex, doc_id: str) -> dict[tuple[str, str], tuple[int, int]]:
    return {(link.key, link.role): (link.count, link.open) for link in index.links[doc_id]}


def test_each_role_is_read_from_its_field(people: PeopleIndex) -> None:
    assert _roles(people, "pm-ledger") == {
        ("tomas-ortega", "author"): (1, 0),
        ("bjorn-nilsson", "action-owner"): (2, 1),  # two spellings, one person; one open
        ("tomas-ortega", "action-owner"): (1, 1),  # by e-mail
    }
    assert _roles(people, "showcase-drills") == {("priya-raman", "presenter"): (1, 0)}
    assert _roles(people, "talk-migrations") == {("tomas-ortega", "talk-speaker"): (1, 0)}
    assert _roles(people, "paper-raft") == {("ines-duarte", "reviewer"): (1, 0)}
    turns = people.turns["showcase-drills"]
    assert [(s, e, k) for s, e, k in turns] == [
        (0.0, 10.0, "priya-raman"),
        (10.0, 40.0, "ines-duarte"),
        (40.0, 50.0, "priya-raman"),
    ]


def test_profiles_and_people_without_one(people: PeopleIndex) -> None:
    assert people.person("priya-raman").expert_id == "experts/priya-raman"  # type: ignore[union-attr]
    ines = people.person("ines-duarte")
    assert ines is not None and ines.expert is None and ines.name == "Inês Duarte"
    assert people.person("nobody") is None


P = ExpertiseParams(half_life_days=0)


def _score(matches: list[Any], key: str) -> float:
    return next((m.score for m in matches if m.person.key == key), 0.0)


@pytest.mark.parametrize(
    ("role", "doc_id", "key"),
    [
        ("author", "pm-ledger", "tomas-ortega"),
        ("action-owner", "pm-ledger", "bjorn-nilsson"),
        ("presenter", "showcase-drills", "priya-raman"),
        ("talk-speaker", "talk-migrations", "tomas-ortega"),
        ("reviewer", "paper-raft", "ines-duarte"),
    ],
)
def test_each_role_counts_with_its_own_weight(
    people: PeopleIndex, role: str, doc_id: str, key: str
) -> None:
    votes = [Vote(doc_id, 1.0)]

    def share(params: ExpertiseParams) -> float:
        found = rank(people, votes, "x", params, today=TODAY)
        items = [e for m in found if m.person.key == key for e in m.evidence if e.role == role]
        return sum(e.weight for e in items)

    base = share(P)
    assert base > 0
    heavier = P.with_weights(**{role.replace("-", "_"): P.weight(role) * 2})
    assert share(heavier) == pytest.approx(2 * base)
    assert share(P.with_weights(**{role.replace("-", "_"): 0.0})) == 0.0


def test_speakers_vote_by_talk_time_in_the_passages_on_the_topic(people: PeopleIndex) -> None:
    # One passage on the topic, 0:05–0:45: Priya speaks 5 s + 5 s of it, Inês 30 s.
    votes = [Vote("showcase-drills", 1.0, ((5.0, 45.0, 0.6),))]
    only_speech = P.with_weights(presenter=0.0)
    found = {m.person.key: m for m in rank(people, votes, "x", only_speech, today=TODAY)}
    w = P.weight("speaker")
    assert found["ines-duarte"].score == pytest.approx(w * 30 / 40)
    assert found["priya-raman"].score == pytest.approx(w * 10 / 40)
    (moment,) = found["ines-duarte"].evidence
    assert moment.role == "speaker" and moment.start == 10.0  # opens where she speaks on it
    assert cite(moment) == "explained it at 0:10 in “Failover drills” (30s of the passages on it)"
    # Without passages on the topic, nobody's speech counts.
    assert "ines-duarte" not in {
        m.person.key for m in rank(people, [Vote("showcase-drills", 1.0)], "x", P, today=TODAY)
    }


def test_relevance_scales_a_vote(people: PeopleIndex) -> None:
    full = _score(rank(people, [Vote("pm-ledger", 1.0)], "x", P, today=TODAY), "tomas-ortega")
    half = _score(rank(people, [Vote("pm-ledger", 0.5)], "x", P, today=TODAY), "tomas-ortega")
    assert half == pytest.approx(full / 2)


def test_older_evidence_counts_less() -> None:
    assert decay(TODAY, TODAY, 365) == 1.0
    assert decay(TODAY - dt.timedelta(days=365), TODAY, 365) == pytest.approx(0.5)
    assert decay(TODAY - dt.timedelta(days=730), TODAY, 365) == pytest.approx(0.25)
    assert decay(None, TODAY, 365) == 1.0 and decay(dt.date(2000, 1, 1), TODAY, 0) == 1.0


def test_recency_decides_between_equal_roles(people: PeopleIndex) -> None:
    # Tomás gave a talk in 2024-02, Inês reviewed a paper in 2025-06: same weight and relevance.
    params = ExpertiseParams(half_life_days=180).with_weights(reviewer=0.8, talk_speaker=0.8)
    votes = [Vote("talk-migrations", 1.0), Vote("paper-raft", 1.0)]
    found = rank(people, votes, "x", params, today=TODAY)
    assert [m.person.key for m in found] == ["ines-duarte", "tomas-ortega"]
    assert found[0].score == pytest.approx(0.8 * 0.5 ** ((TODAY - dt.date(2025, 6, 17)).days / 180))


def test_a_declared_topic_is_one_vote_not_a_trump_card(people: PeopleIndex) -> None:
    found = rank(people, [Vote("pm-ledger", 1.0)], "postgres", P, today=TODAY)
    priya = next(m for m in found if m.person.key == "priya-raman")
    assert priya.declared == ("postgres",) and not priya.evidenced
    assert priya.score == pytest.approx(P.weight("declared"))
    assert found[0].person.key == "tomas-ortega" and found[0].also_knows  # author outranks


def test_evidence_ranks_above_claims_however_strong_the_claim(people: PeopleIndex) -> None:
    # A weak piece of evidence (an old, barely relevant vote) against a declared topic worth
    # ten times as much: whoever has evidence still comes first.
    params = P.with_weights(declared=5.0)
    found = rank(people, [Vote("talk-migrations", 0.05)], "postgres", params, today=TODAY)
    keys = [m.person.key for m in found]
    assert keys.index("tomas-ortega") < keys.index("priya-raman")
    priya = found[keys.index("priya-raman")]
    assert priya.score > found[0].score  # by score alone she would lead
    assert priya.note == DECLARED_ONLY == "declares this topic; no evidence in the archive yet"
    assert found[0].note == "" and found[0].to_json()["evidenced"] is True
    assert priya.to_json()["note"] == DECLARED_ONLY and priya.to_json()["evidenced"] is False
    assert all(m.evidenced for m in found[: keys.index("priya-raman")])


def test_a_person_without_a_profile_is_found_with_their_evidence(people: PeopleIndex) -> None:
    (bjorn,) = [
        m
        for m in rank(people, [Vote("pm-ledger", 1.0)], "x", P, today=TODAY)
        if m.person.key == "bjorn-nilsson"
    ]
    assert bjorn.person.expert_id is None and bjorn.to_json()["expert_id"] is None
    assert bjorn.expert.expert_id == "bjorn-nilsson"  # the panels link to their page by key
    (item,) = bjorn.evidence
    assert item.doc_id == "pm-ledger" and item.role == "action-owner"
    assert cite(item) == "owns 2 action items on ledger-db (1 open) in “Ledger replica lag”"


def test_a_persons_timeline_and_inferred_topics(people: PeopleIndex) -> None:
    items = person_evidence(people, "tomas-ortega", P)
    assert [(i.doc_id, i.role) for i in items] == [
        ("pm-ledger", "author"),
        ("pm-ledger", "action-owner"),
        ("talk-migrations", "talk-speaker"),
    ]
    topics = [t for t, _ in inferred_topics(people, items)]
    assert topics[0] == "postgres" and {"replication", "migrations", "ledger-db"} <= set(topics)


# -- through the door, with the real model -------------------------------------------------------


@pytest.fixture(scope="module")
def archive(real_index: Any, real_embedder: Any) -> Any:
    settings, _content = real_index
    return open_archive(settings, Viewer(name="t"), real_embedder)


def test_archive_experts_ranks_by_evidence_and_cites_a_moment(archive: Any) -> None:
    found = archive.experts("replication lag during failover drills", today=TODAY)
    names = [m.person.name for m in found]
    assert names[0] == "Priya Raman" and "Jonas Becker" in names[1:3]
    priya = found[0]
    assert priya.person.expert_id == "experts/priya-raman" and priya.declared
    assert {"author", "presenter", "declared"} <= {e.role for e in priya.evidence}
    jonas = next(m for m in found if m.person.name == "Jonas Becker")
    assert jonas.person.expert_id is None and jonas.also_knows  # the fixture has no profile
    roles = {e.role for e in jonas.evidence}
    assert {"presenter", "speaker"} <= roles  # presented, and spoke in the recording
    moment = next(e for e in jonas.evidence if e.role == "speaker")
    assert moment.doc_id == "showcase-2025-05-failover-drills" and moment.start == 20.0
    assert archive.experts("sourdough baking schedule", today=TODAY) == []
    for topic in ("postgres failover", "retry storms", "kafka rebalancing"):
        flags = [m.evidenced for m in archive.experts(topic, limit=20, today=TODAY)]
        assert flags == sorted(flags, reverse=True), topic  # no claim above evidence


def test_archive_person_pages(archive: Any) -> None:
    jonas = archive.person("jonas-becker")
    assert jonas is not None and not jonas.has_profile
    evidence = {(e.doc_id, e.role) for e in archive.person_evidence("jonas-becker")}
    assert {
        ("showcase-2025-05-failover-drills", "presenter"),
        ("showcase-2025-05-failover-drills", "speaker"),
    } <= evidence
    assert archive.person("no-such-person") is None


def test_cli_experts_json(real_index: Any, capsys: pytest.CaptureFixture[str]) -> None:
    settings, _content = real_index
    code = main(["experts", "--data-dir", str(settings.data_dir), "--json", "--limit", "2",
                 "failover drills"])  # fmt: skip
    assert code == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert 1 <= len(rows) <= 2
    for row in rows:
        assert {"name", "expert_id", "score", "evidence"} <= set(row)
        for item in row["evidence"]:
            assert {"doc_id", "path", "title", "role", "date"} <= set(item)
    assert main(["experts", "--data-dir", str(settings.data_dir), "--limit", "0", "x"]) == 2


def test_cli_experts_needs_an_index(tmp_path: Path) -> None:
    assert main(["experts", "--data-dir", str(tmp_path), "failover"]) == 2


def test_settings_defaults_are_the_models_defaults() -> None:
    assert ExpertiseParams.from_settings(Settings()) == ExpertiseParams()
