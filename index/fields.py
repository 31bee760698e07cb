"""The document fields the product understands: their one home.

Front matter, imported documents' property tables and `Key: Value` lines all name the same
things many ways (`team` / `teams`, `components` / `services`, `Sev 2` / `SEV2`, `Won't fix` /
`wontfix`). `FIELDS` declares each field once — its name, the aliases folded into it, its type
and the filter (facet) it feeds — and the functions below are how every layer reads one:
ingest folds a document's fields with `canonical` before it is stored, and facets, filters,
trends, action items, incidents and the brief read values back with `values`, `text`,
`severity` and `is_done`, so a value reads the same on every page and command.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

FieldType = Literal[
    "text", "list", "people", "person", "severity", "status", "items", "date", "flag"
]


@dataclass(frozen=True)
class Field:
    name: str  # the key documents are stored under
    type: FieldType
    aliases: tuple[str, ...] = ()  # other keys people write; folded into NAME at ingest
    facet: str | None = None  # the filter it feeds, if any
    label: str = ""

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()


FIELDS: tuple[Field, ...] = (
    Field("teams", "list", ("team", "squad", "squads"), facet="team", label="Team"),
    Field(
        "services",
        "list",
        ("service", "components", "component", "systems", "system", "affected_services"),
        facet="service",
        label="Services",
    ),
    Field("product", "text", facet="service"),
    Field("severity", "severity", ("sev", "incident_severity"), facet="severity"),
    Field("status", "status", ("state", "incident_status"), facet="status"),
    Field("outcome", "text", facet="outcome"),
    Field("tags", "list", ("tag", "labels", "label"), facet="tag"),
    Field("keywords", "list", facet="tag"),
    Field("categories", "list", facet="tag"),
    Field("authors", "people", ("author", "written_by", "writers"), facet="person"),
    Field("presenters", "people", ("presenter", "presented_by"), facet="person"),
    Field("speakers", "people", ("speaker",), facet="person"),
    Field("owner", "person", ("owners", "incident_owner", "doc_owner"), facet="person"),
    Field("related", "list", ("see_also",), facet="related"),
    Field("topics", "list", ("expertise", "skills")),
    Field("duration", "text", ("time_to_resolve", "time_to_recover", "ttr")),
    Field("detection", "text", ("detected_by", "detection_method")),
    Field("trigger", "text"),
    Field("root_cause", "text", ("cause", "root_causes")),
    Field("lessons", "list", ("lessons_learned", "learnings")),
    Field("action_items", "items", ("actions", "follow_ups", "followups", "action_item")),
    # Whether a document is still current (index/lifecycle.py): who keeps it true, when it was
    # last checked or must be checked by, and what replaced it.
    Field(
        "review_by",
        "date",
        ("review_on", "review_date", "next_review", "review_due", "verified_until", "valid_until"),
    ),
    Field(
        "reviewed",
        "date",
        ("last_reviewed", "last_reviewed_on", "reviewed_on", "last_verified", "verified_on"),
    ),
    Field("reviewed_by", "person", ("last_reviewed_by", "verified_by")),
    Field("review_interval", "text", ("review_in", "review_every")),
    Field("superseded_by", "text", ("replaced_by", "successor")),
    Field("superseded", "flag"),
    Field("obsolete", "flag", ("deprecated",)),
    Field("obsolete_reason", "text", ("deprecation_reason", "deprecated_reason")),
)
BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}
# Facet name -> the fields that feed it, in order.
FACETS: dict[str, tuple[str, ...]] = {}
for _field in FIELDS:
    if _field.facet:
        FACETS[_field.facet] = (*FACETS.get(_field.facet, ()), _field.name)
_ALIAS_OF: dict[str, str] = {alias: f.name for f in FIELDS for alias in f.aliases} | {
    f.name: f.name for f in FIELDS
}
LIST_TYPES = ("list", "people")

# -- severities -----------------------------------------------------------------------------

SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
# Words incident tools use instead of a number (Jira, PagerDuty, Opsgenie, Statuspage).
_SEVERITY_WORDS = {
    "critical": "SEV1",
    "blocker": "SEV1",
    "major": "SEV2",
    "high": "SEV2",
    "moderate": "SEV3",
    "medium": "SEV3",
    "minor": "SEV3",
    "low": "SEV4",
}
_SEVERITY = re.compile(r"^(?:sev(?:erity)?|s)[\s_-]*([0-4])$")


def severity(value: object) -> str:
    """`Sev 2`, `sev-2`, `SEV2`, `Severity 2`, `S2`, `critical` → `SEV1`…; unreadable → ''.

    SEV0 (some tools' worst) reads as SEV1, the worst this product ranks.
    """
    text = " ".join(str(value or "").split()).lower()
    found = _SEVERITY.match(text)
    if found:
        return f"SEV{max(1, int(found[1]))}"
    return _SEVERITY_WORDS.get(text, "")


def severity_rank(value: object) -> int:
    """SEV1 → 1 … SEV4 → 4; unrated sorts last."""
    found = severity(value)
    return int(found[3:]) if found else 99


# -- statuses -------------------------------------------------------------------------------

# An action item (or incident) in one of these states is finished, whatever it says next.
DONE_STATUSES = frozenset(
    {
        "done",
        "closed",
        "complete",
        "completed",
        "fixed",
        "resolved",
        "shipped",
        "merged",
        "wontfix",
        "wontdo",
        "cancelled",
        "canceled",
        "obsolete",
        "duplicate",
    }
)


def status(value: object) -> str:
    """A status as compared: lower case, apostrophes and separators dropped ("Won't fix" →
    "wontfix", "In progress" → "inprogress")."""
    return re.sub(r"[\s'’`_\-.]+", "", str(value or "").lower())


def is_done(value: object) -> bool:
    """True for a finished status; an item with no status is open (nobody said it was done)."""
    return status(value) in DONE_STATUSES


# -- dates and flags -----------------------------------------------------------------------

# How exports write a date besides ISO (Notion "March 14, 2025", Confluence "14 Mar 2025").
_DATE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%Y/%m/%d")
_FALSE = frozenset({"false", "no", "n", "0", "off", "none", "null", ""})


def date(metadata: Mapping[str, Any], name: str) -> dt.date | None:
    """Date field NAME (aliases included): ISO dates and date-times, or an export's spelling."""
    raw = text(metadata, name)
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw[:10])
    except ValueError:
        pass
    for form in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(raw, form).date()
        except ValueError:
            continue
    return None


