"""Which team someone is in, and who is known to be in a team: for the radar and the figures.

A person's team is their expert profile's `team:`, the profile found through index/people.py (a
name, e-mail, alias or handle is one person). Without a profile, one of their groups is taken
when exactly one names a team the archive knows (a document's `team`/`teams`, a profile's
`team`): groups are access sets, often broader than a team (eng, oncall), so a guess between two
is not made. Whoever shares a plan or runs the CLI says their team outright (`--team`).

Who is *in* a team (the coordination figures' minimum group size) is everyone the visible
documents tie to it: profiles with that `team:`, the people a document of that team names
(authors, presenters, speakers, owners, action-item owners), and the people named on plans
shared for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from index import fields
from index.archive import Archive
from index.people import name_key

PEOPLE_FIELDS = fields.FACETS["person"]  # the people fields, as the field table names them


@lru_cache(maxsize=4096)
def team_key(team: str) -> str:
    """A team as compared: 'Data Platform', 'data-platform' and 'data_platform' are one."""
    return name_key(team)


@dataclass(frozen=True)
class TeamOf:
    team: str
    how: Literal["profile", "group"]


def known(archive: Archive) -> dict[str, str]:
    """Teams the visible documents and profiles name: key → how it is written."""
    out: dict[str, str] = {}
    for value, _ in archive.facet_counts().get("team", []):
        out.setdefault(team_key(value), value)
    for expert in archive.people():
        if expert.team.strip():
            out.setdefault(team_key(expert.team), expert.team.strip())
    out.pop("", None)
    return out


def of_viewer(archive: Archive) -> TeamOf | None:
    """The archive's viewer's team: their profile's, else the one group that names a team."""
    viewer = archive.viewer
    for raw in (viewer.email, viewer.name):
        person = archive.who(raw) if raw else None
        if person is not None and person.expert is not None and person.expert.team.strip():
            return TeamOf(person.expert.team.strip(), "profile")
    teams = known(archive)
    named = {teams[team_key(g)] for g in viewer.groups if team_key(g) in teams}
    return TeamOf(named.pop(), "group") if len(named) == 1 else None


def members(archive: Archive, named: Iterable[tuple[str, str]] = ()) -> dict[str, set[str]]:
    """Team key → the keys of the people known to be in it (visible profiles and documents), plus
    NAMED: (team, person) pairs from elsewhere (plans shared with a name)."""
    out: dict[str, set[str]] = {}

    def add(team: str, raw: object) -> None:
        person = archive.who(str(raw or ""))
        if team_key(team) and person is not None:
            out.setdefault(team_key(team), set()).add(person.key)

    for expert in archive.people():
        add(expert.team, expert.email or expert.name)
    for doc in archive.documents():
        teams = fields.values(doc.metadata, "teams")
        if not teams or doc.kind == "expert":
            continue
        people = [p for f in PEOPLE_FIELDS for p in fields.values(doc.metadata, f)]
        for item in doc.metadata.get("action_items") or []:
            if isinstance(item, dict) and item.get("owner"):
                people.append(str(item["owner"]))
        for team in teams:
            for raw in people:
                add(team, raw)
    for team, person in named:
        add(team, person)
    return out
