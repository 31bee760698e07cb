"""Coordination figures: does what one team learned reach the others, or is effort duplicated?

Per team, over a period (events from the state store, documents through the door):

- plans checked (briefs run); briefs that found past incidents, and of the incidents portal
  briefs showed, how many were then opened from the same session;
- searches answered (a result opened within 30 minutes, before the next search) or not;
- repeat incidents: a post-mortem in a failure mode (`Archive.recurring()`) that already had an
  earlier post-mortem whose action items were all done;
- action items of the team's post-mortems: closure rate, open, overdue, days to close (from the
  incident to the item's `closed:` date, where the write-up gives one);
- reuse: the team's documents opened by other teams; its Showcase sessions cited by other teams'
  later documents (`related:` or a link) or shared plans;
- duplicate plans: the team's briefs that showed another team's similar shared plan (the radar).

Team-level only: a team with fewer people known in it (circulation.teams.members) than
`metrics_min_group` is named with no figure, nothing names a person, and every count reads
through the viewer's archive, so a restricted incident, document or shared plan counts only for
those who may see it. `metrics=off` turns the figures (and the events they need) off.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from circulation import radar, teams
from circulation.gaps import OPEN_WINDOW
from circulation.state import StateStore
from index import fields
from index.action_items import ActionItem
from index.archive import Archive
from index.filters import SearchFilters
from index.models import Document
from index.settings import Settings

WEEKLY_UP_TO = dt.timedelta(days=120)  # longer periods are charted by month
SERIES = (
    "plans checked",
    "searches answered",
    "searches unanswered",
    "repeat incidents",
    "action items closed",
    "duplicate plans",
)


class MetricsOff(RuntimeError):
    """HINDSIGHT_METRICS=off: the figures are not computed."""


@dataclass
class TeamFigures:
    """One team's figures over the period (all zero and `shown` False below the minimum group)."""

    team: str
    people: int  # people known to be in the team
    shown: bool
    plans_checked: int = 0
    briefs_with_incidents: int = 0
    incidents_shown: int = 0  # by portal briefs (a CLI brief's opens cannot be seen)
    incidents_opened: int = 0
    searches: int = 0
    searches_answered: int = 0
    repeat_incidents: int = 0
    action_items: int = 0
    action_items_done: int = 0
    action_items_open: int = 0
    action_items_overdue: int = 0
    days_to_close: list[int] = field(default_factory=list)
    opened_by_other_teams: int = 0  # opens of this team's documents by people of other teams
    teams_opening: set[str] = field(default_factory=set)
    opened_from_other_teams: int = 0  # this team's opens of other teams' documents
    showcases_cited: set[str] = field(default_factory=set)  # its Showcases cited by others
    showcase_citations: int = 0
    duplicate_plans: int = 0  # its briefs that showed another team's similar shared plan
    matched_teams: Counter[str] = field(default_factory=Counter)

    @staticmethod
    def rate(part: int, whole: int) -> float | None:
        return round(part / whole, 3) if whole else None

    @property
    def median_days_to_close(self) -> float | None:
        return statistics.median(self.days_to_close) if self.days_to_close else None

    def to_json(self) -> dict[str, Any]:
        if not self.shown:
            return {"team": self.team, "people": self.people, "shown": False}
        return {
            "team": self.team,
            "people": self.people,
            "shown": True,
            "plans_checked": self.plans_checked,
            "briefs_with_incidents": self.briefs_with_incidents,
            "incidents_shown": self.incidents_shown,
            "incidents_opened": self.incidents_opened,
            "incidents_opened_rate": self.rate(self.incidents_opened, self.incidents_shown),
            "searches": self.searches,
            "searches_answered": self.searches_answered,
            "searches_unanswered": self.searches - self.searches_answered,
            "repeat_incidents": self.repeat_incidents,
            "action_items": {
                "total": self.action_items,
                "done": self.action_items_done,
                "closure_rate": self.rate(self.action_items_done, self.action_items),
                "open": self.action_items_open,
                "overdue": self.action_items_overdue,
                "median_days_to_close": self.median_days_to_close,
                "closed_with_a_date": len(self.days_to_close),
            },
            "reuse": {
                "opened_by_other_teams": self.opened_by_other_teams,
                "teams_opening": len(self.teams_opening),
                "opened_from_other_teams": self.opened_from_other_teams,
                "showcases_cited": len(self.showcases_cited),
                "showcase_citations": self.showcase_citations,
            },
            "duplicate_plans": {
                "briefs_with_a_match": self.duplicate_plans,
                "rate": self.rate(self.duplicate_plans, self.plans_checked),
                "matched_teams": sorted(self.matched_teams),
            },
        }


