"""What a post-mortem says about *why* it failed, as text, apart from how it looked.

Two different failures often look alike from outside (errors, latency, an unhappy customer) and
share the company, product, region and cloud of every incident there. So similarity reads:

- the **cause text**: front-matter root cause and trigger, the sections under cause headings
  ("Root cause", "What went wrong", "Contributing factors"); without either, the summary and
  the sentences that state a cause ("because", "caused by", "due to", "the root cause");
- the **account**: the write-up without its symptom sections (impact, timeline, detection,
  resolution), for incidents that explain themselves in prose;

both without company, product, region and cloud names (surface, not mechanism).
"""

from __future__ import annotations

import re
from typing import Any, Protocol


class Written(Protocol):
    """A document as parsed or as stored: front matter and Markdown body."""

    @property
    def metadata(self) -> dict[str, Any]: ...

    @property
    def body(self) -> str: ...


CAUSE_FIELDS = ("root_cause", "trigger", "cause", "root_causes", "contributing_factors")
SURFACE_FIELDS = ("company", "product", "region", "provider")
TAG_FIELDS = ("tags", "keywords", "categories")
CAUSE_WORDS = 200  # the query encoder reads about this many words
ACCOUNT_WORDS = 120  # one window of the account; a few windows are read
ACCOUNT_WINDOWS = 3

# Headings whose sections say why it failed, and those that say how it looked or was handled.
CAUSE_HEADING = re.compile(
    r"root.?causes?|\bcauses?\b|trigger|what happened|what went wrong|\bwhy\b|contributing|"
    r"analysis|technical details?|explanation",
    re.I,
)
SYMPTOM_HEADING = re.compile(
    r"impact|timeline|detection|resolution|recovery|mitigation|action items?|follow.?ups?|"
    r"next steps|remediation|customer|communication|appendix",
    re.I,
)
SUMMARY_HEADING = re.compile(r"summary|overview|description", re.I)
# Sentences that state a cause, wherever they are.
CAUSE_CUE = re.compile(
    r"\b(?:root[- ]cause|caused by|because|due to|was triggered|triggered by|as a result of|"
    r"resulted from|the cause|was the result|stemmed from|led to|the trigger|the bug|a bug|"
    r"the issue was|the problem was|failed to|misconfigur\w*|which meant)\b",
    re.I,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9`\"'(])|\n{2,}|\n(?=\s*[-*] )")
_HEADING = re.compile(r"^(#{1,6})\s+(.*\S)\s*$", re.M)

# Cloud vendors and regions: what every incident of one provider or region shares.
SURFACE_WORDS = re.compile(
    r"\b(?:(?:us|eu|ap|sa|ca|me|af|il)-(?:east|west|north|south|central|northeast|southeast|"
    r"northwest|southwest)-?\d|(?:us|europe|asia|australia|northamerica|southamerica)-"
    r"(?:east|west|north|south|central|northeast|southeast)\d+|(?:us|eu)[- ](?:east|west)|"
    r"northern virginia|amazon web services|aws|gcp|google cloud(?: platform)?|azure)\b",
    re.I,
)


def values(raw: object) -> list[str]:
    """A front-matter list (or one comma-separated string) as clean lower-case strings."""
    if raw is None:
        return []
    items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
    return [str(v).strip().lower() for v in items if v is not None and str(v).strip()]


def field_text(raw: object) -> str:
    """Any front-matter value (string, list, mapping) as one line of text."""
    if raw is None:
        return ""
    if isinstance(raw, list | tuple):
        return " ".join(t for t in (field_text(x) for x in raw) if t)
    if isinstance(raw, dict):
        return " ".join(t for t in (field_text(x) for x in raw.values()) if t)
    return " ".join(str(raw).split())


def without_surface(text: str, meta: dict[str, Any]) -> str:
    """TEXT without its company, product, region and cloud names (surface, not mechanism)."""
    for field_ in SURFACE_FIELDS:
        for name in values(meta.get(field_)):
            text = re.sub(rf"\b{re.escape(name)}('s)?\b", " ", text, flags=re.I)
    return SURFACE_WORDS.sub(" ", text)


def is_surface(word: str, meta: dict[str, Any]) -> bool:
    """True for a tag that only names the company, product, region or cloud."""
    return not without_surface(word, meta).strip(" -_.,")


def sections(body: str) -> list[tuple[str, str]]:
    """(heading, text) of each section of a Markdown BODY; text before any heading has ''."""
    out: list[tuple[str, str]] = []
    last, heading = 0, ""
    for m in _HEADING.finditer(body):
        out.append((heading, body[last : m.start()]))
        heading, last = m.group(2), m.end()
    out.append((heading, body[last:]))
    return [(h, t.strip()) for h, t in out if t.strip()]


def sentences(text: str) -> list[str]:
    return [s.strip(" -*\n\t") for s in _SENTENCE.split(text) if s.strip(" -*\n\t")]


def is_symptom(heading: str) -> bool:
    return bool(SYMPTOM_HEADING.search(heading)) and not CAUSE_HEADING.search(heading)


def _cut(text: str, words: int) -> str:
    return " ".join(text.split()[:words])


def cause_text(doc: Written) -> str:
    """What DOC says caused it (see the module doc), without surface names; '' if nothing."""
    meta = doc.metadata
    parts = [t for t in (field_text(meta.get(f)) for f in CAUSE_FIELDS) if t]
    parts += [text for heading, text in sections(doc.body) if CAUSE_HEADING.search(heading)]
    if not parts:
        summary = field_text(meta.get("summary"))
        cued = [s for s in sentences(doc.body) if CAUSE_CUE.search(s)]
        parts = ([summary] if summary else []) + cued
    return _cut(without_surface(" ".join(parts), meta), CAUSE_WORDS)


def account(doc: Written) -> str:
    """DOC's write-up without its symptom sections and headings, without surface names."""
    kept = [text for heading, text in sections(doc.body) if not is_symptom(heading)]
    text = " ".join(kept) or field_text(doc.metadata.get("summary"))
    return " ".join(without_surface(text, doc.metadata).split())


def account_windows(doc: Written) -> list[str]:
    """The account in a few windows the encoder reads whole ([] for an empty write-up)."""
    words = account(doc).split()
    step = ACCOUNT_WORDS
    return [" ".join(words[i : i + step]) for i in range(0, len(words), step)][:ACCOUNT_WINDOWS]


def evidence(doc: Written) -> str:
    """Everything DOC says about its mechanism, for word cues: tags, summary, cause, account."""
    meta = doc.metadata
    parts = [field_text(meta.get(f)) for f in TAG_FIELDS]
    parts += [field_text(meta.get("summary"))]
    parts += [field_text(meta.get(f)) for f in CAUSE_FIELDS]
    parts += [account(doc)]
    return without_surface(" . ".join(p for p in parts if p), meta)


_ROOT_CAUSE_HEADING = re.compile(r"^#+\s*root.?cause", re.I | re.M)


def has_root_cause(doc: Written) -> bool:
    """Whether DOC states a root cause (front matter or a "Root cause" section)."""
    return bool(field_text(doc.metadata.get("root_cause"))) or bool(
        _ROOT_CAUSE_HEADING.search(doc.body)
    )
