"""Feedback that teaches: what people say about the similar panel, brief items and search hits.

Four verdicts — "same failure mode", "not related", "outdated", "helpful" — each stored with
who and when (per-person state, circulation/state.py). They do two things, neither of them a
ranking boost from clicks:

- **settled pairs of post-mortems** (`verdicts`): a pair someone confirmed as the same failure
  mode (and nobody outvoted) ranks first in the similar panel and joins its recurrence; a pair
  two people marked not related is not shown again. The door applies them, to pairs its viewer
  may see (index/pair_verdicts.py).
- **a judged set** (`export`): the verdicts as lines in the shape of bench/judgements, so the
  team's own evaluation grows from use.

Access: feedback on a document the viewer may not see is refused exactly like feedback on a
missing one, and what a viewer reads back (their own, the export) covers only documents they
may see. Each person's latest verdict on an item is the one that counts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from circulation.state import Judgement, StateStore
from index.archive import Archive
from index.pair_verdicts import Pair, PairVerdicts, pair

Verdict = Literal["same", "unrelated", "outdated", "helpful"]
Surface = Literal["similar", "brief", "search"]
VERDICTS: tuple[Verdict, ...] = ("same", "unrelated", "outdated", "helpful")
SURFACES: tuple[Surface, ...] = ("similar", "brief", "search")
LABELS: dict[Verdict, str] = {
    "same": "Same failure mode",
    "unrelated": "Not related",
    "outdated": "Outdated",
    "helpful": "Helpful",
}
# Which verdicts each surface offers: a search hit or a recording is not a failure mode.
OFFERED: dict[Surface, tuple[Verdict, ...]] = {
    "similar": VERDICTS,
    "brief": VERDICTS,
    "search": ("helpful", "unrelated", "outdated"),
}
DISMISS_AFTER = 2  # people who must say "not related" before a pair is hidden
MAX_SUBJECT_CHARS = 20_000  # a plan is kept with its verdicts (the judged set needs it)
# Grade of each verdict in the judged set, per surface (bench/judgements/README.md): on the
# similar panel and the brief 2 is the same failure mode and 1 related; in search 2 is "what
# the query asks", which is what "helpful" says.
GRADES: dict[Surface, dict[Verdict, int]] = {
    "similar": {"same": 2, "helpful": 1, "unrelated": 0},
    "brief": {"same": 2, "helpful": 1, "unrelated": 0},
    "search": {"helpful": 2, "unrelated": 0},
}


class FeedbackRefused(ValueError):
    """The feedback cannot be taken (unknown verdict, or nothing the viewer may see)."""


@dataclass(frozen=True)
class Item:
    """What a verdict is about: DOC_ID as an answer to SUBJECT on SURFACE."""

    surface: Surface
    subject: str  # the seed post-mortem's id (similar), the plan (brief) or the query (search)
    doc_id: str


def record(
    store: StateStore,
    archive: Archive,
    item: Item,
    verdict: str,
    *,
    now: dt.datetime | None = None,
) -> Judgement:
    """Store the archive's viewer's VERDICT on ITEM; refused when the viewer may not see it."""
    if item.surface not in SURFACES:
        raise FeedbackRefused(f"unknown surface {item.surface!r}")
    if verdict not in OFFERED[item.surface]:
        offered = ", ".join(OFFERED[item.surface])
        raise FeedbackRefused(f"{verdict!r} is not a verdict on {item.surface} ({offered})")
    person = archive.viewer.person_key
    if not person:
        raise FeedbackRefused("feedback needs to know who gives it")
    subject = " ".join(item.subject.split())[:MAX_SUBJECT_CHARS]
    if not subject or not _visible(archive, Item(item.surface, subject, item.doc_id)):
        # A restricted document answers exactly like a missing one.
        raise FeedbackRefused(f"no such document: {item.doc_id}")
    judgement = Judgement(
        now or dt.datetime.now(), person, item.surface, subject, item.doc_id, verdict
    )
    store.add_judgement(judgement)
    return judgement


def _visible(archive: Archive, item: Item) -> bool:
    if archive.document(item.doc_id) is None:
        return False
    if item.surface == "similar":
        return archive.document(item.subject, kind="postmortem") is not None
    return True


def latest(judgements: list[Judgement]) -> dict[tuple[str, str, str], dict[str, str]]:
    """Per item (surface, subject, doc id), each person's latest verdict."""
    out: dict[tuple[str, str, str], dict[str, str]] = defaultdict(dict)
    for j in judgements:  # oldest first: later verdicts replace earlier ones
        out[(j.surface, j.subject, j.doc_id)][j.person_key] = j.verdict
    return out