@dataclass(frozen=True)
class Point:
    """One figure of one team in one week or month (the charts)."""

    period: str  # the period's first day
    team: str
    figure: str
    value: int


@dataclass(frozen=True)
class Coordination:
    since: dt.datetime | None
    until: dt.datetime
    min_group: int
    teams: tuple[TeamFigures, ...]
    pairs: tuple[tuple[str, str, int], ...]  # (team, team, radar matches), shown teams only
    series: tuple[Point, ...]
    search_log: str

    @property
    def shown(self) -> list[TeamFigures]:
        return [t for t in self.teams if t.shown]

    @property
    def withheld(self) -> list[TeamFigures]:
        return [t for t in self.teams if not t.shown]

    def total(self, name: str) -> int:
        """A count summed over the shown teams (never one a withheld team could be read from)."""
        return sum(int(getattr(t, name)) for t in self.shown)

    def to_json(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat(),
            "min_group": self.min_group,
            "search_log": self.search_log,
            "totals": {
                name: self.total(name)
                for name in (
                    "plans_checked",
                    "briefs_with_incidents",
                    "searches",
                    "searches_answered",
                    "repeat_incidents",
                    "duplicate_plans",
                )
            },
            "teams": [t.to_json() for t in self.teams],
            "withheld": [t.team for t in self.withheld],
            "duplicate_pairs": [{"teams": [a, b], "matches": n} for a, b, n in self.pairs],
            "series": [asdict(p) for p in self.series],
        }


# -- the figures ------------------------------------------------------------------------------


