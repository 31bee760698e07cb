"""Chapters of a recording: topic segments with a start time and a label of their own words.

Computed once at ingest from what the pipeline already has — the recording's timed passages
(~25 s of talk each, in time order) and their unit vectors:

- **Boundaries** (TextTiling over embeddings): at each gap between two passages, the cohesion
  is the cosine between the mean vector of the `BLOCK` passages before it and of those after
  it. A gap's depth is how far its cohesion lies below the highest cohesion reached on each
  side before the curve turns down again. The deepest gaps become chapter starts, as long as
  every chapter keeps at least `MIN_CHAPTER_S` of talk, up to one chapter per `TARGET_CHAPTER_S`,
  and only gaps deeper than the recording's mean depth minus half a standard deviation
  (TextTiling's liberal cut-off).
- **Labels**: candidate key phrases are runs of one to three content words between stop words
  and punctuation (RAKE). A word weighs its count in the chapter times how distinctive it is
  within the recording, log(1 + chapters / chapters that say it); a phrase weighs the sum of its
  words, times the square root of how often it is said, times up to 2 for how often it follows
  a determiner ("the", "a", "this": a noun phrase, not a verb). The label is the best phrase, and
  a second that shares no word with it when it weighs at least half as much, as they are
  written in the chapter's own text.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from index.models import Chapter, Chunk
from index.tokenize import STOP_WORDS

BLOCK = 2  # passages on each side of a gap when measuring cohesion
MIN_CHAPTER_S = 45.0  # no chapter shorter than this (the last may be, if the talk is)
TARGET_CHAPTER_S = 120.0  # at most one chapter per this much talk
MIN_DEPTH = 0.02  # a gap shallower than this is the same topic going on
MAX_CHAPTERS = 20  # and at most this many: a table of contents, not an index
LABEL_PHRASES = 2
SECOND_PHRASE_SHARE = 0.5  # a second phrase joins the label only when it weighs this much
MAX_LABEL_CHARS = 60
# Words said everywhere in talks that carry no topic (on top of the keyword stop words).
_SPOKEN_TEXT = """
    about above actually after again all also always am any anything around away back basically
    because before being below between both bit came can't cannot come comes coming couldn't
    course different doesn't doing don't done down each easy else even ever every everything
    example exactly fact far few first get gets getting give gives go goes going gonna good got
    great guess guys hello here hey hi him his how however i'd i'll i'm i've idea instead into
    it's just keep kind know last later let let's like little look looking lot lots made make
    makes making many maybe me mean might more most much must my need needs new next nice no
    nothing now ok okay one ones only other our out over own part people pretty probably put
    quite rather really right said same say saying see seen should show shows simply since so
    some something sometimes start still stuff such sure take takes talk talking tell than thank
    thanks that's them then there there's these they they're thing things think this those though
    thought through time times today together too two use used uses using very video want wanted
    wants way ways we'll we're we've well what what's when where whether which while who why
    work works would yeah yes yet you you'll you're you've your
"""
_SPOKEN = frozenset(_SPOKEN_TEXT.split())
_DETERMINERS = frozenset(
    ["the", "a", "an", "this", "these", "those", "our", "your", "its", "their", "each", "every"]
)
_WORD = re.compile(r"[A-Za-z][\w'+#.-]*[\w+#]|[A-Za-z]")
_SPEAKER = re.compile(r"^[^\S\n]*[A-Z][\w .'-]{0,40}:\s", re.MULTILINE)  # "Name: " of a turn
_BREAK = re.compile(r"[,.;:!?()\[\]\"“”…—–]|\s-\s")


def _is_content(word: str) -> bool:
    low = word.lower()
    return len(low) >= 3 and low not in STOP_WORDS and low not in _SPOKEN and not low.isdigit()


def _phrases(text: str) -> list[tuple[tuple[str, ...], bool]]:
    """Runs of 1–3 content words split at stop words and punctuation (surface forms), each
    with whether a determiner ("the", "a", "this" …) comes right before it: a noun phrase."""
    out: list[tuple[tuple[str, ...], bool]] = []
    for piece in _BREAK.split(text):
        run: list[str] = []
        after_determiner = False
        for word in _WORD.findall(piece):
            if _is_content(word):
                run.append(word)
                continue
            out.extend((g, after_determiner) for g in _ngrams(run))
            run = []
            after_determiner = word.lower() in _DETERMINERS
        out.extend((g, after_determiner) for g in _ngrams(run))
    return out


def _ngrams(run: list[str]) -> list[tuple[str, ...]]:
    """The run itself when short, else its bigrams (speech runs on without stop words)."""
    if not run:
        return []
    if len(run) <= 3:
        return [tuple(run)]
    return [tuple(run[i : i + 2]) for i in range(len(run) - 1)]


def _key(word: str) -> str:
    """Words are compared by a crude stem: lower case, a plural s dropped."""
    low = word.lower()
    return low[:-1] if len(low) > 4 and low.endswith("s") and not low.endswith("ss") else low


def label(texts: Sequence[str], index: int) -> str:
    """A short label for chapter INDEX of a recording whose chapters' texts are TEXTS."""
    phrases = [_phrases(t) for t in texts]
    keys = [Counter(_key(w) for p, _ in ps for w in p) for ps in phrases]
    df = Counter(k for c in keys for k in c)
    n = len(texts)
    own = keys[index]

    def weight(word: str) -> float:
        k = _key(word)
        return own[k] * math.log(1 + n / df[k])

    counted: Counter[tuple[str, ...]] = Counter()
    nounish: Counter[tuple[str, ...]] = Counter()
    surface: dict[tuple[str, ...], Counter[str]] = {}
    for p, after_determiner in phrases[index]:
        key = tuple(_key(w) for w in p)
        counted[key] += 1
        nounish[key] += after_determiner
        surface.setdefault(key, Counter())[" ".join(p)] += 1
    # A phrase said once is a chance juxtaposition; one said after "the" or "a" is a thing.
    scored = sorted(
        (
            (sum(weight(w) for w in key) * math.sqrt(count) * (1 + nounish[key] / count), key)
            for key, count in counted.items()
            if len(key) == 1 or count >= 2
        ),
        key=lambda x: (-x[0], x[1]),
    )
    chosen: list[str] = []
    used: set[str] = set()
    for score, key in scored:
        if used & set(key):
            continue
        if chosen and score < SECOND_PHRASE_SHARE * scored[0][0]:
            break
        chosen.append(surface[key].most_common(1)[0][0])
        used |= set(key)
        if len(chosen) >= LABEL_PHRASES:
            break
    text = ", ".join(chosen)
    if len(text) > MAX_LABEL_CHARS:
        text = chosen[0][:MAX_LABEL_CHARS]
    return text[:1].upper() + text[1:] if text else ""


