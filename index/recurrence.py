"""Recurring failure modes: post-mortems grouped by average-linkage over their pair scores.

Two incidents link only when their causes mean the same (the "same" gate of index.incidents);
clusters merge while the *average* link between them stays above the "same" threshold, so one
strong pair cannot chain unrelated incidents together. A cluster of two or more is a
recurrence. Labels are built from the members' own words (shared tags, or words their titles
and root causes share), and only from the members given: the caller passes what the viewer may
see, so neither a label nor a count can reveal a restricted incident.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from index.incidents import IncidentSet, is_surface, values, without_surface
from index.models import Document

LABEL_PARTS = 3
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "by",
        "with",
        "from",
        "at",
        "as",
        "is",
        "was",
        "were",
        "be",
        "been",
        "it",
        "its",
        "this",
        "that",
        "into",
        "after",
        "before",
        "during",
        "over",
        "under",
        "out",
        "up",
        "down",
        "not",
        "no",
        "our",
        "we",
        "us",
        "their",
        "they",
        "them",
        "than",
        "then",
        "when",
        "while",
        "which",
        "who",
        "what",
        "how",
        "all",
        "any",
        "some",
        "more",
        "most",
        "less",
        "via",
        "per",
        "due",
        "one",
        "two",
        "three",
        "new",
        "incident",
        "outage",
        "postmortem",
        "post",
        "mortem",
        "issue",
        "issues",
        "problem",
        "failure",
        "failed",
        "failures",
        "caused",
        "cause",
        "root",
        "summary",
        "service",
        "services",
        "error",
        "errors",
        "users",
        "customers",
        "customer",
        "degraded",
        "disruption",
        "event",
        "region",
        "data",
        "system",
        "systems",
    ]
)


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
            return f"happened again {later} time{'s' if later != 1 else ''} since: {self.label}"
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
    """Pair scores where the causes pass the "same" gate, 0 elsewhere."""
    scores = incidents.scores()
    return np.where(incidents.cause_cos >= incidents.params.gate, scores, 0.0)


def groups(link: np.ndarray, threshold: float) -> list[list[int]]:
    """Average-linkage clusters of LINK (a symmetric similarity matrix) merged above THRESHOLD."""
    n = len(link)
    sim = link.astype(np.float64).copy()
    np.fill_diagonal(sim, -np.inf)
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    alive = np.ones(n, dtype=bool)
    while alive.sum() > 1:
        masked = np.where(alive[:, None] & alive[None, :], sim, -np.inf)
        flat = int(np.argmax(masked))
        i, j = divmod(flat, n)
        if masked[i, j] < threshold:
            break
        a, b = len(members[i]), len(members[j])
        sim[i, :] = (a * sim[i, :] + b * sim[j, :]) / (a + b)  # Lance–Williams, average link
        sim[:, i] = sim[i, :]
        sim[i, i] = -np.inf
        members[i] += members.pop(j)
        alive[j] = False
    return [sorted(m) for m in members.values() if len(m) >= 2]


def clusters(incidents: IncidentSet) -> list[Cluster]:
    """Recurrences among the incidents: clusters of two or more, largest (then latest) first."""
    if len(incidents) < 2:
        return []
    link = linkage(incidents)
    out = []
    for group in groups(link, incidents.params.same):
        docs = sorted(
            (incidents.profiles[i].doc for i in group),
            key=lambda d: (d.date or dt.date.max, d.doc_id),
        )
        pairs = [link[i, j] for i in group for j in group if i < j]
        out.append(Cluster(tuple(docs), label(docs), float(np.mean(pairs))))
    out.sort(key=lambda c: (-len(c.members), -(c.last or dt.date.min).toordinal(), c.label))
    return out


def label(docs: list[Document]) -> str:
    """A short label from the members' own words: tags most of them share, else common words."""
    need = 2 if len(docs) < 4 else max(2, len(docs) // 2)
    tags = Counter(
        t
        for d in docs
        for t in set(values(d.metadata.get("tags")) + values(d.metadata.get("keywords")))
        if not is_surface(t, d.metadata)
    )
    shared = [t for t, c in tags.most_common() if c >= need][:LABEL_PARTS]
    if shared:
        return " · ".join(shared)
    surface = {w for d in docs for w in _words(_surface(d))}
    words = Counter(
        w for d in docs for w in set(_words(without_surface(_cause_text(d), d.metadata))) - surface
    )
    common = [w for w, c in words.most_common() if c >= need][: LABEL_PARTS + 1]
    return " ".join(common) if common else docs[-1].title


def _cause_text(doc: Document) -> str:
    meta = doc.metadata
    return (
        " ".join(str(meta.get(k) or "") for k in ("title", "root_cause", "trigger", "summary"))
        or doc.title
    )


def _surface(doc: Document) -> str:
    """Company, product and region words: shared by look-alikes, so never a label."""
    return " ".join(str(doc.metadata.get(k) or "") for k in ("company", "product", "region"))


def _words(text: str) -> list[str]:
    return [
        w
        for w in re.findall(r"[a-z][a-z0-9'-]{2,}", text.lower())
        if w not in _STOP and not w.endswith("'s")
    ]
