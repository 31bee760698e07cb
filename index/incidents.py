"""Similar incidents: post-mortems that share a failure mode, each with why.

A post-mortem is profiled from what it already has in the index: the stored vectors of its
cause passages (root cause, trigger, what happened; else its summary; else the whole write-up),
the mean of all its passages, and its services, tags and teams. A pair is scored as a weighted
sum of *signals*, each reported with its contribution. Company, product and cloud region are
never signals: they are surface likeness. Tiers need the meaning of the causes to agree
(a gate), so shared tags or services alone never make two incidents "the same".

Everything here is computed from the documents it is given: the caller (Archive) passes only
what the viewer may see, and caches per access key.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np

from index import catalog, fields
from index.models import Document
from index.vectors import VectorIndex

Tier = Literal["same", "related"]
# Headings whose passages say *why* it failed; matched on a heading path's last part.
CAUSE_HEADING = re.compile(
    r"root.?cause|cause|trigger|what happened|what went wrong|why|contributing|analysis", re.I
)
_ROOT_CAUSE = re.compile(r"^#+\s*root.?cause", re.I | re.M)
SUMMARY_HEADING = re.compile(r"summary|overview|description", re.I)
SIGNAL_NAMES = ("cause meaning", "write-up meaning", "services", "tags", "team")


@dataclass(frozen=True)
class SimilarityParams:
    """Signal weights, the meaning gates and tier thresholds (chosen in docs/quality.md)."""

    cause: float = 0.3
    whole: float = 0.15
    services: float = 0.10  # services and team: no judged corpus has them; not tuned
    tags: float = 0.15
    team: float = 0.04
    floor: float = 0.15  # cosine of unrelated write-ups: meaning counts from here to 1
    same: float = 0.24  # score for "likely the same failure mode"
    related: float = 0.168  # score for "possibly related" (0.7 × same)
    gate: float = 0.40  # cause cosine a "same" pair needs, whatever else it shares
    related_gate: float = 0.30
    tie: float = 0.01  # scores this close are a tie: the better-written one goes first
    gated_support: bool = True  # other signals count only as far as the causes agree

    def weights(self) -> dict[str, float]:
        values_ = (self.cause, self.whole, self.services, self.tags, self.team)
        return dict(zip(SIGNAL_NAMES, values_, strict=True))


@dataclass(frozen=True)
class Profile:
    """What similarity reads of one post-mortem."""

    doc: Document
    services: frozenset[str]
    tags: frozenset[str]
    teams: frozenset[str]
    written: int  # 0–2: has a root cause, has action items

    @property
    def doc_id(self) -> str:
        return self.doc.doc_id


@dataclass(frozen=True)
class IncidentSet:
    """Profiles of a set of post-mortems and their pairwise signals (n × n each)."""

    profiles: tuple[Profile, ...]
    signals: dict[str, np.ndarray]  # signal name → value in [0, 1] per pair (not weighted)
    cause_cos: np.ndarray
    whole_cos: np.ndarray
    params: SimilarityParams

    def with_params(self, params: SimilarityParams) -> IncidentSet:
        """This set under other weights, floor and thresholds (for tuning)."""
        signals = dict(self.signals)
        signals["cause meaning"] = _meaning(self.cause_cos, params.floor)
        signals["write-up meaning"] = _meaning(self.whole_cos, params.floor)
        for v in signals.values():
            np.fill_diagonal(v, 0.0)
        return IncidentSet(self.profiles, signals, self.cause_cos, self.whole_cos, params)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {p.doc_id: i for i, p in enumerate(self.profiles)})

    def index_of(self, doc_id: str) -> int | None:
        return self._index.get(doc_id)  # type: ignore[attr-defined,no-any-return]

    def __len__(self) -> int:
        return len(self.profiles)

    @cached_property
    def score_matrix(self) -> np.ndarray:
        return self.scores()

    @cached_property
    def contribution_matrices(self) -> dict[str, np.ndarray]:
        return self.contributions()

    def scores(self) -> np.ndarray:
        """The weighted score of every pair (the diagonal is 0)."""
        total = sum(self.contributions().values())
        out = np.asarray(total, dtype=np.float64)
        np.fill_diagonal(out, 0.0)
        return out

    def support(self) -> np.ndarray:
        """How much the other signals may add, per pair: nothing unless the causes agree.

        Services, tags, team and the whole write-up's meaning are what look-alikes share;
        they count in full only once the causes' meaning reaches the "same" gate.
        """
        p = self.params
        return np.clip((self.cause_cos - p.floor) / max(1e-9, p.gate - p.floor), 0.0, 1.0)

    def contributions(self) -> dict[str, np.ndarray]:
        """Each signal's weighted contribution to every pair's score."""
        weights = self.params.weights()
        support = self.support() if self.params.gated_support else 1.0
        return {
            name: weights[name] * values * (1.0 if name == "cause meaning" else support)
            for name, values in self.signals.items()
        }

    def tier(self, score: float, cause_cos: float) -> Tier | None:
        p = self.params
        if score >= p.same and cause_cos >= p.gate:
            return "same"
        if score >= p.related and cause_cos >= p.related_gate:
            return "related"
        return None


@dataclass(frozen=True)
class SimilarIncident:
    """One post-mortem like the seed, with the signals that matched and what they shared."""

    doc: Document
    score: float
    tier: Tier | None  # None: below both thresholds (a "closest" shown with its reason)
    signals: dict[str, float]  # signal → its contribution to the score
    shared: dict[str, tuple[str, ...]] = field(default_factory=dict)
    confirmed: int = 0  # people who confirmed the same failure mode (index/pair_verdicts.py)

    def to_json(self) -> dict[str, Any]:
        return {
            "confirmed": self.confirmed,
            "doc_id": self.doc.doc_id,
            "path": self.doc.path,
            "title": self.doc.title,
            "date": self.doc.date.isoformat() if self.doc.date else None,
            "score": round(self.score, 4),
            "tier": self.tier,
            "signals": {k: round(v, 4) for k, v in self.signals.items()},
            "shared": {k: list(v) for k, v in self.shared.items()},
        }


@dataclass(frozen=True)
class SimilarPanel:
    """What a post-mortem's similar panel shows; `reason` says why when nothing is in a tier."""

    seed: Document
    same: tuple[SimilarIncident, ...] = ()
    related: tuple[SimilarIncident, ...] = ()
    closest: SimilarIncident | None = None
    reason: str = ""

    @property
    def items(self) -> tuple[SimilarIncident, ...]:
        return self.same + self.related


