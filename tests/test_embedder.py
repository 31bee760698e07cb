"""The embedding model: verified weights, configurable by path, and the ONNX query path."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from index import embedder as embedder_module
from index.embedder import (
    DEFAULT_MODEL_SHA256,
    OnnxQueryEncoder,
    SentenceTransformerEmbedder,
    bundled_model_dir,
    verify_checksum,
)
from index.errors import ModelError
from index.settings import Settings

QUERIES = [
    "replica promoted while replication lag was high",
    "Wie vermeiden wir Ausfälle beim DNS-Umzug? 😬",
    "postgres " * 400,  # past the model's 256-token window: truncated the same way
    "x",
]


def _flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.fixture(scope="module")
def model_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A byte-identical copy of the bundled model in another folder."""
    target = tmp_path_factory.mktemp("model") / "all-MiniLM-L6-v2"
    shutil.copytree(bundled_model_dir(), target)
    return target


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder holding this session's ONNX export of the default model."""
    cache = tmp_path_factory.mktemp("onnx")
    encoder = SentenceTransformerEmbedder(Settings(onnx_cache_dir=cache)).query_encoder()
    assert isinstance(encoder, OnnxQueryEncoder)
    return cache


def test_bundled_weights_pass_and_a_tampered_copy_is_refused(tmp_path, monkeypatch):
    verify_checksum(bundled_model_dir() / "model.safetensors", DEFAULT_MODEL_SHA256)
    tampered = tmp_path / "model"
    shutil.copytree(bundled_model_dir(), tampered)  # the original is never touched
    _flip_byte(tampered / "model.safetensors", 4096)
    with pytest.raises(ModelError, match="sha256"):
        verify_checksum(tampered / "model.safetensors", DEFAULT_MODEL_SHA256)
    monkeypatch.setattr(embedder_module, "bundled_model_dir", lambda: tampered)
    with pytest.raises(ModelError, match="sha256"):
        SentenceTransformerEmbedder(Settings(query_backend="torch")).embed_query("anything")


def test_the_model_is_configurable_by_path(model_copy, real_embedder):
    by_path = SentenceTransformerEmbedder(Settings(model=str(model_copy), query_backend="torch"))
    assert by_path.model_id == str(model_copy) != real_embedder.model_id
    texts = ["Payments ledger served stale balances", "DNS TTL migration"]
    np.testing.assert_allclose(
        by_path.embed_batch(texts), real_embedder.embed_batch(texts), atol=1e-5
    )
    assert by_path.dim == 384 and by_path.max_tokens == 256


def test_onnx_and_torch_query_vectors_agree(onnx_cache):
    embedder = SentenceTransformerEmbedder(Settings(onnx_cache_dir=onnx_cache))
    assert isinstance(embedder.query_encoder(), OnnxQueryEncoder)
    for query in QUERIES:
        onnx, torch = embedder.embed_query(query), embedder.embed_query_torch(query)
        assert onnx.shape == (384,) and onnx.dtype == np.float32
        assert float(onnx @ torch) > 0.9999
        assert float(np.linalg.norm(onnx)) == pytest.approx(1.0, abs=1e-5)


def test_a_query_needs_no_torch_once_the_export_exists(onnx_cache):
    code = (
        "import sys; from pathlib import Path; from index.settings import Settings; "
        "from index.embedder import SentenceTransformerEmbedder as E; "
        f"v = E(Settings(onnx_cache_dir=Path({str(onnx_cache)!r}))).embed_query('failover'); "
        "assert v.shape == (384,), v.shape; "
        "assert 'torch' not in sys.modules and 'sentence_transformers' not in sys.modules"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_a_tampered_export_is_not_used(onnx_cache, tmp_path, caplog):
    cache = tmp_path / "cache"
    shutil.copytree(onnx_cache, cache)
    (model_file,) = cache.glob("*/model.onnx")
    _flip_byte(model_file, model_file.stat().st_size // 2)
    auto = SentenceTransformerEmbedder(Settings(onnx_cache_dir=cache))
    with caplog.at_level(logging.WARNING, logger="index.embedder"):
        assert auto.query_encoder() is None  # auto: queries fall back to torch...
    assert "checksum" in caplog.text
    assert auto.embed_query("failover").shape == (384,)  # ...and still work
    required = SentenceTransformerEmbedder(Settings(onnx_cache_dir=cache, query_backend="onnx"))
    with pytest.raises(ModelError, match="checksum"):
        required.embed_query("failover")


def test_the_torch_backend_exports_nothing(tmp_path):
    embedder = SentenceTransformerEmbedder(Settings(onnx_cache_dir=tmp_path, query_backend="torch"))
    assert embedder.query_encoder() is None
    assert embedder.embed_query("failover").shape == (384,)
    assert list(tmp_path.iterdir()) == []


def test_each_model_has_its_own_export_folder(model_copy, tmp_path):
    default = SentenceTransformerEmbedder(Settings(onnx_cache_dir=tmp_path)).onnx_folder()
    by_path = SentenceTransformerEmbedder(
        Settings(onnx_cache_dir=tmp_path, model=str(model_copy))
    ).onnx_folder()
    hub = SentenceTransformerEmbedder(Settings(onnx_cache_dir=tmp_path, model="org/some-model"))
    assert default is not None and default.parent == tmp_path
    assert DEFAULT_MODEL_SHA256[:16] in default.name
    assert by_path is not None and by_path != default
    assert hub.onnx_folder() is None and hub.query_encoder() is None  # a hub name: torch


def test_token_counts_are_the_models_own_at_any_length(real_embedder):
    """The fast counter agrees with the model's tokenizer, past its 128 and 256 limits too."""
    words = "Replica lag spiked: pg_last_wal_replay_lsn() stalled, naïve café retries 🚀 "
    texts = ["", "a", words, words * 20, words * 60, "\n\n".join([words] * 3)]
    tokenizer = real_embedder.model.tokenizer
    for text in texts:
        expected = len(tokenizer(text, add_special_tokens=True, verbose=False)["input_ids"])
        assert real_embedder.count_tokens(text) == expected
    assert real_embedder.count_tokens(words * 60) > 512  # never truncated
