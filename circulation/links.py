"""Portal addresses for answers outside the portal (API, MCP, Slack, PR comments, feeds).

The same pages and parameters as the portal's own links (portal/links.py, circulation/atom.py),
built without Streamlit from `HINDSIGHT_PORTAL_URL`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from circulation.atom import PAGE_OF_KIND
from circulation.brief import encode_plan

MAX_PLAN_LINK = 8000  # characters of encoded plan in a link (browsers, chat and CI tools cope)


class Links:
    """Links into the portal at PORTAL_URL."""

    def __init__(self, portal_url: str) -> None:
        self.base = portal_url.rstrip("/")

    def page(self, page: str, **params: Any) -> str:
        query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
        return f"{self.base}/{page}" + (f"?{query}" if query else "")

    def document(self, kind: str, doc_id: str, seconds: float | None = None) -> str:
        """The page that shows a document (at SECONDS into a recording)."""
        page = PAGE_OF_KIND.get(kind, "document")
        if kind == "expert":
            return self.page(page, expert=doc_id)
        return self.page(page, doc=doc_id, t=None if seconds is None else int(seconds))

    def expert(self, expert_id: str | None, topic: str = "") -> str:
        """A person's profile, or (no profile) the experts page on the topic."""
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
