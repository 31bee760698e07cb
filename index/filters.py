"""The one filter type: what a search, a listing or a count is restricted to.

Frozen and hashable, so a filter is its own cache key. `access` is the viewer's access key
(index.access): the read-side facade always sets it from the viewer, pages never do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from index.access import EVERYTHING, Viewer

Facets = tuple[tuple[str, tuple[str, ...]], ...]


def _facets(raw: Mapping[str, Sequence[str]] | Facets) -> Facets:
    pairs = raw.items() if isinstance(raw, Mapping) else raw
    return tuple(sorted((str(k), tuple(sorted(set(v)))) for k, v in pairs if v))


@dataclass(frozen=True)
class SearchFilters:
    """Restrictions applied before ranking's cut-off. Empty means no restriction.

    `facets` may be given as a mapping (facet -> any of values); it is stored sorted.
    """

    kinds: tuple[str, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    facets: Facets = field(default=())
    doc_ids: tuple[str, ...] | None = None
    access: tuple[str, ...] | None = None  # None: no restriction (an operator's --all)

    def __post_init__(self) -> None:
        # Normalised here so equal filters are equal keys, whatever order they came in.
        object.__setattr__(self, "kinds", tuple(sorted(set(self.kinds))))
        object.__setattr__(self, "facets", _facets(self.facets))
        if self.doc_ids is not None:
            object.__setattr__(self, "doc_ids", tuple(self.doc_ids))
        if self.access is not None:
            keys = tuple(sorted(set(self.access)))
            object.__setattr__(self, "access", None if EVERYTHING in keys else keys)

    @property
    def facet_map(self) -> dict[str, tuple[str, ...]]:
        return dict(self.facets)

    def is_empty(self) -> bool:
        return not self.restricts_content() and self.access is None

    def restricts_content(self) -> bool:
        """True when anything but access narrows the documents."""
        return bool(
            self.kinds
            or self.date_from is not None
            or self.date_to is not None
            or self.facets
            or self.doc_ids is not None
        )

    def for_viewer(self, viewer: Viewer) -> SearchFilters:
        """These filters as VIEWER may apply them: access always comes from the viewer."""
        return replace(self, access=viewer.access_key)

    def without(self, facet: str) -> SearchFilters:
        """These filters without FACET ("kind", "dates" or a facet name), for its counts."""
        if facet == "kind":
            return replace(self, kinds=())
        if facet == "dates":
            return replace(self, date_from=None, date_to=None)
        return replace(self, facets=tuple(p for p in self.facets if p[0] != facet))

    def with_doc_ids(self, doc_ids: Sequence[str] | None) -> SearchFilters:
        return replace(self, doc_ids=None if doc_ids is None else tuple(doc_ids))


def merge(filters: SearchFilters | None, **changes: Any) -> SearchFilters:
    """FILTERS (or none) with CHANGES applied."""
    return replace(filters or SearchFilters(), **changes)
