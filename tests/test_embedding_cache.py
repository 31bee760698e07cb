"""The embedding cache returns exactly what was stored, by model and text hash."""

from __future__ import annotations

import numpy as np
import pytest

from index.embedding_cache import POINT_LOOKUPS, EmbeddingCache


@pytest.mark.parametrize("n_wanted", [1, POINT_LOOKUPS, POINT_LOOKUPS + 1, 500])
def test_lookup_by_key_and_by_join_agree(tmp_path, n_wanted):
    cache = EmbeddingCache(tmp_path, "model-a", 4)
    hashes = [f"h{i}" for i in range(600)]
    vectors = np.arange(600 * 4, dtype=np.float32).reshape(600, 4)
    cache.put(hashes, vectors)
    EmbeddingCache(tmp_path, "model-b", 4).put(["h0"], np.zeros((1, 4)))  # another model's vector
    wanted = hashes[:n_wanted] + ["missing"]
    found = cache.get(wanted)
    assert set(found) == set(hashes[:n_wanted])
    cache.put(["after-a-lookup"], np.ones((1, 4)))  # the connection is free for the next call
    for h in found:
        i = int(h[1:])
        np.testing.assert_array_equal(found[h], vectors[i])


def test_put_keeps_the_first_vector_for_a_hash(tmp_path):
    cache = EmbeddingCache(tmp_path, "m", 2)
    cache.put(["a"], np.array([[1.0, 0.0]]))
    cache.put(["a"], np.array([[0.0, 1.0]]))
    np.testing.assert_array_equal(cache.get(["a"])["a"], [1.0, 0.0])