def values(raw: object) -> list[str]:
    """A front-matter list (or one comma-separated string) as clean lower-case strings."""
    if raw is None:
        return []
    items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
    return [str(v).strip().lower() for v in items if v is not None and str(v).strip()]


def has_text(raw: object) -> bool:
    return bool(str(raw or "").strip())


def profile(doc: Document) -> Profile:
    meta = doc.metadata
    services = fields.values(meta, "services")
    tags = [
        t
        for name in ("tags", "keywords", "categories")
        for t in fields.values(meta, name)
        if not is_surface(t, meta)  # a tag naming the company or region is not a failure mode
    ]
    teams = fields.values(meta, "teams")
    root_cause = has_text(meta.get("root_cause")) or bool(_ROOT_CAUSE.search(doc.body))
    written = int(root_cause) + int(bool(meta.get("action_items")))
    return Profile(doc, frozenset(services), frozenset(tags), frozenset(teams), written)


def _unit(v: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(v))
    return v / norm if norm else v


def document_vectors(
    doc_ids: Sequence[str], passages: Iterable[tuple[str, str, np.ndarray]], dim: int
) -> tuple[np.ndarray, np.ndarray]:
    """(cause vectors, whole vectors), one unit row per document of DOC_IDS.

    PASSAGES are (doc_id, heading, vector). A document's cause vector is the mean of its cause
    passages, else of its summary passages, else of all of them.
    """
    groups: dict[str, dict[str, list[np.ndarray]]] = {d: {} for d in doc_ids}
    for doc_id, heading, vector in passages:
        if doc_id not in groups:
            continue
        last = heading.split(" › ")[-1] if heading else ""
        part = (
            "cause"
            if CAUSE_HEADING.search(last)
            else "summary"
            if SUMMARY_HEADING.search(last)
            else "other"
        )
        groups[doc_id].setdefault(part, []).append(vector)
    cause = np.zeros((len(doc_ids), dim), dtype=np.float32)
    whole = np.zeros((len(doc_ids), dim), dtype=np.float32)
    for i, doc_id in enumerate(doc_ids):
        parts = groups[doc_id]
        every = [v for vs in parts.values() for v in vs]
        if not every:
            continue
        whole[i] = _unit(np.mean(every, axis=0))
        chosen = parts.get("cause") or parts.get("summary") or every
        cause[i] = _unit(np.mean(chosen, axis=0))
    return cause, whole


