"""Moments inside a recording: its best few spans of talk, chosen by meaning *and* keywords.

A recording is a sequence of timed passages (~25 s each). For a query, every passage has a
dense score (cosine with the query) and a keyword score (its BM25, 0 when no query term is
said in it). A *window* is 1 to `width` adjacent passages scored as one text:

- dense: the cosine between the query and the mean of its unit vectors, sum(s) / |sum(v)|.
  A window beats its best passage only when the others carry the answer too — in speech a
  question is often set up in one passage and answered in the next;
- keyword: sum(bm25) / sqrt(len): about what BM25 gives the joined text (twice the length
  halves each term's weight by ~1/sqrt(2) at k1 = 1.2, b = 0.75), so a window again wins only
  when its other passages say query terms too.

The two window rankings are fused inside the recording (reciprocal ranks, or a convex
combination of scores scaled to the recording's own range), and the best windows that do not
overlap are the moments, best first. The parameters were chosen by leave-one-out
cross-validation over the judged transcript queries (docs/quality.md, bench/moments_cv.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from index.tokenize import term_set


@dataclass(frozen=True)
class MomentParams:
    """How a recording's moments are chosen (defaults: docs/quality.md)."""

    count: int = 3  # moments shown per recording, at most
    width: int = 3  # passages one moment may span (~75 s of talk)
    fusion: Literal["rrf", "convex"] = "convex"
    dense_weight: float = 0.5  # keyword gets 1 - dense_weight
    rrf_k: float = 5.0  # for fusion="rrf": small, only a recording's few best windows matter
    # A further moment is shown only when its fused score is at least this share of the best's.
    min_share: float = 0.7


@dataclass(frozen=True)
class Span:
    """Passages FIRST..LAST (indexes in time order), BEST the strongest of them, SCORE fused."""

    first: int
    last: int
    best: int
    score: float


@dataclass(frozen=True)
class Windows:
    """What a recording's windows owe to its passages alone, not to a query: their (first,
    last) bounds and the norm of each window's summed vectors (None without vectors)."""

    bounds: np.ndarray
    norms: np.ndarray | None


def windows(n: int, width: int, vectors: np.ndarray | None = None) -> Windows:
    """Every window of 1..WIDTH of N passages; with VECTORS (rows), each window's Σv norm."""
    widths = range(1, max(1, width) + 1)
    starts = [np.arange(n - w + 1, dtype=np.int64) for w in widths if n - w + 1 > 0]
    ends = [a + w - 1 for a, w in zip(starts, widths, strict=False)]
    bounds = (
        np.stack([np.concatenate(starts), np.concatenate(ends)], axis=1)
        if starts
        else np.zeros((0, 2), dtype=np.int64)
    )
    norms = None
    if vectors is not None and len(vectors):
        # Σv of every window from cumulative sums: one pass, however many windows.
        acc = np.vstack(
            [np.zeros((1, vectors.shape[1])), np.cumsum(vectors, axis=0, dtype=np.float64)]
        )
        norms = np.linalg.norm(acc[bounds[:, 1] + 1] - acc[bounds[:, 0]], axis=1)
    return Windows(bounds, norms)


