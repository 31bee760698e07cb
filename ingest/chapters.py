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
- **Titles** are the chapter's own words: a clause it says (a sentence, or a part of one
  between commas), chosen for the distinctive words it carries. A word weighs its count in the
  chapter times how distinctive it is within the recording, log(1 + chapters / chapters that
  say it); a clause weighs the sum of its distinct content words over the square root of its
  length, so "every line on the commercial invoice needs a commodity code" beats both a bare
  keyword ("Code, table") and a rambling sentence. Openers and fillers ("So,", "okay", "and
  then") are dropped from the front, the clause is cut at a word boundary to fit
  `MAX_LABEL_CHARS`, and it never ends on a stop word. Numbers said as words carry no topic
  ("eight five").
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
_NUMBERS_TEXT = """
    zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen
    fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty
    ninety hundred thousand million billion percent point half first second third
    underscore dot slash dash colon
"""
_SPOKEN = frozenset(_SPOKEN_TEXT.split()) | frozenset(_NUMBERS_TEXT.split())
# Said at the start of a clause, they carry nothing a title needs.
_OPENERS = frozenset(
    """so and but or then okay ok alright right well now yeah yes um uh oh hi hey also
    basically actually anyway like just because thanks thank""".split()  # noqa: SIM905
)
# A title does not end on these (nor on a stop word, an opener or a number).
_DANGLING = frozenset("per during via across without within under over between through".split())  # noqa: SIM905
TRUNCATED = 0.75  # a long sentence's first words weigh less than a whole clause
_CLAUSE = re.compile(r"(?<=[.!?;:])\s+|,\s+|\s+[—–]\s+|\s+-\s+")
MIN_TITLE_WORDS = 3
MAX_TITLE_WORDS = 12
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
    """A readable title for chapter INDEX of a recording whose chapters' texts are TEXTS."""
    phrases = [_phrases(t) for t in texts]
    keys = [Counter(_key(w) for p, _ in ps for w in p) for ps in phrases]
    df = Counter(k for c in keys for k in c)
    n = len(texts)
    own = keys[index]

    def weight(key: str) -> float:
        return own[key] * math.log(1 + n / df[key]) if key in own else 0.0

    best: tuple[float, str] | None = None  # the first of equals wins: stable across runs
    for clause, whole in _clauses(texts[index]):
        words = _WORD.findall(clause)
        content = {_key(w) for w in words if _is_content(w)}
        if not content:
            continue
        score = sum(weight(k) for k in content) / math.sqrt(len(words))
        score *= 1.0 if whole else TRUNCATED
        if best is None or score > best[0]:
            best = (score, clause)
    return _title(best[1]) if best else ""


def _clauses(text: str) -> list[tuple[str, bool]]:
    """The chapter's clauses worth a title (openers dropped), each with whether it is whole:
    MIN..MAX_TITLE_WORDS long, or a longer sentence's first MAX_TITLE_WORDS words."""
    out = []
    for raw in _CLAUSE.split(text):
        words = raw.split()
        while words and words[0].lower().strip(",.!?;:'\"") in _OPENERS:
            words = words[1:]
        if MIN_TITLE_WORDS <= len(words) <= MAX_TITLE_WORDS:
            out.append((" ".join(words), True))
        elif len(words) > MAX_TITLE_WORDS:
            out.append((" ".join(words[:MAX_TITLE_WORDS]), False))
    return out


def _title(clause: str) -> str:
    """CLAUSE as a title: fits MAX_LABEL_CHARS, ends on a word that carries something."""
    words = clause.strip(" ,.;:!?\"'“”").split()
    while words and len(" ".join(words)) > MAX_LABEL_CHARS:
        words = words[:-1]
    while len(words) > 1 and _dangles(words[-1]):
        words = words[:-1]
    text = " ".join(words).rstrip(",.;:!?")
    return text[:1].upper() + text[1:] if text else ""


def _dangles(word: str) -> bool:
    low = word.lower().strip(",.;:!?")
    parts = low.split("-")
    return low in STOP_WORDS | _OPENERS | _DANGLING or all(p in _SPOKEN for p in parts)


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
