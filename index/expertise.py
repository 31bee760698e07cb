"""Who knows about a topic, from evidence: documents on it vote for the people in them.

A document-centric model (Balog et al., SIGIR 2006, "Model 2"): the product's own hybrid
search finds the documents on the topic; each votes for the people associated with it, by
role (post-mortem author, action-item owner, Showcase presenter, speaker in a recording, talk
speaker, paper-review author), weighted by its relevance and by its age (a half-life). A
declared profile topic is one more vote, not a trump card. A recording votes for who *spoke*
in its passages on the topic, in proportion to their talk time there.

Everything is built from the documents one viewer may see: the people index is built per
snapshot and per access key, so a restricted document never adds evidence for an outsider.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import duckdb
import numpy as np

from index import catalog, fields
from index.experts import topic_matches
from index.filters import SearchFilters
from index.models import Expert
from index.people import Directory, Person
from index.search import Searcher
from index.timefmt import clock

ROLES = (
    "author",  # wrote a post-mortem (or a note)
    "action-owner",  # owns action items of a post-mortem
    "presenter",  # presented at a Showcase
    "speaker",  # spoke in a recording, in its passages on the topic
    "talk-speaker",  # gave a talk
    "reviewer",  # led a paper review
    "declared",  # names the topic in their profile
)
DECLARED_ONLY = "declares this topic; no evidence in the archive yet"
ROLE_LABEL = {
    "author": "wrote",
    "action-owner": "owns action items of",
    "presenter": "presented",
    "speaker": "spoke in",
    "talk-speaker": "gave the talk",
    "reviewer": "reviewed the paper",
    "declared": "declares it in their profile",
}


@dataclass(frozen=True)
class ExpertiseParams:
    """How evidence is weighed (defaults chosen on held-out folds: docs/quality.md)."""

    weights: tuple[tuple[str, float], ...] = (
        ("author", 1.0),
        ("action-owner", 1.0),
        ("presenter", 0.5),
        ("speaker", 0.4),
        ("talk-speaker", 0.8),
        ("reviewer", 0.4),
        ("declared", 0.5),
    )
    # Evidence this old counts half (0: no decay). A prior: the judged set cannot measure it.
    half_life_days: float = 730.0
    documents: int = 20  # documents on the topic that vote
    min_cosine: float = 0.3  # a document votes only when its passage is closer than this
    min_score: float = 0.02  # people below this score are noise (a topic nobody wrote on)
    passages: int = 3  # a recording's passages on the topic (its best by meaning)

    def weight(self, role: str) -> float:
        return dict(self.weights).get(role, 0.0)

    def with_weights(self, **changes: float) -> ExpertiseParams:
        table = dict(self.weights)
        table.update({k.replace("_", "-"): v for k, v in changes.items()})
        return replace(self, weights=tuple(table.items()))

    @classmethod
    def from_settings(cls, settings: Any) -> ExpertiseParams:
        return cls(
            weights=(
                ("author", settings.expert_weight_author),
                ("action-owner", settings.expert_weight_action_owner),
                ("presenter", settings.expert_weight_presenter),
                ("speaker", settings.expert_weight_speaker),
                ("talk-speaker", settings.expert_weight_talk_speaker),
                ("reviewer", settings.expert_weight_reviewer),
                ("declared", settings.expert_weight_declared),
            ),
            half_life_days=settings.expert_half_life_days,
            documents=settings.expert_documents,
        )


@dataclass(frozen=True)
class EvidenceItem:
    """One reason to think someone knows: a document, their role in it, and what it adds."""

    doc_id: str
    path: str
    title: str
    kind: str
    role: str
    date: dt.date | None
    weight: float = 0.0  # its share of the person's score (0 outside a topic search)
    start: float | None = None  # a recording moment: where they speak on the topic (seconds)
    detail: str = ""  # "SEV2", "2 open", "1m20s of the passages on it"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "doc_id": self.doc_id,
            "path": self.path,
            "title": self.title,
            "kind": self.kind,
            "role": self.role,
            "date": self.date.isoformat() if self.date else None,
            "weight": round(self.weight, 6),
            "detail": self.detail,
        }
        if self.start is not None:
            out["start"] = self.start
        return out


@dataclass(frozen=True)
class ExpertiseMatch:
    """A person found for a topic, with the evidence behind their score."""

    person: Person
    score: float
    evidence: tuple[EvidenceItem, ...] = ()
    declared: tuple[str, ...] = ()  # their declared topics the query names

    @property
    def evidenced(self) -> bool:
        """True when documents, not only their profile, say they know it."""
        return any(e.role != "declared" for e in self.evidence)

    @property
    def note(self) -> str:
        """What a reader should know before asking them: a claim is not evidence."""
        return "" if self.evidenced else DECLARED_ONLY

    @property
    def also_knows(self) -> bool:
        """Evidence on the topic that their profile does not declare."""
        return self.evidenced and not self.declared

    @property
    def expert(self) -> Expert:
        """Their profile; for someone without one, a stand-in keyed by their name key."""
        return self.person.expert or Expert(expert_id=self.person.key, name=self.person.name)

    @property
    def topics(self) -> tuple[str, ...]:
        return self.declared

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.person.name,
            "key": self.person.key,
            "expert_id": self.person.expert_id,
            "has_profile": self.person.has_profile,
            "score": round(self.score, 6),
            "declared": list(self.declared),
            "evidenced": self.evidenced,
            "note": self.note,
            "evidence": [e.to_json() for e in self.evidence],
        }


# -- the people index: who is in which visible document, in which role ------------------------


@dataclass(frozen=True)
class DocInfo:
    doc_id: str
    kind: str
    title: str
    path: str
    date: dt.date | None
    metadata: Mapping[str, Any]


@dataclass(frozen=True)
class Link:
    """PERSON has ROLE in a document (COUNT items of it; OPEN of them still open)."""

    key: str
    role: str
    count: int = 1
    open: int = 0


@dataclass
class PeopleIndex:
    """Who appears where, among the documents of one access key in one snapshot."""

    directory: Directory
    docs: dict[str, DocInfo] = field(default_factory=dict)
    links: dict[str, list[Link]] = field(default_factory=dict)  # doc_id → its people
    turns: dict[str, list[tuple[float, float, str]]] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)

    @classmethod
    def build(cls, cur: duckdb.DuckDBPyConnection, access: tuple[str, ...] | None) -> PeopleIndex:
        where, params = catalog.filter_clause(SearchFilters(access=access))
        rows = cur.execute(
            f"SELECT doc_id, kind, title, path, date, metadata FROM documents d WHERE {where}",
            params,
        ).fetchall()
        docs = {
            r[0]: DocInfo(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]) if r[5] else {})
            for r in rows
        }
        experts = {e.doc_id: e for e in catalog.experts(cur, access)}
        profiles = [
            (e, _aliases(docs[d].metadata if d in docs else {})) for d, e in experts.items()
        ]
        index = cls(Directory(profiles), docs)
        for profile in index.directory.profiles:
            index.people[profile.key] = profile
        for doc in docs.values():
            index.links[doc.doc_id] = index._metadata_links(doc)
        for doc_id, start, end, speaker in cur.execute(
            "SELECT doc_id, start_s, end_s, speaker FROM segments WHERE speaker IS NOT NULL "
            "ORDER BY doc_id, ordinal"
        ).fetchall():
            if doc_id in docs and start is not None and end is not None:
                person = index._resolve(speaker)
                if person is not None:
                    index.turns.setdefault(doc_id, []).append((start, end, person.key))
        for key in index.people:  # the name each is shown by may have improved since
            index.people[key] = index.directory.by_key(key) or index.people[key]
        return index

    def _resolve(self, raw: Any) -> Person | None:
        person = self.directory.resolve(str(raw)) if raw else None
        if person is not None:
            self.people.setdefault(person.key, person)
        return person

    def _metadata_links(self, doc: DocInfo) -> list[Link]:
        if doc.kind == "expert":
            return []
        meta = doc.metadata
        found: dict[tuple[str, str], Link] = {}
        for fieldname in ("authors", "presenters", "speakers", "owner"):
            for raw in _names(meta.get(fieldname)):
                person = self._resolve(raw)
                if person is not None:
                    role = _role_of(doc.kind, fieldname)
                    found.setdefault((person.key, role), Link(person.key, role))
        items = meta.get("action_items") if doc.kind == "postmortem" else None
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict):
                continue
            for raw in _names(item.get("owner")):
                person = self._resolve(raw)
                if person is None:
                    continue
                is_open = not fields.is_done(item.get("status"))
                old = found.get((person.key, "action-owner"), Link(person.key, "action-owner", 0))
                found[(person.key, "action-owner")] = Link(
                    person.key, "action-owner", old.count + 1, old.open + int(is_open)
                )
        return list(found.values())

    def person(self, key: str) -> Person | None:
        """A person with a visible profile, or named in a visible document."""
        return self.people.get(key)


def _names(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("email") or item.get("name") or ""
        text = " ".join(str(item).split()) if item is not None else ""
        # "Priya Raman, Jonas Becker" in one string names two people
        out += [t.strip() for t in text.split(",") if t.strip()] if "<" not in text else [text]
    return out


HANDLE_FIELDS = ("handle", "handles", "slack", "github", "chat")


def _aliases(meta: Mapping[str, Any]) -> list[str]:
    """Other ways a profile's person is written: `aliases:` and their @handles."""
    raw = meta.get("aliases")
    out = [str(a) for a in (raw if isinstance(raw, list) else [raw]) if a]
    for name in HANDLE_FIELDS:
        value = meta.get(name)
        for handle in value if isinstance(value, list) else [value]:
            text = str(handle or "").strip()
            # `chat: "#ask-tracking"` is a channel, not a person; a bare `github: dkim` is one.
            if text.startswith("@") or (text and name in ("handle", "handles", "github")):
                out.append("@" + text.lstrip("@"))
    return out


