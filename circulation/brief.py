"""The pre-work brief: what the organisation already learned about a plan, in one screen.

A plan (a ticket paragraph, a two-page design doc) is read passage by passage: the model reads
256 word pieces, so a long plan is split at paragraph and sentence ends into passages that fit
(nothing is dropped: the passages hold every word of the plan, in order). Each passage is
searched through the Archive (so only what the viewer may see takes part) and the per-passage
rankings are fused by reciprocal rank, so a sentence and the document that contains it agree on
the main incidents. Everything shown is the documents' own text (extractive): no generated
sentence, only labels such as "Root cause".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from circulation.links import MAX_PLAN_LINK, Links, encode_plan
from index import escape, fields
from index import experts as office
from index.action_items import ActionItem
from index.expertise import ExpertiseMatch
from index.filters import SearchFilters
from index.kinds import TALK_KINDS
from index.models import Document, SearchHit
from index.relevance import PLAN_FLOOR, PLAN_MEDIA_FLOOR, FloorParams, matches

if TYPE_CHECKING:
    from index.archive import Archive

CountTokens = Callable[[str], int]
PASSAGE_TOKENS = 200  # of the model's 256: room for the special tokens and a query prompt
RRF_K = 60
PER_PASSAGE = 10  # documents each passage contributes to the fusion
_PARAGRAPH = re.compile(r"\n\s*\n")
_SENTENCE = re.compile(r"(?<=[.!?…])\s+")
_SECTION = r"^#+\s*(?:{})\b.*?$\n(.*?)(?=^#+\s|\Z)"


def approximate_tokens(text: str) -> int:
    """A stand-in for the model's count when none is given: about 4 word pieces per 3 words."""
    return 2 + (len(text.split()) * 4 + 2) // 3


# -- the plan, read passage by passage ------------------------------------------------------


def passages(
    plan: str, count_tokens: CountTokens | None = None, *, target: int = PASSAGE_TOKENS
) -> list[str]:
    """PLAN cut into passages of at most TARGET word pieces, at paragraph and sentence ends.

    Every word of the plan is in exactly one passage, in order (a sentence longer than TARGET is
    cut between words), so nothing a long plan says is silently dropped.
    """
    count = count_tokens or approximate_tokens
    base = count("")  # the special tokens every passage pays once
    # The model's tokenizer splits at spaces first, so the pieces of "a b" are those of "a" and
    # of "b": a passage's count is the sum of its parts' (counted once each, not re-counted).
    out: list[str] = []
    current: list[str] = []
    used = base
    for paragraph in _PARAGRAPH.split(plan):
        for sentence in _SENTENCE.split(" ".join(paragraph.split())):
            for piece, cost in _fit(sentence, count, base, target):
                if current and used + cost > target:
                    out.append(" ".join(current))
                    current, used = [], base
                current.append(piece)
                used += cost
        # A paragraph end closes a passage once it holds enough to stand alone: a heading or
        # a one-line bullet is read with what follows it, not searched on its own.
        if current and used >= target // 2:
            out.append(" ".join(current))
            current, used = [], base
    if current:
        out.append(" ".join(current))
    return [p for p in out if p.strip()]


def _fit(sentence: str, count: CountTokens, base: int, target: int) -> list[tuple[str, int]]:
    """SENTENCE as one piece, or cut between words into pieces of at most TARGET; with costs."""
    if not sentence:
        return []
    cost = count(sentence) - base
    if base + cost <= target:
        return [(sentence, cost)]
    pieces: list[tuple[str, int]] = []
    words: list[str] = []
    used = 0
    for word in sentence.split():
        word_cost = count(word) - base
        if words and base + used + word_cost > target:
            pieces.append((" ".join(words), used))
            words, used = [], 0
        words.append(word)
        used += word_cost
    if words:
        pieces.append((" ".join(words), used))
    return pieces


