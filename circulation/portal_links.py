"""Absolute links into the portal, for whatever leaves it: feeds, digests, a downloaded brief.

The portal's address is HINDSIGHT_PORTAL_URL (`make run` sets it from PORT); the portal itself
passes the address its browser reached it at. Page names are the `url_path`s of app.py.
"""

from __future__ import annotations

from urllib.parse import urlencode

# The portal page that shows each kind (url_path in app.py; portal/links.py PAGE_OF_KIND).
PAGE_OF_KIND = {
    "postmortem": "incidents",
    "showcase": "showcase",
    "talk": "talks",
    "paper-review": "talks",
    "expert": "experts",
}


def page_url(portal_url: str, page: str, **params: str) -> str:
    """PORTAL_URL's PAGE with PARAMS (empty values left out)."""
    query = urlencode({k: v for k, v in params.items() if v})
    return f"{portal_url.rstrip('/')}/{page}" + (f"?{query}" if query else "")


def document_url(portal_url: str, doc_id: str, kind: str, seconds: float | None = None) -> str:
    """The portal address that opens a document (a recording at SECONDS)."""
    if kind == "expert":
        return page_url(portal_url, "experts", expert=doc_id)
    at = str(int(seconds)) if seconds is not None else ""
    return page_url(portal_url, PAGE_OF_KIND.get(kind, "document"), doc=doc_id, t=at)


def person_url(portal_url: str, key: str) -> str:
    """A person's page: their profile id, or the key of someone without one."""
    return page_url(portal_url, "experts", expert=key)


def whats_new_url(portal_url: str) -> str:
    return page_url(portal_url, "whats_new")