def _role_of(kind: str, fieldname: str) -> str:
    """The role of someone in a document's FIELDNAME, by the document's kind."""
    if kind == "postmortem":
        return "author"
    if kind == "showcase":
        return "presenter"
    if kind == "talk":
        return "talk-speaker"
    if kind == "paper-review":
        return "reviewer"
    return "presenter" if fieldname == "presenters" else "author"


# -- voting -------------------------------------------------------------------------------------


def decay(date: dt.date | None, today: dt.date, half_life_days: float) -> float:
    """How much evidence of DATE still counts: 1 now, ½ after one half-life (undated: 1)."""
    if date is None or half_life_days <= 0:
        return 1.0
    age = max(0, (today - date).days)
    return float(0.5 ** (age / half_life_days))


@dataclass(frozen=True)
class Vote:
    """A document on the topic: its relevance (0..1) and, for a recording, its passages."""

    doc_id: str
    relevance: float
    passages: tuple[tuple[float, float, float], ...] = ()  # (start, end, cosine), best first


def topic_votes(
    searcher: Searcher, query: str, scope: SearchFilters, params: ExpertiseParams
) -> list[Vote]:
    """The documents on QUERY the scope may see, with relevance and recording passages."""
    hits = searcher.search(query, limit=params.documents, filters=scope)
    if not hits:
        return []
    vector = np.asarray(searcher.embed_query(query), dtype=np.float32).reshape(-1)
    vectors = searcher.snapshot.vectors
    table = searcher.snapshot.table
    ids, found = vectors.vectors_of(np.array([h.chunk_id for h in hits], dtype=np.int64))
    cosine = dict(zip(ids.tolist(), (found @ vector).tolist(), strict=True))
    top = hits[0].score or 1.0
    votes = []
    for hit in hits:
        number = table.number(hit.doc_id)
        passages = table.passages(number) if number is not None else np.zeros(0, np.int64)
        timed: tuple[tuple[float, float, float], ...] = ()
        best = cosine.get(hit.chunk_id, 0.0)
        if len(passages):
            pids, pvecs = vectors.vectors_of(passages)
            scores = pvecs @ vector
            order = np.argsort(-scores)[: params.passages]
            rows = catalog.chunks_by_id(searcher.snapshot.cursor(), [int(pids[i]) for i in order])
            timed = tuple(
                (row.start, row.end, float(scores[i]))
                for i in order
                if (row := rows.get(int(pids[i]))) is not None
                and row.start is not None
                and row.end is not None
                and float(scores[i]) >= params.min_cosine
            )
            best = max(best, float(scores[order[0]])) if len(order) else best
        # Fused ranks are flat (the 20th document still scores ~0.7 of the first), so a
        # document's vote also scales with how far its meaning clears the floor.
        closeness = (best - params.min_cosine) / (1.0 - params.min_cosine)
        if closeness > 0:
            votes.append(Vote(hit.doc_id, hit.score / top * closeness, timed))
    return votes


