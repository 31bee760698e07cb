"""The relevance floor: which results really match a query, and which are only the nearest.

Dense retrieval always returns something, so a result list without a floor lists every document
("Top 17 results" for a question about DNS TTLs) and a plan about repainting the website gets
"past incidents like this". Each hit carries its `Evidence`: how close in meaning its best
passage is (cosine) and how much of the query its best keyword passage says (coverage: the
query's terms it contains, weighted by how rare they are). A hit *matches* when

- it is close in meaning (cosine ≥ `cosine`), or
- its passage says most of what the query says (coverage ≥ `keyword_coverage`) and is not far
  in meaning (cosine ≥ `keyword_cosine`): identifiers and exact names, which the model reads
  poorly, match by their words;
- and when no visible document uses any word of the query at all (a typo, a made-up word),
  only a passage very close in meaning matches (`unknown_cosine`): word pieces of nonsense
  land near something by chance ("kwyjibo" meets "Kwame").

Everything else is a weaker match, shown only on request. A plan (the pre-work brief) is held
to `PLAN_FLOOR`: it is longer and says more, so chance likeness runs higher (a travel policy
reads like a talk about route planning), and "a past incident like this" is a claim the reader
acts on. Both floors were chosen on held-out folds (docs/quality.md, "Relevance floors").
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Evidence:
    """Why a hit is where it is: its best passage's meaning and words against the query."""

    cosine: float | None  # best passage cosine (None: the dense retriever did not run)
    coverage: float  # 0..1: IDF-weighted share of the query's terms its keyword passage says
    known_words: bool = True  # some visible document uses a word of the query

    def to_json(self) -> dict[str, float | bool | None]:
        cosine = None if self.cosine is None else round(self.cosine, 4)
        return {"cosine": cosine, "coverage": round(self.coverage, 4)}


@dataclass(frozen=True)
class FloorParams:
    """Where the floor sits (chosen on held-out folds: docs/quality.md, "Relevance floors")."""

    # all-MiniLM-L6-v2: unrelated passages sit below ~0.3, on-topic ones above ~0.35.
    cosine: float = 0.33
    keyword_coverage: float = 0.5  # says at least half of what the query says (by rarity)…
    keyword_cosine: float = 0.25  # …and is not far in meaning
    unknown_cosine: float = 0.5  # no visible document uses a word of the query


SEARCH_FLOOR = FloorParams()
# A plan passage's incidents; its recordings and talks (speech reads like anything a little).
PLAN_FLOOR = replace(SEARCH_FLOOR, cosine=0.36)
PLAN_MEDIA_FLOOR = replace(SEARCH_FLOOR, cosine=0.44)


def matches(evidence: Evidence | None, params: FloorParams = SEARCH_FLOOR) -> bool:
    """True when EVIDENCE clears the floor (a hit without evidence is taken as it is)."""
    if evidence is None:
        return True
    cosine = evidence.cosine
    if not evidence.known_words:
        return cosine is not None and cosine >= max(params.unknown_cosine, params.cosine)
    if cosine is not None and cosine >= params.cosine:
        return True
    near = cosine is None or cosine >= params.keyword_cosine
    return evidence.coverage >= params.keyword_coverage and near


def idf(doc_freq: int, documents: int) -> float:
    """BM25's inverse document frequency: rare terms weigh more, a term nobody uses most."""
    return math.log(1 + (documents - doc_freq + 0.5) / (doc_freq + 0.5))


def coverage(query_weights: Mapping[str, float], said: Iterable[str]) -> float:
    """Share of the query's weight (term → IDF) carried by the terms in SAID."""
    total = sum(query_weights.values())
    if total <= 0:
        return 0.0
    present = set(said)
    return sum(w for term, w in query_weights.items() if term in present) / total
