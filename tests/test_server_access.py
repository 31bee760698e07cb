"""Access control over the server's surfaces: every endpoint, every MCP tool, every Slack answer.

The same canary as tests/test_access.py, but through real HTTP: a real uvicorn serving the real
app over a real index, called with real clients (httpx for the API, the official MCP client for
/mcp, Slack's signed form posts for /slack/commands). An outsider's token, no token at all and
an unmapped Slack user see no trace of the restricted documents; a member's token and a mapped
member do. Each route of the app and each MCP tool must have a row here.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from server.app import make_app
from server.slack import sign
from tests.access_fixtures import CANARY, PUBLIC_SUPERSEDED, RESTRICTED_IDS
from tests.server_helpers import SLACK_SECRET, Served, bearer, restricted_server
from tests.test_access import _trace

__all__ = ["restricted_server"]
LEDGER = "pm-2025-03-14-ledger-replica-lag"
RESTRICTED_PM, RESTRICTED_SHOWCASE, RESTRICTED_EXPERT = RESTRICTED_IDS
PLAN = "Before the next failover drill we rotate the signing key the red team found in a runbook."
RADAR_PLAN = "Rotate the signing keys before every failover drill and scrub the runbooks."
VIEWERS = ("outsider", "anonymous")  # must see no trace
MEMBERS = ("member", "admin")  # must see it


@dataclass(frozen=True)
class Row:
    route: str  # the app's route template this row covers
    method: str
    path: str
    params: dict[str, Any] | None = None
    body: dict[str, Any] | None = None
    by_meaning: bool = False  # members may or may not get it: the model's call, not access's
    echo: tuple[str, ...] = ()  # the caller's own words, which an answer may quote back


def _q(**params: Any) -> dict[str, Any]:
    return params


ROWS: dict[str, Row] = {
    "search hits and snippets": Row(
        "/api/v1/search",
        "GET",
        "/api/v1/search",
        _q(q=f"{CANARY} failover key", limit=20),
        echo=(f"{CANARY} failover key",),
    ),
    "dense words": Row(
        "/api/v1/search",
        "GET",
        "/api/v1/search",
        _q(q="signing key leaked through a runbook", limit=20, mode="dense"),
    ),
    "keyword search": Row(
        "/api/v1/search", "GET", "/api/v1/search", _q(q=CANARY, mode="keyword"), echo=(CANARY,)
    ),
    "search with a facet": Row(
        "/api/v1/search", "GET", "/api/v1/search", _q(q="failover", team="secops", limit=20)
    ),
    "search within a kind": Row(
        "/api/v1/search",
        "GET",
        "/api/v1/search",
        _q(q="key leaked in a runbook", kind="incident", limit=20),
    ),
    "recording moments": Row(
        "/api/v1/search",
        "GET",
        "/api/v1/search",
        _q(q="red team found the key", kind="showcase", limit=20),
    ),
    "restricted post-mortem by id": Row(
        "/api/v1/documents/{doc_id}", "GET", f"/api/v1/documents/{RESTRICTED_PM}"
    ),
    "restricted recording by id": Row(
        "/api/v1/documents/{doc_id}", "GET", f"/api/v1/documents/{RESTRICTED_SHOWCASE}"
    ),
    "restricted profile by id": Row(
        "/api/v1/documents/{doc_id}", "GET", f"/api/v1/documents/{RESTRICTED_EXPERT}"
    ),
    "related of a public incident": Row(
        "/api/v1/documents/{doc_id}", "GET", f"/api/v1/documents/{LEDGER}"
    ),
    # Its front matter names a restricted successor: only members may read the name.
    "a public talk superseded by a restricted one": Row(
        "/api/v1/documents/{doc_id}", "GET", f"/api/v1/documents/{PUBLIC_SUPERSEDED}"
    ),
    "search hits of a superseded talk": Row(
        "/api/v1/search", "GET", "/api/v1/search", _q(q="schema migrations by hand", limit=20)
    ),
    "similar incidents of a public one": Row(
        "/api/v1/incidents/{doc_id}/similar",
        "GET",
        f"/api/v1/incidents/{LEDGER}/similar",
        _q(limit=20),
        by_meaning=True,
    ),
    "similar incidents of the restricted one": Row(
        "/api/v1/incidents/{doc_id}/similar", "GET", f"/api/v1/incidents/{RESTRICTED_PM}/similar"
    ),
    "brief of a plan": Row("/api/v1/brief", "POST", "/api/v1/brief", body={"plan": PLAN}),
    "brief: other teams' shared plans": Row(
        "/api/v1/brief", "POST", "/api/v1/brief", body={"plan": RADAR_PLAN, "team": "sre"}
    ),
    "experts on the topic": Row(
        "/api/v1/experts", "GET", "/api/v1/experts", _q(topic=CANARY, limit=20), echo=(CANARY,)
    ),
    "experts by meaning": Row(
        "/api/v1/experts",
        "GET",
        "/api/v1/experts",
        _q(topic="red team credential rotation", limit=20),
    ),
    "action items": Row("/api/v1/action-items", "GET", "/api/v1/action-items"),
    "open action items of a team": Row(
        "/api/v1/action-items", "GET", "/api/v1/action-items", _q(open="true", team="secops")
    ),
    "action items of an owner": Row(
        "/api/v1/action-items", "GET", "/api/v1/action-items", _q(owner="Priya Raman")
    ),
    "recurring failure modes": Row(
        "/api/v1/recurring", "GET", "/api/v1/recurring", by_meaning=True
    ),
    "what's new": Row("/api/v1/whats-new", "GET", "/api/v1/whats-new", _q(since="3650d")),
    "follow feed": Row("/feeds/{token}/{feed}", "GET", "FEED"),
    # The restricted runbook overdue for review is Priya Raman's: her queue as each reads it.
    "an owner's review feed": Row("/feeds/{token}/{feed}", "GET", "REVIEW_FEED"),
    "slack search": Row(
        "/slack/commands",
        "POST",
        "SLACK",
        _q(text=f"search {CANARY} failover key"),
        echo=(f"{CANARY} failover key",),
    ),
    "slack brief": Row("/slack/commands", "POST", "SLACK", _q(text=f"brief {PLAN}")),
    "slack who": Row(
        "/slack/commands", "POST", "SLACK", _q(text="who red team credential rotation")
    ),
    "slack similar (public)": Row(
        "/slack/commands", "POST", "SLACK", _q(text=f"similar {LEDGER}"), by_meaning=True
    ),
    "slack similar (restricted)": Row(
        "/slack/commands",
        "POST",
        "SLACK",
        _q(text=f"similar {RESTRICTED_PM}"),
        echo=(RESTRICTED_PM,),
    ),
}
# Routes that read no document: who you are, liveness, the API's own description.
NO_DOCUMENT_READ = {"/api/v1/me", "/healthz", "/openapi.json", "/docs", "/mcp"}
SLACK_USER = {
    "outsider": "UOUTSIDER",
    "anonymous": "UNOBODY",
    "member": "UMEMBER",
    "admin": "UMEMBER",
}
GROUPS = {
    "outsider": ("sre",),
    "anonymous": (),
    "member": ("security",),
    "admin": ("hindsight-admins",),
}


def _strip(text: str, echo: tuple[str, ...]) -> str:
    for words in echo:
        for form in (words, urllib.parse.quote_plus(words), urllib.parse.quote(words)):
            text = text.replace(form, "")
    return text


def slack_post(
    url: str, form: dict[str, str], *, secret: str = SLACK_SECRET, at: int | None = None
) -> httpx.Response:
    body = urllib.parse.urlencode(form).encode()
    stamp = int(time.time()) if at is None else at
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": sign(secret, stamp, body),
    }
    return httpx.post(url + "/slack/commands", content=body, headers=headers, timeout=120)


def _call(server: Served, row: Row, who: str) -> str:
    headers = bearer(server.tokens[who]) if who in server.tokens else {}
    if row.path == "SLACK":
        form = {"command": "/hindsight", "user_id": SLACK_USER[who], "team_id": "T0"} | dict(
            row.params or {}
        )
        reply = slack_post(server.url, form)
        assert reply.status_code == 200, reply.text
        assert reply.json()["response_type"] == "ephemeral"
        return reply.text
    if row.path == "FEED":
        person = f"{who}@x"
        server.store.record_visit(person, name=who, groups=GROUPS[who])
        follow = server.store.follow(person, "failover", query="failover")
        path = f"/feeds/{server.store.new_feed_token(person)}/{follow.follow_id}.atom"
        reply = httpx.get(server.url + path, timeout=120)
        assert reply.status_code == 200, reply.text
        return reply.text
    if row.path == "REVIEW_FEED":
        person = f"{who}-owner@x"
        server.store.record_visit(person, name="Priya Raman", groups=GROUPS[who])
        path = f"/feeds/{server.store.new_feed_token(person)}/review.atom"
        reply = httpx.get(server.url + path, timeout=120)
        assert reply.status_code == 200, reply.text
        return reply.text
    reply = httpx.request(
        row.method,
        server.url + row.path,
        params=row.params,
        json=row.body,
        headers=headers,
        timeout=120,
    )
    assert reply.status_code in (200, 404), (reply.status_code, reply.text)
    if reply.status_code == 404:
        assert (
            reply.json() == {"detail": "No such document."} or "No such post-mortem" in reply.text
        )
    return reply.text


@pytest.mark.parametrize("row", list(ROWS))
def test_outsiders_see_no_trace_over_http(restricted_server: Served, row: str) -> None:
    for who in VIEWERS:
        text = _strip(_call(restricted_server, ROWS[row], who), ROWS[row].echo)
        assert _trace(text) == [], f"{row} leaks to {who}"


@pytest.mark.parametrize("row", [r for r in ROWS if not ROWS[r].by_meaning])
def test_members_find_it_over_http(restricted_server: Served, row: str) -> None:
    for who in MEMBERS:
        text = _strip(_call(restricted_server, ROWS[row], who), ROWS[row].echo)
        assert _trace(text), f"{row} hides it from {who}"


def test_every_route_has_a_leak_row(restricted_server: Served) -> None:
    app = make_app(restricted_server.settings)
    # Every route the app serves (the OpenAPI document names the API's nested ones too).
    routes = {str(r.path) for r in app.routes if hasattr(r, "path")} | set(app.openapi()["paths"])
    assert len(routes) >= 14, routes
    covered = {row.route for row in ROWS.values()}
    assert routes - covered - NO_DOCUMENT_READ == set(), "routes without a row in ROWS"


def test_a_missing_and_a_restricted_document_answer_alike(restricted_server: Served) -> None:
    headers = bearer(restricted_server.tokens["outsider"])
    answers = [
        httpx.get(f"{restricted_server.url}/api/v1/documents/{doc}", headers=headers, timeout=60)
        for doc in (RESTRICTED_PM, "pm-no-such-thing")
    ]
    assert [(a.status_code, a.json()) for a in answers] == [
        (404, {"detail": "No such document."})
    ] * 2


def test_a_shared_slack_answer_shows_only_what_everyone_may_read(restricted_server: Served) -> None:
    # The member is mapped to `security`, but a message the channel sees reads as nobody's groups.
    form = {"user_id": "UMEMBER", "team_id": "T0", "text": f"share search {CANARY} failover key"}
    reply = slack_post(restricted_server.url, form)
    assert reply.status_code == 200 and reply.json()["response_type"] == "in_channel"
    assert _trace(_strip(reply.text, (f"{CANARY} failover key",))) == []
    assert "stale balances" in reply.text  # the public ledger incident is there
    private = slack_post(restricted_server.url, form | {"text": f"search {CANARY} failover key"})
    assert private.json()["response_type"] == "ephemeral"
    assert _trace(_strip(private.text, (f"{CANARY} failover key",)))


def test_slack_users_of_another_workspace_map_by_team(restricted_server: Served) -> None:
    form = {"user_id": "UOTHER", "text": f"search {CANARY} key"}
    elsewhere = slack_post(restricted_server.url, form | {"team_id": "T9"})
    mapped = slack_post(restricted_server.url, form | {"team_id": "T1"})
    assert _trace(_strip(elsewhere.text, (f"{CANARY} key",))) == []
    assert _trace(_strip(mapped.text, (f"{CANARY} key",)))


# -- MCP over streamable HTTP, with the official client ---------------------------------------

MCP_CALLS: dict[str, tuple[str, dict[str, Any], tuple[str, ...]]] = {
    "search": (
        "search",
        {"query": f"{CANARY} failover key", "limit": 20},
        (f"{CANARY} failover key",),
    ),
    "search recordings": ("search", {"query": "red team found the key", "kind": "showcase"}, ()),
    "get_document (restricted post-mortem)": ("get_document", {"id": RESTRICTED_PM}, ()),
    "get_document (restricted recording)": ("get_document", {"id": RESTRICTED_SHOWCASE}, ()),
    "get_document (a public incident's related)": ("get_document", {"id": LEDGER}, ()),
    "similar_incidents (restricted)": ("similar_incidents", {"id": RESTRICTED_PM}, ()),
    "pre_work_brief": ("pre_work_brief", {"plan": PLAN}, ()),
    "pre_work_brief (other teams' plans)": (
        "pre_work_brief",
        {"plan": RADAR_PLAN, "team": "sre"},
        (),
    ),
    "who_knows": ("who_knows", {"topic": "red team credential rotation", "limit": 20}, ()),
    "open_action_items": ("open_action_items", {}, ()),
    "open_action_items of a team": ("open_action_items", {"team": "secops"}, ()),
}
MCP_BY_MEANING = {"similar_incidents (public)": ("similar_incidents", {"id": LEDGER}, ())}


async def _mcp_session(url: str, token: str, calls: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    http = httpx2.AsyncClient(headers=bearer(token), timeout=120)
    async with http, Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client:
        out["tools"] = [t.name for t in (await client.list_tools()).tools]
        for name, (tool, args, _) in calls.items():
            result = await client.call_tool(tool, args)
            out[name] = result.model_dump_json()
    return out


def mcp_http(url: str, token: str, calls: dict[str, Any]) -> dict[str, Any]:
    return asyncio.run(_mcp_session(url, token, calls))


def test_every_mcp_tool_has_a_leak_row(restricted_server: Served) -> None:
    found = mcp_http(restricted_server.url, restricted_server.tokens["outsider"], {})
    rows = {tool for tool, _, _ in (*MCP_CALLS.values(), *MCP_BY_MEANING.values())}
    assert set(found["tools"]) == rows


@pytest.mark.parametrize("who", ["outsider", "member"])
def test_mcp_tools_over_http_show_each_caller_only_their_documents(
    restricted_server: Served, who: str
) -> None:
    calls = MCP_CALLS | MCP_BY_MEANING
    answers = mcp_http(restricted_server.url, restricted_server.tokens[who], calls)
    for name, (_, _, echo) in calls.items():
        trace = _trace(_strip(answers[name], echo))
        if who == "outsider":
            assert trace == [], f"{name} leaks over MCP"
        elif name not in MCP_BY_MEANING:
            assert trace, f"{name} hides it from the member over MCP"
    assert json.loads(answers["search"])["structured_content"]["hits"][0]["url"].startswith(
        "https://hindsight.example/"
    )


def test_the_api_brief_names_other_teams_shared_plans_to_those_who_may_see_them(
    restricted_server: Served, real_embedder: Any
) -> None:
    """The radar reaches API callers: a member of `security` learns that secops shared a plan
    like theirs; an outsider's brief has no related plan; the caller's own team's are left out."""

    def related(who: str, team: str) -> list[dict[str, Any]]:
        reply = httpx.post(
            f"{restricted_server.url}/api/v1/brief",
            json={"plan": RADAR_PLAN, "team": team},
            headers=bearer(restricted_server.tokens[who]),
            timeout=120,
        )
        assert reply.status_code == 200, reply.text
        plans: list[dict[str, Any]] = reply.json()["related_plans"]
        return plans

    (found,) = related("member", "sre")
    assert found["team"] == "secops" and CANARY in found["first_line"].lower()
    assert related("member", "SecOps") == []  # one's own team is not "another team"
    assert related("outsider", "sre") == []
    # Without a team, the caller's own shared plans are still not "another team's".
    from circulation import radar
    from index.opener import open_archive
    from server.callers import token_viewer

    settings = restricted_server.settings
    me = token_viewer("outsider", ("sre", "payments"), settings)
    mine = radar.share(
        restricted_server.store,
        open_archive(settings, me, real_embedder),
        RADAR_PLAN,
        team="sre",
        owner=me.person_key,
    )
    try:
        assert related("outsider", "") == []
        assert {p["team"] for p in related("member", "")} == {"secops", "sre"}
    finally:
        radar.withdraw(restricted_server.store, mine.plan_id)
