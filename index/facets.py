"""Which metadata fields become filters, and how their values are normalised."""

from __future__ import annotations

from typing import Any

from index.access import document_access

# facet name -> metadata keys that feed it
FACET_SOURCES: dict[str, tuple[str, ...]] = {
    "team": ("teams", "team"),
    "service": ("services", "service", "product"),
    "severity": ("severity",),
    "outcome": ("outcome",),
    "tag": ("tags", "keywords", "categories"),
    "person": ("authors", "presenters", "speakers", "owner"),
    "status": ("status",),
    "related": ("related",),
}


def _values(raw: Any) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, list | tuple | set):
        return [str(v).strip() for v in raw if v is not None and str(v).strip()]
    text = str(raw).strip()
    return [text] if text else []


def normalise(facet: str, value: str) -> str:
    if facet == "severity":
        return value.upper().replace(" ", "").replace("-", "")
    if facet in ("person",):
        return value
    return value.lower()


def document_facets(metadata: dict[str, Any]) -> list[tuple[str, str]]:
    """(facet, value) pairs for one document's metadata, without duplicates.

    Its access groups are the facet `access` (index.access reads them back from there).
    """
    pairs: dict[tuple[str, str], None] = {("access", g): None for g in document_access(metadata)}
    for facet, keys in FACET_SOURCES.items():
        for key in keys:
            for value in _values(metadata.get(key)):
                pairs[(facet, normalise(facet, value))] = None
    return list(pairs)
