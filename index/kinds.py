"""The document kinds: their one home (fields and severities: index/fields.py)."""

from __future__ import annotations

import re

# Canonical kinds, in the order pages list them, with how people name them.
KIND_LABELS: dict[str, str] = {
    "postmortem": "Incident",
    "showcase": "Showcase",
    "talk": "Talk",
    "paper-review": "Paper review",
    "expert": "Expert",
    "runbook": "Runbook",
    "note": "Note",
}
KINDS = tuple(KIND_LABELS)
TALK_KINDS = ("talk", "paper-review")
# Front-matter `kind:` values, folder names and CLI words, normalised (lower case, "-").
_ALIASES = {
    "postmortems": "postmortem",
    "post-mortem": "postmortem",
    "post-mortems": "postmortem",
    "incident": "postmortem",
    "incidents": "postmortem",
    "paper": "paper-review",
    "papers": "paper-review",
    "paper-reviews": "paper-review",
    "review": "paper-review",
    "showcases": "showcase",
    "talks": "talk",
    "experts": "expert",
    "notes": "note",
    "runbooks": "runbook",
    "playbook": "runbook",
    "playbooks": "runbook",
}


def known_kind(value: str) -> str | None:
    """The canonical kind VALUE names (`Post Mortem`, `incidents` → `postmortem`), or None."""
    key = re.sub(r"[\s_]+", "-", value.strip().lower())
    return key if key in KIND_LABELS else _ALIASES.get(key)


def normalise_kind(value: str) -> str:
    """The canonical kind for VALUE; an unknown kind is kept, lower-cased."""
    key = re.sub(r"[\s_]+", "-", value.strip().lower())
    return known_kind(key) or key


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("-", " ").capitalize())