def coordination(
    archive: Archive,
    store: StateStore,
    settings: Settings,
    *,
    since: dt.datetime | None = None,
    team: str | None = None,
    now: dt.datetime | None = None,
) -> Coordination:
    """The coordination figures the archive's viewer may see, per team (only TEAM when given)."""
    if not settings.metrics:
        raise MetricsOff("coordination figures are off (HINDSIGHT_METRICS=off)")
    now = now or dt.datetime.now()
    store.purge(now - dt.timedelta(days=settings.search_log_days))
    names = _Names(teams.known(archive))
    by_team: dict[str, TeamFigures] = {}

    def of(raw_team: str) -> TeamFigures | None:
        key = teams.team_key(raw_team)
        if not key:
            return None
        if key not in by_team:
            by_team[key] = TeamFigures(names.shown(raw_team), 0, False)
        return by_team[key]

    def within(at: dt.datetime | dt.date | None) -> bool:
        if at is None:
            return since is None
        moment = at if isinstance(at, dt.datetime) else dt.datetime.combine(at, dt.time())
        return (since is None or moment >= since) and moment <= now

    points: list[Point] = []
    bucket = _bucketer(since, now)
    visible = _Visible(archive)

    # Briefs: plans checked, incidents found and opened, the radar's matches.
    for brief in store.briefs():
        figures = of(brief.team)
        if figures is None or not within(brief.at):
            continue
        figures.plans_checked += 1
        points.append(Point(bucket(brief.at), figures.team, "plans checked", 1))
        shown = [d for d in brief.incidents if visible.document(d)]
        figures.briefs_with_incidents += bool(shown)
        if brief.source == "portal":
            figures.incidents_shown += len(shown)
            figures.incidents_opened += sum(d in brief.opened for d in shown)
        others = {
            names.shown(t)
            for t, groups in brief.matches
            if archive.viewer.may_see(groups) and teams.team_key(t) != teams.team_key(brief.team)
        }
        if others:
            figures.duplicate_plans += 1
            figures.matched_teams.update(others)
            points.append(Point(bucket(brief.at), figures.team, "duplicate plans", 1))

    # Searches, answered when a result was opened after them.
    for search in store.searches(OPEN_WINDOW):
        figures = of(search.team)
        if figures is None or not within(search.at):
            continue
        figures.searches += 1
        figures.searches_answered += search.opened
        name = "searches answered" if search.opened else "searches unanswered"
        points.append(Point(bucket(search.at), figures.team, name, 1))

    # Reuse: documents opened by people of another team.
    for opened in store.document_opens():
        doc = visible.document(opened.doc_id)
        if doc is None or not within(opened.at):
            continue
        owners = {teams.team_key(t): t for t in fields.values(doc.metadata, "teams")}
        opener = teams.team_key(opened.team)
        if not owners or opener in owners:
            continue
        for owner in owners.values():
            figures = of(owner)
            if figures is not None:
                figures.opened_by_other_teams += 1
                figures.teams_opening.add(opener)
        reader = of(opened.team)
        if reader is not None:
            reader.opened_from_other_teams += 1

    today = now.date()
    items = archive.action_items(today=today)
    _repeat_incidents(archive, items, of, within, bucket, points)
    for item in items:
        if not within(item.incident_date):
            continue
        for t in item.teams:
            figures = of(t)
            if figures is None:
                continue
            figures.action_items += 1
            figures.action_items_done += not item.is_open
            figures.action_items_open += item.is_open
            figures.action_items_overdue += item.overdue
            if item.days_to_close is not None:
                figures.days_to_close.append(item.days_to_close)
            if item.closed is not None and not item.is_open:
                points.append(Point(bucket(item.closed), figures.team, "action items closed", 1))
    _showcase_citations(archive, radar.visible(store, archive, settings, now), of, within)

    # Who is in each team, and whose figures may be shown.
    named = [(p.team, p.person) for p in radar.visible(store, archive, settings, now) if p.person]
    if settings.search_log == "named":
        named += [(b.team, b.asker) for b in store.briefs() if b.asker]
    people = teams.members(archive, named)
    for key, figures in by_team.items():
        figures.people = len(people.get(key, ()))
        figures.shown = figures.people >= settings.metrics_min_group
    wanted = teams.team_key(team) if team else None
    chosen = sorted(
        (f for k, f in by_team.items() if (wanted is None or k == wanted) and _active(f)),
        key=lambda f: (not f.shown, f.team),
    )
    shown_teams = {f.team for f in by_team.values() if f.shown}
    pairs: Counter[tuple[str, str]] = Counter()
    for f in chosen:
        # A team too small to show is not named as another team's match either.
        f.matched_teams = Counter({t: n for t, n in f.matched_teams.items() if t in shown_teams})
        for other, n in f.matched_teams.items():
            if f.team in shown_teams:
                pairs[(min(f.team, other), max(f.team, other))] += n
    return Coordination(
        since=since,
        until=now,
        min_group=settings.metrics_min_group,
        teams=tuple(chosen),
        pairs=tuple((a, b, n) for (a, b), n in sorted(pairs.items())),
        series=tuple(
            _summed(
                p
                for p in points
                if p.team in shown_teams and (wanted is None or teams.team_key(p.team) == wanted)
            )
        ),
        search_log=settings.search_log,
    )


def _active(f: TeamFigures) -> bool:
    """A team the period says anything about (a team only named in old documents is left out)."""
    return any(
        (
            f.plans_checked,
            f.searches,
            f.repeat_incidents,
            f.action_items,
            f.opened_by_other_teams,
            f.opened_from_other_teams,
            f.showcase_citations,
        )
    )


class _Names:
    """How each team is written: as the archive writes it, else as first recorded."""

    def __init__(self, known: dict[str, str]) -> None:
        self.known = dict(known)

    def shown(self, raw: str) -> str:
        key = teams.team_key(raw)
        return self.known.setdefault(key, " ".join(raw.split()))