def rank(
    index: PeopleIndex,
    votes: list[Vote],
    query: str,
    params: ExpertiseParams,
    *,
    today: dt.date,
    limit: int = 10,
) -> list[ExpertiseMatch]:
    """People by the votes of the documents on QUERY, each with the evidence behind it."""
    scores: defaultdict[str, float] = defaultdict(float)
    evidence: dict[str, list[EvidenceItem]] = {}

    def add(key: str, item: EvidenceItem) -> None:
        scores[key] += item.weight
        evidence.setdefault(key, []).append(item)

    for vote in votes:
        doc = index.docs.get(vote.doc_id)
        if doc is None:
            continue
        age = decay(doc.date, today, params.half_life_days)
        if doc.kind == "expert":
            continue  # a profile votes below, as a declared topic
        for link in index.links.get(doc.doc_id, []):
            share = 1.0 if link.role != "action-owner" else 1 - 0.5**link.count
            weight = params.weight(link.role) * share * vote.relevance * age
            add(link.key, _item(doc, link.role, weight, detail=_detail(doc, link)))
        for key, seconds, start in _talk_time(index.turns.get(doc.doc_id, []), vote.passages):
            weight = params.weight("speaker") * seconds[0] * vote.relevance * age
            detail = f"{_duration(seconds[1])} of the passages on it"
            add(key, _item(doc, "speaker", weight, start=start, detail=detail))
    profile_votes = {v.doc_id: v.relevance for v in votes}
    declared: dict[str, tuple[str, ...]] = {}
    for person in index.directory.profiles:
        expert = person.expert
        assert expert is not None
        named = topic_matches(expert, query)
        strength = max(1.0 if named else 0.0, profile_votes.get(expert.doc_id, 0.0))
        if named:
            declared[person.key] = named
        if strength > 0:
            doc = index.docs.get(expert.doc_id)
            if doc is not None:
                weight = params.weight("declared") * strength
                detail = ", ".join(named) or "their profile is about it"
                add(person.key, _item(doc, "declared", weight, detail=detail))
    out = [
        ExpertiseMatch(
            index.people[key],
            score,
            tuple(sorted(evidence[key], key=lambda e: -e.weight)),
            declared.get(key, ()),
        )
        for key, score in scores.items()
        if score >= params.min_score and key in index.people
    ]
    # Evidence above claims: whoever only declares the topic comes after everyone whose
    # documents show it, however strong the declaration.
    out.sort(key=lambda m: (not m.evidenced, -m.score, m.person.name))
    return out[:limit]


