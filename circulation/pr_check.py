"""The pull-request check: a pre-work brief of a PR, as a short advisory Markdown comment.

`hindsight brief --format pr` reads the PR's title, description and changed paths on stdin
(any order; a line that looks like a path is one) and prints the comment a CI job posts. It
never fails the build: it tells reviewers what the organisation already learned, with links.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from circulation.brief import Brief, BriefExpert
from circulation.links import Links
from index import escape

MAX_INCIDENTS, MAX_ITEMS, MAX_PEOPLE = 3, 5, 3
MARKER = "<!-- hindsight-pr-check -->"  # lets a CI job find and update its own comment
_PATH = re.compile(r"^[\w.@+-]+(?:/[\w.@+-]+)+/?$|^[\w@+-]+\.[A-Za-z0-9]{1,8}$")
_SPLIT = re.compile(r"[/_.\-]+")
_NOISE = {
    "src",
    "lib",
    "app",
    "main",
    "index",
    "test",
    "tests",
    "spec",
    "py",
    "ts",
    "js",
    "go",
    "java",
    "rb",
    "rs",
    "md",
    "yaml",
    "yml",
    "json",
    "tf",
    "init",
    "internal",
    "pkg",
    "cmd",
}


def path_words(path: str) -> str:
    """The words a changed path says: `services/ledger-db/failover.py` → `ledger db failover`."""
    words = [w for w in _SPLIT.split(path.lower()) if w and w not in _NOISE and not w.isdigit()]
    return " ".join(dict.fromkeys(words))


def plan_of(text: str) -> str:
    """The plan a PR stands for: its prose as written, and what its changed paths name.

    Path lines are rewritten as words ("terraform security groups"), since a file name matches
    nothing an incident says while its folder names often are the services it touched.
    """
    prose: list[str] = []
    paths: list[str] = []
    for line in text.splitlines():
        bare = line.strip().lstrip("-*+ ").strip("`")
        (paths if _PATH.match(bare) else prose).append(bare if _PATH.match(bare) else line)
    named = list(dict.fromkeys(w for w in (path_words(p) for p in paths) if w))
    touched = f"\n\nChanged: {'; '.join(named)}." if named else ""
    return "\n".join(prose).strip() + touched


def _lines(items: Iterable[str]) -> list[str]:
    return [f"- {i}" for i in items]


def comment(found: Brief, links: Links, *, groups: str = "") -> str:
    """The Markdown comment: incidents, open items, people — short, linked, advisory."""
    out = [MARKER, "### Hindsight: what we already learned about this change", ""]
    incidents = found.incidents[:MAX_INCIDENTS]
    if not (incidents or found.open_action_items or found.experts):
        out.append("Nothing in Hindsight looks like this change.")
    if incidents:
        out += ["**Past incidents like it**", ""]
        for i in incidents:
            sev = f"{i.severity}, " if i.severity else ""
            date = i.doc.date.isoformat() if i.doc.date else "undated"
            url = links.document("postmortem", i.doc.doc_id)
            line = f"[{escape.markdown(i.doc.title)}]({url}) ({sev}{date})"
            if i.recurrence:
                line += f" — {escape.markdown(i.recurrence)}"
            detail = []
            if i.shared_services:
                detail.append("shares " + escape.markdown(", ".join(i.shared_services)))
            if i.root_cause:
                detail.append("root cause: " + escape.markdown(_short(i.root_cause)))
            out += _lines([line + (f"<br>{'; '.join(detail)}" if detail else "")])
        out.append("")
    items = found.open_action_items[:MAX_ITEMS]
    if items:
        out += ["**Still open from those incidents**", ""]
        out += _lines(
            f"{escape.markdown(a.title)} — {escape.markdown(a.owner or 'no owner')}"
            + (" **(overdue)**" if a.overdue else "")
            + f" ([incident]({links.document('postmortem', a.doc_id)}))"
            for a in items
        )
        out.append("")
    people = found.experts[:MAX_PEOPLE]
    if people:
        out += ["**People to ask**", ""]
        out += _lines(
            f"[{escape.markdown(e.match.person.name)}]({links.expert(e.match.person.expert_id)})"
            + _did(e)
            for e in people
        )
        out.append("")
    who = f" Read as groups: {escape.markdown(groups)}." if groups else ""
    out.append(
        f"<sub>Advisory, from [Hindsight]({links.brief(found.plan)}) (the full brief).{who}</sub>"
    )
    return "\n".join(out) + "\n"


def _did(person: BriefExpert) -> str:
    """What ties the person to the plan, from their first piece of evidence."""
    first = next(iter(person.match.evidence), None)
    if first is None:
        return ""
    if first.role == "declared":
        return " — lists it among their topics"
    return f" — {escape.markdown(first.role)} in {escape.markdown(first.title)}"


def _short(text: str, chars: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= chars else text[: chars - 1] + "…"
