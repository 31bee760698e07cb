"""Did you mean: one-edit typos corrected from the words of the documents a viewer may see.

A query word that no visible document uses ("replcia") is compared with every word one edit
away — a letter dropped, added, changed, or two neighbours swapped (Damerau–Levenshtein 1) —
and replaced by the one the most visible documents use ("replica"). Words the index knows are
never changed, short words (under `MIN_LETTERS`) are left alone (one edit from "lag" is half
the dictionary), and a word with no known neighbour stays as typed ("wombatquartz").

The vocabulary is the caller's: `documents_using(word)` counts only the documents the viewer
may see (the door passes its own count), so a restricted document's words are never suggested.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass

MIN_LETTERS = 4
MAX_LETTERS = 40  # identifiers longer than this are pasted, not typed
_WORD = re.compile(r"[^\W\d_][\w.\-/]*[^\W_]|[^\W\d_]", re.UNICODE)
_ALPHABET = string.ascii_lowercase + string.digits


@dataclass(frozen=True)
class Correction:
    """A query with its unknown words replaced, and each (typed, suggested) pair."""

    query: str
    words: tuple[tuple[str, str], ...]

    @property
    def typed(self) -> tuple[str, ...]:
        return tuple(t for t, _ in self.words)

    def to_json(self) -> dict[str, object]:
        return {"query": self.query, "words": [{"typed": t, "suggested": s} for t, s in self.words]}


def edits(word: str) -> set[str]:
    """Every string one edit from WORD (lower case): deletes, swaps, replaces, inserts."""
    low = word.lower()
    letters = set(_ALPHABET) | set(low)
    splits = [(low[:i], low[i:]) for i in range(len(low) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b for c in letters}
    out |= {a + c + b for a, b in splits for c in letters}
    out.discard(low)
    return out


def _cased(typed: str, suggested: str) -> str:
    """SUGGESTED written the way TYPED was (all capitals, a capital first, or lower case)."""
    if typed.isupper() and len(typed) > 1:
        return suggested.upper()
    if typed[:1].isupper():
        return suggested[:1].upper() + suggested[1:]
    return suggested


@dataclass(frozen=True)
class Vocabulary:
    """The words of the documents one viewer may see, as spelling needs them."""

    documents_using: Callable[[str], int]  # visible documents using a word's index term
    written: Callable[[str], set[str]]  # how visible documents write that term (lower case)
    # A cheap pre-filter: the candidates the index holds at all, for anyone (each survivor is
    # then counted with DOCUMENTS_USING, the viewer's own count).
    known: Callable[[Iterable[str]], set[str]] = set
    # A word of the language the model reads whole ("brand"): absent from the archive, not a
    # typo, so it is left as typed.
    is_word: Callable[[str], bool] = lambda word: False
    # Whether a visible document uses a word at all: cheaper than counting them, and asked of
    # every word of every query (None: DOCUMENTS_USING > 0).
    used: Callable[[str], bool] | None = None

    def uses(self, word: str) -> bool:
        return self.used(word) if self.used is not None else self.documents_using(word) > 0


def correct(query: str, vocabulary: Vocabulary) -> Correction | None:
    """QUERY with each unknown word replaced by its best-known one-edit neighbour."""
    words: list[tuple[str, str]] = []
    out: list[str] = []
    last = 0
    for match in _WORD.finditer(query):
        typed = match.group(0)
        out.append(query[last : match.start()])
        last = match.end()
        suggestion = _suggest(typed, vocabulary)
        if suggestion is None:
            out.append(typed)
            continue
        words.append((typed, suggestion))
        out.append(suggestion)
    out.append(query[last:])
    return Correction("".join(out), tuple(words)) if words else None


def _suggest(typed: str, vocabulary: Vocabulary) -> str | None:
    letters = sum(c.isalpha() for c in typed)
    if letters < MIN_LETTERS or len(typed) > MAX_LETTERS:
        return None
    if vocabulary.uses(typed) or vocabulary.is_word(typed.lower()):
        return None
    candidates = [
        c for c in vocabulary.known(edits(typed)) if sum(ch.isalpha() for ch in c) >= MIN_LETTERS
    ]
    # The most used neighbour first; ties keep the first letter, then alphabetical order
    # (stable across runs). A neighbour counts as the documents write it, or as a word of the
    # language: "postgreds" indexes like "postgres" but nobody wrote it and it is no word,
    # while "folder" is one even where the documents only say "folders".
    first = typed[:1].lower()
    used = {c: vocabulary.documents_using(c) for c in candidates}
    ranked = sorted(
        (c for c in candidates if used[c] > 0), key=lambda c: (-used[c], c[:1] != first, c)
    )
    for accept in (lambda c: c in vocabulary.written(c), vocabulary.is_word):
        found = next((c for c in ranked if accept(c)), None)
        if found is not None:
            return _cased(typed, found)
    return None
