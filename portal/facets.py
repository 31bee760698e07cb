"""Search filters as URL state: which facets exist, their widgets, and counts per value."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from index.archive import Archive
from index.facets import normalise
from index.filters import SearchFilters
from index.kinds import kind_label, known_kind
from portal import state
from portal.state import PageState


@dataclass(frozen=True)
class Facet:
    name: str  # URL parameter and doc_facets facet ("kind" is the document kind)
    label: str
    widget: str  # "pills" for a handful of values, "multiselect" for many


FACETS = (
    Facet("kind", "Kind", "pills"),
    Facet("severity", "Severity", "pills"),
    Facet("outcome", "Showcase outcome", "pills"),
    Facet("team", "Team", "multiselect"),
    Facet("service", "Service", "multiselect"),
    Facet("tag", "Tags", "multiselect"),
)
PARAMS = [state.many(f.name) for f in FACETS] + [state.day("from"), state.day("to")]
COMPOSITE: dict[str, tuple[str, ...]] = {"dates": ("from", "to")}


def sanitise(page: PageState, known: dict[str, list[tuple[str, int]]]) -> list[str]:
    """Keep only filter values the archive has (KNOWN: its facet counts, as the viewer sees
    them); a link's typo or a made-up value (severity=SEV9) is dropped, not shown as a filter
    with 0 results. Returns what was dropped, to say so."""
    dropped = []
    for facet in FACETS:
        values = [v for v in page.get(facet.name) if isinstance(v, str)]
        vocabulary = {v for v, _ in known.get(facet.name, [])}
        kept = []
        for value in values:
            canonical = (
                known_kind(value) or value if facet.name == "kind" else normalise(facet.name, value)
            )
            if canonical in vocabulary:
                kept.append(canonical)
            else:
                dropped.append(f"{facet.label.lower()} “{value}”")
        if kept != values:
            page.set(facet.name, list(dict.fromkeys(kept)))
    return dropped


def filter_key(page: PageState, *, without: str | None = None) -> SearchFilters:
    """The page's filters, optionally leaving out one facet (for that facet's counts)."""
    chosen = {f.name: tuple(page.get(f.name)) for f in FACETS if f.name != without}
    facets = {name: values for name, values in chosen.items() if name != "kind" and values}
    dates = (None, None) if without == "dates" else (page.get("from"), page.get("to"))
    return SearchFilters(
        kinds=chosen.get("kind", ()),
        date_from=dates[0],
        date_to=dates[1],
        facets=tuple(facets.items()),
    )


def active(page: PageState) -> list[tuple[str, str]]:
    """(facet, label) for each facet with a selection, dates included."""
    out = [(f.name, f.label) for f in FACETS if page.get(f.name)]
    if page.get("from") or page.get("to"):
        out.append(("dates", "Date range"))
    return out


def clear(page: PageState, name: str) -> None:
    if name == "dates":
        page.reset("from", "to")
    else:
        page.reset(name)


def value_label(facet: str, value: str) -> str:
    if facet == "kind":
        return kind_label(value)
    return value.capitalize() if facet == "outcome" else value


def draw(page: PageState, counts_for: Callable[[str], dict[str, int]]) -> None:
    """All facet widgets; COUNTS_FOR(facet) gives documents per value under the other filters."""
    for facet in FACETS:
        counts = counts_for(facet.name)
        selected = [v for v in page.get(facet.name) if isinstance(v, str)]
        options = list(counts) + [v for v in selected if v not in counts]
        if not options:
            continue

        def fmt(value: str, facet: Facet = facet, counts: dict[str, int] = counts) -> str:
            return f"{value_label(facet.name, value)} · {counts.get(value, 0)}"

        if page.widget_key(facet.name) not in st.session_state:
            page.set(facet.name, selected)
        if facet.widget == "pills":
            page.widget(
                facet.name,
                st.pills,
                facet.label,
                options,
                selection_mode="multi",
                format_func=fmt,
                wrap=True,
            )
        else:
            page.widget(
                facet.name,
                st.multiselect,
                facet.label,
                options,
                format_func=fmt,
                placeholder=f"Any {facet.label.lower()}",
            )
    _dates(page)


def _dates(page: PageState) -> None:
    # The widget is created from the page's values; state.PageState drops it when they change.
    chosen = tuple(d for d in (page.get("from"), page.get("to")) if d)
    value = st.date_input(
        "Date range", value=chosen, key=page.widget_key("dates"), format="YYYY-MM-DD"
    )
    picked = list(value) if isinstance(value, tuple | list) else [value] if value else []
    st.session_state[page.key("from")] = picked[0] if picked else None
    st.session_state[page.key("to")] = picked[1] if len(picked) > 1 else None


def archive_counts(
    archive: Archive, page: PageState, facet: str, doc_ids: tuple[str, ...] | None
) -> dict[str, int]:
    """Documents per value of FACET under the page's other filters (within DOC_IDS if given)."""
    filters = filter_key(page, without=facet).with_doc_ids(doc_ids)
    return dict(archive.facet_counts(filters).get(facet, []))
