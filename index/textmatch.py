"""Finding words and phrases in short texts a reader scans (a recording's turns).

Search's own keyword rules (index.tokenize) stem words and drop stop words, which is right for
ranking documents but wrong for "find this in the transcript": "not found" would become
"found". Here every word counts, and words compare the way a reader means them:

- by stem, with the same Snowball stemmer as search ("failing" finds "failed"), and irregular
  forms folded to one word ("went wrong" finds "goes wrong", "was" finds "is");
- several words are a phrase first: the turns that say them together, in that order; when no
  turn does, the turns that say all of them anywhere (the caller says which it shows);
- words in "double quotes" are only ever a phrase.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from index.tokenize import _stem

_WORD = re.compile(r"[^\W_](?:[\w'’\-]*[^\W_])?")
_QUOTED = re.compile(r"[\"“”]([^\"“”]+)[\"“”]")

# Irregular forms (and the third person, which the stemmer leaves apart: goes → "goe") of
# common English verbs, each to its base form.
_IRREGULAR_TEXT = """
be: am is are was were been being | go: goes went gone going | do: does did done doing |
have: has had having | say: says said | make: made | take: took taken | come: came |
get: got gotten | see: saw seen | know: knew known | think: thought | find: found |
give: gave given | tell: told | become: became | leave: left | feel: felt | bring: brought |
begin: began begun | keep: kept | hold: held | write: wrote written | stand: stood |
run: ran | lose: lost | pay: paid | meet: met | break: broke broken | build: built |
send: sent | fall: fell fallen | spend: spent | catch: caught | buy: bought |
choose: chose chosen | drive: drove driven | forget: forgot forgotten | grow: grew grown |
hide: hid hidden | rise: rose risen | shake: shook shaken | speak: spoke spoken |
steal: stole stolen | throw: threw thrown | wake: woke woken | wear: wore worn | win: won |
understand: understood | mean: meant | sell: sold | teach: taught | fight: fought |
seek: sought | lead: led | stick: stuck | swing: swung | feed: fed | freeze: froze frozen |
draw: drew drawn | fly: flew flown | blow: blew blown | show: shown | bite: bit bitten |
shoot: shot | sleep: slept | deal: dealt | learn: learnt | burn: burnt | spill: spilt
"""
IRREGULAR = {
    form: base.strip()
    for entry in _IRREGULAR_TEXT.split("|")
    for base, forms in [entry.split(":")]
    for form in forms.split()
}


@lru_cache(maxsize=50_000)
def word_key(word: str) -> str:
    """How a word compares: lower-cased, its irregular form folded, stemmed."""
    low = word.lower().replace("’", "'")
    low = low[:-2] if low.endswith("'s") else low
    return _stem(IRREGULAR.get(low, low))


@dataclass(frozen=True)
class Span:
    start: int  # character offsets in the text
    end: int


def words(text: str) -> list[tuple[str, Span]]:
    """TEXT's words with their keys and where they are."""
    return [(word_key(m.group(0)), Span(m.start(), m.end())) for m in _WORD.finditer(text)]


@dataclass(frozen=True)
class TextQuery:
    """What a reader typed into a find box, read once."""

    phrases: tuple[tuple[str, ...], ...]  # quoted phrases (word keys), each must be said as is
    loose: tuple[str, ...]  # the words outside quotes (keys), in order

    @classmethod
    def parse(cls, text: str) -> TextQuery:
        quoted = [q for q in _QUOTED.findall(text) if q.strip()]
        rest = _QUOTED.sub(" ", text)
        phrases = tuple(tuple(k for k, _ in words(q)) for q in quoted)
        return cls(tuple(p for p in phrases if p), tuple(k for k, _ in words(rest)))

    @property
    def empty(self) -> bool:
        return not self.phrases and not self.loose


Fit = Literal["phrase", "words"]


def find(query: TextQuery, text: str, fit: Fit = "phrase") -> list[Span] | None:
    """Where TEXT says QUERY, or None when it does not.

    "phrase": the loose words together and in order (as one more phrase); "words": each
    loose word anywhere. Quoted phrases are phrases either way.
    """
    said = words(text)
    keys = [k for k, _ in said]
    spans: list[Span] = []
    phrases = list(query.phrases)
    if fit == "phrase" and query.loose:
        phrases.append(query.loose)
    for phrase in phrases:
        at = _phrase_at(keys, phrase)
        if at is None:
            return None
        spans += [span for _, span in said[at : at + len(phrase)]]
    if fit == "words":
        for key in query.loose:
            found = [span for k, span in said if k == key]
            if not found:
                return None
            spans += found
    return sorted(set(spans), key=lambda s: s.start)


def _phrase_at(keys: list[str], phrase: tuple[str, ...]) -> int | None:
    n = len(phrase)
    for i in range(len(keys) - n + 1):
        if tuple(keys[i : i + n]) == phrase:
            return i
    return None