# -- the brief -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BriefIncident:
    """A past incident like the plan, with why it matched."""

    doc: Document
    score: float
    plan_passage: str  # the sentence of the plan that met it best
    incident_passage: str  # and the incident's passage it met
    shared_services: tuple[str, ...]
    severity: str
    root_cause: str
    lessons: tuple[str, ...]
    recurrence: str  # "3rd occurrence in 18 months: …" when it is a recurring failure mode
    recurrence_size: int
    action_items: tuple[ActionItem, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc.doc_id,
            "path": self.doc.path,
            "title": self.doc.title,
            "date": _iso(self.doc.date),
            "severity": self.severity,
            "score": round(self.score, 6),
            "why": {
                "plan": self.plan_passage,
                "incident": self.incident_passage,
                "shared_services": list(self.shared_services),
            },
            "recurring": {"headline": self.recurrence, "size": self.recurrence_size}
            if self.recurrence
            else None,
            "root_cause": self.root_cause,
            "lessons": list(self.lessons),
            "action_items": [_item_json(i) for i in self.action_items],
        }


@dataclass(frozen=True)
class BriefMoment:
    """A recording moment where it was explained, playable from START (seconds)."""

    doc_id: str
    path: str
    title: str
    start: float
    end: float
    speaker: str | None
    snippet: str
    failure: bool  # a Showcase whose outcome was a failure (shown first)
    kind: str = "showcase"

    def to_json(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "path": self.path,
            "title": self.title,
            "start": self.start,
            "end": self.end,
            "speaker": self.speaker,
            "snippet": self.snippet,
            "failure": self.failure,
            "kind": self.kind,
        }


@dataclass(frozen=True)
class BriefExpert:
    """Someone to ask, with what they did and their next office hours in the viewer's zone."""

    match: ExpertiseMatch
    score: float
    next_office_hours: office.Occurrence | None

    def to_json(self) -> dict[str, Any]:
        nxt = self.next_office_hours
        return {
            "name": self.match.person.name,
            "expert_id": self.match.person.expert_id,
            "score": round(self.score, 6),
            "booking": self.match.expert.booking,
            "evidence": [e.to_json() for e in self.match.evidence],
            "next_office_hours": {
                "start": nxt.viewer_start.isoformat(),
                "end": nxt.viewer_end.isoformat(),
                "where": nxt.slot.where,
            }
            if nxt
            else None,
        }


@dataclass(frozen=True)
class ChecklistItem:
    """A question to answer before starting: a matched incident's own sentence, cited."""

    text: str
    source: str  # "trigger", "root cause" or "lesson"
    doc_id: str
    title: str

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "source": self.source, "doc_id": self.doc_id}


@dataclass(frozen=True)
class RelatedPlan:
    """Another team's shared plan like this one: the duplicate-effort radar (circulation.radar)."""

    team: str
    person: str | None  # only when its sharer agreed to be named
    shared_at: dt.datetime
    first_line: str
    score: float
    audience: tuple[str, ...] = ()  # the groups that may see it (counted, never shown)

    def when(self, now: dt.datetime) -> str:
        days = (now.date() - self.shared_at.date()).days
        return "today" if days <= 0 else "yesterday" if days == 1 else f"{days} days ago"

    def sentence(self, now: dt.datetime) -> str:
        """“payouts checked a similar plan 3 days ago: talk to Ana”."""
        talk = f": talk to {self.person}" if self.person else ""
        return f"{self.team} checked a similar plan {self.when(now)}{talk}"

    def to_json(self) -> dict[str, Any]:
        return {
            "team": self.team,
            "person": self.person,
            "date": self.shared_at.date().isoformat(),
            "first_line": self.first_line,
            "score": round(self.score, 3),
        }


