"""What a search found for one viewer, ready for any interface: hits, floor, spelling, notice.

The CLI, the portal and the API all say the same thing about the same results: which hits
match (above the relevance floor, index/relevance.py) and which are only the nearest, whether a
typo was corrected (index/spelling.py), and whether any visible document uses the words at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from index.models import SearchHit
from index.spelling import Correction


@dataclass(frozen=True)
class Findings:
    """The hits of a search (weak ones flagged) and what to tell the reader about them."""

    asked: str  # the query as typed
    searched: str  # what was searched: ASKED, or its spelling correction
    hits: tuple[SearchHit, ...]
    uses_words: bool  # some visible document uses a word of SEARCHED
    correction: Correction | None = None  # ASKED's unknown words and what replaced them

    @property
    def matches(self) -> tuple[SearchHit, ...]:
        """The hits above the relevance floor."""
        return tuple(h for h in self.hits if not h.weak)

    @property
    def weaker(self) -> tuple[SearchHit, ...]:
        """The nearest hits below the floor (shown only on request)."""
        return tuple(h for h in self.hits if h.weak)

    @property
    def corrected(self) -> bool:
        return self.searched != self.asked

    def notices(self) -> list[str]:
        """Plain sentences about these results, most important first ([] when all is well)."""
        out = []
        if self.corrected and self.correction is not None:
            typed = ", ".join(f"“{t}”" for t in self.correction.typed)
            out.append(f"Showing results for “{self.searched}”: no document uses {typed}.")
        elif self.correction is not None:
            out.append(f"Did you mean “{self.correction.query}”?")
        if not self.uses_words:
            out.append(f"No document uses the words “{self.searched}”.")
        if not self.matches:
            nearest = len(self.hits)
            out.append(
                "Nothing matches closely"
                + (
                    f"; the {nearest} nearest {'are weaker matches' if nearest != 1 else 'is a weaker match'}."
                    if nearest
                    else "."
                )
            )
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.asked,
            "searched": self.searched,
            "correction": self.correction.to_json() if self.correction else None,
            "uses_words": self.uses_words,
            "matches": len(self.matches),
            "notices": self.notices(),
            "hits": [h.to_json() for h in self.hits],
        }