def given(store: StateStore, archive: Archive, item: Item) -> str | None:
    """The viewer's own current verdict on ITEM (None: none, or not visible to them)."""
    if not _visible(archive, item):
        return None
    subject = " ".join(item.subject.split())[:MAX_SUBJECT_CHARS]
    person = archive.viewer.person_key
    found = latest(store.judgements(item.surface)).get((item.surface, subject, item.doc_id), {})
    return found.get(person)


def verdicts(store: StateStore) -> PairVerdicts:
    """The pairs of post-mortems people settled, from the similar panel's verdicts.

    A pair is the same failure mode once someone says so and no more people say it is not; it
    is dismissed once DISMISS_AFTER people say it is not related and fewer say it is the same.
    A verdict on A's panel about B counts for the pair both ways.
    """
    current: dict[tuple[Pair, str], str] = {}  # (pair, person) → their latest verdict
    for j in store.judgements("similar"):  # oldest first
        current[(pair(j.subject, j.doc_id), j.person_key)] = j.verdict
    said: dict[Pair, Counter[str]] = defaultdict(Counter)
    for (key, _), verdict in current.items():
        said[key][verdict] += 1
    same: dict[Pair, int] = {}
    unrelated: list[Pair] = []
    for key, counted in said.items():
        yes, no = counted["same"], counted["unrelated"]
        if yes and yes >= no:
            same[key] = yes
        elif no >= DISMISS_AFTER and no > yes:
            unrelated.append(key)
    return PairVerdicts.of(same, unrelated)


def export(store: StateStore, archive: Archive) -> Iterator[dict[str, Any]]:
    """The verdicts as judged-set lines (bench/judgements shapes), documents the viewer may see.

    - similar: {"seed", "relevant": {doc: grade}, "lookalikes": [...], "outdated": [...]}
      (bench/judgements/similar_incidents.jsonl);
    - search: {"id", "query", "relevant": {doc: grade}, "style": "feedback", ...}
      (the post-mortem dev queries' shape);
    - brief: {"id", "corpus": "feedback", "sentence", "paragraph", "incidents", "recordings",
      "experts": []} (bench/judgements/briefs.jsonl; the plan is both versions).

    An item's grade is the one most people gave (ties: the lower grade); "outdated" is listed,
    never graded. `votes` counts the people behind each line.
    """
    by_subject: dict[tuple[str, str], dict[str, dict[str, str]]] = defaultdict(dict)
    for (surface, subject, doc_id), people in latest(store.judgements()).items():
        by_subject[(surface, subject)][doc_id] = people
    for (surface, subject), items in sorted(by_subject.items()):
        visible = {
            d: p
            for d, p in items.items()
            if _visible(archive, Item(surface, subject, d))  # type: ignore[arg-type]
        }
        if not visible:
            continue
        grades, outdated = _grades(surface, visible)  # type: ignore[arg-type]
        votes = len({person for people in visible.values() for person in people})
        relevant = {d: g for d, g in sorted(grades.items()) if g > 0}
        unrelated = sorted(d for d, g in grades.items() if g == 0)
        base: dict[str, Any] = {"source": "feedback", "votes": votes, "outdated": outdated}
        if surface == "similar":
            yield {"seed": subject, "relevant": relevant, "lookalikes": unrelated, **base}
        elif surface == "search":
            yield {
                "id": _id("search", subject),
                "query": subject,
                "relevant": relevant,
                "not_relevant": unrelated,
                "style": "feedback",
                **base,
            }
        else:
            recordings = [d for d in relevant if _kind(archive, d) != "postmortem"]
            yield {
                "id": _id("brief", subject),
                "corpus": "feedback",
                "sentence": subject,
                "paragraph": subject,
                "incidents": {d: g for d, g in relevant.items() if d not in recordings},
                "recordings": recordings,
                "experts": [],
                "not_relevant": unrelated,
                **base,
            }


def _grades(surface: Surface, items: dict[str, dict[str, str]]) -> tuple[dict[str, int], list[str]]:
    table = GRADES[surface]
    grades: dict[str, int] = {}
    outdated: list[str] = []
    for doc_id, people in items.items():
        counted = Counter(table[v] for v in people.values() if v in table)
        if any(v == "outdated" for v in people.values()):
            outdated.append(doc_id)
        if counted:
            top = max(counted.values())
            grades[doc_id] = min(g for g, n in counted.items() if n == top)
    return grades, sorted(outdated)


def _id(surface: str, subject: str) -> str:
    return f"fb-{surface}-{hashlib.sha256(subject.encode()).hexdigest()[:10]}"


def _kind(archive: Archive, doc_id: str) -> str:
    doc = archive.document(doc_id)
    return doc.kind if doc else ""
