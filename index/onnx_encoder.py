"""The embedding model exported to ONNX and run by onnxruntime: no torch in the process.

Queries (one text, ~3 ms instead of ~11 through torch) and, on a CPU, passages in
length-sorted batches (~1.6x the throughput of sentence-transformers on the same cores) go
through an export made once per model and used only if its vectors match torch's (the check
lives in `index.embedder`). A process that only searches or only ingests on a CPU then never
imports torch, which alone costs seconds at start.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from index.batching import in_original_order, length_batches, pad, prefetch
from index.errors import ModelError

ONNX_FORMAT = "1"  # bump when the export changes: old cache folders are then ignored


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verified(model_file: Path, expected: str) -> bool:
    """Whether MODEL_FILE hashes to EXPECTED; hashed again only when its inode changed.

    Hashing 90 MB cost ~0.1 s of every cold command. The file's size, mtime, inode and ctime
    (which no user call can set back) are kept beside it once a hash has matched: any write
    to the file changes its ctime, so a changed file is always hashed again.
    """
    stamp = model_file.with_name("verified.json")
    info = model_file.stat()
    signature = [info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns]
    with contextlib.suppress(OSError, ValueError):
        if json.loads(stamp.read_text()) == {"sha256": expected, "stat": signature}:
            return True
    if sha256_file(model_file) != expected:
        return False
    with contextlib.suppress(OSError):  # a read-only cache just hashes every time
        stamp.write_text(json.dumps({"sha256": expected, "stat": signature}))
    return True


class OnnxEncoder:
    """An exported model: one query at a time, or passages in length-sorted batches."""

    def __init__(self, folder: Path, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        meta = json.loads((folder / "meta.json").read_text())
        model_file = folder / "model.onnx"
        if not verified(model_file, meta["sha256"]):
            raise ModelError(f"{model_file} does not match the checksum recorded at export")
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        # The bundled tokenizer.json pads and truncates to 128; sentence-transformers
        # truncates at the model's max_seq_length and pads nothing for a single text.
        self.tokenizer.no_padding()
        self._max_length = int(meta["max_length"])
        self.tokenizer.enable_truncation(max_length=self._max_length)
        self._dim: int | None = None
        self.inputs: list[str] = list(meta["inputs"])
        options = ort.SessionOptions()
        # THREADS: all cores for passages in bulk (ingest); one for the server's concurrent
        # queries (Settings.query_threads). The default is for a lone reader's queries.
        # One query is a few small matrix products per layer: two threads cut a 20-token query
        # from ~8 to ~5.5 ms on this 2-core machine (interleaved runs, under other jobs' load
        # too); more mostly add handoffs, and concurrent portal sessions share the cores.
        options.intra_op_num_threads = threads or min(2, os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        # Workers spin between the ops of one query (waking a sleeping one costs more than
        # the op) but stop when it returns: spinning on afterwards held the core that DuckDB
        # and FAISS need for the rest of the search. Whole-search p50 at 100k chunks, four
        # interleaved pairs of 300 queries: 17.9 ms this way, 19.3 ms never spinning, ~20 ms
        # spinning on after each query (onnxruntime's default).
        options.add_session_config_entry("session.intra_op.allow_spinning", "1")
        options.add_session_config_entry("session.force_spinning_stop", "1")
        options.log_severity_level = 3
        self.session = ort.InferenceSession(
            str(model_file), options, providers=["CPUExecutionProvider"]
        )

    def encode(self, text: str) -> np.ndarray:
        enc = self.tokenizer.encode(text)
        feeds = {
            "input_ids": np.array([enc.ids], dtype=np.int64),
            "attention_mask": np.array([enc.attention_mask], dtype=np.int64),
            "token_type_ids": np.array([enc.type_ids], dtype=np.int64),
        }
        out = self.session.run(None, {name: feeds[name] for name in self.inputs})[0]
        return np.asarray(out[0], dtype=np.float32)

    @property
    def max_length(self) -> int:
        return self._max_length

    def encode_batch(self, texts: list[str], batch_size: int, sort: bool = True) -> np.ndarray:
        """TEXTS in their order; run shortest first in batches padded to their longest."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Characters stand in for tokens in the sort; each batch is tokenized and padded on a
        # helper thread while the session computes the one before.
        batches = length_batches([len(t) for t in texts], batch_size, sort)

        def feeds(batch: np.ndarray) -> dict[str, np.ndarray]:
            encodings = self.tokenizer.encode_batch([texts[i] for i in batch])
            ids, mask = pad([e.ids for e in encodings])
            every = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            return {name: every[name] for name in self.inputs}

        outputs = [
            np.asarray(self.session.run(None, f)[0], dtype=np.float32)
            for f in prefetch(batches, feeds)
        ]
        return in_original_order(batches, outputs, self.dim)

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self.encode("dimension").shape[0])
        return self._dim


