"""The duplicate-effort radar: a plan one team shared, shown to another team checking a similar one.

Opt-in, one plan at a time: whoever checks a plan may share it with other teams (their team, their
name only if they agree, the groups that may see it). A shared plan is kept `radar_days` days
(the state store, `shared_plans`), can be withdrawn by its sharer at any time, and is read only
by viewers in one of its groups (none chosen: everyone). A plan that is not shared is never
stored. A later brief by *another* team lists the shared plans like it above a similarity floor
(`radar_similarity`, chosen on judged plan pairs: docs/quality.md).

How alike two plans are: each plan is read without its boilerplate sections (Rollout, Testing,
Risks… read alike whatever the work is), cut into the brief's passages and embedded with the
product's model; the score is the symmetric mean of each passage's best match in the other plan
(a one-line ticket and the design doc that contains it score high; two design docs on one
template do not).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import secrets
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from circulation.brief import Brief, RelatedPlan, passages
from circulation.state import SharedPlan, StateStore
from circulation.teams import team_key
from index.access import groups_of
from index.archive import Archive
from index.settings import Settings

RELATED_LIMIT = 5
FIRST_LINE_CHARS = 140
MAX_PLAN_CHARS = 200_000  # a shared link's limit: a plan is a page or two, never a book
# Sections every design-doc template has, whatever the work: their text says nothing about it.
_BOILERPLATE = re.compile(
    r"^#+\s*(?:roll-?out(?: plan)?|testing|tests|test plan|monitoring|observability|risks?"
    r"|open questions|non-goals|alternatives(?: considered)?|timeline|milestones|reviewers"
    r"|status|appendix|references)\b.*?$\n.*?(?=^#+\s|\Z)",
    re.I | re.M | re.S,
)
_MARKUP = re.compile(r"^[#>*\-+\s]+|[*_`]+")

Embed = Callable[[str], np.ndarray]
CountTokens = Callable[[str], int]


class RadarError(ValueError):
    """A plan cannot be shared as asked (no team, an empty plan); the message says why."""


def gist(plan: str) -> str:
    """PLAN without its boilerplate sections (all of it when nothing else is left)."""
    kept = _BOILERPLATE.sub("", plan)
    return kept if kept.strip() else plan


def plan_vectors(plan: str, embed: Embed, count_tokens: CountTokens | None = None) -> np.ndarray:
    """One unit vector per passage of PLAN's gist (float32, rows)."""
    parts = passages(gist(plan), count_tokens) or [plan.strip() or "-"]
    rows = np.stack([np.asarray(embed(p), dtype=np.float32) for p in parts])
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Symmetric mean best match: each passage's closest in the other plan, averaged both ways."""
    sims = a @ b.T
    return float((sims.max(axis=1).mean() + sims.max(axis=0).mean()) / 2)


def similarities(a: np.ndarray, others: Sequence[np.ndarray]) -> list[float]:
    """`similarity` of A with each of OTHERS, in one product (thousands of shared plans)."""
    if not others:
        return []
    rows = np.concatenate(others)
    starts = np.cumsum([0] + [len(o) for o in others[:-1]])
    sims = a @ rows.T  # A's passages × every passage of every other plan
    best_in_other = np.maximum.reduceat(sims, starts, axis=1).mean(axis=0)
    best_in_a = np.add.reduceat(sims.max(axis=0), starts) / [len(o) for o in others]
    return [float(x) for x in (best_in_other + best_in_a) / 2]


def first_line(plan: str) -> str:
    """The plan's first line with words in it, without Markdown marks, cut at a word."""
    for line in plan.splitlines():
        text = " ".join(_MARKUP.sub("", line).split())
        if any(c.isalnum() for c in text):
            if len(text) <= FIRST_LINE_CHARS:
                return text
            return text[:FIRST_LINE_CHARS].rsplit(" ", 1)[0] + "…"
    return ""


def _vectors(archive: Archive, plan: str) -> np.ndarray:
    return plan_vectors(plan, archive.query_vector, archive.count_tokens)