@dataclass(frozen=True)
class Brief:
    """Everything the organisation already learned about one plan, for one viewer."""

    plan: str
    passages: tuple[str, ...]
    incidents: tuple[BriefIncident, ...]
    open_action_items: tuple[ActionItem, ...]
    moments: tuple[BriefMoment, ...]
    talks: tuple[SearchHit, ...]
    experts: tuple[BriefExpert, ...]
    checklist: tuple[ChecklistItem, ...]
    viewer_tz: str = "UTC"
    related_plans: tuple[RelatedPlan, ...] = ()  # other teams' shared plans like it (the radar)
    now: dt.datetime | None = None  # when it was made: "3 days ago" counts from here

    @property
    def found_nothing(self) -> bool:
        """Nothing the viewer may see clears the relevance floor for this plan."""
        return not (self.incidents or self.moments or self.talks or self.experts)

    @property
    def notice(self) -> str:
        """What to say when the brief is empty (an honest "nothing", not the nearest)."""
        if not self.passages:
            return "The plan is empty."
        if self.found_nothing:
            return (
                "Nothing in the archive you can see clearly matches this plan: no past "
                "incident, recording, talk or person. That is a finding too."
            )
        return ""

    def to_json(self) -> dict[str, Any]:
        return {
            "related_plans": [r.to_json() for r in self.related_plans],
            "notice": self.notice,
            "passages": len(self.passages),
            "incidents": [i.to_json() for i in self.incidents],
            "open_action_items": [_item_json(i) for i in self.open_action_items],
            "moments": [m.to_json() for m in self.moments],
            "talks": [
                {"doc_id": t.doc_id, "path": t.path, "title": t.title, "kind": t.kind}
                | {"date": _iso(t.date), "snippet": t.snippet}
                for t in self.talks
            ],
            "experts": [e.to_json() for e in self.experts],
            "checklist": [c.to_json() for c in self.checklist],
        }

    def to_markdown(self, portal_url: str | None = None) -> str:
        """The brief to paste into a design doc or a PR description.

        With PORTAL_URL (the portal's address) every incident, moment, talk and person links
        back into the portal, and the brief itself opens there with the plan filled in (each
        reader sees what their own access allows).
        """

        def named(text: str, doc_id: str, kind: str, seconds: float | None = None) -> str:
            shown = escape.markdown(text)
            if not portal_url:
                return shown
            return f"[{shown}]({Links(portal_url).document(kind, doc_id, seconds)})"

        out = ["# Before you start: what we already learned", ""]
        if portal_url:
            token = encode_plan(self.plan)
            if len(token) <= MAX_PLAN_LINK:
                link = Links(portal_url).page("brief", plan=token)
                out += [f"[Open this brief in Hindsight]({link}) (your own access applies)", ""]
        if self.related_plans:
            now = self.now or dt.datetime.now()
            out += ["## Other teams on this", ""]
            for r in self.related_plans:
                out.append(
                    f"- **{escape.markdown(r.sentence(now))}** — “{escape.markdown(r.first_line)}”"
                    f" (similarity {r.score:.2f}, {r.shared_at:%Y-%m-%d})"
                )
            out.append("")
        if self.notice:
            return "\n".join([*out, escape.markdown(self.notice)]) + "\n"
        out += ["## Past incidents like this", ""]
        for i in self.incidents:
            sev = f"{i.severity}, " if i.severity else ""
            title = f"**{named(i.doc.title, i.doc.doc_id, i.doc.kind)}**"
            out.append(f"- {title} ({sev}{_iso(i.doc.date) or 'undated'})")
            if i.recurrence:
                out.append(f"  - Recurring: {escape.markdown(i.recurrence)}")
            out.append(f"  - Why: your plan says “{escape.markdown(i.plan_passage)}”")
            out.append(f"    — the incident: “{escape.markdown(i.incident_passage)}”")
            if i.shared_services:
                out.append(f"  - Shared services: {escape.markdown(', '.join(i.shared_services))}")
            if i.root_cause:
                out.append(f"  - Root cause: {escape.markdown(i.root_cause)}")
            for lesson in i.lessons:
                out.append(f"  - Lesson: {escape.markdown(lesson)}")
        out += ["", "## Still open", ""]
        for a in self.open_action_items:
            due = a.due.isoformat() if a.due else a.due_text
            when = f"due {escape.markdown(due)}" if due else "no due date"
            late = " **overdue**" if a.overdue else ""
            owner = a.owner or "no owner"
            source = named(a.doc_id, a.doc_id, "postmortem")
            out.append(
                f"- {escape.markdown(a.title)} ({escape.markdown(owner)}, {when}{late}; {source})"
            )
        out += ["", "## Where it was explained", ""]
        for m in self.moments:
            who = f" {escape.markdown(m.speaker)}:" if m.speaker else ""
            where = named(f"{m.title} at {clock(m.start)}", m.doc_id, m.kind, m.start)
            out.append(f"- {where}{who} “{escape.markdown(m.snippet)}”")
        for t in self.talks:
            out.append(
                f"- {named(t.title, t.doc_id, t.kind)} ({t.kind}, {_iso(t.date) or 'undated'})"
            )
        out += ["", "## People to ask", ""]
        for e in self.experts:
            did = "; ".join(f"{ev.role} in {ev.title}" for ev in e.match.evidence[:2])
            person = e.match.person
            name = escape.markdown(person.name)
            if portal_url:
                name = f"[{name}]({Links(portal_url).expert(person.expert_id or person.key)})"
            line = f"- **{name}**" + (f": {escape.markdown(did)}" if did else "")
            nxt = e.next_office_hours
            if nxt:
                line += f" — office hours {nxt.viewer_start:%a %d %b %H:%M} {self.viewer_tz}"
            out.append(line)
        out += ["", "## Questions to answer before you start", ""]
        for c in self.checklist:
            out.append(
                f"- [ ] {escape.markdown(c.text)} ({c.source}, {named(c.doc_id, c.doc_id, 'postmortem')})"
            )
        return "\n".join(out) + "\n"


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def clock(seconds: float) -> str:
    s = int(seconds)
    return (
        f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
    )


