"""Ranking metrics, pure functions over ranked ids and judgements (graded, trec_eval style).

Gains are linear in the grade, as in trec_eval's `ndcg_cut` and therefore BEIR's published
figures; only grades above zero count as relevant for recall, MRR and hit@k.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from statistics import fmean


def dcg(gains: Iterable[float]) -> float:
    """Discounted cumulative gain of gains listed by rank (rank 1 first)."""
    return sum(g / math.log2(rank + 1) for rank, g in enumerate(gains, start=1))


def ndcg_at_k(ranked: Sequence[str], relevant: Mapping[str, float], k: int = 10) -> float:
    """nDCG@k of RANKED ids against graded RELEVANT ids (0 when nothing is relevant)."""
    ideal = dcg(sorted((g for g in relevant.values() if g > 0), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg(max(relevant.get(item, 0), 0) for item in ranked[:k]) / ideal


def recall_at_k(ranked: Sequence[str], relevant: Mapping[str, float], k: int = 10) -> float:
    """Share of the relevant ids found in the top k."""
    wanted = {item for item, g in relevant.items() if g > 0}
    if not wanted:
        return 0.0
    return len(wanted.intersection(ranked[:k])) / len(wanted)


def reciprocal_rank(hits: Sequence[bool], k: int = 10) -> float:
    """1/rank of the first hit within the top k, else 0."""
    return next((1.0 / rank for rank, hit in enumerate(hits[:k], start=1) if hit), 0.0)


def mrr_at_k(ranked: Sequence[str], relevant: Mapping[str, float], k: int = 10) -> float:
    """Reciprocal rank of the first relevant id within the top k."""
    return reciprocal_rank([relevant.get(item, 0) > 0 for item in ranked], k)


def hit_at_k(hits: Sequence[bool], k: int) -> float:
    """1.0 when any of the top k results is a hit."""
    return 1.0 if any(hits[:k]) else 0.0


def mean(values: Iterable[float]) -> float:
    """Mean over queries; 0 for none."""
    values = list(values)
    return fmean(values) if values else 0.0
