"""The `/hindsight` Slack command: signed requests in, ephemeral Block Kit answers out.

Slack signs each request (v0: HMAC-SHA256 of `v0:<timestamp>:<body>` with the app's signing
secret); a bad signature, or a timestamp more than five minutes from now (a replay), is refused.
The command reads as the Slack user's Hindsight viewer: a person and groups from the mapping
file `HINDSIGHT_SLACK_USERS` when it names them, else a viewer without groups. Answers are
ephemeral (only the asker sees them); `share` posts in the channel, and then reads as nobody's
groups, so a message others can see never carries a restricted document.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from circulation.links import Links
from index.access import Viewer
from index.archive import Archive
from index.errors import HindsightError
from index.settings import Settings
from server import answers
from server.callers import anonymous

REPLAY_WINDOW_S = 5 * 60
COMMANDS = ("search", "brief", "who", "similar")
SECTION_CHARS = 2900  # Slack refuses a section text over 3,000 characters
USAGE = (
    "*Hindsight* — what the organisation already learned.\n"
    "`/hindsight search QUERY` — post-mortems, recordings, talks\n"
    "`/hindsight brief PLAN` — before you change something: incidents, open items, people\n"
    "`/hindsight who TOPIC` — who knows about it\n"
    "`/hindsight similar INCIDENT-ID` — incidents with the same failure mode\n"
    "Answers are only shown to you. `/hindsight share search …` posts in the channel and then "
    "shows only what everyone may read."
)


class BadRequest(Exception):
    """A request that is not Slack's: answered 401 with the reason."""


def verify(
    secret: str, timestamp: str, signature: str, body: bytes, *, now: float | None = None
) -> None:
    """Raise BadRequest unless BODY was signed by Slack with SECRET within the replay window."""
    if not secret:
        raise BadRequest("Slack commands are off: HINDSIGHT_SLACK_SIGNING_SECRET is not set.")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise BadRequest("missing or malformed X-Slack-Request-Timestamp") from None
    if abs((now if now is not None else time.time()) - sent_at) > REPLAY_WINDOW_S:
        raise BadRequest("request too old (or from the future): possible replay")
    base = b"v0:" + str(sent_at).encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise BadRequest("bad X-Slack-Signature")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature Slack sends for BODY at TIMESTAMP (for tests and local tools)."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


# -- who the Slack user is ----------------------------------------------------------------


@dataclass(frozen=True)
class SlackPerson:
    name: str
    email: str
    groups: tuple[str, ...]


class SlackUsers:
    """The mapping file HINDSIGHT_SLACK_USERS, re-read when it changes.

    YAML, one entry per Slack user id (or `TEAM_ID:USER_ID` across workspaces):

        U024BE7LH: {name: Priya Raman, email: priya.raman@kestrel.example, groups: [sre]}
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._people: dict[str, SlackPerson] = {}

    def _load(self) -> dict[str, SlackPerson]:
        if self.path is None:
            return {}
        try:
            stat = self.path.stat()
        except OSError as exc:  # a missing file is a configuration error: say so
            raise HindsightError(
                f"{self.path}: cannot read the Slack user mapping ({exc})"
            ) from None
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            self._people, self._stamp = parse_users(self.path), stamp
        return self._people

    def person(self, team_id: str, user_id: str) -> SlackPerson | None:
        people = self._load()
        return people.get(f"{team_id}:{user_id}") or people.get(user_id)


def parse_users(path: Path) -> dict[str, SlackPerson]:
    """The mapping in PATH; a malformed file is an error naming it and the entry."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise HindsightError(f"{path}: cannot read the Slack user mapping ({exc})") from None
    if not isinstance(raw, dict):
        raise HindsightError(f"{path}: expected a mapping of Slack user ids to people")
    people = {}
    for user, entry in raw.items():
        if not isinstance(entry, dict) or not (entry.get("name") or entry.get("email")):
            raise HindsightError(f"{path}: entry {user!r} needs a name or an email")
        groups = entry.get("groups") or []
        if isinstance(groups, str):
            groups = groups.split(",")
        people[str(user)] = SlackPerson(
            str(entry.get("name") or entry.get("email")),
            str(entry.get("email") or ""),
            tuple(str(g).strip() for g in groups if str(g).strip()),
        )
    return people


def viewer_of(person: SlackPerson | None, settings: Settings) -> Viewer:
    if person is None:
        return anonymous()
    return Viewer.of(
        person.name, person.email, list(person.groups), admin_group=settings.admin_group
    )


# -- the command -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    verb: str  # one of COMMANDS, or "help"
    text: str
    share: bool = False


def parse(text: str) -> Command:
    words = text.split(maxsplit=1)
    share = bool(words) and words[0].lower() == "share"
    if share:
        words = words[1].split(maxsplit=1) if len(words) > 1 else []
    verb = words[0].lower() if words else "help"
    rest = words[1].strip() if len(words) > 1 else ""
    if verb in ("experts", "expert"):
        verb = "who"
    if verb not in COMMANDS or not rest:
        return Command("help", text, share=False)
    return Command(verb, rest, share)