def _item_json(i: ActionItem) -> dict[str, Any]:
    return {
        "title": i.title,
        "owner": i.owner,
        "status": i.status or ("open" if i.is_open else "done"),
        "due": i.due.isoformat() if i.due else (i.due_text or None),
        "overdue": i.overdue,
        "doc_id": i.doc_id,
    }


@dataclass(frozen=True)
class BriefParams:
    incidents: int = 5
    moments: int = 5
    talks: int = 3
    experts: int = 3
    checklist: int = 6
    checklist_from: int = 3  # the best incidents only: a weak match's lessons are noise
    # A document counts for a passage only above this floor (index/relevance.py): an
    # off-topic plan gets an empty brief, not the nearest incidents.
    floor: FloorParams = PLAN_FLOOR  # incidents
    media_floor: FloorParams = PLAN_MEDIA_FLOOR  # recordings and talks


def build(
    archive: Archive,
    plan: str,
    *,
    count_tokens: CountTokens | None = None,
    viewer_tz: str = "UTC",
    now: dt.datetime | None = None,
    params: BriefParams | None = None,
) -> Brief:
    """The brief of PLAN as the archive's viewer may see it (Archive verbs only)."""
    p = params or BriefParams()
    now = now or dt.datetime.now(dt.UTC)
    parts = passages(plan, count_tokens or archive.count_tokens)
    if not parts:
        return Brief(plan, (), (), (), (), (), (), (), viewer_tz)
    found = _fused(archive, parts, SearchFilters(kinds=("postmortem",)), p.floor)
    incidents = [_incident(archive, parts, f, now.date()) for f in found[: p.incidents]]
    items = sorted(
        (i for inc in incidents for i in inc.action_items if i.is_open),
        key=lambda i: (not i.overdue, i.due or dt.date.max, i.incident),
    )
    media = _fused(archive, parts, SearchFilters(kinds=("showcase", *TALK_KINDS)), p.media_floor)
    matched = {f.doc_id for f in [*found, *media]}
    return Brief(
        plan=plan,
        passages=tuple(parts),
        incidents=tuple(incidents),
        open_action_items=tuple(items),
        moments=tuple(_moments(archive, media, p.moments)),
        talks=tuple(f.hit for f in media if f.hit.kind in TALK_KINDS and not f.hit.moments)[
            : p.talks
        ],
        experts=tuple(_experts(archive, parts, matched, p.experts, now, viewer_tz)),
        checklist=tuple(_checklist(incidents[: p.checklist_from], p.checklist)),
        viewer_tz=viewer_tz,
    )


@dataclass(frozen=True)
class FusedDocument:
    """A document the plan's passages found, with the passage and hit that met it best."""

    doc_id: str
    score: float
    passage: int  # the plan passage that ranked it highest
    hit: SearchHit  # its hit for that passage