def export_onnx(model: Any, tokenizer_json: Path, folder: Path) -> dict[str, Any]:
    """Export MODEL (transformer + mean/CLS pooling + normalisation) into FOLDER; its meta."""
    import torch

    kinds = [type(m).__name__ for m in model]
    pooling = getattr(model[1], "pooling_mode", None) if len(kinds) > 1 else None
    if not isinstance(pooling, str) and hasattr(model[1], "get_pooling_mode_str"):
        pooling = model[1].get_pooling_mode_str()
    if kinds[:2] != ["Transformer", "Pooling"] or kinds[2:] not in ([], ["Normalize"]):
        raise ModelError(f"no ONNX export for a model made of {kinds}")
    if pooling not in ("mean", "cls"):
        raise ModelError(f"no ONNX export for {pooling!r} pooling")
    known = ("input_ids", "attention_mask", "token_type_ids")
    inputs = [n for n in model.tokenizer.model_input_names if n in known]

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder: Any = model[0].auto_model

        def forward(self, *args: torch.Tensor) -> torch.Tensor:
            feeds = dict(zip(inputs, args, strict=True))
            hidden = self.encoder(**feeds).last_hidden_state
            if pooling == "cls":
                pooled = hidden[:, 0]
            else:
                mask = feeds["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    dummy = tuple(torch.ones(1, 8, dtype=torch.long) for _ in inputs)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "model.onnx"
    with torch.no_grad(), _without_onnx_package(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's own notes on ops it rewrites
        torch.onnx.export(
            Pooled().eval().cpu(),
            dummy,
            str(target),
            dynamo=False,  # the TorchScript exporter needs neither onnxscript nor onnx
            input_names=inputs,
            output_names=["embedding"],
            dynamic_axes={name: {0: "batch", 1: "tokens"} for name in inputs},
            opset_version=17,
        )
    shutil.copyfile(tokenizer_json, folder / "tokenizer.json")
    return {
        "format": ONNX_FORMAT,
        "inputs": inputs,
        "max_length": int(model.max_seq_length),
        "sha256": sha256_file(target),
        "torch": torch.__version__,
    }


class _without_onnx_package:
    """Let the TorchScript exporter run when the `onnx` package is absent.

    It imports `onnx` only to splice custom onnxscript functions into the graph; a plain
    transformer has none, so the bytes pass through unchanged. The export is checked
    against torch afterwards either way.
    """

    def __enter__(self) -> None:
        self.module: Any = None
        if importlib.util.find_spec("onnx") is not None:
            return
        try:
            from torch.onnx._internal.torchscript_exporter import onnx_proto_utils
        except ImportError:
            return
        self.module, self.original = onnx_proto_utils, onnx_proto_utils._add_onnxscript_fn
        onnx_proto_utils._add_onnxscript_fn = lambda model_bytes, custom_opsets: model_bytes

    def __exit__(self, *exc: object) -> None:
        if self.module is not None:
            self.module._add_onnxscript_fn = self.original
