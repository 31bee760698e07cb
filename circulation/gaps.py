"""Knowledge gaps: searches nothing answered, grouped by meaning into topics.

A search is unanswered when nothing the asker may see cleared the relevance floor for it
(index/relevance.py): results shown but not opened are *not* a gap, the archive answered. Queries
are embedded with the product's embedder and grouped greedily (most asked first; a query joins
the closest topic when its centroid is at least `gaps_similarity` away in cosine). A topic is
shown once `gaps_min_askers` distinct askers asked: people when the log knows who (named
mode), browser sessions otherwise, and it says which. When the gaps are read, a topic that a
document everyone may see now answers is dropped, and nobody is invited to present a topic
their own document already covers.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from circulation.state import LoggedSearch, StateStore
from index.archive import Archive
from index.expertise import ExpertiseMatch
from index.settings import Settings

OPEN_WINDOW = dt.timedelta(minutes=30)  # the log marks a search opened within this (not a gap test)
Category = Literal["missing", "restricted"]
CATEGORY_LABELS: dict[Category, str] = {
    "missing": "nothing in the archive",
    "restricted": "exists, but restricted for the people who asked",
}


@dataclass(frozen=True)
class GapTopic:
    label: str  # the most asked query of the topic
    queries: tuple[str, ...]  # distinct, most asked first
    askers: int  # people and sessions
    searches: int
    category: Category
    last_asked: dt.datetime
    experts: tuple[ExpertiseMatch, ...] = ()
    people: int = 0  # askers the log knows by name (named mode)
    sessions: int = 0  # askers known only as a browser session (anonymous mode)

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS[self.category]

    @property
    def askers_label(self) -> str:
        """'3 people', '9 sessions' or '2 people and 4 sessions': a session is not a person."""
        parts = []
        if self.people or not self.sessions:
            parts.append(f"{self.people} {'person' if self.people == 1 else 'people'}")
        if self.sessions:
            parts.append(f"{self.sessions} session{'s' if self.sessions != 1 else ''}")
        return " and ".join(parts)

    def to_json(self) -> dict[str, object]:
        return {
            "topic": self.label,
            "queries": list(self.queries),
            "askers": self.askers,
            "people": self.people,
            "sessions": self.sessions,
            "askers_label": self.askers_label,
            "searches": self.searches,
            "category": self.category,
            "last_asked": self.last_asked.isoformat(),
            "experts": [
                {"name": m.expert.name, "email": m.expert.email, "id": m.expert.expert_id}
                for m in self.experts
            ],
        }


def unanswered(searches: Sequence[LoggedSearch]) -> list[LoggedSearch]:
    """Searches nothing the asker may see answered (whether or not they opened anything)."""
    return [s for s in searches if not s.matched]


def cluster(
    queries: Sequence[str], embed: Callable[[str], np.ndarray], threshold: float
) -> list[list[int]]:
    """Indices of QUERIES grouped by meaning; QUERIES should come most important first."""
    centroids: list[np.ndarray] = []
    groups: list[list[int]] = []
    for i, query in enumerate(queries):
        v = np.asarray(embed(query), dtype=np.float32)
        v = v / (np.linalg.norm(v) or 1.0)
        if centroids:
            sims = np.array([float(c @ v) / (np.linalg.norm(c) or 1.0) for c in centroids])
            best = int(sims.argmax())
            if sims[best] >= threshold:
                groups[best].append(i)
                centroids[best] = centroids[best] + v
                continue
        centroids.append(v.copy())
        groups.append([i])
    return groups


def _category(items: Sequence[LoggedSearch]) -> Category:
    return "restricted" if any(s.hidden for s in items) else "missing"


def topics(
    searches: Sequence[LoggedSearch],
    embed: Callable[[str], np.ndarray],
    *,
    min_askers: int,
    threshold: float,
) -> list[GapTopic]:
    """Gap topics among SEARCHES asked by at least MIN_ASKERS distinct askers, most asked first."""
    misses = unanswered(searches)
    counts = Counter(s.query.lower() for s in misses)
    ordered = [q for q, _ in counts.most_common()]
    out: list[GapTopic] = []
    for group in cluster(ordered, embed, threshold):
        keys = {ordered[i] for i in group}
        items = [s for s in misses if s.query.lower() in keys]
        askers = len({s.asker for s in items})
        if askers < min_askers:
            continue
        people = len({s.asker for s in items if s.named})
        shown: dict[str, str] = {}
        for s in items:
            shown.setdefault(s.query.lower(), s.query)
        queries = tuple(shown[ordered[i]] for i in group)
        out.append(
            GapTopic(
                label=queries[0],
                queries=queries,
                askers=askers,
                searches=len(items),
                category=_category(items),
                last_asked=max(s.at for s in items),
                people=people,
                sessions=askers - people,
            )
        )
    return sorted(out, key=lambda t: (-t.askers, -t.searches, t.label))


def find_gaps(
    archive: Archive, store: StateStore, settings: Settings, *, now: dt.datetime | None = None
) -> list[GapTopic]:
    """The gap topics of the log, each with people to invite whom the viewer may see.

    A topic that a document everyone may see answers now (written since it was asked) is no
    gap any more. The people offered are those closest to the topic by evidence, minus anyone
    who wrote, presented or owns a document that already covers it (above the floor for the
    organiser): they would be asked to present what they already wrote.
    """
    now = now or dt.datetime.now()
    store.purge(now - dt.timedelta(days=settings.search_log_days))
    found = topics(
        store.searches(OPEN_WINDOW),
        archive.query_vector,
        min_askers=settings.gaps_min_askers,
        threshold=settings.gaps_similarity,
    )
    everyone = archive.for_everyone()
    out = []
    for topic in found:
        if any(_answers(everyone, q) for q in topic.queries):
            continue
        covering = {h.doc_id for q in topic.queries for h in archive.search(q) if not h.weak}
        people = [
            m
            for m in archive.experts(topic.label, limit=10)
            if not any(e.doc_id in covering and e.role != "declared" for e in m.evidence)
        ]
        out.append(replace(topic, experts=tuple(people[:3])))
    return out


def _answers(archive: Archive, query: str) -> bool:
    """True when search answers QUERY above the floor, as it shows it (typos corrected)."""
    return bool(archive.find(query).matches)


def invitation(topic: GapTopic, expert: ExpertiseMatch, portal_url: str) -> str:
    """A mailto: link inviting EXPERT to present TOPIC at the next AI Showcase."""
    from urllib.parse import quote

    subject = f"Would you present “{topic.label}” at the next AI Showcase?"
    body = (
        f"Hi {expert.expert.name},\n\n"
        f"{topic.askers_label.capitalize()} searched Hindsight for “{topic.label}” recently "
        f"and found nothing that answers it ({topic.category_label}). Related searches: "
        + "; ".join(topic.queries[:5])
        + ".\n\nYour work looks closest to it. Would you present it at the next AI Showcase?"
        + f" A short talk or a demo is plenty.\n\nHindsight: {portal_url}\n"
    )
    return (
        f"mailto:{quote(expert.expert.email, safe='@')}?subject={quote(subject)}&body={quote(body)}"
    )
