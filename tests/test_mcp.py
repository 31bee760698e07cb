"""The MCP tools as a coding agent meets them: `hindsight mcp` over stdio with the official
client, tool descriptions an agent can act on, answers with portal links, and the caller's
groups deciding what any tool returns."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from mcp import Client, StdioServerParameters

from tests.access_fixtures import RESTRICTED_IDS
from tests.server_helpers import PORTAL, Served, restricted_server
from tests.test_access import _trace

__all__ = ["restricted_server"]
ROOT = Path(__file__).resolve().parents[1]
LEDGER = "pm-2025-03-14-ledger-replica-lag"
TOOLS = {
    "search",
    "get_document",
    "similar_incidents",
    "pre_work_brief",
    "who_knows",
    "open_action_items",
}


def _stdio(server: Served, *args: str) -> StdioServerParameters:
    env = {
        k: v for k, v in os.environ.items() if k.startswith(("PATH", "HOME", "HF_", "TOKENIZERS"))
    }
    env |= {
        "HINDSIGHT_DATA_DIR": str(server.settings.data_dir),
        "HINDSIGHT_PORTAL_URL": PORTAL,
        "HF_HUB_OFFLINE": "1",
    }
    return StdioServerParameters(
        command=sys.executable, args=["-m", "cli", "mcp", *args], env=env, cwd=str(ROOT)
    )


async def _session(params: StdioServerParameters) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with Client(params, read_timeout_seconds=120) as client:
        listed = (await client.list_tools()).tools
        out["tools"] = {t.name: t for t in listed}
        out["instructions"] = client.instructions
        calls = {
            "search": ("search", {"query": "replica promoted while lagging", "limit": 3}),
            "canary": ("search", {"query": "zorbulon signing key", "kind": "incident"}),
            "document": ("get_document", {"id": LEDGER}),
            "missing": ("get_document", {"id": RESTRICTED_IDS[0]}),
            "similar": ("similar_incidents", {"id": LEDGER}),
            "brief": (
                "pre_work_brief",
                {"plan": "Promote the ledger-db replica during Tuesday's failover drill."},
            ),
            "who": ("who_knows", {"topic": "postgres failover"}),
            "items": ("open_action_items", {}),
            "bad kind": ("search", {"query": "x", "kind": "poem"}),
        }
        for name, (tool, arguments) in calls.items():
            out[name] = await client.call_tool(tool, arguments)
    return out


def test_hindsight_mcp_over_stdio(restricted_server: Served) -> None:
    outsider = asyncio.run(_session(_stdio(restricted_server, "--groups", "sre")))
    assert set(outsider["tools"]) == TOOLS
    brief = outsider["tools"]["pre_work_brief"]
    assert "BEFORE changing a system" in (brief.description or "")
    assert brief.annotations and brief.annotations.read_only_hint
    assert all(len(t.description or "") > 150 for t in outsider["tools"].values())
    hits = outsider["search"].structured_content["hits"]
    assert hits[0]["doc_id"] == LEDGER
    assert hits[0]["url"] == f"{PORTAL}/incidents?doc={LEDGER}"
    document = outsider["document"].structured_content
    assert document["fields"]["severity"] == "SEV2"
    assert [s["heading"] for s in document["sections"]][:2] == [
        "Payments ledger served stale balances during replica failover",
        "Summary",
    ]
    assert outsider["missing"].is_error
    assert "No such document" in outsider["missing"].content[0].text
    assert outsider["bad kind"].is_error and "postmortem" in outsider["bad kind"].content[0].text
    plan = outsider["brief"].structured_content
    assert plan["incidents"][0]["url"] == f"{PORTAL}/incidents?doc={LEDGER}"
    assert plan["url"].startswith(f"{PORTAL}/brief?plan=")
    assert all(p["url"].startswith(PORTAL) for p in outsider["who"].structured_content["experts"])
    assert "Before changing a system, run `pre_work_brief`" in outsider["instructions"]
    answers = [
        outsider[k].model_dump(mode="json") for k in outsider if k not in ("tools", "instructions")
    ]
    every = (
        json.dumps(answers).replace("zorbulon+signing+key", "").replace("zorbulon signing key", "")
    )
    assert _trace(every) == []  # the caller's own query is the only place the word appears

    member = asyncio.run(
        _session(_stdio(restricted_server, "--token", restricted_server.tokens["member"]))
    )
    assert RESTRICTED_IDS[0] in json.dumps(member["canary"].structured_content)
    assert not member["missing"].is_error


def test_an_unknown_token_is_refused_before_the_server_starts(restricted_server: Served) -> None:
    import subprocess

    params = _stdio(restricted_server, "--token", "hst_nope")
    done = subprocess.run(
        [params.command, *params.args],
        env=params.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "unknown or revoked --token" in done.stderr
    assert done.stdout == ""