def window_scores(
    dense: np.ndarray | None,
    keyword: np.ndarray | None,
    vectors: np.ndarray | None,
    width: int,
    shape: Windows | None = None,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(first, last) of every window of 1..WIDTH passages, its dense and its keyword score.

    Args:
        dense: cosine of each passage with the query (None: no dense evidence).
        keyword: BM25 of each passage (0 when it says no query term; None: no keyword evidence).
        vectors: the passages' unit vectors (rows), needed for dense windows wider than one.
        width: the most passages a window spans.
        shape: `windows(n, width, vectors)` when the caller kept it (it is the same for every
            query of a recording).
    """
    n = len(dense) if dense is not None else len(keyword) if keyword is not None else 0
    if shape is None:
        shape = windows(n, width, vectors if dense is not None else None)
    bounds = shape.bounds
    d_out = k_out = None
    first, last = bounds[:, 0], bounds[:, 1] + 1
    if dense is not None:
        sums = np.concatenate([[0.0], np.cumsum(dense)])
        d_out = sums[last] - sums[first]
        if vectors is not None and len(vectors) and shape.norms is not None:
            norms = shape.norms
            d_out = np.divide(d_out, norms, out=np.zeros_like(d_out), where=norms > 0)
        else:
            d_out = d_out / (last - first)  # no vectors: the mean cosine
        single = first == bounds[:, 1]
        d_out[single] = dense[first[single]]  # one passage: its own cosine, exactly
    if keyword is not None:
        sums = np.concatenate([[0.0], np.cumsum(keyword)])
        k_out = (sums[last] - sums[first]) / np.sqrt(last - first)
    return bounds, d_out, k_out


def _ranks(values: np.ndarray) -> np.ndarray:
    """1-based rank of each value, best (highest) first; ties share the better rank."""
    order = np.argsort(-values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(1, len(values) + 1)
    # ties: the best rank among equal values
    _, first = np.unique(-values[order], return_index=True)
    for start, end in zip(first, [*first[1:], len(values)], strict=True):
        ranks[order[start:end]] = start + 1
    return ranks


def fused_scores(d: np.ndarray | None, k: np.ndarray | None, params: MomentParams) -> np.ndarray:
    """Each window's fused score from its dense and keyword scores (either may be missing)."""
    n = len(d) if d is not None else len(k) if k is not None else 0
    out = np.zeros(n)
    has_keyword = k is not None and bool((k > 0).any())
    wd = params.dense_weight if d is not None else 0.0
    wk = (1.0 - params.dense_weight) if has_keyword else 0.0
    if d is None and not has_keyword:
        return out
    if wd + wk == 0:
        wd, wk = (1.0, 0.0) if d is not None else (0.0, 1.0)
    wd, wk = wd / (wd + wk), wk / (wd + wk)
    if params.fusion == "rrf":
        if d is not None and wd:
            out += wd / (params.rrf_k + _ranks(d))
        if k is not None and wk:
            out += np.where(k > 0, wk / (params.rrf_k + _ranks(k)), 0.0)
        return out
    if d is not None and wd:
        low, high = float(d.min()), float(d.max())
        out += wd * ((d - low) / (high - low) if high > low else np.ones(n))
    if k is not None and wk:
        out += wk * k / float(k.max())
    return out


def choose(
    dense: np.ndarray | None,
    keyword: np.ndarray | None,
    vectors: np.ndarray | None,
    params: MomentParams | None = None,
    shape: Windows | None = None,
) -> list[Span]:
    """A recording's best non-overlapping windows, best first (at most params.count).

    Args:
        dense: cosine of each passage (in time order) with the query, or None.
        keyword: BM25 of each passage (0 when none of the query's terms is said), or None.
        vectors: unit vectors of the passages (rows), for dense windows of several passages.
        shape: the recording's `windows(n, params.width, vectors)`, when kept.
    """
    params = params or MomentParams()
    bounds, d, k = window_scores(dense, keyword, vectors, params.width, shape)
    if not len(bounds):
        return []
    fused = fused_scores(d, k, params)
    # Ties: the narrower window, then the earlier one (np.lexsort: last key is primary).
    widths = bounds[:, 1] - bounds[:, 0]
    order = np.lexsort((bounds[:, 0], widths, -fused))
    single = fused[widths == 0]  # windows of one passage come first, in time order
    taken = np.zeros(int(bounds[:, 1].max()) + 1, dtype=bool)
    out: list[Span] = []
    for i in order.tolist():
        a, b = int(bounds[i, 0]), int(bounds[i, 1])
        if taken[a : b + 1].any():
            continue
        if out and fused[i] < params.min_share * out[0].score:
            break
        best = a + int(np.argmax(single[a : b + 1]))
        out.append(Span(a, b, best, float(fused[i])))
        taken[a : b + 1] = True
        if len(out) >= params.count:
            break
    return out


class Cues:
    """A recording's timed cues, (start, end, text) in time order, with their bounds as arrays:
    a moment asks for the few inside it without a Python pass over the whole talk."""

    def __init__(self, items: list[tuple[float, float, str]]) -> None:
        self.items = items
        self.starts = np.array([c[0] for c in items], dtype=np.float64)
        self.ends = np.array([c[1] for c in items], dtype=np.float64)

    def within(self, start: float, end: float) -> list[tuple[float, float, str]]:
        """The cues that overlap [START, END], in time order."""
        inside = np.flatnonzero((self.ends >= start) & (self.starts <= end))
        return [self.items[i] for i in inside.tolist()]


def spoken_at(
    cues: list[tuple[float, float, str]], start: float, end: float, terms: set[str]
) -> float | None:
    """When the query's words are said inside [START, END]: the start of the cue that says
    the most of TERMS (stemmed index terms), the earliest among equals; None when no cue
    there says any (a moment found by meaning alone starts with its passage)."""
    best: tuple[int, float] | None = None
    for cue_start, cue_end, text in cues:
        if cue_end < start or cue_start > end:
            continue
        said = len(terms.intersection(term_set(text)))
        if said and (best is None or said > best[0]):
            best = (said, cue_start)
    return None if best is None else max(best[1], start)