def escape(text: str) -> str:
    """Content as Slack mrkdwn shows it literally (no <!channel>, no forged links)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(url: str, label: str) -> str:
    return f"<{url}|{escape(label.replace('|', '¦')) or 'Untitled'}>"


def _section(text: str) -> dict[str, Any]:
    if len(text) > SECTION_CHARS:
        text = text[: SECTION_CHARS - 1] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _message(blocks: list[dict[str, Any]], fallback: str, share: bool) -> dict[str, Any]:
    return {
        "response_type": "in_channel" if share else "ephemeral",
        "text": fallback,
        "blocks": blocks[:50],
    }


def refusal(text: str) -> dict[str, Any]:
    return _message([_section(escape(text))], text, False)


def usage() -> dict[str, Any]:
    return _message([_section(USAGE)], "Hindsight: /hindsight search|brief|who|similar …", False)


def _quote(text: str, chars: int = 280) -> str:
    text = " ".join(text.split())
    return escape(text if len(text) <= chars else text[: chars - 1] + "…")


def _search(archive: Archive, text: str, links: Links) -> tuple[list[dict[str, Any]], str]:
    found = answers.search(archive, answers.SearchQuery(text, limit=5), links)
    blocks = [_section(f"*Search:* {_quote(text, 200)}")]
    for hit in found["hits"]:
        when = f" · {hit['date']}" if hit["date"] else ""
        weak = " · _weak match_" if hit.get("weak") else ""
        blocks.append(
            _section(
                f"*{_link(hit['url'], hit['title'])}*  _{hit['kind']}{when}_{weak}\n"
                f"{_quote(hit['snippet'])}"
            )
        )
    if not found["hits"]:
        blocks.append(_section("Nothing found."))
    blocks.append(_context(_link(found["url"], "Open this search in Hindsight")))
    return blocks, f"Hindsight search: {len(found['hits'])} results"


def _brief(archive: Archive, text: str, links: Links) -> tuple[list[dict[str, Any]], str]:
    found = answers.brief(archive, text, links)
    blocks = [_section(f"*Before you start:* {_quote(text, 200)}")]
    incidents = found["incidents"][:3]
    if incidents:
        lines = []
        for i in incidents:
            sev = f"{i['severity']}, " if i["severity"] else ""
            again = f"\n   _{escape(i['recurring']['headline'])}_" if i["recurring"] else ""
            lines.append(
                f"• *{_link(i['url'], i['title'])}* ({sev}{i['date'] or 'undated'}){again}"
            )
        blocks.append(_section("*Past incidents like this*\n" + "\n".join(lines)))
    items = found["open_action_items"][:5]
    if items:
        lines = [
            f"• {_link(a['url'], a['title'])} — {escape(a['owner'] or 'no owner')}"
            + (" *overdue*" if a["overdue"] else "")
            for a in items
        ]
        blocks.append(_section("*Still open*\n" + "\n".join(lines)))
    people = found["experts"][:3]
    if people:
        lines = [f"• {_link(p['url'], p['name'])}" for p in people]
        blocks.append(_section("*People to ask*\n" + "\n".join(lines)))
    if not (incidents or items or people):
        blocks.append(_section("Nothing in the archive looks like this plan."))
    blocks.append(_context(_link(found["url"], "Open the full brief in Hindsight")))
    return blocks, f"Hindsight brief: {len(incidents)} past incidents"


def _who(archive: Archive, text: str, links: Links) -> tuple[list[dict[str, Any]], str]:
    found = answers.experts(archive, text, links, limit=5)
    blocks = [_section(f"*Who knows about* {_quote(text, 200)}")]
    for person in found["experts"]:
        cited = "; ".join(
            f"{escape(e['role'])} in {_link(e['url'], e['title'])}" for e in person["evidence"][:2]
        )
        blocks.append(_section(f"*{_link(person['url'], person['name'])}*\n{cited}"))
    if not found["experts"]:
        blocks.append(_section("Nobody yet."))
    blocks.append(_context(_link(found["url"], "Open in Hindsight")))
    return blocks, f"Hindsight: {len(found['experts'])} people"


def _similar(archive: Archive, text: str, links: Links) -> tuple[list[dict[str, Any]], str]:
    try:
        found = answers.similar(archive, text.split()[0], links)
    except answers.NotFound:
        # Worded alike for a missing and a restricted one, and without echoing the id.
        return [_section("No such post-mortem (or you may not read it).")], "Hindsight: not found"
    seed = found["incident"]
    blocks = [_section(f"*Like* {_link(seed['url'], seed['title'])}")]
    for item in found["similar"]:
        label = "same failure mode" if item["tier"] == "same" else "possibly related"
        blocks.append(_section(f"• *{_link(item['url'], item['title'])}* — _{label}_"))
    if not found["similar"]:
        blocks.append(_section(escape(found["reason"] or "Nothing similar.")))
    return blocks, f"Hindsight: {len(found['similar'])} similar incidents"


ANSWER = {"search": _search, "brief": _brief, "who": _who, "similar": _similar}


def answer(command: Command, archive: Archive, links: Links) -> dict[str, Any]:
    """The Block Kit message for COMMAND, read through ARCHIVE (the caller's door)."""
    if command.verb == "help":
        return usage()
    blocks, fallback = ANSWER[command.verb](archive, command.text, links)
    if command.share:
        blocks.append(_context("Shared in the channel: only what everyone may read."))
    return _message(blocks, fallback, command.share)
