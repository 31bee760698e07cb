"""Similar incidents: post-mortems that share a failure mode, each with why, in words.

A post-mortem is read for its *cause*, not its look (index.incident_text): its cause text and
its account without the symptom sections are embedded without company, product and region
names, and matched against a failure-mode vocabulary by words and by meaning
(index.failure_modes). A pair is scored as a weighted sum of *signals*, each reported with its
contribution:

- `failure mode`: agreement of the two incidents' mode vectors (IDF-weighted cosine);
- `cause meaning`, `write-up meaning`: cosine of the cause and account vectors, with the
  direction every incident write-up shares (the mean of the vocabulary's descriptions) taken
  out first, counted above a floor;
- `services`, `tags`, `team`: what look-alikes share too, so they count only as far as the
  causes agree (gated support).

"Likely the same failure mode" needs the causes to agree: the same claimed mode, or cause
vectors past a gate. Everything is computed from the documents the caller passes (Archive
passes only what the viewer may see) and is a pure function of them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Literal

import numpy as np

from index import catalog, fields
from index import failure_modes as fm
from index.failure_vocabulary import VOCABULARY
from index.incident_text import (
    CAUSE_FIELDS,
    CAUSE_HEADING,
    SUMMARY_HEADING,
    TAG_FIELDS,
    Written,
    account_windows,
    cause_text,
    evidence,
    has_root_cause,
    is_surface,
    values,
    without_surface,
)
from index.models import Document
from index.vectors import VectorIndex

__all__ = [
    "CAUSE_FIELDS",
    "IncidentSet",
    "Profile",
    "SimilarIncident",
    "SimilarPanel",
    "SimilarityParams",
    "cause_text",
    "is_surface",
    "values",
    "without_surface",
]

Tier = Literal["same", "related"]
SIGNAL_NAMES = (
    "failure mode",
    "cause meaning",
    "write-up meaning",
    "services",
    "tags",
    "team",
)


@dataclass(frozen=True)
class SimilarityParams:
    """Signal weights, floors, gates and tier thresholds (chosen in docs/quality.md)."""

    modes: float = 0.45
    cause: float = 0.15
    whole: float = 0.15
    services: float = 0.10  # services and team: no judged corpus has them; not tuned
    tags: float = 0.0  # shared tags added nothing held out once modes were read
    team: float = 0.04
    floor: float = 0.1  # cosine (shared direction removed) of unrelated causes
    same: float = 0.35  # score for "likely the same failure mode" (and a claimed mode in common)
    related: float = 0.245  # score for "possibly related" (0.7 × same)
    gate: float = 0.6  # cause cosine that makes a pair "the same" without a shared mode
    recur_score: float = 0.45  # score of a recurring pair that claims one mode…
    recur_gate: float = 0.2  # …and its cause cosine; or, whatever its score, this cosine:
    recur_cause: float = 0.4
    twin_score: float = 0.5  # score of a recurring pair whatever modes it claims…
    twin_gate: float = 0.55  # …and its cause cosine (the same cause in other words)
    tie: float = 0.01  # scores this close are a tie: the better-written one goes first
    gated_support: bool = True  # shared services/tags/team count only as far as causes agree
    mode_idf: bool = True  # a mode many incidents claim says less about a pair
    mode: fm.ModeParams = field(default_factory=fm.ModeParams)

    def weights(self) -> dict[str, float]:
        values_ = (self.modes, self.cause, self.whole, self.services, self.tags, self.team)
        return dict(zip(SIGNAL_NAMES, values_, strict=True))


@dataclass(frozen=True)
class Profile:
    """What similarity reads of one post-mortem besides its vectors."""

    doc: Document
    services: frozenset[str]
    tags: frozenset[str]
    teams: frozenset[str]
    written: int  # 0–2: has a root cause, has action items
    reading: fm.Reading

    @property
    def doc_id(self) -> str:
        return self.doc.doc_id


@dataclass(frozen=True)
class IncidentSet:
    """Profiles of a set of post-mortems and their pairwise signals (n × n each)."""

    profiles: tuple[Profile, ...]
    cause_cos: np.ndarray
    whole_cos: np.ndarray
    params: SimilarityParams
    # Signals no parameter changes (services, tags, team), shared with with_params copies.
    fixed: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {p.doc_id: i for i, p in enumerate(self.profiles)})

    def with_params(self, params: SimilarityParams) -> IncidentSet:
        """This set under other weights, floors and thresholds (for tuning)."""
        return IncidentSet(self.profiles, self.cause_cos, self.whole_cos, params, self.fixed)

    def subset(self, indices: Sequence[int]) -> IncidentSet:
        """The set of the incidents at INDICES alone (as if only they had been given)."""
        idx = np.asarray(indices, dtype=np.int64)
        return IncidentSet(
            tuple(self.profiles[i] for i in idx),
            self.cause_cos[np.ix_(idx, idx)],
            self.whole_cos[np.ix_(idx, idx)],
            self.params,
        )

    def _fixed(self) -> dict[str, np.ndarray]:
        if not self.fixed:
            tag_sets = [q.tags for q in self.profiles]
            self.fixed.update(
                {
                    "services": _jaccard([q.services for q in self.profiles]),
                    "tags": _jaccard(tag_sets, idf(tag_sets)),
                    "team": (_jaccard([q.teams for q in self.profiles]) > 0).astype(np.float64),
                }
            )
        return self.fixed

    def index_of(self, doc_id: str) -> int | None:
        return self._index.get(doc_id)  # type: ignore[attr-defined,no-any-return]

    def __len__(self) -> int:
        return len(self.profiles)

    @cached_property
    def id_rank(self) -> np.ndarray:
        """Each incident's place in document-id order (the last tie-breaker)."""
        order = sorted(range(len(self.profiles)), key=lambda k: self.profiles[k].doc_id)
        out = np.empty(len(order), dtype=np.int64)
        out[order] = np.arange(len(order))
        return out

    @cached_property
    def written(self) -> np.ndarray:
        return np.array([p.written for p in self.profiles], dtype=np.int64)

    # -- failure modes --------------------------------------------------------------------

    @cached_property
    def modes(self) -> np.ndarray:
        """(n, K) mode vectors of the incidents."""
        return fm.mode_matrix([p.reading for p in self.profiles], self.params.mode)

    @cached_property
    def claims(self) -> tuple[tuple[int, ...], ...]:
        """The modes each incident claims (indices into the vocabulary), strongest first."""
        return tuple(fm.claims(row, self.params.mode) for row in self.modes)

    @cached_property
    def primary(self) -> tuple[int | None, ...]:
        """The strongest mode each incident claims, or None."""
        return tuple(c[0] if c else None for c in self.claims)

    def shared_mode(self, i: int, j: int) -> int | None:
        """The mode I and J both claim (the one both show most evidence for), or None."""
        both = set(self.claims[i]) & set(self.claims[j])
        if not both:
            return None
        return max(sorted(both), key=lambda k: min(self.modes[i, k], self.modes[j, k]))

    @cached_property
    def mode_agreement(self) -> np.ndarray:
        """Cosine of the incidents' mode vectors (IDF-weighted over this set), in [0, 1]."""
        x = self.modes
        if self.params.mode_idf and len(x):
            claimed = (x >= self.params.mode.claim / 2).sum(axis=0)
            x = x * np.log1p(len(x) / (1.0 + claimed))
        return _cosines(x)

    @cached_property
    def shared_matrix(self) -> np.ndarray:
        """1 where two incidents claim a mode in common."""
        n, k = len(self.profiles), len(VOCABULARY)
        member = np.zeros((n, k), dtype=np.float64)
        for i, claimed in enumerate(self.claims):
            member[i, list(claimed)] = 1.0
        out = (member @ member.T > 0).astype(np.float64)
        np.fill_diagonal(out, 0.0)
        return out

    # -- signals and scores -----------------------------------------------------------------

    @cached_property
    def signals(self) -> dict[str, np.ndarray]:
        """Signal name → value in [0, 1] per pair (not weighted; the diagonal is 0)."""
        p = self.params
        out = {
            "failure mode": self.mode_agreement,
            "cause meaning": _meaning(self.cause_cos, p.floor),
            "write-up meaning": _meaning(self.whole_cos, p.floor),
            **self._fixed(),
        }
        for v in out.values():
            np.fill_diagonal(v, 0.0)
        return out

    def support(self) -> np.ndarray:
        """How much look-alike signals may add, per pair: nothing unless the causes agree.

        Services, tags, team and the whole write-up's meaning are what look-alikes share;
        they count in full once the pair claims one mode or its causes reach the gate.
        """
        p = self.params
        by_cause = np.clip((self.cause_cos - p.floor) / max(1e-9, p.gate - p.floor), 0.0, 1.0)
        return np.maximum(by_cause, self.shared_matrix)

    @cached_property
    def contribution_matrices(self) -> dict[str, np.ndarray]:
        """Each signal's weighted contribution to every pair's score."""
        weights = self.params.weights()
        support = self.support() if self.params.gated_support else 1.0
        free = ("failure mode", "cause meaning")
        return {
            name: weights[name] * values_ * (1.0 if name in free else support)
            for name, values_ in self.signals.items()
        }

    @cached_property
    def score_matrix(self) -> np.ndarray:
        """The weighted score of every pair (the diagonal is 0)."""
        total = sum(self.contribution_matrices.values())
        out = np.array(total, dtype=np.float64)
        np.fill_diagonal(out, 0.0)
        return out

    def scores(self) -> np.ndarray:
        return self.score_matrix

    def agree(self, i: int, j: int) -> bool:
        """Whether I's and J's causes agree: one claimed mode, or cause vectors past the gate."""
        return self.shared_mode(i, j) is not None or self.cause_cos[i, j] >= self.params.gate

    def tier(self, i: int, j: int) -> Tier | None:
        score = float(self.score_matrix[i, j])
        if score >= self.params.same and self.agree(i, j):
            return "same"
        if score >= self.params.related:
            return "related"
        return None


