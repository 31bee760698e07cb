"""Passages in length-sorted, prefetched batches: ONNX on a CPU, torch with a checked precision.

Every path here is the product's own code running for real on the CPU: the ONNX session,
the torch model converted to fp16 and checked against fp32, the export made from an fp16
model. Nothing is faked: on a GPU the same code runs with another device.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from index.batching import in_original_order, length_batches, pad, prefetch
from index.embedder import PROBES, SentenceTransformerEmbedder
from index.onnx_encoder import OnnxEncoder
from index.settings import Settings
from index.torch_passages import TorchPassages

# Lengths from one word to past the model's 256-token window, deliberately out of order.
TEXTS = [
    "Replica promoted while replication lag was high. " * 6,
    "x",
    "DNS TTL 172800 seconds — résolveurs kept the old NS records 🚀",
    "How do we roll back a bad deploy? " + "Canary, feature flags and alerts. " * 60,
    "kafka consumer rebalance storm",
    "支付账本在副本故障转移期间提供了过时的余额。",
    "Certificate expired on the carrier gateway at 02:14 UTC; the renewal job had failed "
    "silently for 30 days because its alert routed to a deleted channel.",
    "a b",
    "Terraform plan showed no drift but the security group had been edited by hand. " * 3,
]


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = tmp_path_factory.mktemp("onnx")
    encoder = SentenceTransformerEmbedder(Settings(onnx_cache_dir=cache)).query_encoder()
    assert isinstance(encoder, OnnxEncoder)
    return cache


def _reference(real_embedder: SentenceTransformerEmbedder, texts: list[str]) -> np.ndarray:
    """sentence-transformers' own encode in fp32: what every path must reproduce."""
    vectors = real_embedder.model.encode(
        texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )
    return np.asarray(vectors, dtype=np.float32)


def test_length_batches_cover_every_index_once_shortest_first() -> None:
    lengths = [5, 1, 9, 3, 3, 7, 2]
    batches = length_batches(lengths, 3)
    assert [len(b) for b in batches] == [3, 3, 1]
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(len(lengths)))
    assert [lengths[i] for i in flat] == sorted(lengths)
    with pytest.raises(ValueError):
        length_batches(lengths, 0)


def test_outputs_go_back_to_the_callers_order() -> None:
    lengths = [4, 1, 3, 2]
    batches = length_batches(lengths, 2)
    outputs = [np.array([[float(i)] for i in b], dtype=np.float32) for b in batches]
    assert in_original_order(batches, outputs, 1).ravel().tolist() == [0.0, 1.0, 2.0, 3.0]


def test_pad_masks_the_padding() -> None:
    ids, mask = pad([[101, 7, 102], [101, 102]])
    assert ids.tolist() == [[101, 7, 102], [101, 102, 0]]
    assert mask.tolist() == [[1, 1, 1], [1, 1, 0]]


def test_prefetch_runs_ahead_on_another_thread_and_passes_errors_on() -> None:
    seen: list[str] = []

    def prepare(item: int) -> int:
        seen.append(threading.current_thread().name)
        return item * 10

    assert list(prefetch(range(5), prepare)) == [0, 10, 20, 30, 40]
    assert set(seen) == {"hindsight-prefetch"}

    def broken(item: int) -> int:
        if item == 2:
            raise RuntimeError("tokenizer broke")
        return item

    with pytest.raises(RuntimeError, match="tokenizer broke"):
        list(prefetch(range(5), broken))
    stream = prefetch(range(1000), prepare, depth=1)  # abandoned early: the helper stops
    assert next(stream) == 0
    stream.close()


def test_onnx_batches_match_torch_in_the_callers_order(onnx_cache, real_embedder) -> None:
    encoder = OnnxEncoder(next(p for p in onnx_cache.iterdir() if p.is_dir()), threads=2)
    reference = _reference(real_embedder, TEXTS)
    for batch_size in (1, 2, 4, 64):
        got = encoder.encode_batch(TEXTS, batch_size)
        assert got.shape == reference.shape and got.dtype == np.float32
        cosines = np.sum(got * reference, axis=1)
        assert cosines.min() > 0.9999, (batch_size, cosines)
    order = np.random.default_rng(7).permutation(len(TEXTS))
    shuffled = encoder.encode_batch([TEXTS[i] for i in order], 3)
    np.testing.assert_allclose(shuffled, encoder.encode_batch(TEXTS, 3)[order], atol=1e-5)
    assert encoder.encode_batch([], 8).shape == (0, 384)