def _fused(
    archive: Archive, parts: Sequence[str], filters: SearchFilters, floor: FloorParams
) -> list[FusedDocument]:
    """Documents by reciprocal-rank fusion of each passage's search, each with its best hit."""
    return fuse_passages([archive.search(p, filters, limit=PER_PASSAGE) for p in parts], floor)


def fuse_passages(
    rankings: Sequence[Sequence[SearchHit]], floor: FloorParams
) -> list[FusedDocument]:
    """Documents by reciprocal-rank fusion of each passage's hits, each with its best hit.

    A hit votes only where it clears FLOOR (ranks are kept: a document below the floor still
    takes its place in the passage's ranking, it just earns nothing).
    """
    score: dict[str, float] = {}
    best: dict[str, tuple[int, int, SearchHit]] = {}
    for n, hits in enumerate(rankings):
        for rank, hit in enumerate(hits, start=1):
            if not matches(hit.evidence, floor):
                continue
            score[hit.doc_id] = score.get(hit.doc_id, 0.0) + 1.0 / (RRF_K + rank)
            if hit.doc_id not in best or rank < best[hit.doc_id][0]:
                best[hit.doc_id] = (rank, n, hit)
    order = sorted(score, key=lambda d: (-score[d], d))
    return [FusedDocument(d, score[d], best[d][1], best[d][2]) for d in order]


def plan_sentence(archive: Archive, passage: str, incident_passage: str) -> str:
    """The sentence of PASSAGE closest in meaning to INCIDENT_PASSAGE (the "why" quote)."""
    sentences = [s for s in _SENTENCE.split(" ".join(passage.split())) if s.strip()]
    if len(sentences) <= 1 or not incident_passage:
        return " ".join(passage.split())
    target = np.asarray(archive.query_vector(incident_passage), dtype=np.float32).reshape(-1)
    scores = [
        float(np.asarray(archive.query_vector(s), dtype=np.float32).reshape(-1) @ target)
        for s in sentences
    ]
    return sentences[int(np.argmax(scores))]


def _incident(
    archive: Archive, parts: Sequence[str], f: FusedDocument, today: dt.date
) -> BriefIncident:
    doc = archive.document(f.doc_id) or Document(
        f.doc_id, f.hit.kind, f.hit.title, f.hit.path, f.hit.date, dict(f.hit.metadata)
    )
    meta = doc.metadata
    services = fields.values(meta, "services")
    lowered = " ".join(parts).lower()
    shared = tuple(s for s in dict.fromkeys(services) if _mentions(lowered, s))
    cluster = archive.recurrence_of(doc.doc_id)
    found = archive.action_items(SearchFilters(doc_ids=(doc.doc_id,)), today=today)
    return BriefIncident(
        doc=doc,
        score=f.score,
        plan_passage=plan_sentence(archive, parts[f.passage], " ".join(f.hit.snippet.split())),
        incident_passage=" ".join(f.hit.snippet.split()),
        shared_services=shared,
        severity=fields.text(meta, "severity"),
        root_cause=_field(doc, "root_cause", "root cause|what went wrong"),
        lessons=tuple(_lessons(doc)),
        recurrence=f"this has happened {len(cluster.members)} times: {cluster.label}"
        if cluster
        else "",
        recurrence_size=len(cluster.members) if cluster else 0,
        action_items=tuple(found),
    )


def _mentions(text: str, name: str) -> bool:
    words = re.escape(name).replace(r"\-", r"[-\s]?")
    return bool(re.search(rf"(?<![\w-]){words}(?![\w-])", text))


def _section(body: str, headings: str) -> str:
    match = re.search(_SECTION.format(headings), body, re.I | re.M | re.S)
    return match.group(1).strip() if match else ""


def _field(doc: Document, name: str, headings: str) -> str:
    """A front-matter field, else the first paragraph under a heading that names it."""
    raw = doc.metadata.get(name)
    if isinstance(raw, str) and raw.strip():
        return " ".join(raw.split())
    text = _section(doc.body, headings)
    return " ".join(_PARAGRAPH.split(text)[0].split()) if text else ""