class _Visible:
    """Documents the viewer may see, each looked up once."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.found: dict[str, Document | None] = {}

    def document(self, doc_id: str) -> Document | None:
        if doc_id not in self.found:
            self.found[doc_id] = self.archive.document(doc_id)
        return self.found[doc_id]


def _bucketer(since: dt.datetime | None, until: dt.datetime) -> Any:
    """Weeks (their Monday) for a period up to WEEKLY_UP_TO, else months (their first day)."""
    weekly = since is not None and until - since <= WEEKLY_UP_TO

    def bucket(at: dt.datetime | dt.date) -> str:
        day = at.date() if isinstance(at, dt.datetime) else at
        if weekly:
            return (day - dt.timedelta(days=day.weekday())).isoformat()
        return day.replace(day=1).isoformat()

    return bucket


def _summed(points: Iterable[Point]) -> list[Point]:
    totals: Counter[tuple[str, str, str]] = Counter()
    for p in points:
        totals[(p.period, p.team, p.figure)] += p.value
    return [Point(period, t, f, n) for (period, t, f), n in sorted(totals.items())]


def _repeat_incidents(
    archive: Archive,
    items: Sequence[ActionItem],
    of: Any,
    within: Any,
    bucket: Any,
    points: list[Point],
) -> None:
    """Post-mortems in a failure mode that already had one whose action items were all done."""
    by_doc: dict[str, list[ActionItem]] = defaultdict(list)
    for item in items:
        by_doc[item.doc_id].append(item)

    def settled(doc: Document, before: dt.date) -> bool:
        found = by_doc.get(doc.doc_id, [])
        return bool(found) and all(
            not i.is_open and (i.closed is None or i.closed <= before) for i in found
        )

    for cluster in archive.recurring():
        for n, doc in enumerate(cluster.members):
            if doc.date is None or not within(doc.date):
                continue
            earlier = [e for e in cluster.members[:n] if e.date is None or e.date <= doc.date]
            if not any(settled(e, doc.date) for e in earlier):
                continue
            for t in fields.values(doc.metadata, "teams"):
                figures = of(t)
                if figures is not None:
                    figures.repeat_incidents += 1
                    points.append(Point(bucket(doc.date), figures.team, "repeat incidents", 1))


def _citation(showcase: Document) -> re.Pattern[str]:
    """What a link to SHOWCASE looks like: its id, its recording or slides address, its file."""
    marks = [showcase.doc_id, showcase.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]]
    marks += [str(showcase.metadata.get(k) or "") for k in ("recording", "slides")]
    words = "|".join(re.escape(m.lower()) for m in marks if m)
    return re.compile(rf"(?<![\w-])(?:{words})(?![\w-])")


def _showcase_citations(archive: Archive, plans: Sequence[Any], of: Any, within: Any) -> None:
    """Showcase sessions cited by a later document or shared plan of another team."""
    showcases = archive.documents(SearchFilters(kinds=("showcase",)))
    if not showcases:
        return
    documents = [
        (d, d.body.lower()) for d in archive.documents() if d.kind not in ("showcase", "expert")
    ]
    for showcase in showcases:
        own = {teams.team_key(t) for t in fields.values(showcase.metadata, "teams")}
        cites = _citation(showcase)
        figures = [f for f in (of(t) for t in fields.values(showcase.metadata, "teams")) if f]
        if not own or not figures:
            continue
        citing = 0
        for doc, body in documents:
            theirs = {teams.team_key(t) for t in fields.values(doc.metadata, "teams")}
            if not theirs or theirs & own or not within(doc.date):
                continue
            if showcase.date and doc.date and doc.date < showcase.date:
                continue
            related = {r.lower() for r in fields.values(doc.metadata, "related")}
            if showcase.doc_id.lower() in related or cites.search(body):
                citing += 1
        for plan in plans:
            if teams.team_key(plan.team) in own or not within(plan.shared_at):
                continue
            citing += bool(cites.search(plan.plan.lower()))
        if citing:
            for f in figures:
                f.showcases_cited.add(showcase.doc_id)
                f.showcase_citations += citing