def cohesion(vectors: np.ndarray, block: int = BLOCK) -> np.ndarray:
    """Cosine between the mean vectors either side of each gap (len(vectors) - 1 values)."""
    n = len(vectors)
    out = np.zeros(max(0, n - 1))
    for g in range(n - 1):
        left = vectors[max(0, g + 1 - block) : g + 1].sum(axis=0)
        right = vectors[g + 1 : g + 1 + block].sum(axis=0)
        norm = float(np.linalg.norm(left) * np.linalg.norm(right))
        out[g] = float(left @ right) / norm if norm else 0.0
    return out


def depths(values: np.ndarray) -> np.ndarray:
    """TextTiling depth of each gap: climb to the peak on each side, sum the two drops."""
    out = np.zeros(len(values))
    for g, v in enumerate(values):
        left = v
        for x in values[g::-1]:
            if x < left:
                break
            left = x
        right = v
        for x in values[g:]:
            if x < right:
                break
            right = x
        out[g] = (left - v) + (right - v)
    return out


def boundaries(starts: Sequence[float], end: float, vectors: np.ndarray) -> list[int]:
    """Indexes of the passages that start a chapter (always 0 first)."""
    n = len(starts)
    if n < 2 * BLOCK or end - starts[0] < 2 * MIN_CHAPTER_S:
        return [0]
    depth = depths(cohesion(vectors))
    cutoff = float(depth.mean() - depth.std() / 2)
    most = min(MAX_CHAPTERS, max(1, int(round((end - starts[0]) / TARGET_CHAPTER_S))))
    chosen = [0]
    for g in sorted(range(len(depth)), key=lambda g: (-depth[g], g)):
        if len(chosen) >= most or depth[g] <= max(cutoff, MIN_DEPTH):
            break
        start = g + 1
        edges = sorted([*chosen, start])
        bounds = [starts[i] for i in edges] + [end]
        spans = [b - a for a, b in zip(bounds, bounds[1:], strict=False)]
        if min(spans) >= MIN_CHAPTER_S:
            chosen = edges
    return chosen


def chapters(chunks: Sequence[Chunk], vectors: np.ndarray) -> list[Chapter]:
    """The chapters of a recording from its chunks (those with a start time) and their vectors.

    Returns [] for a document without timed chunks; one chapter for a short recording.
    """
    timed = [i for i, c in enumerate(chunks) if c.start is not None]
    if not timed:
        return []
    passages = [chunks[i] for i in timed]
    starts = [float(c.start) for c in passages]  # type: ignore[arg-type]
    end = max(float(c.end if c.end is not None else c.start) for c in passages)  # type: ignore[arg-type]
    vecs = np.asarray(vectors, dtype=np.float32)[timed] if len(vectors) else np.zeros((0, 0))
    firsts = boundaries(starts, end, vecs) if len(vecs) == len(passages) else [0]
    groups = [passages[a:b] for a, b in zip(firsts, [*firsts[1:], len(passages)], strict=True)]
    texts = [" ".join(_SPEAKER.sub("", c.text) for c in g) for g in groups]
    out = []
    for i, group in enumerate(groups):
        stop = groups[i + 1][0].start if i + 1 < len(groups) else end
        out.append(
            Chapter(
                ordinal=i,
                start=float(group[0].start),  # type: ignore[arg-type]
                end=float(stop),  # type: ignore[arg-type]
                label=label(texts, i) or f"Part {i + 1}",
            )
        )
    return out
