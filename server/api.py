"""`/api/v1/`: the JSON API. Every route reads through the door with the caller's viewer.

The answers are the shapes of the CLI's `--json` (server/answers.py), with portal links. A
document the caller may not read answers exactly like a missing one (404).
"""

from __future__ import annotations

import datetime as dt
import re
from functools import partial
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from circulation.review import Records
from index.archive import Archive
from index.kinds import KINDS, known_kind
from server import answers
from server.callers import Caller
from server.context import ServerContext, caller, context

# Routes return JSONResponse: the answers are plain JSON already, and FastAPI's validation of
# a nested dict against `dict[str, Any]` cost more than the search under load (docs/benchmarks).
router = APIRouter(prefix="/api/v1", tags=["api"], default_response_class=JSONResponse)
MAX_LIMIT = 100
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="how many to return")]
Many = Annotated[list[str] | None, Query()]


def _door(request: Request, who: Caller) -> tuple[Archive, ServerContext]:
    ctx = context(request)
    return ctx.archive(who.viewer), ctx


def _kinds(raw: list[str] | None) -> tuple[str, ...]:
    out = []
    for value in raw or ():
        kind = known_kind(value)
        if kind is None:
            raise HTTPException(
                422, f"unknown kind {value!r}; valid kinds: {', '.join(KINDS)} (or 'incident')"
            )
        out.append(kind)
    return tuple(out)


def _since(raw: str) -> dt.datetime:
    found = re.fullmatch(r"\s*(\d+)\s*([hdw])\s*", raw.lower())
    if found:
        hours = {"h": 1, "d": 24, "w": 24 * 7}[found[2]] * int(found[1])
        return dt.datetime.now() - dt.timedelta(hours=hours)
    try:
        return dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        raise HTTPException(422, f"since takes 7d, 24h, 2w or a date, not {raw!r}") from None


@router.get("/me", summary="Who you are calling as")
def me(who: Annotated[Caller, Depends(caller)]) -> JSONResponse:
    """The identity this request reads as: its name, groups and how it was established
    (`token`, `proxy` or `anonymous`). Reads no document."""
    viewer = who.viewer
    return JSONResponse(
        {
            "name": viewer.name,
            "groups": sorted(viewer.groups),
            "sees_everything": viewer.sees_everything,
            "how": who.how,
            "token": who.token_name or None,
        }
    )


@router.get("/search", summary="Search every kind of document")
def search(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    q: Annotated[str, Query(min_length=1, max_length=2000, description="what to look for")],
    kind: Annotated[
        list[str] | None, Query(description="only these kinds (repeatable): " + ", ".join(KINDS))
    ] = None,
    severity: Many = None,
    outcome: Many = None,
    team: Many = None,
    service: Many = None,
    tag: Many = None,
    status: Many = None,
    person: Many = None,
    date_from: Annotated[dt.date | None, Query(alias="from")] = None,
    date_to: Annotated[dt.date | None, Query(alias="to")] = None,
    limit: Limit = 10,
    mode: Literal["hybrid", "dense", "keyword"] = "hybrid",
) -> JSONResponse:
    """Hybrid (meaning + keyword) search among the documents the caller may read.

    Facets (`team`, `service`, `tag`, `severity`, `outcome`, `status`, `person`) take any of
    their values (repeat the parameter); `from`/`to` bound the document date. Each hit is the
    object `hindsight search --json` prints, plus `url` (the portal page; a recording's moment).
    `weak: true` marks a hit below the relevance floor.
    """
    archive, ctx = _door(request, who)
    words = " ".join(q.split())
    if not words:
        raise HTTPException(422, "q is empty")
    values = dict(
        severity=severity,
        outcome=outcome,
        team=team,
        service=service,
        tag=tag,
        status=status,
        person=person,
    )
    facets = tuple((k, tuple(v)) for k, v in values.items() if v)
    ask = answers.SearchQuery(
        words, _kinds(kind), facets, date_from, date_to, limit=limit, mode=mode
    )
    reviews = partial(Records.read, ctx.store)
    return JSONResponse(answers.search(archive, ask, ctx.links, reviews))