def share(
    store: StateStore,
    archive: Archive,
    plan: str,
    *,
    team: str,
    owner: str,
    person: str | None = None,
    groups: Sequence[str] = (),
    now: dt.datetime | None = None,
) -> SharedPlan:
    """Keep PLAN for other teams' briefs: TEAM, PERSON (only when given), seen by GROUPS."""
    plan = plan.strip()[:MAX_PLAN_CHARS]
    team = " ".join(team.split())
    if not team:
        raise RadarError("sharing a plan needs the team it comes from (--team)")
    if not plan:
        raise RadarError("the plan is empty")
    shared = SharedPlan(
        plan_id=secrets.token_urlsafe(9),
        owner=owner,
        team=team,
        person=" ".join((person or "").split()) or None,
        groups=groups_of(list(groups)),
        first_line=first_line(plan),
        plan=plan,
        model=archive.stats().model_id,
        vectors=_vectors(archive, plan),
        shared_at=now or dt.datetime.now(),
    )
    return store.share_plan(shared)


def purge(store: StateStore, settings: Settings, now: dt.datetime | None = None) -> int:
    """Forget plans kept longer than `radar_days`."""
    now = now or dt.datetime.now()
    return store.purge_plans(now - dt.timedelta(days=settings.radar_days))


def kept_until(shared: SharedPlan, settings: Settings) -> dt.datetime:
    return shared.shared_at + dt.timedelta(days=settings.radar_days)


def related(
    store: StateStore,
    archive: Archive,
    settings: Settings,
    plan: str,
    *,
    team: str = "",
    owner: str = "",
    now: dt.datetime | None = None,
    limit: int = RELATED_LIMIT,
) -> list[RelatedPlan]:
    """Plans other teams shared that are like PLAN and the archive's viewer may see, best first.

    The radar is about other teams: a plan of TEAM (the viewer's own) is never shown. Without a
    TEAM, every team's plans take part but OWNER's own (the viewer's).
    """
    now = now or dt.datetime.now()
    # Expired plans leave the file here; a read-only store (a replica) still answers, and
    # leaves them out below.
    with contextlib.suppress(sqlite3.Error):
        purge(store, settings, now)
    cutoff = now - dt.timedelta(days=settings.radar_days)
    mine = team_key(team) if team.strip() else None

    def others(s: SharedPlan) -> bool:
        if mine is not None:
            return team_key(s.team) != mine
        return not (owner and s.owner == owner)

    candidates = [
        s
        for s in store.shared_plans()
        if s.shared_at >= cutoff and archive.viewer.may_see(s.groups) and others(s)
    ]
    if not candidates or not plan.strip():
        return []
    mine_vectors = _vectors(archive, plan)
    model = archive.stats().model_id
    kept = []
    for s in candidates:
        theirs = s.vectors if s.model == model else _vectors(archive, s.plan)
        if theirs.shape[1] == mine_vectors.shape[1]:
            kept.append((s, theirs))
    scores = similarities(mine_vectors, [v for _, v in kept])
    found = [
        RelatedPlan(s.team, s.person, s.shared_at, s.first_line, score, s.groups)
        for (s, _), score in zip(kept, scores, strict=True)
        if score >= settings.radar_similarity
    ]
    found.sort(key=lambda r: (-r.score, -r.shared_at.timestamp()))
    return found[:limit]


def with_related(
    brief: Brief,
    store: StateStore,
    archive: Archive,
    settings: Settings,
    *,
    team: str = "",
    owner: str = "",
    now: dt.datetime | None = None,
) -> Brief:
    """BRIEF with the shared plans of other teams like it (`related_plans`)."""
    now = now or dt.datetime.now()
    found = related(store, archive, settings, brief.plan, team=team, owner=owner, now=now)
    return replace(brief, related_plans=tuple(found), now=now)


def shared_by(
    store: StateStore, settings: Settings, owner: str, now: dt.datetime | None = None
) -> list[SharedPlan]:
    """The plans OWNER shares now, newest first (what they may withdraw)."""
    purge(store, settings, now)
    return store.shared_plans(owner=owner) if owner else []


def visible(
    store: StateStore, archive: Archive, settings: Settings, now: dt.datetime | None = None
) -> list[SharedPlan]:
    """Every kept shared plan the archive's viewer may see, newest first."""
    purge(store, settings, now)
    return [s for s in store.shared_plans() if archive.viewer.may_see(s.groups)]


def withdraw(store: StateStore, plan_id: str, *, owner: str | None = None) -> bool:
    """Forget a shared plan now (only OWNER's, when given); False when none was kept."""
    return bool(plan_id) and store.withdraw_plan(plan_id, owner=owner)
