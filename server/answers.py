"""What the server answers, as JSON: the shapes of the CLI's `--json`, each with portal links.

One function per question, shared by the HTTP API, the MCP tools and Slack, so the three can
never disagree about what a viewer may read. Each takes the caller's `Archive` (the door,
already narrowed to them) and reads only through its verbs, or through `circulation/`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from circulation import brief as briefs
from circulation import radar
from circulation.links import Links
from circulation.review import Records, with_reviews
from circulation.state import StateStore
from circulation.whats_new import whats_new as news_since
from index.action_items import ItemFilter
from index.archive import Archive
from index.facets import normalise
from index.filters import SearchFilters
from index.headings import atx
from index.models import Document, SearchHit
from index.search import Mode
from index.settings import Settings

SEARCH_FACETS = ("severity", "outcome", "team", "service", "tag", "status", "person")
SOURCE_FIELDS = ("recording", "slides", "paper_url", "url", "link", "source", "video", "doc")


class NotFound(LookupError):
    """The document is missing or not visible to the caller (answered alike, on purpose)."""


@dataclass(frozen=True)
class Radar:
    """Where other teams' shared plans are kept, and the caller's team (whose own are left out)."""

    store: StateStore
    settings: Settings
    team: str = ""


@dataclass(frozen=True)
class SearchQuery:
    """A search as the API takes it: words, kinds, facet values, dates, how many and how."""

    q: str
    kinds: tuple[str, ...] = ()
    facets: tuple[tuple[str, tuple[str, ...]], ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    limit: int = 10
    mode: Mode = "hybrid"

    @property
    def filters(self) -> SearchFilters:
        facets = tuple(
            (name, tuple(normalise(name, v) for v in values)) for name, values in self.facets
        )
        return SearchFilters(
            kinds=self.kinds, facets=facets, date_from=self.date_from, date_to=self.date_to
        )


def hit_json(hit: SearchHit, links: Links) -> dict[str, Any]:
    """A search hit as `hindsight search --json` prints it, with its portal link (moments too)."""
    out = hit.to_json()
    out["url"] = links.document(hit.kind, hit.doc_id, hit.start)
    for moment in out.get("moments", ()):
        moment["url"] = links.document(hit.kind, hit.doc_id, moment["start"])
    return out


def search(
    archive: Archive,
    query: SearchQuery,
    links: Links,
    reviews: Callable[[list[str]], Records] | None = None,
) -> dict[str, Any]:
    """Hits as `search --json` prints them; REVIEWS (the records of these documents, e.g.
    `partial(Records.read, store)`) moves `review_by` past a "Still accurate".

    Through Archive.find: hits below the relevance floor say "weak": true, a typo is corrected
    from the caller's own words, and `notices` says what the portal and the CLI say.
    """
    found = archive.find(query.q, query.filters, limit=query.limit, mode=query.mode)
    hits = list(found.hits)
    if reviews is not None and hits:
        hits = with_reviews(archive, hits, reviews([h.doc_id for h in hits]))
    return {
        "query": query.q,
        "hits": [hit_json(h, links) for h in hits],
        "url": links.search(query.q, query.kinds),
        "searched": found.searched,
        "correction": found.correction.to_json() if found.correction else None,
        "matches": len(found.matches),
        "notices": found.notices(),
    }


def sections(body: str) -> list[dict[str, Any]]:
    """A Markdown body cut at its headings: [{heading, level, text}] (text before any: level 0)."""
    out: list[dict[str, Any]] = []
    heading, level, lines = "", 0, list[str]()

    def flush() -> None:
        text = "\n".join(lines).strip()
        if text or heading:
            out.append({"heading": heading, "level": level, "text": text})

    fenced = False
    for line in body.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        found = None if fenced else atx(line)
        if found:
            flush()
            level, heading = found
            lines = []
        else:
            lines.append(line)
    flush()
    return out


def _plain(value: Any) -> Any:
    """Front-matter values as JSON: dates as ISO strings, everything else as it is."""
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value


def source_links(doc: Document) -> dict[str, str]:
    """The document's own web links (recording, slides, paper…): http(s) only."""
    found: dict[str, str] = {}
    for name in SOURCE_FIELDS:
        value = doc.metadata.get(name)
        if isinstance(value, str) and value.lower().startswith(("https://", "http://")):
            found[name] = value
    return found


def document_json(archive: Archive, doc: Document, links: Links) -> dict[str, Any]:
    """One document: its fields, sections, where it came from, and (recordings) its chapters."""
    out: dict[str, Any] = {
        "doc_id": doc.doc_id,
        "kind": doc.kind,
        "title": doc.title,
        "date": doc.date.isoformat() if doc.date else None,
        "path": doc.path,
        "url": links.document(doc.kind, doc.doc_id),
        "source_links": source_links(doc),
        "fields": _plain(doc.metadata),
        "sections": sections(doc.body),
    }
    chapters = archive.chapters(doc.doc_id)
    if chapters:
        out["chapters"] = [
            {
                "start": c.start,
                "end": c.end,
                "label": c.label,
                "url": links.document(doc.kind, doc.doc_id, c.start),
            }
            for c in chapters
        ]
    if doc.kind == "postmortem":
        out["related"] = [
            {"doc_id": r.doc_id, "kind": r.kind, "title": r.title}
            | {"url": links.document(r.kind, r.doc_id)}
            for r in archive.related(doc)
        ]
    return out


