"""The /hindsight Slack command: Slack's v0 signatures, the replay window, Block Kit answers that
link into the portal, and slow answers posted to response_url — all with requests the test signs
itself, against a real server, with a local HTTP receiver standing in for Slack."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from index.errors import HindsightError
from index.opener import Opener
from server import slack
from server.app import make_app
from tests.server_helpers import PORTAL, SLACK_SECRET, Served, restricted_server, served
from tests.test_server_access import slack_post

__all__ = ["restricted_server"]
NOW = 1_700_000_000


def test_a_signature_from_slacks_documentation_verifies() -> None:
    # Slack's worked example (api.slack.com/authentication/verifying-requests-from-slack).
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
        b"G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook"
        b"-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F3977"
        b"00885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d"
        b"10d2c447fce8b6703c"
    )
    signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    slack.verify(SLACK_SECRET, "1531420618", signature, body, now=1531420618 + 60)


@pytest.mark.parametrize(
    ("secret", "stamp", "signature", "body", "why"),
    [
        (SLACK_SECRET, str(NOW), slack.sign(SLACK_SECRET, NOW, b"text=x"), b"text=y", "Signature"),
        (SLACK_SECRET, str(NOW), slack.sign("other", NOW, b"text=x"), b"text=x", "Signature"),
        (SLACK_SECRET, str(NOW), "", b"text=x", "Signature"),
        (SLACK_SECRET, str(NOW - 301), slack.sign(SLACK_SECRET, NOW - 301, b"a"), b"a", "replay"),
        (SLACK_SECRET, str(NOW + 301), slack.sign(SLACK_SECRET, NOW + 301, b"a"), b"a", "replay"),
        (SLACK_SECRET, "soon", slack.sign(SLACK_SECRET, NOW, b"a"), b"a", "Timestamp"),
        ("", str(NOW), slack.sign("", NOW, b"a"), b"a", "SIGNING_SECRET"),
    ],
)
def test_bad_signatures_and_replays_are_refused(
    secret: str, stamp: str, signature: str, body: bytes, why: str
) -> None:
    with pytest.raises(slack.BadRequest, match=why):
        slack.verify(secret, stamp, signature, body, now=NOW)
    slack.verify(
        SLACK_SECRET, str(NOW - 299), slack.sign(SLACK_SECRET, NOW - 299, b"a"), b"a", now=NOW
    )


def test_the_server_answers_401_to_bad_signatures_and_replays(restricted_server: Served) -> None:
    form = {"user_id": "UMEMBER", "team_id": "T0", "text": "search failover"}
    assert slack_post(restricted_server.url, form).status_code == 200
    assert slack_post(restricted_server.url, form, secret="forged").status_code == 401
    replayed = slack_post(restricted_server.url, form, at=int(time.time()) - 6 * 60)
    assert replayed.status_code == 401 and "replay" in replayed.json()["detail"]
    unsigned = httpx.post(restricted_server.url + "/slack/commands", data=form, timeout=60)
    assert unsigned.status_code == 401


def test_commands_parse_as_slack_users_type_them() -> None:
    assert slack.parse("search  replica lag ") == slack.Command("search", "replica lag")
    assert slack.parse("Who postgres failover") == slack.Command("who", "postgres failover")
    assert slack.parse("experts dns") == slack.Command("who", "dns")
    assert slack.parse("share brief move the ledger") == slack.Command(
        "brief", "move the ledger", share=True
    )
    for text in ("", "help", "search", "dance now", "share"):
        assert slack.parse(text).verb == "help", text


def test_an_answer_is_ephemeral_block_kit_linking_into_the_portal(
    restricted_server: Served,
) -> None:
    form = {"user_id": "UNOBODY", "team_id": "T0", "text": "search replica promoted with lag"}
    message = slack_post(restricted_server.url, form).json()
    assert message["response_type"] == "ephemeral" and message["text"]
    assert all(b["type"] in ("section", "context") for b in message["blocks"])
    texts = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
    assert f"<{PORTAL}/incidents?doc=pm-2025-03-14-ledger-replica-lag|" in texts[1]
    footer = message["blocks"][-1]["elements"][0]["text"]
    assert footer.startswith(f"<{PORTAL}/search?q=replica+promoted+with+lag|")
    for verb in ("brief Promote the ledger-db replica during failover", "who postgres failover"):
        answer = slack_post(restricted_server.url, form | {"text": verb}).json()
        assert answer["response_type"] == "ephemeral"
        assert PORTAL in json.dumps(answer)
    usage = slack_post(restricted_server.url, form | {"text": "help"}).json()
    assert "/hindsight search" in usage["blocks"][0]["text"]["text"]


def test_content_cannot_ping_the_channel_or_forge_links() -> None:
    assert slack.escape("<!channel> & <https://evil|click>") == (
        "&lt;!channel&gt; &amp; &lt;https://evil|click&gt;"
    )


class _Receiver(BaseHTTPRequestHandler):
    got: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        size = int(self.headers["Content-Length"])
        type(self).got.append(json.loads(self.rfile.read(size)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A local stand-in for Slack's response_url."""
    _Receiver.got = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/commands/T0/1/abc", _Receiver.got
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_slow_answer_is_acknowledged_and_posted_to_response_url(
    restricted_server: Served, real_embedder: Any, receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    where, got = receiver
    # slack_ack_s=0: every answer counts as slow, so the ack and the later post are both seen.
    settings = restricted_server.settings.model_copy(update={"slack_ack_s": 0.0})
    with (
        Opener(settings, real_embedder) as opener,
        served(make_app(settings, opener=opener)) as url,
    ):
        form = {
            "user_id": "UMEMBER",
            "team_id": "T0",
            "text": "brief Promote the ledger-db replica during a failover drill",
            "response_url": where,
        }
        started = time.monotonic()
        ack = slack_post(url, form)
        assert time.monotonic() - started < 3  # Slack gives up after 3 s
        assert ack.status_code == 200 and ack.json()["response_type"] == "ephemeral"
        assert "blocks" not in ack.json()
        deadline = time.monotonic() + 60
        while not got and time.monotonic() < deadline:
            time.sleep(0.05)
        assert got, "no answer reached response_url"
        posted = got[0]
        assert posted["response_type"] == "ephemeral" and posted["replace_original"] is True
        assert f"{PORTAL}/incidents?doc=pm-2025-03-14-ledger-replica-lag" in json.dumps(posted)
        # A response_url that is not Slack's is never called: the answer comes back directly.
        elsewhere = slack_post(url, form | {"response_url": "https://evil.example/steal"})
        assert "blocks" in elsewhere.json() and len(got) == 1


def test_the_user_mapping_file_is_read_and_checked(tmp_path: Path) -> None:
    users = tmp_path / "users.yaml"
    users.write_text("U1: {email: a@x, groups: 'sre, security'}\n", encoding="utf-8")
    mapping = slack.SlackUsers(users)
    person = mapping.person("T0", "U1")
    assert person == slack.SlackPerson("a@x", "a@x", ("sre", "security"))
    assert mapping.person("T0", "U2") is None
    users.write_text("U1: {name: Changed}\nU2: [not, a, mapping]\n", encoding="utf-8")
    with pytest.raises(HindsightError, match="users.yaml: entry 'U2'"):
        mapping.person("T0", "U1")
    with pytest.raises(HindsightError, match="cannot read"):
        slack.parse_users(tmp_path / "missing.yaml")
    with pytest.raises(HindsightError, match="cannot read"):
        slack.SlackUsers(tmp_path / "gone.yaml").person("T0", "U1")
