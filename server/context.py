"""What every request of `hindsight serve` shares: settings, the one Opener, the state store."""

from __future__ import annotations

import sqlite3

from fastapi import HTTPException, Request

from circulation import feedback
from circulation.links import Links
from circulation.state import StateStore
from index.access import Viewer
from index.archive import Archive
from index.errors import IndexNotBuiltError
from index.opener import Opener
from index.pair_verdicts import PairVerdicts
from index.settings import Settings
from server.callers import CHALLENGE, Caller, Unauthorized, identify


class ServerContext:
    """The server's one door-keeper: `archive(viewer)` is the only way a route reads."""

    def __init__(
        self,
        settings: Settings,
        opener: Opener | None = None,
        store: StateStore | None = None,
        *,
        owns_opener: bool = False,
    ) -> None:
        self.settings = settings
        self.opener = opener or Opener(settings)
        self.owns_opener = opener is None or owns_opener
        self.store = store or StateStore(settings.data_dir)
        self.links = Links(settings.portal_url)

    def archive(self, viewer: Viewer) -> Archive:
        """The version published now as VIEWER may read it (503 before the first ingest)."""
        try:
            found = self.opener.require(viewer)
        except IndexNotBuiltError as exc:
            raise HTTPException(503, str(exc)) from None
        # Pairs people settled on the similar panel (circulation/feedback.py), as the portal;
        # read only by the routes that show similar incidents or recurrences.
        found.pair_verdicts = self._verdicts
        return found

    def _verdicts(self) -> PairVerdicts:
        try:
            return feedback.verdicts(self.store)
        except sqlite3.Error:  # an unreadable store: the panel as computed, without verdicts
            return PairVerdicts()

    def identify(self, request: Request, *, require_token: bool = False) -> Caller:
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
        try:
            return identify(headers, self.settings, self.store, require_token=require_token)
        except Unauthorized as exc:
            raise HTTPException(401, str(exc), headers={"WWW-Authenticate": CHALLENGE}) from None

    def close(self) -> None:
        if self.owns_opener:
            self.opener.close()


def context(request: Request) -> ServerContext:
    found: ServerContext = request.app.state.hindsight
    return found


async def caller(request: Request) -> Caller:
    """The FastAPI dependency every /api/v1 route takes: who is calling (or 401).

    Async on purpose: one indexed SQLite read (~0.2 ms) is cheaper on the event loop than a
    second trip through the thread pool, where it would queue behind searches.
    """
    return context(request).identify(request)
