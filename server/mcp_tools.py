"""Hindsight as tools for coding agents, on the official MCP SDK.

The same tools over stdio (`hindsight mcp`, one viewer for the whole process) and over
streamable HTTP at `/mcp` on `hindsight serve` (each request's viewer from its API token, put
in the ASGI scope by server/app.py). Every tool reads through the door with that viewer and
answers the API's JSON (server/answers.py), portal links included.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

from circulation.links import Links
from circulation.review import Records
from index.access import Viewer
from index.archive import Archive
from index.kinds import KINDS, known_kind
from server import answers

SCOPE_VIEWER = "hindsight.viewer"  # the ASGI scope key /mcp's guard sets for each request
MAX_LIMIT = 50
INSTRUCTIONS = """\
Hindsight is this organisation's memory of incidents (post-mortems), recorded AI Showcase
sessions, tech talks and who knows what. Before changing a system, run `pre_work_brief` on your
plan (a paragraph, a design doc, a PR description, the paths you will touch): it returns the past
incidents like it, their still-open action items, the people to ask and a checklist. Read the
incidents it names with `get_document` before you proceed, and mention them (with their links) to
the person you work for. Use `search` for anything else, `similar_incidents` on an incident id to
see whether a failure mode recurs, `who_knows` to find a person, and `open_action_items` for
promises still unkept. Every answer carries `url` links into the portal: cite them."""
READ_ONLY = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)

ArchiveFor = Callable[[Viewer], Archive]


def _limit(value: int) -> int:
    if value < 1:
        raise ToolError("limit must be at least 1")
    return min(value, MAX_LIMIT)


def build(
    archive_for: ArchiveFor,
    links: Links,
    viewer: Viewer | None = None,
    *,
    shared: answers.Radar | None = None,
) -> MCPServer:
    """The MCP server. VIEWER: the one viewer of a stdio process; None over HTTP, where each
    request's viewer comes from the scope (and a request without one is refused). SHARED: where
    other teams' shared plans are kept, for the brief's `related_plans`."""
    server: MCPServer = MCPServer(
        "hindsight",
        title="Hindsight",
        instructions=INSTRUCTIONS,
        version="1",
        log_level="WARNING",
    )

    def door(ctx: Context) -> Archive:
        if viewer is not None:
            return archive_for(viewer)
        request = ctx.request_context.request
        found = getattr(request, "scope", {}).get(SCOPE_VIEWER)
        if not isinstance(found, Viewer):  # the /mcp guard always sets it; never guess
            raise ToolError("No caller: /mcp needs a personal API token.")
        return archive_for(found)

    @server.tool(annotations=READ_ONLY)
    def search(
        query: str, ctx: Context, kind: str | None = None, limit: int = 10
    ) -> dict[str, Any]:
        """Search post-mortems, Showcase recordings, talks, paper reviews and expert profiles.

        Hybrid meaning + keyword search. Use it for anything you want to know the organisation
        already learned ("replica promotion without checking lag", "TLS certificate expiry").
        `kind` narrows to one of: postmortem (or incident), showcase, talk, paper-review,
        expert. Each hit has `doc_id` (pass it to get_document), a `snippet` of its best
        passage, `url` (the portal page; for recordings, the moment) and `score`; `weak: true`
        marks a hit below the relevance floor (the nearest, not a match).
        """
        kinds: tuple[str, ...] = ()
        if kind:
            found = known_kind(kind)
            if found is None:
                raise ToolError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
            kinds = (found,)
        query = " ".join(query.split())
        if not query:
            raise ToolError("query is empty")
        ask = answers.SearchQuery(query, kinds=kinds, limit=_limit(limit))
        # "Still accurate" recorded in the portal moves review_by, as in the API and the CLI.
        reviews = None if shared is None else partial(Records.read, shared.store)
        return answers.search(door(ctx), ask, links, reviews)

    @server.tool(annotations=READ_ONLY)
    def get_document(id: str, ctx: Context) -> dict[str, Any]:
        """Read one document by its `doc_id` (from search, a brief or similar_incidents).

        Returns its front-matter `fields` (services, teams, severity, root cause, action items…),
        its `sections` (heading and text), `source_links` (recording, slides, paper), for a
        recording its `chapters`, and `url`, the portal page to cite.
        """
        try:
            return answers.document(door(ctx), id, links)
        except answers.NotFound:
            raise ToolError("No such document (or you may not read it).") from None

    @server.tool(annotations=READ_ONLY)
    def similar_incidents(id: str, ctx: Context, limit: int = 5) -> dict[str, Any]:
        """Past post-mortems that share the failure mode of incident `id` (a post-mortem doc_id).

        Each has a `tier` (`same`: likely the same failure mode; `related`: possibly related),
        `why` in words ("same cause: a certificate expired unnoticed; both on ledger-db"), the
        numeric `signals` behind it (failure mode, cause meaning, services, tags, team) and
        what is `shared`.
        When nothing qualifies, `reason` says why and `closest` is the nearest. Use it to tell
        whether an incident is a recurrence before proposing a fix.
        """
        try:
            return answers.similar(door(ctx), id, links, limit=_limit(limit))
        except answers.NotFound:
            raise ToolError("No such post-mortem (or you may not read it).") from None

    @server.tool(annotations=READ_ONLY)
    def pre_work_brief(plan: str, ctx: Context, team: str = "") -> dict[str, Any]:
        """Run this BEFORE changing a system: what the organisation already learned about PLAN.

        PLAN is what you are about to do, in words: a ticket, a design doc, a PR title and
        description, the services and file paths you will touch. Returns past `incidents` like
        it (with why they matched, root cause, lessons, whether the failure mode recurs), their
        `open_action_items`, recording `moments` and `talks` where it was explained, `experts`
        to ask, a `checklist` of questions taken from those incidents, and `related_plans`:
        other teams' shared plans like it (pass `team`, the user's team, to leave theirs out).
        `url` opens the same brief in the portal. Empty lists mean nothing relevant was found:
        say so, do not guess.
        """
        if not plan.strip():
            raise ToolError("plan is empty: describe what you are about to change")
        radar = None if shared is None else replace(shared, team=" ".join(team.split()))
        return answers.brief(door(ctx), plan, links, shared=radar)

    @server.tool(annotations=READ_ONLY)
    def who_knows(topic: str, ctx: Context, limit: int = 5) -> dict[str, Any]:
        """People who know about TOPIC, ranked by evidence: who wrote or owned actions of the
        post-mortems on it, presented or spoke about it in recordings, gave talks on it, or
        declare it in their profile. Each person has `evidence` (documents and their role, with
        links) and `url`, their profile with office hours. Suggest whom to ask; cite evidence.
        """
        topic = " ".join(topic.split())
        if not topic:
            raise ToolError("topic is empty")
        return answers.experts(door(ctx), topic, links, limit=_limit(limit))

    @server.tool(annotations=READ_ONLY)
    def open_action_items(
        ctx: Context, owner: str | None = None, team: str | None = None
    ) -> dict[str, Any]:
        """Post-mortem action items not done yet: promises made after incidents.

        `owner` narrows to one person (name, e-mail or handle); `team` to incidents of that
        team. Each item has `title`, `owner`, `status`, `due`, `overdue` ("yes" when late), the
        incident it came from (`incident_id`, `incident`) and `url`. Check these before
        touching a system an incident named: an open item may be the very change you plan.
        """
        return answers.action_items(
            door(ctx),
            links,
            open_only=True,
            owners=(owner,) if owner else (),
            teams=(team,) if team else (),
        )

    return server