def flag(metadata: Mapping[str, Any], name: str) -> bool:
    """Flag field NAME: `true`, `yes`, or any other words (a reason) set it; `false`, `no` don't."""
    field = BY_NAME[name]
    for key in (field.name, *field.aliases):
        value = metadata.get(key)
        if isinstance(value, bool):
            return value
        if value is not None and not isinstance(value, dict | list):
            return " ".join(str(value).split()).lower() not in _FALSE
    return False


# -- reading and folding --------------------------------------------------------------------


def _flat(raw: Any) -> list[str]:
    """A list field's values: YAML lists, one comma-separated string, or mappings with a name."""
    if raw is None:
        return []
    items = list(raw) if isinstance(raw, list | tuple | set) else str(raw).split(",")
    out = []
    for item in items:
        if isinstance(item, dict):  # authors: [{name: ..., email: ...}]
            item = item.get("name") or item.get("title") or item.get("id") or ""
        text = " ".join(str(item).split()) if item is not None else ""
        if text:
            out.append(text)
    return out


def raw_values(metadata: Mapping[str, Any], name: str) -> list[str]:
    """Every value of field NAME (aliases included) as written, without duplicates."""
    field = BY_NAME[name]
    seen: dict[str, str] = {}
    for key in (field.name, *field.aliases):
        for value in _flat(metadata.get(key)):
            seen.setdefault(value.casefold(), value)
    return list(seen.values())


def values(metadata: Mapping[str, Any], name: str) -> list[str]:
    """Field NAME's values as compared and counted: lower case (people keep their spelling)."""
    found = raw_values(metadata, name)
    if BY_NAME[name].type in ("people", "person"):
        return found
    return list(dict.fromkeys(v.lower() for v in found))


def text(metadata: Mapping[str, Any], name: str) -> str:
    """A scalar field as one line of text ('' when absent); aliases included."""
    field = BY_NAME[name]
    for key in (field.name, *field.aliases):
        value = metadata.get(key)
        if value is None or isinstance(value, dict):
            continue
        if isinstance(value, list):
            value = ", ".join(_flat(value))
        found = " ".join(str(value).split())
        if found:
            return severity(found) or found if field.type == "severity" else found
    return ""


def canonical(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """METADATA with every alias folded into its field's name and values normalised.

    List fields become lists (one comma-separated string splits), severities `SEV1`…`SEV4`
    (an unreadable one is kept as written), statuses keep their words in lower case. Keys the
    table does not know are kept as they are.
    """
    out: dict[str, Any] = {}
    for key, value in metadata.items():
        name = _ALIAS_OF.get(_key(key))
        if name is None:
            out[key] = value
    for field in FIELDS:
        keys = [k for k in metadata if _ALIAS_OF.get(_key(k)) == field.name]
        if not keys:
            continue
        if field.type in LIST_TYPES:
            merged: dict[str, str] = {}
            for key in keys:
                for value in _flat(metadata[key]):
                    merged.setdefault(value.casefold(), value)
            out[field.name] = list(merged.values())
        elif field.type == "items":
            items: list[Any] = []
            for key in keys:
                value = metadata[key]
                items.extend(value if isinstance(value, list) else [value])
            out[field.name] = items
        else:
            value = next((metadata[k] for k in keys if _present(metadata[k])), metadata[keys[0]])
            if field.type == "severity" and isinstance(value, str | int):
                value = severity(value) or value
            elif field.type == "status" and isinstance(value, str):
                value = " ".join(value.split()).lower()  # "Resolved" in a Word table → "resolved"
            out[field.name] = value
    return out


def canonical_name(key: str) -> str | None:
    """The field KEY names (its name or an alias, in any case or spacing), or None."""
    return _ALIAS_OF.get(_key(key))


def _key(key: object) -> str:
    """A front-matter key as compared: `Root cause`, `root-cause` → `root_cause`."""
    return re.sub(r"[\s\-]+", "_", str(key).strip().lower())


def _present(value: Any) -> bool:
    return value is not None and value != "" and value != []
