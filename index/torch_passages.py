"""Passages through the torch model, built for a GPU: half precision, full batches, no waiting.

sentence-transformers' `encode` tokenizes each batch on the thread that then waits for the
device, in fp32. Here texts are sorted by length (less padding), the next batch is tokenized,
padded and (on CUDA) pinned and copied on a helper thread while the device computes the
current one, and on CUDA the model runs in fp16 — but only after its vectors for a set of
probe texts have been compared with fp32's at load: below `HALF_MIN_COSINE` the model stays
in fp32 (a warning says why), as an ONNX export is refused when it differs from torch.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from index.batching import in_original_order, length_batches, pad, prefetch

log = logging.getLogger(__name__)

HALF_MIN_COSINE = 0.999  # fp16 on an H200 measured 0.99956 at worst, bf16 0.9962 (issue 27)
DTYPES = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}
_KNOWN_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class TorchPassages:
    """MODEL (a loaded SentenceTransformer) embedding passages in sorted, prefetched batches."""

    def __init__(
        self,
        model: Any,
        precision: str,
        probes: Sequence[str],
        min_cosine: float = HALF_MIN_COSINE,
    ) -> None:
        from tokenizers import Tokenizer

        self.model = model
        backend = model.tokenizer.backend_tokenizer  # a fast tokenizer (callers check)
        self.tokenizer = Tokenizer.from_str(backend.to_str())
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=int(model.max_seq_length))
        self.inputs = [n for n in model.tokenizer.model_input_names if n in _KNOWN_INPUTS]
        self.device = model.device
        self.min_cosine: float | None = None  # of the probes, reduced precision vs fp32
        self.precision = self._settle(precision, list(probes), min_cosine)

    def _settle(self, wanted: str, probes: list[str], floor: float) -> str:
        """WANTED precision if its probe vectors stay within FLOOR of fp32's, else fp32."""
        if wanted == "fp32":
            return "fp32"
        import torch

        reference = self.encode(probes, batch_size=len(probes))
        self.model.to(getattr(torch, DTYPES[wanted]))
        trial = self.encode(probes, batch_size=len(probes))
        self.min_cosine = float(np.min(np.sum(reference * trial, axis=1)))
        if self.min_cosine >= floor:
            log.info("passages embedded in %s (probe cosine to fp32 %.5f)", wanted, self.min_cosine)
            return wanted
        self.model.float()
        log.warning(
            "passages stay in fp32: %s vectors differ from fp32's (cosine %.5f < %.4f)",
            wanted,
            self.min_cosine,
            floor,
        )
        return "fp32"

    def encode(self, texts: list[str], batch_size: int, sort: bool = True) -> np.ndarray:
        """Unit vectors for TEXTS, in their order."""
        import torch

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Characters stand in for tokens in the sort: the texts are tokenized batch by batch,
        # on the helper thread, so the device never waits for the whole list's tokenization.
        batches = length_batches([len(t) for t in texts], batch_size, sort)
        on_cuda = self.device.type == "cuda"

        def features(batch: np.ndarray) -> dict[str, Any]:
            encodings = self.tokenizer.encode_batch([texts[i] for i in batch])
            ids, mask = pad([e.ids for e in encodings])
            every = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            tensors = {name: torch.from_numpy(every[name]) for name in self.inputs}
            if on_cuda:  # pinned pages copy asynchronously while the device works
                tensors = {k: v.pin_memory() for k, v in tensors.items()}
            return {k: v.to(self.device, non_blocking=on_cuda) for k, v in tensors.items()}

        outputs = []
        with torch.inference_mode():
            for feats in prefetch(batches, features):
                pooled = self.model(feats)["sentence_embedding"].float()
                unit = torch.nn.functional.normalize(pooled, p=2.0, dim=1)
                outputs.append(unit.cpu().numpy())
        return in_original_order(batches, outputs, outputs[0].shape[1])

    @property
    def dim(self) -> int:
        getter = (
            getattr(self.model, "get_embedding_dimension", None)
            or self.model.get_sentence_embedding_dimension
        )
        return int(getter() or 0)
