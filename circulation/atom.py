"""Atom (RFC 4287) documents: a follow's feed or a digest, entries linking into the portal.

Built with ElementTree, which escapes every text and attribute; characters XML 1.0 cannot
carry at all (most control characters) are dropped first, since content is untrusted.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from circulation.links import Links
from index import fields
from index.kinds import kind_label
from index.models import Document

ATOM_NS = "http://www.w3.org/2005/Atom"
CONTENT_TYPE = "application/atom+xml; charset=utf-8"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def document_url(portal_url: str, doc: Document) -> str:
    """The portal address that opens DOC."""
    return Links(portal_url).document(doc.kind, doc.doc_id)


def entry_id(doc_id: str) -> str:
    """A document's permanent entry id: the same across changes (`updated` moves instead) and
    across portal addresses (a portal moved to another port is not a feed of new entries)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"hindsight:doc:{quote(doc_id)}").urn


def feed_id(key: str) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"hindsight:feed:{key}").urn


def rfc3339(moment: dt.datetime) -> str:
    """A timestamp with its offset (naive times are the server's local time)."""
    aware = moment if moment.tzinfo else moment.astimezone()
    return aware.isoformat(timespec="seconds")


def _clean(value: object) -> str:
    return _NOT_XML.sub("", str(value))


@dataclass(frozen=True)
class Entry:
    document: Document
    updated: dt.datetime
    published: dt.datetime | None = None
    note: str = ""  # e.g. "new" / "changed"


def summary(doc: Document, note: str = "") -> str:
    """One line about DOC from its metadata (bodies stay in the portal)."""
    meta = doc.metadata
    parts = [kind_label(doc.kind)]
    if note:
        parts.append(note)
    if doc.date:
        parts.append(doc.date.isoformat())
    for name in ("severity", "services", "teams", "tags"):
        value = ", ".join(fields.raw_values(meta, name)[:5])
        if value:
            parts.append(f"{fields.BY_NAME[name].title.lower()}: {value}")
    return " · ".join(_clean(p) for p in parts)


def render(
    *,
    key: str,
    title: str,
    self_url: str | None,
    portal_url: str,
    entries: Sequence[Entry],
    now: dt.datetime,
    alternate_url: str | None = None,
) -> str:
    """The Atom feed KEY (a stable name: its id) with ENTRIES, as UTF-8 XML text.

    SELF_URL is where the feed itself is fetched (left out when nobody serves it at a known
    address: a wrong self link sends feed readers astray); ALTERNATE_URL the portal page it
    mirrors (default: the portal's home).
    """
    ET.register_namespace("", ATOM_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", {k: _clean(v) for k, v in attrs.items()})
        if text is not None:
            el.text = _clean(text)
        return el

    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    sub(feed, "id", feed_id(key))
    sub(feed, "title", title)
    updated = max((e.updated for e in entries), default=now)
    sub(feed, "updated", rfc3339(updated))
    if self_url:
        sub(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    sub(feed, "link", rel="alternate", type="text/html", href=alternate_url or portal_url)
    author = sub(feed, "author")
    sub(author, "name", "Hindsight")
    sub(feed, "generator", "Hindsight")
    for item in entries:
        doc = item.document
        entry = sub(feed, "entry")
        sub(entry, "id", entry_id(doc.doc_id))
        sub(entry, "title", doc.title or doc.doc_id)
        sub(entry, "updated", rfc3339(item.updated))
        if item.published is not None:
            sub(entry, "published", rfc3339(item.published))
        sub(entry, "link", rel="alternate", type="text/html", href=document_url(portal_url, doc))
        sub(entry, "category", term=doc.kind, label=kind_label(doc.kind))
        sub(entry, "summary", summary(doc, item.note))
    body = ET.tostring(feed, encoding="unicode")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n"