def document(archive: Archive, doc_id: str, links: Links) -> dict[str, Any]:
    doc = archive.document(doc_id)
    if doc is None:
        raise NotFound(doc_id)
    return document_json(archive, doc, links)


def similar(archive: Archive, doc_id: str, links: Links, *, limit: int = 5) -> dict[str, Any]:
    """Post-mortems sharing DOC_ID's failure mode (`hindsight similar --json`), with links."""
    panel = archive.similar_incidents(doc_id, limit=limit)
    if panel is None:
        raise NotFound(doc_id)

    def item(found: Any) -> dict[str, Any]:
        return found.to_json() | {"url": links.document("postmortem", found.doc.doc_id)}

    return {
        "incident": {
            "doc_id": panel.seed.doc_id,
            "title": panel.seed.title,
            "url": links.document("postmortem", panel.seed.doc_id),
        },
        "similar": [item(i) for i in panel.items],
        "reason": None if panel.items else panel.reason,
        "closest": item(panel.closest) if panel.closest and not panel.items else None,
    }


def _link_evidence(evidence: list[dict[str, Any]], links: Links) -> None:
    for item in evidence:
        item["url"] = links.document(item["kind"], item["doc_id"], item.get("start"))


def experts(archive: Archive, topic: str, links: Links, *, limit: int = 10) -> dict[str, Any]:
    """Who knows about TOPIC (`hindsight experts --json`), each with their evidence, linked."""
    people = []
    for match in archive.experts(topic, limit=limit):
        out = match.to_json()
        out["url"] = links.expert(match.person.expert_id, topic)
        _link_evidence(out["evidence"], links)
        people.append(out)
    return {"topic": topic, "experts": people, "url": links.page("experts", topic=topic)}


def action_items(
    archive: Archive,
    links: Links,
    *,
    open_only: bool = False,
    overdue_only: bool = False,
    owners: tuple[str, ...] = (),
    teams: tuple[str, ...] = (),
    services: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Post-mortem action items (`hindsight actions --json`), each linked to its incident."""
    facets = (
        ("team", tuple(normalise("team", t) for t in teams)),
        ("service", tuple(normalise("service", s) for s in services)),
    )
    how = ItemFilter(open_only=open_only, overdue_only=overdue_only, owners=owners)
    items = archive.action_items(SearchFilters(facets=facets), how)
    return {"items": [i.row() | {"url": links.document("postmortem", i.doc_id)} for i in items]}


def recurring(archive: Archive, links: Links) -> dict[str, Any]:
    """Failure modes seen more than once (`hindsight recurring --json`), members linked."""
    clusters = []
    for cluster in archive.recurring():
        out: dict[str, Any] = cluster.to_json()
        for member in out["members"]:
            member["url"] = links.document("postmortem", member["doc_id"])
        clusters.append(out)
    return {"clusters": clusters}


def whats_new(archive: Archive, since: dt.datetime, links: Links) -> dict[str, Any]:
    """New and changed documents since SINCE (`hindsight digest --format json`)."""
    news = news_since(archive, since)
    return {
        "since": news.since.isoformat(),
        "groups": [
            {
                "kind": g.kind,
                "label": g.label,
                "new": g.new,
                "changed": g.changed,
                "items": [
                    {
                        "doc_id": i.document.doc_id,
                        "kind": i.document.kind,
                        "title": i.document.title,
                        "date": i.document.date.isoformat() if i.document.date else None,
                        "status": i.status,
                        "indexed_at": i.at.isoformat(),
                        "url": links.document(i.document.kind, i.document.doc_id),
                    }
                    for i in g.items
                ],
            }
            for g in news.groups
        ],
        "extra": [{"title": s.title, "items": [label for label, _ in s.items]} for s in news.extra],
    }


def brief(
    archive: Archive, plan: str, links: Links, *, tz: str = "UTC", shared: Radar | None = None
) -> dict[str, Any]:
    """The pre-work brief of PLAN (`hindsight brief --json`), every item linked; with SHARED,
    `related_plans` lists other teams' shared plans like it that the caller may see."""
    found = briefs.build(archive, plan, viewer_tz=tz)
    if shared is not None:
        # A read-only state store (a replica) leaves the radar out; the brief still answers.
        with contextlib.suppress(sqlite3.Error):
            found = radar.with_related(
                found,
                shared.store,
                archive,
                shared.settings,
                team=shared.team,
                owner=archive.viewer.person_key,  # one's own plans are not "another team's"
            )
    out = found.to_json()
    for incident in out["incidents"]:
        incident["url"] = links.document("postmortem", incident["doc_id"])
        for item in incident["action_items"]:
            item["url"] = links.document("postmortem", item["doc_id"])
    for item in out["open_action_items"]:
        item["url"] = links.document("postmortem", item["doc_id"])
    for moment in out["moments"]:
        moment["url"] = links.document(moment["kind"], moment["doc_id"], moment["start"])
    for talk in out["talks"]:
        talk["url"] = links.document(talk["kind"], talk["doc_id"])
    for person in out["experts"]:
        person["url"] = links.expert(person["expert_id"])
        _link_evidence(person["evidence"], links)
    for check in out["checklist"]:
        check["url"] = links.document("postmortem", check["doc_id"])
    out["url"] = links.brief(plan)
    return out