def _item(doc: DocInfo, role: str, weight: float, **extra: Any) -> EvidenceItem:
    return EvidenceItem(doc.doc_id, doc.path, doc.title, doc.kind, role, doc.date, weight, **extra)


def _detail(doc: DocInfo, link: Link) -> str:
    if link.role == "action-owner":
        services = fields.values(doc.metadata, "services")
        on = f" on {services[0]}" if services else ""
        state = f"{link.open} open" if link.open else "all done"
        return f"{link.count} action item{'s' if link.count != 1 else ''}{on} ({state})"
    return fields.text(doc.metadata, "severity") if doc.kind == "postmortem" else ""


def _talk_time(
    turns: list[tuple[float, float, str]], passages: tuple[tuple[float, float, float], ...]
) -> list[tuple[str, tuple[float, float], float]]:
    """Per speaker: (share of the passages' talk time, seconds), where they start speaking."""
    seconds: defaultdict[str, float] = defaultdict(float)
    first: dict[str, tuple[float, float]] = {}  # key → (−passage cosine, start): best passage
    for p_start, p_end, cos in passages:
        for start, end, key in turns:
            overlap = min(end, p_end) - max(start, p_start)
            if overlap > 0:
                seconds[key] += overlap
                moment = (-cos, max(start, p_start))
                first[key] = min(first.get(key, moment), moment)
    total = sum(seconds.values())
    if total <= 0:
        return []
    return [
        (k, (s / total, s), first[k][1]) for k, s in sorted(seconds.items(), key=lambda x: -x[1])
    ]


