"""Which failure modes of the vocabulary (index.failure_vocabulary) an incident describes.

Two kinds of evidence per mode, both read off index.incident_text:

- **words**: the mode's cue phrases found in the incident's evidence text (tags, summary,
  cause, account) and, counted again, in its cause text; a `strong` cue names the mode, a `weak`
  one only adds to others (capped, so a long write-up cannot win on words alone);
- **meaning**: the cosine between the incident's cause-and-account vector and the mode's
  description embedded once, counted above a floor.

A `Reading` is what one document gives (its own text and vectors only, so it can be shared
by every viewer who may see the document); `mode_matrix` turns readings into mode vectors
under `ModeParams`. Everything here is a pure function of its inputs: the same documents get
the same modes in any process, in any order.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from index.failure_vocabulary import BY_KEY, VOCABULARY, FailureMode

STRONG = 1.0  # a cue phrase that names the mode
WEAK = 0.25  # a word that only adds to other evidence
WORD_CAP = 2.0  # words alone never outweigh meaning


_WORDISH = re.compile(r"[\w-]")


@lru_cache(maxsize=1024)
def _pattern(cue: str) -> re.Pattern[str]:
    return re.compile(f"(?:{cue})")


def _whole_word(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """The first match of PATTERN in TEXT not inside a longer word.

    Same as bounding the cue by look-arounds for word characters, but ten times faster: without
    a look-behind the engine can skip straight to the cue's first letters.
    """
    pos = 0
    while (found := pattern.search(text, pos)) is not None:
        start, end = found.span()
        before = start > 0 and _WORDISH.match(text, start - 1)
        after = end < len(text) and _WORDISH.match(text, end)
        if not before and not after:
            return found
        pos = start + 1
    return None


def word_evidence(text: str, mode: FailureMode) -> tuple[float, tuple[str, ...]]:
    """(score in [0, WORD_CAP], cue phrases found, strong first) of MODE's cues in TEXT."""
    low = text.lower()
    found: list[str] = []
    score = 0.0
    for cues, weight in ((mode.strong, STRONG), (mode.weak, WEAK)):
        for cue in cues:
            m = _whole_word(_pattern(cue), low)
            if m:
                found.append(" ".join(m.group(0).split()))
                score += weight
    return min(score, WORD_CAP), tuple(dict.fromkeys(found))


def words_over(text: str) -> tuple[np.ndarray, tuple[tuple[str, ...], ...]]:
    """Word evidence of every mode in TEXT: scores (K,) and the phrases found per mode."""
    pairs = [word_evidence(text, m) for m in VOCABULARY]
    return np.array([s for s, _ in pairs], dtype=np.float64), tuple(f for _, f in pairs)


def description_texts() -> list[str]:
    """What is embedded for each mode of the vocabulary, in its order."""
    return [f"{m.label}. {m.description}" for m in VOCABULARY]


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def description_vectors(
    embed: Callable[[str], np.ndarray], stored: dict[str, np.ndarray] | None = None
) -> np.ndarray:
    """One unit row per mode: its label and description embedded (STORED ones, by the text's
    hash, as they are: embedded at ingest by the same model)."""
    found = stored or {}
    rows = [
        np.asarray(
            found[h] if (h := text_hash(text)) in found else embed(text), np.float32
        ).reshape(-1)
        for text in description_texts()
    ]
    out = np.vstack(rows)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms == 0, 1.0, norms)


@dataclass(frozen=True)
class Reading:
    """What one post-mortem says about its failure mode (words, and meaning when embedded)."""

    words: np.ndarray  # (K,) word evidence in the evidence text
    cause_words: np.ndarray  # (K,) word evidence in the cause text alone
    found: tuple[tuple[str, ...], ...]  # cue phrases found, per mode
    meaning: np.ndarray  # (K,) cosine of the incident's vector and each description; 0s if none


def read(
    evidence_text: str,
    cause_text: str,
    vector: np.ndarray | None = None,
    descriptions: np.ndarray | None = None,
) -> Reading:
    """The Reading of one incident from its texts and (optionally) its unit VECTOR."""
    words, found = words_over(evidence_text)
    cause_words, cause_found = words_over(cause_text)
    merged = tuple(tuple(dict.fromkeys(c + f)) for c, f in zip(cause_found, found, strict=True))
    if vector is not None and descriptions is not None and np.any(vector):
        meaning = np.asarray(descriptions @ vector, dtype=np.float64)
    else:
        meaning = np.zeros(len(VOCABULARY))
    return Reading(words, cause_words, merged, meaning)


@dataclass(frozen=True)
class ModeParams:
    """How words and meaning combine into a mode vector (chosen in docs/quality.md)."""

    words: float = 0.5  # per unit of word evidence in the evidence text (0–WORD_CAP)
    cause_words: float = 0.25  # again, per unit found in the cause text
    meaning: float = 2.0  # per unit of cosine above the floor
    meaning_floor: float = 0.3  # cosine of a description that does not apply
    claim: float = 1.0  # evidence an incident needs to claim a mode
    margin: float = 0.3  # modes within this share of the strongest are claimed too
    most: int = 2  # modes one incident may claim


def mode_vector(reading: Reading, params: ModeParams) -> np.ndarray:
    """The incident's evidence for every mode, one number each."""
    meaning = np.clip(reading.meaning - params.meaning_floor, 0.0, None)
    return (
        params.words * reading.words
        + params.cause_words * reading.cause_words
        + params.meaning * meaning
    )


def mode_matrix(readings: Sequence[Reading], params: ModeParams) -> np.ndarray:
    """(n, K) mode vectors of READINGS."""
    if not readings:
        return np.zeros((0, len(VOCABULARY)))
    return np.vstack([mode_vector(r, params) for r in readings])


def claims(row: np.ndarray, params: ModeParams) -> tuple[int, ...]:
    """The modes ROW claims, strongest first: those reaching `claim` and within `margin`
    (a share) of the strongest, at most `most`. One clear mode gives one claim; two close ones
    (a bad rule pushed everywhere: configuration *and* access control) give both.

    Ties go to the earlier mode of the vocabulary, so the answer never depends on the order in
    which incidents were read.
    """
    if not len(row):
        return ()
    order = np.argsort(-row, kind="stable")
    top = float(row[order[0]])
    if top < params.claim:
        return ()
    near = [
        int(k)
        for k in order[: params.most]
        if row[k] >= max(params.claim, (1 - params.margin) * top)
    ]
    return tuple(near)


def mode_at(k: int) -> FailureMode:
    return VOCABULARY[k]


def by_key(key: str) -> FailureMode:
    return BY_KEY[key]
