"""Word pieces of a text as the embedding model counts them, from its tokenizer.json alone.

Counting is what chunking (ingest) and plan passages (brief) need from the model most often,
and a process that only reads must not import torch and transformers for it: that cost
seconds on every cold `hindsight brief`. The `tokenizers` library reads a model folder's
tokenizer.json in ~30 ms and counts a paragraph in microseconds. When the model itself is
loaded in the same process (ingest), `same_tokenizer` checks that the file defines exactly
the tokenizer the model uses; tests prove it for the bundled model on varied text.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

# Only padding and truncation may differ: they are per-call settings, never part of a count.
_PER_CALL = ("padding", "truncation")
# BertNormalizer field ← tokenizer_config.json key: transformers rebuilds the normaliser from these.
_BERT_CONFIG = (
    ("lowercase", "do_lower_case"),
    ("strip_accents", "strip_accents"),
    ("handle_chinese_chars", "tokenize_chinese_chars"),
)


class TokenCounter:
    """Counts word pieces, special tokens included, never truncated."""

    def __init__(self, tokenizer: Any, prompt: str = "") -> None:
        tokenizer.no_padding()
        tokenizer.no_truncation()
        self.tokenizer = tokenizer
        self.prompt = prompt
        self.count = lru_cache(maxsize=4096)(self._count)  # headings and prefixes repeat

    @classmethod
    def from_folder(cls, folder: Path, prompt: str = "") -> TokenCounter:
        """FOLDER's tokenizer.json, with the settings transformers takes from its config."""
        from tokenizers import Tokenizer

        raw = (folder / "tokenizer.json").read_text(encoding="utf-8")
        config_file = folder / "tokenizer_config.json"
        if config_file.is_file():
            spec = json.loads(raw)
            if _apply_config(spec, json.loads(config_file.read_text(encoding="utf-8"))):
                raw = json.dumps(spec)  # only when the config changes something (rare)
        return cls(Tokenizer.from_str(raw), prompt)

    @classmethod
    def from_backend(cls, backend: Any, prompt: str = "") -> TokenCounter:
        """A copy of a loaded model's fast tokenizer (the model's own is left as it is)."""
        from tokenizers import Tokenizer

        return cls(Tokenizer.from_str(backend.to_str()), prompt)

    def _count(self, text: str) -> int:
        return len(self.tokenizer.encode(self.prompt + text, add_special_tokens=True).ids)

    def __call__(self, text: str) -> int:
        return self.count(text)


def _apply_config(spec: dict[str, Any], config: dict[str, Any]) -> bool:
    """What a BERT-style tokenizer's __init__ rebuilds from tokenizer_config.json; changed?"""
    normalizer = spec.get("normalizer") or {}
    if normalizer.get("type") != "BertNormalizer":
        return False
    changed = False
    for field, key in _BERT_CONFIG:
        if key in config and normalizer.get(field) != config[key]:
            normalizer[field] = config[key]
            changed = True
    return changed


def same_tokenizer(a: Any, b: Any) -> bool:
    """Whether two `tokenizers.Tokenizer`s split every text alike (per-call settings aside)."""
    left, right = json.loads(a.to_str()), json.loads(b.to_str())
    for key in _PER_CALL:
        left.pop(key, None)
        right.pop(key, None)
    return bool(left == right)