def _duration(seconds: float) -> str:
    whole = int(round(seconds))
    return f"{whole // 60}m{whole % 60:02d}s" if whole >= 60 else f"{whole}s"


# -- one person's evidence ---------------------------------------------------------------------


def person_evidence(index: PeopleIndex, key: str, params: ExpertiseParams) -> list[EvidenceItem]:
    """Everything that ties KEY to visible documents, newest first (a timeline)."""
    out: list[EvidenceItem] = []
    for doc_id, links in index.links.items():
        doc = index.docs[doc_id]
        for link in links:
            if link.key == key:
                out.append(
                    _item(doc, link.role, params.weight(link.role), detail=_detail(doc, link))
                )
    for doc_id, turns in index.turns.items():
        mine = [(s, e) for s, e, k in turns if k == key]
        if mine:
            doc = index.docs[doc_id]
            spoken = sum(e - s for s, e in mine)
            out.append(
                _item(
                    doc,
                    "speaker",
                    params.weight("speaker"),
                    start=mine[0][0],
                    detail=f"{_duration(spoken)} in all",
                )
            )
    out.sort(key=lambda e: (e.date or dt.date.min, e.title), reverse=True)
    return out


def inferred_topics(
    index: PeopleIndex, evidence: list[EvidenceItem], *, limit: int = 12
) -> list[tuple[str, float]]:
    """Key phrases (tags, services) of the documents behind EVIDENCE, by weight of role."""
    weights: defaultdict[str, float] = defaultdict(float)
    for item in evidence:
        meta = index.docs[item.doc_id].metadata
        for name in ("tags", "keywords", "services"):
            values = meta.get(name)
            for value in values if isinstance(values, list) else []:
                weights[str(value).strip().lower()] += item.weight
    return [
        (t, round(w, 3))
        for t, w in sorted(weights.items(), key=lambda x: -x[1])[:limit]
        if t and w > 0
    ]


def cite(item: EvidenceItem, *, on_topic: bool = True) -> str:
    """One line an engineer can check: 'wrote “Ledger replica lag” (SEV2, 2025-03)'.

    ON_TOPIC: the item was found for a topic (a recording moment is where they explain it),
    not listed on a person's timeline (where it is where they first speak).
    """
    when = f"{item.date:%Y-%m}" if item.date else ""
    title = f"“{item.title}”"
    if item.role == "speaker" and item.start is not None:
        if on_topic:
            return f"explained it at {clock(item.start)} in {title} ({item.detail})"
        return f"spoke in {title} from {clock(item.start)} ({item.detail})"
    if item.role == "action-owner":
        return f"owns {item.detail} in {title}"
    if item.role == "declared":
        return f"declares it in their profile ({item.detail})"
    extra = ", ".join(p for p in (item.detail, when) if p)
    return f"{ROLE_LABEL[item.role]} {title}" + (f" ({extra})" if extra else "")