def test_torch_batches_match_sentence_transformers(real_embedder) -> None:
    passages = TorchPassages(real_embedder.model, "fp32", PROBES)
    reference = _reference(real_embedder, TEXTS)
    for batch_size in (1, 3, 64):
        np.testing.assert_allclose(passages.encode(TEXTS, batch_size), reference, atol=2e-5)
    order = np.random.default_rng(3).permutation(len(TEXTS))
    np.testing.assert_allclose(
        passages.encode([TEXTS[i] for i in order], 2), reference[order], atol=2e-5
    )


@pytest.fixture
def fresh_model():  # type: ignore[no-untyped-def]
    """A model of its own: precision changes must not reach the session's shared one."""
    return SentenceTransformerEmbedder(Settings(query_backend="torch")).model


def test_fp16_is_kept_when_it_matches_fp32(fresh_model, real_embedder) -> None:
    import torch

    passages = TorchPassages(fresh_model, "fp16", PROBES)
    assert passages.precision == "fp16"
    assert next(fresh_model.parameters()).dtype == torch.float16
    assert passages.min_cosine is not None and passages.min_cosine >= 0.999
    got = passages.encode(TEXTS, 4)
    assert got.dtype == np.float32
    assert np.sum(got * _reference(real_embedder, TEXTS), axis=1).min() > 0.999


def test_a_precision_below_the_floor_falls_back_to_fp32(fresh_model, caplog) -> None:
    import torch

    with caplog.at_level(logging.WARNING, logger="index.torch_passages"):
        passages = TorchPassages(fresh_model, "fp16", PROBES, min_cosine=1.0 + 1e-9)
    assert passages.precision == "fp32"
    assert next(fresh_model.parameters()).dtype == torch.float32
    assert "stay in fp32" in caplog.text


def test_an_export_from_an_fp16_model_is_made_in_fp32_and_leaves_it_alone(tmp_path) -> None:
    import torch

    embedder = SentenceTransformerEmbedder(
        Settings(onnx_cache_dir=tmp_path, passage_backend="torch", precision="fp16", device="cpu")
    )
    before = embedder.embed_batch(TEXTS[:3])
    assert embedder.torch_passages is not None and embedder.torch_passages.precision == "fp16"
    assert isinstance(embedder.query_encoder(), OnnxEncoder)  # export checked against fp32
    meta = json.loads(next(tmp_path.glob("*/meta.json")).read_text())
    assert meta["ok"] and meta["min_cosine"] > 0.9999
    weights = next(embedder.model.parameters())
    assert weights.dtype == torch.float16 and weights.device.type == "cpu"
    np.testing.assert_allclose(embedder.embed_batch(TEXTS[:3]), before, atol=1e-6)


def test_a_cpu_ingest_embeds_through_onnx_without_torch(onnx_cache, real_embedder) -> None:
    code = (
        "import sys, json; from pathlib import Path; from index.settings import Settings; "
        "from index.embedder import SentenceTransformerEmbedder as E; "
        f"e = E(Settings(onnx_cache_dir=Path({str(onnx_cache)!r}))); "
        f"v = e.embed_batch(json.loads({json.dumps(json.dumps(TEXTS))})); "
        "assert 'torch' not in sys.modules and 'sentence_transformers' not in sys.modules; "
        "print(json.dumps({'dim': e.dim, 'max': e.max_tokens, 'batch': e.batch_size, "
        "'v': v.tolist()}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert (out["dim"], out["max"], out["batch"]) == (384, 256, 16)
    cosines = np.sum(np.array(out["v"]) * _reference(real_embedder, TEXTS), axis=1)
    assert cosines.min() > 0.9999
