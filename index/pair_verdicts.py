"""What people said about pairs of post-mortems, applied to the similar panel and recurrences.

The feedback itself lives in the state store (circulation/feedback.py); the door is handed the
pairs people settled (`PairVerdicts`) and applies them here, to what it computed for its viewer:

- a pair confirmed as the *same failure mode* ranks first in each other's similar panel, in the
  "same" tier, and joins (or makes) a recurrence;
- a pair marked *not related* by two people is not shown in each other's panel again.

Only pairs of post-mortems the viewer may see take part (both must be in the incident set the
door built for the viewer), so a verdict on a restricted document changes nothing for an
outsider. Nothing here is a ranking boost from clicks: a verdict is a judgement people made.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace

from index.incidents import IncidentSet, SimilarIncident, SimilarPanel
from index.models import Document
from index.recurrence import Cluster, label

Pair = frozenset[str]


def pair(a: str, b: str) -> Pair:
    return frozenset((a, b))


@dataclass(frozen=True)
class PairVerdicts:
    """Pairs people confirmed as the same failure mode (with how many), and pairs dismissed."""

    same: tuple[tuple[Pair, int], ...] = ()
    unrelated: frozenset[Pair] = frozenset()

    @classmethod
    def of(cls, same: dict[Pair, int], unrelated: Iterable[Pair]) -> PairVerdicts:
        ordered = tuple(sorted(same.items(), key=lambda x: sorted(x[0])))
        return cls(ordered, frozenset(unrelated))

    def confirmed(self, a: str, b: str) -> int:
        """How many people confirmed A and B share a failure mode (0: nobody)."""
        return dict(self.same).get(pair(a, b), 0)

    def dismissed(self, a: str, b: str) -> bool:
        return pair(a, b) in self.unrelated

    def __bool__(self) -> bool:
        return bool(self.same or self.unrelated)


def apply_to_panel(
    panel: SimilarPanel, verdicts: PairVerdicts, incidents: IncidentSet
) -> SimilarPanel:
    """PANEL with dismissed pairs gone and confirmed ones first in the "same" tier."""
    if not verdicts:
        return panel
    seed = panel.seed.doc_id
    i = incidents.index_of(seed)
    if i is None:
        return panel

    def kept(items: Iterable[SimilarIncident]) -> list[SimilarIncident]:
        return [s for s in items if not verdicts.dismissed(seed, s.doc.doc_id)]

    same, related = kept(panel.same), kept(panel.related)
    shown = {s.doc.doc_id: s for s in [*same, *related]}
    confirmed: list[SimilarIncident] = []
    for other, people in verdicts.same:
        if seed not in other or len(other) != 2:
            continue
        (doc_id,) = other - {seed}
        j = incidents.index_of(doc_id)
        if j is None:  # not a post-mortem this viewer may see
            continue
        found = shown.get(doc_id) or SimilarIncident(
            doc=incidents.profiles[j].doc,
            score=float(incidents.score_matrix[i, j]),
            tier="same",
            signals={},
        )
        confirmed.append(replace(found, tier="same", confirmed=people))
    confirmed.sort(key=lambda s: (-s.confirmed, -s.score, s.doc.doc_id))
    ids = {s.doc.doc_id for s in confirmed}
    same = confirmed + [s for s in same if s.doc.doc_id not in ids]
    related = [s for s in related if s.doc.doc_id not in ids]
    closest = panel.closest
    if closest is not None and verdicts.dismissed(seed, closest.doc.doc_id):
        closest = None
    if same or related:
        return SimilarPanel(panel.seed, tuple(same), tuple(related))
    if closest is None and panel.closest is not None:
        return SimilarPanel(panel.seed, reason="Nothing similar that people have not ruled out.")
    return replace(panel, same=(), related=(), closest=closest)


def join_clusters(
    clusters: list[Cluster], verdicts: PairVerdicts, incidents: IncidentSet
) -> list[Cluster]:
    """CLUSTERS with each confirmed pair in one recurrence (joining or merging clusters, or a
    new one of the two), in the door's order: largest, then latest, first."""
    confirmed = [
        tuple(sorted(p))
        for p, _ in verdicts.same
        if len(p) == 2 and all(incidents.index_of(d) is not None for d in p)
    ]
    if not confirmed:
        return clusters
    out = list(clusters)
    for a, b in confirmed:
        ca = next((c for c in out if a in c.doc_ids), None)
        cb = next((c for c in out if b in c.doc_ids), None)
        if ca is not None and ca is cb:
            continue
        if ca is None and cb is None:
            at = [incidents.index_of(d) for d in (a, b)]
            docs = [incidents.profiles[i].doc for i in at]  # type: ignore[index]
            # Labelled as any recurrence is (the shared cause in the vocabulary's words).
            out.append(Cluster(_in_order(docs), label(incidents, at), 1.0))  # type: ignore[arg-type]
            continue
        keep, other = (ca, cb) if ca is not None else (cb, ca)
        assert keep is not None
        if other is not None and len(other.members) > len(keep.members):
            keep, other = other, keep
        extra = list(other.members) if other is not None else []
        if other is None:
            missing = b if a in keep.doc_ids else a
            extra = [incidents.profiles[incidents.index_of(missing)].doc]  # type: ignore[index]
        members = _in_order([*keep.members, *extra])
        out = [c for c in out if c is not keep and c is not other]
        out.append(Cluster(members, keep.label, keep.cohesion))
    out.sort(key=lambda c: (-len(c.members), -(c.last or dt.date.min).toordinal(), c.label))
    return out


def _in_order(docs: Iterable[Document]) -> tuple[Document, ...]:
    unique = {d.doc_id: d for d in docs}.values()
    return tuple(sorted(unique, key=lambda d: (d.date or dt.date.max, d.doc_id)))
