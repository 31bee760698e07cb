"""Keyword tokenisation for technical text: identifiers stay findable whole and by part.

`innodb_flush_log_at_trx_commit`, `payments-ledger`, `max_wal_senders`, `getUserById` and
`ERR_CONN_POOL_EXHAUSTED` each index as the whole identifier plus their stemmed parts, so a
query for the exact name and a query for "flush log" both find them. The whole is written
without its separators, so `payments-ledger`, `payments_ledger` and `PaymentsLedger` (and
`SHA-1` and `sha1`) are one term.
"""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

_WORD = re.compile(r"[^\W_](?:[\w.\-/]*[^\W_])?|[^\W_]")
_PARTS = re.compile(
    r"[A-Z]{2,}s(?![a-z])|[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+|[^\W\d_]+", re.UNICODE
)
_SEPARATORS = re.compile(r"[_.\-/]")

_STOP_TEXT = """a an and are as at be been but by can could did do does for from had has have he
    her his how i if in into is it its me my of on or our she so than that the their them then there
    these they this those to was we were what when where which who why will with would you your
    not no us about after before also just only own same some such too very s t re ll ve d m"""
STOP_WORDS = frozenset(_STOP_TEXT.split())


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


@lru_cache(maxsize=100_000)
def _stem(word: str) -> str:
    return str(_stemmer().stemWord(word))


def _parts(token: str) -> list[str]:
    parts: list[str] = []
    for piece in _SEPARATORS.split(token):
        if piece.isalpha() and (piece.islower() or piece.isupper() or piece.istitle()):
            matches = [piece]  # no case change inside: one part (and "naïve" stays whole)
        else:
            matches = [m.group(0) for m in _PARTS.finditer(piece)]
        for part in matches:
            # Plural acronyms ("TTLs", "APIs") should meet their singular.
            plural = len(part) > 2 and part[-1] == "s" and part[:-1].isupper()
            parts.append(part[:-1] if plural else part)
    return parts


@lru_cache(maxsize=100_000)
def _word_tokens(raw: str) -> tuple[str, ...]:
    parts = _parts(raw)
    if len(parts) <= 1:
        low = (parts[0] if parts else raw).lower()
        return () if low in STOP_WORDS else (_stem(low),)
    # A compound: the whole, then the parts that carry meaning on their own. Single letters
    # and stop words ("v" of v2, "at" of ..._at_trx_...) would only match noise. A whole made
    # of letters only is stemmed like any word, so `ZooKeeper` meets `Zookeeper`.
    whole = "".join(_SEPARATORS.split(raw)).lower()
    out = [_stem(whole) if whole.isalpha() else whole]
    for part in parts:
        low = part.lower()
        if len(low) > 1 and low not in STOP_WORDS:
            out.append(_stem(low))
    return tuple(out)


def tokens(text: str) -> list[str]:
    """Index terms for TEXT: stemmed words, plus whole compound identifiers."""
    return [t for match in _WORD.finditer(text) for t in _word_tokens(match.group(0))]


CUE_TERMS_KEPT = 65_536


@lru_cache(maxsize=CUE_TERMS_KEPT)
def term_set(text: str) -> frozenset[str]:
    """The index terms of a short TEXT that recurs (a recording's cue), as a set, kept."""
    return frozenset(tokens(text))


def query_terms(text: str) -> list[str]:
    """Distinct terms of a query, in order."""
    return list(dict.fromkeys(tokens(text)))