def _lessons(doc: Document) -> list[str]:
    raw = doc.metadata.get("lessons")
    if isinstance(raw, list | tuple):
        return [" ".join(str(x).split()) for x in raw if str(x).strip()]
    if isinstance(raw, str) and raw.strip():
        return [" ".join(raw.split())]
    text = _section(doc.body, "lessons")
    bullets = re.findall(r"^\s*[-*]\s+(.+)$", text, re.M)
    return [" ".join(b.split()) for b in bullets] or ([" ".join(text.split())] if text else [])


def _moments(archive: Archive, media: Sequence[FusedDocument], limit: int) -> list[BriefMoment]:
    """Moments of the recordings found, Showcase failures first, then by fused score."""
    recordings = [f for f in media if f.hit.moments]
    failures = {f.doc_id for f in recordings if _failure(f.hit)}
    recordings.sort(key=lambda f: (f.doc_id not in failures, -f.score))
    out: list[BriefMoment] = []
    for f in recordings:
        for m in f.hit.moments[:2]:
            out.append(
                BriefMoment(
                    f.doc_id,
                    f.hit.path,
                    f.hit.title,
                    m.start,
                    m.end,
                    m.speaker,
                    " ".join(m.snippet.split()),
                    f.doc_id in failures,
                    f.hit.kind,
                )
            )
    return out[:limit]


def _failure(hit: SearchHit) -> bool:
    return hit.kind == "showcase" and str(hit.metadata.get("outcome") or "").lower() == "failure"


def _experts(
    archive: Archive,
    parts: Sequence[str],
    matched: set[str],
    limit: int,
    now: dt.datetime,
    viewer_tz: str,
) -> list[BriefExpert]:
    """People by reciprocal-rank fusion of each passage's evidence-based expert ranking.

    Only people with evidence on a document the brief matched (an incident, a recording, a
    talk above the floor) are named: a declared topic alone, or a document below the floor,
    is not a reason to send someone a question about this plan.
    """
    score: dict[str, float] = {}
    first: dict[str, ExpertiseMatch] = {}
    for part in parts:
        people = archive.experts(part, limit=10, today=now.date()) if matched else []
        ranked = [m for m in people if any(e.doc_id in matched for e in m.evidence)]
        for rank, match in enumerate(ranked, start=1):
            key = match.person.key
            score[key] = score.get(key, 0.0) + 1.0 / (RRF_K + rank)
            if key not in first or len(match.evidence) > len(first[key].evidence):
                first[key] = match
    order = sorted(score, key=lambda k: (-score[k], k))[:limit]
    out = []
    for key in order:
        match = first[key]
        found = office.upcoming(match.expert, now, viewer_tz) if match.person.expert else []
        out.append(BriefExpert(match, score[key], found[0] if found else None))
    return out


def _checklist(incidents: Sequence[BriefIncident], limit: int) -> list[ChecklistItem]:
    """The matched incidents' own triggers, root causes and lessons, best incident first."""
    rounds: list[list[ChecklistItem]] = []
    for inc in incidents:
        trigger = _field(inc.doc, "trigger", "trigger")
        mine = [
            ChecklistItem(t, s, inc.doc.doc_id, inc.doc.title)
            for s, t in [
                ("trigger", trigger),
                ("root cause", inc.root_cause),
            ]
            if t
        ]
        mine += [
            ChecklistItem(lesson, "lesson", inc.doc.doc_id, inc.doc.title) for lesson in inc.lessons
        ]
        rounds.append(mine)
    # Round robin: the best incident's lesson, then the next incident's, … so one incident
    # does not fill the list.
    out: list[ChecklistItem] = []
    seen: set[str] = set()
    depth = max((len(r) for r in rounds), default=0)
    order = ("lesson", "root cause", "trigger")
    for r in rounds:
        r.sort(key=lambda c: order.index(c.source))
    for n in range(depth):
        for r in rounds:
            if n < len(r) and r[n].text.lower() not in seen:
                seen.add(r[n].text.lower())
                out.append(r[n])
    return out[:limit]