def load(
    cur: Any,
    vectors: VectorIndex,
    docs: Sequence[Document],
    params: SimilarityParams | None = None,
    embed: Callable[[str], np.ndarray] | None = None,
) -> IncidentSet:
    """The incident set of DOCS (post-mortems the caller may see), from their stored vectors.

    With EMBED, a post-mortem that states its cause in front matter (root cause, trigger, else
    a summary) is represented by that text alone, embedded without its company, product and
    region words: passages carry the title, and with it the surface every look-alike shares.
    """
    doc_ids = [d.doc_id for d in docs]
    rows = catalog.chunk_headings(cur, doc_ids)
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    found, vecs = vectors.vectors_of(ids) if len(ids) else (ids, np.zeros((0, vectors.dim)))
    vector_of = dict(zip(found.tolist(), vecs, strict=True))
    passages = ((d, h, vector_of[c]) for c, d, h in rows if c in vector_of)
    cause, whole = document_vectors(doc_ids, passages, vectors.dim)
    if embed is not None:
        for i, doc in enumerate(docs):
            text = cause_text(doc)
            if text:
                cause[i] = _unit(np.asarray(embed(text), dtype=np.float32).reshape(-1))
    return build([profile(d) for d in docs], cause, whole, params)


CAUSE_FIELDS = ("root_cause", "trigger")
SURFACE_FIELDS = ("company", "product", "region", "provider")
CAUSE_WORDS = 200  # the query encoder reads about this many words


# Cloud vendors and regions: what every incident of one provider or region shares.
SURFACE_WORDS = re.compile(
    r"\b(?:(?:us|eu|ap|sa|ca|me|af|il)-(?:east|west|north|south|central|northeast|southeast|"
    r"northwest|southwest)-?\d|(?:us|europe|asia|australia|northamerica|southamerica)-"
    r"(?:east|west|north|south|central|northeast|southeast)\d+|(?:us|eu)[- ](?:east|west)|"
    r"northern virginia|amazon web services|aws|gcp|google cloud(?: platform)?|azure)\b",
    re.I,
)


def without_surface(text: str, meta: dict[str, Any]) -> str:
    """TEXT without its company, product, region and cloud names (surface, not mechanism)."""
    for field_ in SURFACE_FIELDS:
        for name in values(meta.get(field_)):
            text = re.sub(rf"\b{re.escape(name)}('s)?\b", " ", text, flags=re.I)
    return SURFACE_WORDS.sub(" ", text)


def is_surface(word: str, meta: dict[str, Any]) -> bool:
    """True for a tag that only names the company, product, region or cloud."""
    return not without_surface(word, meta).strip(" -_.,")


def cause_text(doc: Document) -> str:
    """What a post-mortem says caused it, without the names every look-alike shares."""
    meta = doc.metadata
    parts = [str(meta.get(f) or "").strip() for f in CAUSE_FIELDS]
    text = " ".join(p for p in parts if p) or str(meta.get("summary") or "").strip()
    return " ".join(without_surface(text, meta).split()[:CAUSE_WORDS])


def _meaning(cos: np.ndarray, floor: float) -> np.ndarray:
    return np.clip((cos - floor) / (1.0 - floor), 0.0, 1.0)


def _jaccard(sets: Sequence[frozenset[str]], weight: dict[str, float] | None = None) -> np.ndarray:
    """Weighted Jaccard of every pair of sets (IDF weights make common tags count little)."""
    n = len(sets)
    out = np.zeros((n, n), dtype=np.float64)
    w = weight or {}
    owners: dict[str, list[int]] = {}
    for i, s in enumerate(sets):
        for item in s:
            owners.setdefault(item, []).append(i)
    mass = [sum(w.get(x, 1.0) for x in s) for s in sets]
    for item, who in owners.items():
        if len(who) < 2:
            continue
        value = w.get(item, 1.0)
        idx = np.array(who)
        out[np.ix_(idx, idx)] += value
    for i in range(n):
        for j in np.flatnonzero(out[i]):
            union = mass[i] + mass[j] - out[i, j]
            out[i, j] = out[i, j] / union if union > 0 else 0.0
    np.fill_diagonal(out, 0.0)
    return out