def _cosines(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    unit = x / np.where(norms == 0, 1.0, norms)
    out = np.clip(unit @ unit.T, 0.0, 1.0)
    np.fill_diagonal(out, 0.0)
    return out


# -- what the panel shows --------------------------------------------------------------------


@dataclass(frozen=True)
class SimilarIncident:
    """One post-mortem like the seed, with the signals that matched and why, in words."""

    doc: Document
    score: float
    tier: Tier | None  # None: below both thresholds (a "closest" shown with its reason)
    signals: dict[str, float]  # signal → its contribution to the score
    shared: dict[str, tuple[str, ...]] = field(default_factory=dict)
    confirmed: int = 0  # people who confirmed the same failure mode (index/pair_verdicts.py)
    reasons: tuple[str, ...] = ()  # "same cause: …", "both on ledger-db", …

    @property
    def why(self) -> str:
        """The reasons as one line: 'same cause: …; both on ledger-db; shared tags: …'."""
        return "; ".join(self.reasons)

    def to_json(self) -> dict[str, Any]:
        return {
            "confirmed": self.confirmed,
            "doc_id": self.doc.doc_id,
            "path": self.doc.path,
            "title": self.doc.title,
            "date": self.doc.date.isoformat() if self.doc.date else None,
            "score": round(self.score, 4),
            "tier": self.tier,
            "why": self.why,
            "reasons": list(self.reasons),
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


# -- reading post-mortems --------------------------------------------------------------------


def has_text(raw: object) -> bool:
    return bool(str(raw or "").strip())


def profile(doc: Document, reading: fm.Reading | None = None) -> Profile:
    """DOC's services, tags, teams and how well written it is (and its failure-mode reading)."""
    meta = doc.metadata
    services = fields.values(meta, "services")
    tags = [
        t
        for name in TAG_FIELDS
        for t in fields.values(meta, name)
        if not is_surface(t, meta)  # a tag naming the company or region is not a failure mode
    ]
    teams = fields.values(meta, "teams")
    written = int(has_root_cause(doc)) + int(bool(meta.get("action_items")))
    if reading is None:
        reading = fm.read(evidence(doc), cause_text(doc))
    return Profile(doc, frozenset(services), frozenset(tags), frozenset(teams), written, reading)


@dataclass(frozen=True)
class DocumentVectors:
    """One post-mortem's cause and account vectors (unit, as embedded) and its reading."""

    cause: np.ndarray
    account: np.ndarray
    reading: fm.Reading


def _unit(v: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(v))
    return v / norm if norm else v


def incident_texts(doc: Written) -> list[str]:
    """What a post-mortem's vectors are made of: its cause text, then its account windows.

    The cause text is '' when the post-mortem states no cause (its account stands in).
    """
    return [cause_text(doc), *account_windows(doc)]


def incident_vectors(
    vectors: Sequence[np.ndarray | None], dim: int
) -> tuple[np.ndarray, np.ndarray]:
    """(cause, account) unit vectors from the vectors of incident_texts (None for '')."""
    cause, *windows = vectors
    rows = [_unit(np.asarray(w, np.float32).reshape(-1)) for w in windows if w is not None]
    account = _unit(np.mean(rows, axis=0)) if rows else np.zeros(dim, np.float32)
    if cause is None:
        return account, account
    return _unit(np.asarray(cause, np.float32).reshape(-1)), account


def reading(
    doc: Document, cause: np.ndarray, account: np.ndarray, descriptions: np.ndarray | None
) -> DocumentVectors:
    """DOC's vectors with its failure-mode reading (words, and meaning against DESCRIPTIONS)."""
    both = _unit(np.asarray(cause, np.float32) + np.asarray(account, np.float32))
    return DocumentVectors(
        cause, account, fm.read(evidence(doc), cause_text(doc), both, descriptions)
    )


def read_document(
    doc: Document, embed: Callable[[str], np.ndarray], descriptions: np.ndarray
) -> DocumentVectors:
    """DOC read from scratch with EMBED (an index built before incident vectors were stored)."""
    texts = incident_texts(doc)
    vectors = [np.asarray(embed(t), np.float32) if t else None for t in texts]
    cause, account = incident_vectors(vectors, descriptions.shape[1])
    return reading(doc, cause, account, descriptions)


def without_direction(vectors: np.ndarray, direction: np.ndarray | None) -> np.ndarray:
    """Unit rows of VECTORS with their component along DIRECTION removed.

    DIRECTION is what every incident write-up shares ("something failed, users saw errors");
    without it, cosines measure what differs: the mechanism.
    """
    if direction is None or not len(vectors):
        return vectors
    d = _unit(direction)
    out = vectors - np.outer(vectors @ d, d)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms == 0, 1.0, norms)


def load(
    cur: Any,
    vectors: VectorIndex,
    docs: Sequence[Document],
    params: SimilarityParams | None = None,
    embed: Callable[[str], np.ndarray] | None = None,
    read: Callable[[Document], DocumentVectors] | None = None,
    descriptions: np.ndarray | None = None,
) -> IncidentSet:
    """The incident set of DOCS (post-mortems the caller may see).

    With READ (a cached read_document) and DESCRIPTIONS, each post-mortem is read for its
    cause as the module says. With EMBED alone the same, uncached. With neither, the stored
    passage vectors stand in (they carry titles, and with them surface) and modes are matched
    by words only.
    """
    if read is None and embed is not None:
        descriptions = fm.description_vectors(embed) if descriptions is None else descriptions
        read = lambda d: read_document(d, embed, descriptions)  # noqa: E731
    if read is not None:
        found = [read(d) for d in docs]
        cause = np.vstack([f.cause for f in found]) if found else np.zeros((0, 1))
        whole = np.vstack([f.account for f in found]) if found else np.zeros((0, 1))
        generic = descriptions.mean(axis=0) if descriptions is not None else None
        profiles = [profile(d, f.reading) for d, f in zip(docs, found, strict=True)]
        return build(
            profiles, without_direction(cause, generic), without_direction(whole, generic), params
        )
    doc_ids = [d.doc_id for d in docs]
    rows = catalog.chunk_headings(cur, doc_ids)
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    got, vecs = vectors.vectors_of(ids) if len(ids) else (ids, np.zeros((0, vectors.dim)))
    vector_of = dict(zip(got.tolist(), vecs, strict=True))
    passages = ((d, h, vector_of[c]) for c, d, h in rows if c in vector_of)
    cause, whole = document_vectors(doc_ids, passages, vectors.dim)
    return build([profile(d) for d in docs], cause, whole, params)


def document_vectors(
    doc_ids: Sequence[str], passages: Iterable[tuple[str, str, np.ndarray]], dim: int
) -> tuple[np.ndarray, np.ndarray]:
    """(cause vectors, whole vectors) from stored passages, one unit row per document.

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


def _meaning(cos: np.ndarray, floor: float) -> np.ndarray:
    return np.clip((cos - floor) / (1.0 - floor), 0.0, 1.0)


def _jaccard(
    sets: Sequence[frozenset[str]], weight: Mapping[str, float] | None = None
) -> np.ndarray:
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
        idx = np.array(who)
        out[np.ix_(idx, idx)] += w.get(item, 1.0)
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
    """The incident set of PROFILES (rows of CAUSE/WHOLE, unit vectors, in the same order)."""
    cause_cos = cause @ cause.T if len(cause) else np.zeros((0, 0))
    whole_cos = whole @ whole.T if len(whole) else np.zeros((0, 0))
    return IncidentSet(
        tuple(profiles),
        np.asarray(cause_cos, np.float64),
        np.asarray(whole_cos, np.float64),
        params or SimilarityParams(),
    )


# -- why, in words ---------------------------------------------------------------------------

LISTED = 3  # services, tags or phrases named in one reason


def _listing(items: Sequence[str]) -> str:
    shown = list(items[:LISTED])
    more = len(items) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def reasons(incidents: IncidentSet, i: int, j: int) -> tuple[str, ...]:
    """Why J is like I, as short phrases a reader checks against the two write-ups."""
    a, b = incidents.profiles[i], incidents.profiles[j]
    parts = incidents.contribution_matrices
    out: list[str] = []
    mode = incidents.shared_mode(i, j)
    if mode is not None:
        phrases = [p for p in b.reading.found[mode] if p in set(a.reading.found[mode])]
        quoted = f" (both say “{phrases[0]}”)" if phrases else ""
        out.append(f"same cause: {VOCABULARY[mode].label}{quoted}")
    else:
        weakest = np.minimum(incidents.modes[i], incidents.modes[j])
        top = int(np.argmax(weakest))
        if weakest[top] >= incidents.params.mode.claim:
            out.append(f"a similar kind of cause: {VOCABULARY[top].label}")
    if incidents.cause_cos[i, j] >= incidents.params.gate / 2 and parts["cause meaning"][i, j]:
        out.append("root causes read alike" if mode is None else "root causes read alike too")
    services = sorted(a.services & b.services)
    if services and parts["services"][i, j] > 0.0005:
        out.append(f"both on {_listing(services)}")
    tags = sorted(a.tags & b.tags)
    if tags and parts["tags"][i, j] > 0.0005:
        out.append(f"shared tags: {_listing(tags)}")
    teams = sorted(a.teams & b.teams)
    if teams and parts["team"][i, j] > 0.0005:
        out.append(f"same team: {_listing(teams)}")
    if parts["write-up meaning"][i, j] > 0.0005 and not out:
        out.append("write-ups read alike")
    return tuple(out) or ("little in common: no shared cause, service, tag or team",)


def explain(incidents: IncidentSet, i: int, j: int) -> SimilarIncident:
    """Why J is like I: each signal's contribution, what they share, and the reasons in words."""
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
    mode = incidents.shared_mode(i, j)
    if mode is not None:
        shared["failure mode"] = (VOCABULARY[mode].label,)
    return SimilarIncident(
        b.doc,
        float(incidents.score_matrix[i, j]),
        incidents.tier(i, j),
        contributions,
        {k: v for k, v in shared.items() if v},
        reasons=reasons(incidents, i, j),
    )


def ranked(incidents: IncidentSet, i: int) -> list[tuple[int, float]]:
    """Every other incident by score; near-ties go to the better-written one (root cause, items).

    Remaining ties go by document id, so the order never depends on how the set was read.
    """
    row = incidents.score_matrix[i]
    tie = incidents.params.tie or 1e-9
    order = np.lexsort(
        (
            incidents.id_rank,
            -row,
            -incidents.written,
            -np.floor(row / tie),
        )
    )
    return [(int(j), float(row[j])) for j in order if j != i]


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
        tier = incidents.tier(i, j)
        if closest is None or tier is not None:
            found = explain(incidents, i, j)
            closest = closest or found
            if found.tier == "same":
                same.append(found)
            elif found.tier == "related":
                related.append(found)
    if same or related:
        return SimilarPanel(doc, tuple(same), tuple(related))
    reason = "Nothing similar above the threshold"
    if closest is not None:
        reason += f"; closest: {closest.doc.title} ({closest.why})"
    return SimilarPanel(doc, closest=closest, reason=reason + ".")


def tuned(params: SimilarityParams, **changes: Any) -> SimilarityParams:
    """PARAMS with CHANGES; `mode_<name>` changes the failure-mode matching parameters."""
    mode = {k[5:]: v for k, v in changes.items() if k.startswith("mode_") and k != "mode_idf"}
    rest = {k: v for k, v in changes.items() if not (k.startswith("mode_") and k != "mode_idf")}
    return replace(params, mode=replace(params.mode, **mode), **rest)
