"""The embedding model: verified weights, configurable by path, and the ONNX query path."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index import embedder as embedder_module
from index.embedder import (
    DEFAULT_MODEL_SHA256,
    OnnxEncoder,
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
    assert isinstance(encoder, OnnxEncoder)
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
    assert isinstance(embedder.query_encoder(), OnnxEncoder)
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


VARIED = [
    "",
    "a",
    "Replica lag spiked: pg_last_wal_replay_lsn() stalled, naïve café retries 🚀 ",
    "Wie vermeiden wir Ausfälle beim DNS-Umzug? Ça dépend — Straße, Ørsted, İstanbul, ǅ",
    "支付账本在副本故障转移期间提供了过时的余额。東京リージョンのフェイルオーバー",
    "결제 원장 서버 장애 — ledger-db 복제 지연",
    "Ошибка репликации: задержка WAL > 1s; ελληνικά κείμενα; עברית; العربية ١٢٣",
    "e\u0301 combining, zero\u200bwidth, soft\u00adhyphen, nbsp\u00a0here, bom\ufeff, ctrl\x07\x1b",
    "tab\tand\r\nCRLF\n\n  spaced   out  ",
    "👩🏽‍💻🏳️‍🌈 emoji sequences 🇬🇧 and ™ © ½ ① ｆｕｌｌｗｉｄｔｈ",
    "antidisestablishmentarianism" * 12 + " " + "x" * 300,
    "[CLS] [SEP] [PAD] [MASK] [UNK] special tokens written as text",
    "ERR_CONN_POOL_EXHAUSTED at 0x7ffd; getUserById(42) -> 503 /v1/ledger?id=α&β=γ",
]


def _model_count(embedder: SentenceTransformerEmbedder, text: str) -> int:
    ids = embedder.model.tokenizer(text, add_special_tokens=True, verbose=False)["input_ids"]
    return len(ids)


def test_token_counts_from_the_file_are_the_models_own(real_embedder):
    """tokenizer.json alone counts exactly as the model's tokenizer, unicode and any length."""
    counter = SentenceTransformerEmbedder(Settings())  # the model is never loaded here
    content = Path(__file__).resolve().parent.parent / "content"
    documents = [p.read_text(encoding="utf-8") for p in sorted(content.rglob("*.md"))[:20]]
    words = VARIED[2]
    texts = [*VARIED, words * 20, words * 60, "\n\n".join(VARIED), *documents]
    for text in texts:
        assert counter.count_tokens(text) == _model_count(real_embedder, text), text[:60]
    assert "model" not in counter.__dict__
    assert counter.count_tokens(words * 60) > 512  # never truncated


def test_a_loaded_model_keeps_counting_alike(real_embedder):
    """After the model loads (ingest), counts come from its own tokenizer, unchanged."""
    for text in VARIED:
        assert real_embedder.count_tokens(text) == _model_count(real_embedder, text)


def test_counting_tokens_imports_no_torch():
    code = (
        "import sys, time; from index.settings import Settings; "
        "from index.embedder import SentenceTransformerEmbedder as E; "
        "e = E(Settings()); t = time.perf_counter(); n = e.count_tokens('naïve café 🚀 retries'); "
        "assert n > 5, n; "
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules; "
        "assert 'sentence_transformers' not in sys.modules; "
        "print(time.perf_counter() - t)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def _edited_model(source: Path, target: Path, edit: Any) -> SentenceTransformerEmbedder:
    shutil.copytree(source, target)
    spec = json.loads((target / "tokenizer.json").read_text())
    edit(spec)
    (target / "tokenizer.json").write_text(json.dumps(spec))
    return SentenceTransformerEmbedder(Settings(model=str(target), query_backend="torch"))


def test_the_file_is_read_with_the_models_config(model_copy, tmp_path):
    """tokenizer_config.json's do_lower_case wins over the file's normaliser, as in transformers."""
    embedder = _edited_model(
        model_copy, tmp_path / "m", lambda spec: spec["normalizer"].update(lowercase=False)
    )
    text = "Kubernetes PodDisruptionBudget"
    assert embedder.count_tokens(text) == 12  # lower-cased word pieces, before the model loads
    assert embedder.count_tokens(text) == _model_count(embedder, text)


def test_a_tokenizer_file_unlike_the_model_is_not_trusted(model_copy, tmp_path, caplog):
    """A tokenizer.json the model does not load as it is: once loaded, counts are the model's."""
    embedder = _edited_model(  # no [CLS]/[SEP] in the file; the model's tokenizer adds them
        model_copy, tmp_path / "m", lambda spec: spec.update(post_processor=None)
    )
    text = "Kubernetes PodDisruptionBudget"
    assert embedder.count_tokens(text) == 10
    with caplog.at_level(logging.WARNING, logger="index.embedder"):
        embedder.model  # noqa: B018 - loading the model checks the file
    assert "differs from the tokenizer the model loads" in caplog.text
    assert embedder.count_tokens(text) == _model_count(embedder, text) == 12


def test_a_file_changed_after_it_was_verified_is_hashed_again(onnx_cache, tmp_path):
    """The verified stamp spares cold commands the hash, never a changed file."""
    cache = tmp_path / "cache"
    shutil.copytree(onnx_cache, cache)
    (folder,) = [p for p in cache.iterdir() if p.is_dir()]
    OnnxEncoder(folder)  # verified and stamped
    assert (folder / "verified.json").exists()
    OnnxEncoder(folder)  # the stamp matches: opened without hashing
    _flip_byte(folder / "model.onnx", (folder / "model.onnx").stat().st_size // 3)
    with pytest.raises(ModelError, match="checksum"):
        OnnxEncoder(folder)


def test_the_server_embeds_each_query_on_one_thread(onnx_cache):
    # Concurrent searches keep every core busy: a second onnxruntime thread per query only
    # spins on a core another search needs. A lone reader keeps two; a setting wins over both.
    from server.app import serving

    def threads(settings: Settings) -> int:
        encoder = SentenceTransformerEmbedder(settings).query_encoder()
        assert isinstance(encoder, OnnxEncoder)
        return int(encoder.session.get_session_options().intra_op_num_threads)

    lone = Settings(onnx_cache_dir=onnx_cache)
    assert threads(lone) == min(2, os.cpu_count() or 1)
    assert threads(serving(lone)) == 1
    assert threads(serving(Settings(onnx_cache_dir=onnx_cache, query_threads=3))) == 3
