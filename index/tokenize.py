"""Keyword tokenisation for technical text: identifiers stay findable whole and by part.

`innodb_flush_log_at_trx_commit`, `payments-ledger`, `max_wal_senders`, `getUserById` and
`ERR_CONN_POOL_EXHAUSTED` each index as the whole identifier plus their stemmed parts, so a
query for the exact name and a query for "flush log" both find them.
"""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

_WORD = re.compile(r"[^\W_](?:[\w.\-/]*[^\W_])?|[^\W_]")
_PARTS = re.compile(r"[A-Z]{2,}s(?![a-z])|[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+|[^\W\d_]+", re.UNICODE)
_SEPARATORS = re.compile(r"[_.\-/]")

STOP_WORDS = frozenset(
    """a an and are as at be been but by can could did do does for from had has have he her his
    how i if in into is it its me my of on or our she so than that the their them then there
    these they this those to was we were what when where which who why will with would you your
    not no us about after before also just only own same some such too very s t re ll ve d m""".split()
)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


@lru_cache(maxsize=100_000)
def _stem(word: str) -> str:
    return str(_stemmer().stemWord(word))


def _parts(token: str) -> list[str]:
    parts: list[str] = []
    for piece in _SEPARATORS.split(token):
        for m in _PARTS.finditer(piece):
            part = m.group(0)
            # Plural acronyms ("TTLs", "APIs") should meet their singular.
            parts.append(part[:-1] if len(part) > 2 and part[-1] == "s" and part[:-1].isupper() else part)
    return parts


def tokens(text: str) -> list[str]:
    """Index terms for TEXT: stemmed words, plus whole compound identifiers."""
    out: list[str] = []
    for match in _WORD.finditer(text):
        raw = match.group(0)
        parts = _parts(raw)
        compound = len(parts) > 1
        if compound:
            out.append(raw.lower())
        for part in parts:
            low = part.lower()
            if low in STOP_WORDS and not compound:
                continue
            out.append(_stem(low))
    return out


def query_terms(text: str) -> list[str]:
    """Distinct terms of a query, in order."""
    return list(dict.fromkeys(tokens(text)))
