"""The vector index: the same verbs and the same answers for every base type, persisted.

Small thresholds put a few thousand vectors through each path a million-chunk index takes:
an exact base, an IVF base, and a base with a delta and tombstones that were not folded yet.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from index.vectors import VectorIndex, VectorParams

DIM = 32
N = 3_000
# kind -> params that put N vectors into that shape after a save
# (a filter of more than 100 ids goes through the IVF scan with a selector, fewer are exact)
SHAPES = {
    "flat": VectorParams(),
    "ivf": VectorParams(exact_max=1_000, fold_below=100, subset_exact_max=100),
    "ivf+delta": VectorParams(
        exact_max=1_000, fold_below=100, delta_min=10_000, subset_exact_max=100
    ),
}


def unit(rng: np.random.Generator, n: int, centers: np.ndarray | None = None) -> np.ndarray:
    """Clustered unit vectors, like embeddings (uniform random ones make ANN look bad)."""
    if centers is None:
        x = rng.standard_normal((n, DIM))
    else:
        x = centers[rng.integers(0, len(centers), n)] + 0.35 * rng.standard_normal((n, DIM))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    centers = rng.standard_normal((40, DIM))
    ids = rng.choice(2**62, size=N, replace=False).astype(np.int64)  # 63-bit like chunk ids
    return ids, unit(rng, N, centers), unit(rng, 50, centers)


def built(tmp_path: Path, shape: str, data) -> tuple[VectorIndex, Path]:
    """N vectors saved and loaded back; for ivf+delta, the last 200 are still in the delta."""
    ids, vecs, _ = data
    params = SHAPES[shape]
    path = tmp_path / "vectors.faiss"
    index = VectorIndex.create(DIM, params)
    split = N - 200 if shape == "ivf+delta" else N
    index.add(ids[:split], vecs[:split])
    index.save(path)
    index = VectorIndex.load(path, params)
    index.add(ids[split:], vecs[split:])
    index.save(path)
    return VectorIndex.load(path, params), path


@pytest.mark.parametrize("shape", SHAPES)
def test_every_vector_is_found_under_its_own_id(tmp_path, data, shape):
    ids, vecs, _ = data
    index, path = built(tmp_path, shape, data)
    assert index.kind == ("flat" if shape == "flat" else "ivf")
    assert len(index) == N and sorted(index.ids().tolist()) == sorted(ids.tolist())
    assert index.delta_path(path).exists() == (shape == "ivf+delta")
    for i in (0, 1234, N - 1):
        (top_id, score), *_ = index.search(vecs[i], 5)
        assert top_id == ids[i] and score == pytest.approx(1.0, abs=1e-5)
        np.testing.assert_allclose(index.reconstruct(int(ids[i])), vecs[i], atol=1e-6)


@pytest.mark.parametrize("shape", SHAPES)
def test_deleted_ids_vanish_and_can_come_back_after_a_save(tmp_path, data, shape):
    ids, vecs, _ = data
    index, path = built(tmp_path, shape, data)
    gone = ids[[5, 6, 2_900]]
    assert index.delete(gone.tolist() + [12345]) == 3  # an unknown id is not counted
    assert index.delete(gone.tolist()) == 0
    index.add(ids[[6]], vecs[[6]])  # a chunk re-added under the same id (an unchanged chunk)
    index.save(path)
    index = VectorIndex.load(path, SHAPES[shape])
    assert len(index) == N - 2
    live = set(index.ids().tolist())
    assert ids[5] not in live and ids[2_900] not in live and ids[6] in live
    assert all(cid != ids[5] for cid, _ in index.search(vecs[5], 50))
    assert index.search(vecs[6], 1)[0][0] == ids[6]
    with pytest.raises(KeyError):
        index.reconstruct(int(ids[5]))


@pytest.mark.parametrize("shape", SHAPES)
def test_adding_an_existing_id_replaces_its_vector(tmp_path, data, shape):
    ids, vecs, _ = data
    index, _ = built(tmp_path, shape, data)
    index.add(ids[[3]], vecs[[4]])
    assert len(index) == N
    np.testing.assert_allclose(index.reconstruct(int(ids[3])), vecs[4], atol=1e-6)
    assert [cid for cid, _ in index.search(vecs[4], 2)] in ([ids[3], ids[4]], [ids[4], ids[3]])


@pytest.mark.parametrize("shape", SHAPES)
# 3, 40: scored exactly by id; 120: an IVF scan with a selector; 2,000: an unfiltered search
# whose hits are filtered (more than VectorParams.postfilter_share of the ids).
@pytest.mark.parametrize("allowed_n", [3, 40, 120, 2_000])
def test_filtered_search_ranks_exactly_within_the_allowed_ids(tmp_path, data, shape, allowed_n):
    ids, vecs, queries = data
    index, _ = built(tmp_path, shape, data)
    rng = np.random.default_rng(allowed_n)
    pick = rng.choice(N, size=allowed_n, replace=False)
    index.delete([int(ids[pick[0]])])  # a tombstoned id inside the filter stays out
    k = 10
    for q in queries[:10]:
        found = index.search(q, k, allowed=ids[pick])
        assert {cid for cid, _ in found} <= set(ids[pick[1:]].tolist())
        exact = pick[1:][np.argsort(-(vecs[pick[1:]] @ q))][:k]
        overlap = len({cid for cid, _ in found} & set(ids[exact].tolist()))
        assert overlap >= min(k, allowed_n - 1) - 1  # IVF may miss one of a large filter
    assert index.search(queries[0], k, allowed=np.array([], dtype=np.int64)) == []


@pytest.mark.parametrize("shape", ["ivf", "ivf+delta"])
def test_ann_recall_at_10_against_exact_search(tmp_path, data, shape):
    ids, vecs, queries = data
    index, _ = built(tmp_path, shape, data)
    recalls = []
    for q in queries:
        exact = set(ids[np.argsort(-(vecs @ q))[:10]].tolist())
        recalls.append(len(exact & {cid for cid, _ in index.search(q, 10)}) / 10)
    assert np.mean(recalls) >= 0.95


def test_the_base_changes_type_with_size_and_folds_small_deltas(tmp_path, data):
    ids, vecs, _ = data
    params = VectorParams(exact_max=1_000, fold_below=100, delta_min=50, delta_max=100)
    path = tmp_path / "vectors.faiss"
    index = VectorIndex.create(DIM, params)
    index.add(ids[:800], vecs[:800])
    index.save(path)
    assert index.kind == "flat" and not index.delta_path(path).exists()
    index.add(ids[800:1_200], vecs[800:1_200])  # past exact_max: rebuilt as IVF
    index.save(path)
    assert index.kind == "ivf" and index.pending == 0
    index.add(ids[1_200:1_240], vecs[1_200:1_240])  # a small change stays in the delta
    index.save(path)
    assert index.pending == 40 and index.delta_path(path).exists()
    index.add(ids[1_240:1_400], vecs[1_240:1_400])  # a big one is folded in
    index.save(path)
    assert index.pending == 0 and not index.delta_path(path).exists()
    index.delete(ids[:1_000].tolist())  # shrunk well below exact_max: exact again
    index.save(path)
    assert index.kind == "flat" and len(VectorIndex.load(path, params)) == 400


def test_saving_a_change_never_touches_a_file_an_older_generation_shares(tmp_path, data):
    """Generations hard-link vectors.faiss; a writer's save must leave the old inode alone."""
    ids, vecs, _ = data
    params = SHAPES["ivf"]
    old, new = tmp_path / "g1", tmp_path / "g2"
    old.mkdir()
    new.mkdir()
    index = VectorIndex.create(DIM, params)
    index.add(ids, vecs)
    index.save(old / "vectors.faiss")
    before = (old / "vectors.faiss").read_bytes()
    os.link(old / "vectors.faiss", new / "vectors.faiss")
    for delta_min in (10_000, 0):  # a delta-only save, then a fold that rewrites the base
        index = VectorIndex.load(
            new / "vectors.faiss",
            VectorParams(exact_max=1_000, fold_below=100, delta_min=delta_min),
        )
        index.delete(ids[:20].tolist())
        index.add(ids[:10], vecs[:10])
        index.save(new / "vectors.faiss")
    assert (old / "vectors.faiss").read_bytes() == before
    assert len(VectorIndex.load(old / "vectors.faiss", params)) == N
    assert len(VectorIndex.load(new / "vectors.faiss", params)) == N - 10


def test_an_empty_index_saves_loads_and_answers_nothing(tmp_path):
    path = tmp_path / "vectors.faiss"
    VectorIndex.create(DIM).save(path)
    index = VectorIndex.load(path)
    assert len(index) == 0 and index.dim == DIM and index.ids().tolist() == []
    assert index.search(np.ones(DIM, dtype=np.float32), 10) == []


@pytest.mark.parametrize("shape", SHAPES)
def test_vectors_of_reads_back_live_vectors_in_the_order_asked(tmp_path, data, shape):
    ids, vecs, _ = data
    index, _ = built(tmp_path, shape, data)
    index.delete([int(ids[10])])
    index.add(ids[[11]], vecs[[12]])  # replaced: the new vector is the one read back
    asked = np.array([ids[N - 1], ids[10], 42, ids[11], ids[0]], dtype=np.int64)
    found, vectors = index.vectors_of(asked)
    assert found.tolist() == [ids[N - 1], ids[11], ids[0]]
    np.testing.assert_allclose(vectors, vecs[[N - 1, 12, 0]], atol=1e-6)