@router.get("/documents/{doc_id:path}", summary="One document by id")
def document(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    doc_id: Annotated[str, Path(description="the document's id (search hits carry it)")],
) -> JSONResponse:
    """A document's front-matter `fields`, its `sections` (heading, level, text), `path`,
    `source_links` (recording, slides, paper), a recording's `chapters`, a post-mortem's
    `related` documents, and `url`. 404 when missing or not readable by the caller (alike)."""
    archive, ctx = _door(request, who)
    try:
        return JSONResponse(answers.document(archive, doc_id, ctx.links))
    except answers.NotFound:
        raise HTTPException(404, "No such document.") from None


@router.get("/incidents/{doc_id:path}/similar", summary="Incidents with the same failure mode")
def similar(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    doc_id: str,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 5,
) -> JSONResponse:
    """Post-mortems sharing the failure mode of post-mortem DOC_ID (`hindsight similar
    --json`): each with `tier` (`same` / `related`), `signals`, `shared` and `url`; when none
    qualifies, `reason` and the `closest`. 404 when missing or not readable (alike)."""
    archive, ctx = _door(request, who)
    try:
        return JSONResponse(answers.similar(archive, doc_id, ctx.links, limit=limit))
    except answers.NotFound:
        raise HTTPException(404, "No such post-mortem.") from None


class BriefRequest(BaseModel):
    plan: str = Field(
        min_length=1,
        max_length=200_000,
        description="what you are about to do: a ticket, design doc or PR description",
        examples=["Fail over ledger-db to the new replica during Tuesday's maintenance."],
    )
    tz: str = Field(default="UTC", description="IANA timezone for office hours")
    team: str = Field(
        default="",
        max_length=200,
        description="your team: other teams' shared plans like this one come back in "
        "`related_plans` (your own team's are left out)",
    )


@router.post("/brief", summary="The pre-work brief of a plan")
def brief(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    body: Annotated[BriefRequest, Body()],
) -> JSONResponse:
    """Everything the organisation already learned about a plan (`hindsight brief --json`):
    past `incidents` like it with why, their `open_action_items`, recording `moments`, `talks`,
    `experts` to ask, a `checklist` and `related_plans` (other teams' shared plans like it);
    every item has a `url`, and `url` opens the brief."""
    if not body.plan.strip():
        raise HTTPException(422, "plan is empty")
    archive, ctx = _door(request, who)
    try:
        shared = answers.Radar(ctx.store, ctx.settings, team=body.team)
        return JSONResponse(answers.brief(archive, body.plan, ctx.links, tz=body.tz, shared=shared))
    except ValueError as exc:  # an unknown timezone
        raise HTTPException(422, str(exc)) from None


@router.get("/experts", summary="Who knows about a topic")
def experts(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    topic: Annotated[str, Query(min_length=1, max_length=500)],
    limit: Limit = 10,
) -> JSONResponse:
    """People ranked by evidence on TOPIC (`hindsight experts --json`), each with `evidence`
    (documents and roles, linked) and `url` (their profile)."""
    archive, ctx = _door(request, who)
    return JSONResponse(answers.experts(archive, " ".join(topic.split()), ctx.links, limit=limit))


@router.get("/action-items", summary="Post-mortem action items")
def action_items(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    open: Annotated[bool, Query(description="only items not done")] = False,
    overdue: Annotated[bool, Query(description="only open items past their due date")] = False,
    owner: Many = None,
    team: Many = None,
    service: Many = None,
) -> JSONResponse:
    """Every action item of the post-mortems the caller may read (`hindsight actions
    --json`), each with `url` to its incident."""
    archive, ctx = _door(request, who)
    found = answers.action_items(
        archive,
        ctx.links,
        open_only=open,
        overdue_only=overdue,
        owners=tuple(owner or ()),
        teams=tuple(team or ()),
        services=tuple(service or ()),
    )
    return JSONResponse(found)


@router.get("/recurring", summary="Failure modes seen more than once")
def recurring(request: Request, who: Annotated[Caller, Depends(caller)]) -> JSONResponse:
    """Clusters of post-mortems sharing a failure mode (`hindsight recurring --json`)."""
    archive, ctx = _door(request, who)
    return JSONResponse(answers.recurring(archive, ctx.links))


@router.get("/whats-new", summary="New and changed documents")
def whats_new(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    since: Annotated[str, Query(description="7d, 24h, 2w or a date")] = "7d",
) -> JSONResponse:
    """Documents new or changed since SINCE, grouped by kind (`hindsight digest --format
    json`)."""
    start = _since(since)
    archive, ctx = _door(request, who)
    return JSONResponse(answers.whats_new(archive, start, ctx.links))
