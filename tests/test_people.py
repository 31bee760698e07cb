"""People are one identity everywhere: action items, owner filters, `--owner`, experts, evidence.

An owner is written as a name, an e-mail, an alias, an @handle, with or without accents or
capitals; each resolves to one person whether or not they have a profile, on every surface.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from cli import main
from index.access import Viewer
from index.action_items import ItemFilter
from index.opener import open_archive
from index.settings import Settings
from ingest.pipeline import Ingestor

PROFILE = """\
---
name: Daniel Kim
email: daniel.kim@kestrel.example
aliases: [Dan Kim]
slack: "@dkim"
topics: [kafka consumers]
---
Daniel runs the Tracking team.
"""
POSTMORTEM = """\
---
id: pm-consumer-lag
title: Tracking consumer fell behind
date: 2026-08-04
severity: SEV3
authors: [daniel.kim@kestrel.example]
action_items:
  - {title: Bound enrichment with a timeout, owner: Daniel Kim, status: done}
  - {title: Add freshness to the dashboard, owner: daniel.kim@kestrel.example, status: open, due: 2026-09-01}
  - {title: Alert on consumer lag, owner: "@dkim", status: open}
  - {title: Page the right rota, owner: DAN KIM, status: open}
  - {title: Expire materialization leases, owner: Bjorn Nilsson, status: open}
  - {title: Alert on max feature age, owner: Björn Nilsson, status: done}
  - {title: Replay the dead letters, owner: bjorn.nilsson@kestrel.example, status: open}
---
# Tracking consumer fell behind
## Root cause
Enrichment calls had no timeout.
"""
TODAY = dt.date(2026, 12, 4)


@pytest.fixture(scope="module")
def people_index(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> Settings:
    base = tmp_path_factory.mktemp("people")
    (base / "content" / "experts").mkdir(parents=True)
    (base / "content" / "postmortems").mkdir()
    (base / "content" / "experts" / "daniel-kim.md").write_text(PROFILE, encoding="utf-8")
    (base / "content" / "postmortems" / "lag.md").write_text(POSTMORTEM, encoding="utf-8")
    settings = Settings(data_dir=base / "data")
    report = Ingestor(settings, real_embedder).run([str(base / "content")])
    assert report.count("indexed") == 2, report.outcomes
    return settings


@pytest.fixture(scope="module")
def archive(people_index: Settings, real_embedder: Any) -> Any:
    return open_archive(people_index, Viewer(name="local"), real_embedder)


def test_every_spelling_of_an_owner_is_one_person(archive: Any) -> None:
    items = archive.action_items(today=TODAY)
    owners = {i.title: (i.owner, i.owner_key) for i in items}
    daniel = {
        owners[t]
        for t in (
            "Bound enrichment with a timeout",
            "Add freshness to the dashboard",
            "Alert on consumer lag",
            "Page the right rota",
        )
    }
    assert daniel == {("Daniel Kim", "daniel-kim")}
    bjorn = {
        owners[t]
        for t in (
            "Expire materialization leases",
            "Alert on max feature age",
            "Replay the dead letters",
        )
    }
    # No profile: one person still, shown by the careful spelling.
    assert bjorn == {("Björn Nilsson", "bjorn-nilsson")}


@pytest.mark.parametrize(
    "asked",
    ["Daniel Kim", "daniel kim", "DANIEL.KIM@kestrel.example", "Dan Kim", "@dkim", "dkim"],
)
def test_an_owner_filter_finds_them_however_they_are_asked_for(archive: Any, asked: str) -> None:
    found = archive.action_items(how=ItemFilter(owners=(asked,), overdue_only=True), today=TODAY)
    assert [i.title for i in found] == ["Add freshness to the dashboard"]  # written as e-mail


@pytest.mark.parametrize(
    "asked", ["Bjorn Nilsson", "björn nilsson", "bjorn.nilsson@kestrel.example"]
)
def test_a_person_without_a_profile_too(archive: Any, asked: str) -> None:
    found = archive.action_items(how=ItemFilter(owners=(asked,)), today=TODAY)
    assert len(found) == 3


def test_nobody_is_nobody(archive: Any) -> None:
    assert archive.action_items(how=ItemFilter(owners=("Nobody Atall",))) == []
    assert archive.action_items(how=ItemFilter(owners=("   ",))) == []


def test_the_owner_list_names_each_person_once(archive: Any) -> None:
    owners = sorted({i.owner for i in archive.action_items()})
    assert owners == ["Björn Nilsson", "Daniel Kim"]


def test_the_cli_owner_filter(people_index: Settings, capsys: Any) -> None:
    data = ["--data-dir", str(people_index.data_dir)]
    assert main(["actions", "--json", "--open", "--owner", "Daniel Kim", *data]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(r["title"] for r in rows) == [
        "Add freshness to the dashboard",
        "Alert on consumer lag",
        "Page the right rota",
    ]
    assert {r["owner"] for r in rows} == {"Daniel Kim"}


def test_experts_and_evidence_count_the_same_person(archive: Any) -> None:
    person = archive.person("daniel-kim")
    assert person is not None and person.has_profile
    roles = {e.role for e in archive.person_evidence("daniel-kim")}
    assert {"author", "action-owner"} <= roles  # authored as an e-mail, owned as a handle
    assert archive.person("bjorn-nilsson").name == "Björn Nilsson"
