"""Recurring failure modes: incidents that failed the same way, grouped.

A pair recurs when both incidents claim the same failure mode of the vocabulary
(index.failure_modes) *and* their causes agree (cause cosine and score past their gates), or
when their causes are near-identical whatever the modes; shared tags, services or team never
link anything. Clusters are complete-linkage over recurring pairs: every member recurs with
every other, so one strong pair cannot chain unrelated incidents together. A cluster of two or
more is a recurrence, labelled by the shared cause in the vocabulary's words (plus a service
every member shares): a function of the members alone, identical across runs. Only the members
given are read: the caller passes what the viewer may see, so neither a label nor a count can
reveal a restricted incident.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np

from index.failure_vocabulary import VOCABULARY
from index.incident_text import cause_text
from index.incidents import IncidentSet
from index.models import Document


@dataclass(frozen=True)
class Cluster:
    """Incidents that share a failure mode, oldest first, and a label in their own words."""

    members: tuple[Document, ...]
    label: str
    cohesion: float  # mean pair score inside the cluster

    @property
    def doc_ids(self) -> tuple[str, ...]:
        return tuple(d.doc_id for d in self.members)

    @property
    def first(self) -> dt.date | None:
        return next((d.date for d in self.members if d.date), None)

    @property
    def last(self) -> dt.date | None:
        return next((d.date for d in reversed(self.members) if d.date), None)

    def headline(self, doc_id: str | None = None) -> str:
        """'3rd occurrence in 18 months: <label>' (of DOC_ID when given, else of the latest)."""
        ids = self.doc_ids
        n = ids.index(doc_id) + 1 if doc_id in ids else len(ids)
        upto = self.members[n - 1].date
        span = ""
        if self.first and upto and upto > self.first:
            months = (upto.year - self.first.year) * 12 + upto.month - self.first.month
            span = f" in {months} month{'s' if months != 1 else ''}" if months else " in a month"
        if n == 1 and len(ids) > 1:  # the first of them: what came after is the news
            later = len(ids) - 1
            times = "once" if later == 1 else "twice" if later == 2 else f"{later} times"
            return f"happened again {times} since: {self.label}"
        return f"{ordinal(n)} occurrence{span}: {self.label}"

    def to_json(self) -> dict[str, object]:
        return {
            "label": self.label,
            "size": len(self.members),
            "cohesion": round(self.cohesion, 4),
            "members": [
                {
                    "doc_id": d.doc_id,
                    "title": d.title,
                    "date": d.date.isoformat() if d.date else None,
                    "path": d.path,
                }
                for d in self.members
            ],
        }


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def linkage(incidents: IncidentSet) -> np.ndarray:
    """Pair scores of the pairs that recur, 0 elsewhere.

    A pair recurs when both incidents claim the same failure mode and their causes agree:
    past `recur_gate` with a score of `recur_score`, or past `recur_cause` whatever the score;
    or, claimed mode or not, when their causes are near-identical (`twin_gate`, `twin_score`):
    the same cause in other words.
    """
    p = incidents.params
    scores = incidents.score_matrix
    cos = incidents.cause_cos
    by_mode = (incidents.shared_matrix > 0) & (
        ((cos >= p.recur_gate) & (scores >= p.recur_score)) | (cos >= p.recur_cause)
    )
    twins = (incidents.cause_cos >= p.twin_gate) & (scores >= p.twin_score)
    link = np.where(by_mode | twins, scores, 0.0)
    np.fill_diagonal(link, 0.0)
    return link


def groups(link: np.ndarray) -> list[list[int]]:
    """Complete-linkage clusters of LINK (symmetric; > 0 where a pair recurs).

    Two clusters merge only when every pair across them recurs, strongest weakest-pair
    first: one strong pair cannot chain unrelated incidents together. Ties merge the lowest
    indices first, so the same matrix always gives the same clusters.
    """
    n = len(link)
    sim = np.where(link > 0, link, -np.inf).astype(np.float64)
    np.fill_diagonal(sim, -np.inf)
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    alive = np.ones(n, dtype=bool)
    while alive.sum() > 1:
        masked = np.where(alive[:, None] & alive[None, :], sim, -np.inf)
        flat = int(np.argmax(masked))
        i, j = divmod(flat, n)
        if not np.isfinite(masked[i, j]):
            break
        sim[i, :] = np.minimum(sim[i, :], sim[j, :])  # Lance–Williams, complete link
        sim[:, i] = sim[i, :]
        sim[i, i] = -np.inf
        members[i] += members.pop(j)
        alive[j] = False
    return [sorted(m) for m in members.values() if len(m) >= 2]


def clusters(incidents: IncidentSet) -> list[Cluster]:
    """Recurrences among the incidents: clusters of two or more, largest (then latest) first.

    Shared tags, services or team never link anything: only agreeing causes do (linkage).
    """
    if len(incidents) < 2:
        return []
    link = linkage(incidents)
    out = []
    for members in groups(link):
        docs = sorted(
            (incidents.profiles[i].doc for i in members),
            key=lambda d: (d.date or dt.date.max, d.doc_id),
        )
        pairs = [link[i, j] for i in members for j in members if i < j]
        out.append(Cluster(tuple(docs), label(incidents, members), float(np.mean(pairs))))
    out.sort(key=lambda c: (-len(c.members), -(c.last or dt.date.min).toordinal(), c.label))
    return out


def shared_cause(incidents: IncidentSet, members: list[int]) -> int | None:
    """The failure mode MEMBERS share: one they all claim (the best supported), else the one
    every member shows most evidence for; None when no mode has evidence in all of them."""
    weakest = incidents.modes[members].min(axis=0)
    common = set.intersection(*(set(incidents.claims[i]) for i in members))
    if common:
        return max(sorted(common), key=lambda k: weakest[k])
    best = int(np.argmax(weakest))  # the first mode on ties: stable
    return best if weakest[best] > 0 else None


def label(incidents: IncidentSet, members: list[int]) -> str:
    """The shared cause in the vocabulary's words, and where when every member shares it.

    Without a shared mode, the opening clause of the earliest member's cause. A function of
    the members alone (never of set or hash order): identical across runs.
    """
    mode = shared_cause(incidents, members)
    if mode is not None:
        text = VOCABULARY[mode].label
    else:
        first = min(
            members,
            key=lambda i: (
                incidents.profiles[i].doc.date or dt.date.max,
                incidents.profiles[i].doc_id,
            ),
        )
        text = opening_clause(cause_text(incidents.profiles[first].doc)) or "same cause"
    services = set.intersection(*(set(incidents.profiles[i].services) for i in members))
    if services:
        text += f", on {sorted(services)[0]}"
    return text


CLAUSE_WORDS = 12
DISCOURSE = re.compile(
    r"^(?:(?:moreover|however|additionally|also|then|so|and|but|in addition|first(?:ly)?|"
    r"finally|overall|in short|as a result|the root cause was( that)?)\b[\s,]*)+",
    re.I,
)


def opening_clause(text: str) -> str:
    """TEXT's first clause (to the first , ; : or full stop), at most CLAUSE_WORDS words."""
    text = DISCOURSE.sub("", text.strip())
    clause = re.split(r"[,;:]\s|\.\s|\.$", text, maxsplit=1)[0]
    words = clause.split()
    cut = " ".join(words[:CLAUSE_WORDS])
    return cut[:1].lower() + cut[1:] + ("…" if len(words) > CLAUSE_WORDS else "")
