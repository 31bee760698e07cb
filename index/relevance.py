"""The relevance floor: which results really match a query, and which are only the nearest.

Dense retrieval always returns something, so a result list without a floor lists every document
("Top 17 results" for a question about DNS TTLs). A document *matches* when its best passage is
close in meaning (cosine at least FloorParams.cosine) or when the keyword retriever scores it
near the query's best keyword match (at least FloorParams.keyword_share of the top BM25 score).
Everything else is a weaker match, shown only on request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FloorParams:
    """Where the floor sits (measured in docs/quality.md, "Relevance floor")."""

    # all-MiniLM-L6-v2: unrelated passages sit below ~0.3, on-topic ones above ~0.35.
    cosine: float = 0.35
    # A document whose best BM25 score is this share of the best one is a keyword match; a
    # document that shares only a common word with a long query falls below it.
    keyword_share: float = 0.3


def matching_documents(
    dense: Sequence[tuple[int, float]],
    keyword: Sequence[tuple[int, float]],
    doc_of: dict[int, str],
    params: FloorParams = FloorParams(),
) -> set[str]:
    """Documents above the floor, from each retriever's (chunk id, score) candidates."""
    found = {doc_of[c] for c, score in dense if score >= params.cosine and c in doc_of}
    if keyword:
        top = max(score for _, score in keyword)
        found |= {
            doc_of[c] for c, score in keyword if score >= params.keyword_share * top and c in doc_of
        }
    return found
