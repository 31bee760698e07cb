"""Which document fields become filters (index/fields.py says), and how values are stored."""

from __future__ import annotations

from typing import Any

from index import fields
from index.access import document_access

# facet name -> the fields that feed it (aliases are folded at ingest: index/fields.py)
FACET_SOURCES: dict[str, tuple[str, ...]] = dict(fields.FACETS)


def normalise(facet: str, value: str) -> str:
    """A facet value as stored and filtered: severities `SEV2`, people as written, else lower."""
    if facet == "severity":
        return fields.severity(value) or " ".join(value.upper().split())
    if facet == "status":
        return " ".join(value.lower().split())
    if facet in ("person",):
        return value
    return value.lower()


def document_facets(metadata: dict[str, Any]) -> list[tuple[str, str]]:
    """(facet, value) pairs for one document's metadata, without duplicates.

    Its access groups are the facet `access` (index.access reads them back from there).
    """
    pairs: dict[tuple[str, str], None] = {("access", g): None for g in document_access(metadata)}
    for facet, names in FACET_SOURCES.items():
        for name in names:
            for value in fields.raw_values(metadata, name):
                pairs[(facet, normalise(facet, value))] = None
    return list(pairs)