def idf(sets: Sequence[frozenset[str]]) -> dict[str, float]:
    """Inverse document frequency of each tag over SETS, scaled to (0, 1]."""
    counts = Counter(x for s in sets for x in s)
    n = max(1, len(sets))
    top = math.log(1 + n)
    return {x: math.log(1 + n / c) / top for x, c in counts.items()}


def build(
    profiles: Sequence[Profile],
    cause: np.ndarray,
    whole: np.ndarray,
    params: SimilarityParams | None = None,
) -> IncidentSet:
    """Pairwise signals over PROFILES (rows of CAUSE/WHOLE in the same order)."""
    params = params or SimilarityParams()
    cause_cos = cause @ cause.T if len(cause) else np.zeros((0, 0))
    whole_cos = whole @ whole.T if len(whole) else np.zeros((0, 0))
    tag_sets = [p.tags for p in profiles]
    teams = _jaccard([p.teams for p in profiles])
    signals = {
        "cause meaning": _meaning(cause_cos, params.floor),
        "write-up meaning": _meaning(whole_cos, params.floor),
        "services": _jaccard([p.services for p in profiles]),
        "tags": _jaccard(tag_sets, idf(tag_sets)),
        "team": (teams > 0).astype(np.float64),
    }
    for values_ in signals.values():
        np.fill_diagonal(values_, 0.0)
    return IncidentSet(
        tuple(profiles),
        signals,
        np.asarray(cause_cos, np.float64),
        np.asarray(whole_cos, np.float64),
        params,
    )


def explain(incidents: IncidentSet, i: int, j: int, score: float) -> SimilarIncident:
    """Why J is like I: each signal's contribution and the services, tags, teams they share."""
    parts = incidents.contribution_matrices
    contributions = {
        name: float(parts[name][i, j]) for name in SIGNAL_NAMES if parts[name][i, j] > 0.0005
    }
    a, b = incidents.profiles[i], incidents.profiles[j]
    shared = {
        "services": tuple(sorted(a.services & b.services)),
        "tags": tuple(sorted(a.tags & b.tags)),
        "teams": tuple(sorted(a.teams & b.teams)),
    }
    tier = incidents.tier(score, float(incidents.cause_cos[i, j]))
    return SimilarIncident(
        b.doc, score, tier, contributions, {k: v for k, v in shared.items() if v}
    )


def ranked(incidents: IncidentSet, i: int) -> list[tuple[int, float]]:
    """Every other incident by score; near-ties go to the better-written one (root cause, items)."""
    row = incidents.score_matrix[i]
    tie = incidents.params.tie or 1e-9
    order = sorted(
        (j for j in range(len(incidents)) if j != i),
        key=lambda j: (-math.floor(row[j] / tie), -incidents.profiles[j].written, -row[j]),
    )
    return [(j, float(row[j])) for j in order]


def similar(incidents: IncidentSet, doc: Document, *, limit: int = 5) -> SimilarPanel:
    """DOC's panel: up to LIMIT incidents in the tiers, or the closest with a reason."""
    i = incidents.index_of(doc.doc_id)
    if i is None or len(incidents) < 2:
        return SimilarPanel(doc, reason="No other post-mortem to compare with.")
    same: list[SimilarIncident] = []
    related: list[SimilarIncident] = []
    closest: SimilarIncident | None = None
    floor = incidents.params.related - incidents.params.tie
    for j, score in ranked(incidents, i):
        if closest is not None and (score < floor or len(same) + len(related) >= limit):
            break
        tier = incidents.tier(score, float(incidents.cause_cos[i, j]))
        if closest is None or tier is not None:
            found = explain(incidents, i, j, score)
            closest = closest or found
            if found.tier == "same":
                same.append(found)
            elif found.tier == "related":
                related.append(found)
    if same or related:
        return SimilarPanel(doc, tuple(same), tuple(related))
    reason = "Nothing similar above the threshold"
    if closest is not None:
        reason += f"; closest: {closest.doc.title} (score {closest.score:.2f})"
    return SimilarPanel(doc, closest=closest, reason=reason + ".")
