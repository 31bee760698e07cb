"""Portal addresses for whatever leaves the portal: API, MCP, Slack, PR comments, feeds,
digests and a downloaded brief.

The same pages and parameters as the portal's own links (portal/links.py), built without
Streamlit from the portal's address (HINDSIGHT_PORTAL_URL; `make run` sets it from PORT; the
portal itself passes the address its browser reached it at). Page names are app.py's
`url_path`s.
"""

from __future__ import annotations

import base64
import zlib
from typing import Any
from urllib.parse import urlencode

# The portal page that shows each kind (url_path in app.py; portal/links.py PAGE_OF_KIND).
PAGE_OF_KIND = {
    "postmortem": "incidents",
    "showcase": "showcase",
    "talk": "talks",
    "paper-review": "talks",
    "expert": "experts",
}
MAX_PLAN_LINK = 8000  # characters of encoded plan in a link (browsers, chat and CI tools cope)


def encode_plan(plan: str) -> str:
    """PLAN as a URL-safe token (zlib + base64url): the link carries the plan, not the brief."""
    return base64.urlsafe_b64encode(zlib.compress(plan.encode("utf-8"), 9)).decode().rstrip("=")


def decode_plan(token: str, *, max_chars: int = 200_000) -> str:
    """The plan a link carries; '' for a token that is not one (links are untrusted input)."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        inflater = zlib.decompressobj()
        text = inflater.decompress(raw, max_chars * 4)
        return text.decode("utf-8")[:max_chars] if not inflater.unconsumed_tail else ""
    except (ValueError, zlib.error, UnicodeDecodeError):
        return ""


class Links:
    """Links into the portal at PORTAL_URL."""

    def __init__(self, portal_url: str) -> None:
        self.base = portal_url.rstrip("/")

    def page(self, page: str, **params: Any) -> str:
        """PAGE with PARAMS (empty values left out)."""
        query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
        return f"{self.base}/{page}" + (f"?{query}" if query else "")

    def document(self, kind: str, doc_id: str, seconds: float | None = None) -> str:
        """The page that shows a document (at SECONDS into a recording)."""
        page = PAGE_OF_KIND.get(kind, "document")
        if kind == "expert":
            return self.page(page, expert=doc_id)
        return self.page(page, doc=doc_id, t=None if seconds is None else int(seconds))

    def expert(self, expert_id: str | None, topic: str = "") -> str:
        """A person's page (their profile id, or the key of someone without one), or, with no
        id, the experts page on TOPIC."""
        return (
            self.page("experts", expert=expert_id)
            if expert_id
            else self.page("experts", topic=topic)
        )

    def search(self, query: str, kinds: tuple[str, ...] = ()) -> str:
        return self.page("search", q=query, kind=kinds[0] if len(kinds) == 1 else None)

    def brief(self, plan: str) -> str:
        """The Check-a-plan page with PLAN in its address (the brief is recomputed there).

        A plan too long for a link people can paste opens the empty page instead.
        """
        token = encode_plan(plan)
        return self.page("brief", plan=token if len(token) <= MAX_PLAN_LINK else None)

    def whats_new(self) -> str:
        return self.page("whats_new")

    def review(self) -> str:
        return self.page("review")
