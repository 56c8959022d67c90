"""Near-duplicates in bounded memory: the same pairs as the all-pairs computation, without its n x n matrix."""
from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from helpers.duplicates import near_duplicates


def _unit(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    v = rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _all_pairs(vectors: np.ndarray, threshold: float) -> list[tuple[int, int, float]]:
    """The brute-force reference: the full float64 similarity matrix, every pair i < j, sorted."""
    v = vectors.astype(np.float64)
    sim = v @ v.T
    i, j = np.triu_indices(len(v), k=1)
    keep = sim[i, j] >= threshold
    return sorted(zip(i[keep].tolist(), j[keep].tolist(), sim[i, j][keep].tolist()), key=lambda p: (-p[2], p[0], p[1]))


@pytest.fixture(scope="module")
def small():
    """400 random 32-d unit rows with planted exact copies (ties) and close copies."""
    rng = np.random.default_rng(7)
    v = _unit(rng, 400, 32)
    v[[50, 77, 390]] = v[10]  # three copies of row 10: six pairs at cosine 1, tied
    v[200] = v[3]
    close = v[[5, 6, 7]] + 0.05 * rng.standard_normal((3, 32)).astype(np.float32)
    v[[300, 301, 302]] = close / np.linalg.norm(close, axis=1, keepdims=True)
    return v


@pytest.mark.parametrize("block_mb", [1e-5, 0.003, 0.05, 64.0])  # 1 row per block, a few rows, many, all at once
@pytest.mark.parametrize("threshold", [0.95, 0.5, 0.3])
def test_same_pairs_scores_and_order_as_all_pairs(small, block_mb, threshold):
    ref = _all_pairs(small, threshold)
    got = near_duplicates(small, threshold, block_mb=block_mb)
    assert len(ref) >= 7  # at least the planted copies
    assert [(i, j) for i, j, _ in got] == [(i, j) for i, j, _ in ref]
    np.testing.assert_allclose([s for *_, s in got], [s for *_, s in ref], rtol=0, atol=1e-12)
    assert got.found == len(ref) and not got.truncated


def test_ties_are_ordered_by_i_then_j(small):
    got = near_duplicates(small, 0.999)
    tied = [(10, 50), (10, 77), (10, 390), (50, 77), (50, 390), (77, 390)]  # identical rows: identical scores
    pairs = [(i, j) for i, j, _ in got]
    assert sorted(pairs) == sorted(tied + [(3, 200)])
    start = pairs.index((10, 50))
    assert pairs[start:start + 6] == tied and len({s for i, j, s in got if (i, j) in tied}) == 1


def test_a_folder_of_near_identical_photos_is_capped_with_a_message():
    rng = np.random.default_rng(1)
    base = _unit(rng, 1, 64)
    burst = base + 0.01 * rng.standard_normal((300, 64)).astype(np.float32)  # 300 burst shots: 44,850 pairs
    burst /= np.linalg.norm(burst, axis=1, keepdims=True)
    with pytest.warns(UserWarning, match="44,850 pairs"):
        got = near_duplicates(burst, 0.9, max_pairs=100, block_mb=0.01)
    assert len(got) == 100 and got.found == 300 * 299 // 2 and got.truncated
    assert "kept the 100 most similar" in got.message and "raise the threshold" in got.message
    assert [(i, j) for i, j, _ in got] == [(i, j) for i, j, _ in _all_pairs(burst, 0.9)[:100]]


def test_bad_input_is_named():
    v = _unit(np.random.default_rng(2), 5, 8)
    v[3, 0] = np.nan
    with pytest.raises(ValueError, match=r"rows \[3\].*not finite"):
        near_duplicates(v, 0.9)
    with pytest.raises(ValueError, match="finite number"):
        near_duplicates(v[:2], float("nan"))
    with pytest.raises(ValueError, match="2-d"):
        near_duplicates(v[0], 0.9)
    assert near_duplicates(v[:1], 0.0) == [] and near_duplicates(np.empty((0, 8)), 0.5) == []


def test_memory_is_bounded_by_the_block_not_the_matrix():
    """20,000 vectors of the image dimension: the n x n matrix alone would be 1.6 GB (plus its pair indices)."""
    n, dim, block_mb = 20_000, 1280, 16.0
    rng = np.random.default_rng(3)
    tracemalloc.start()
    try:
        v = np.empty((n, dim), dtype=np.float32)
        for s in range(0, n, 2000):  # filled in slices: no float64 temporary of the whole matrix
            v[s:s + 2000] = _unit(rng, 2000, dim)
        v[n - 1] = v[0]
        v[12_345] = v[678]
        vectors_mb = v.nbytes / 2**20
        tracemalloc.reset_peak()
        got = near_duplicates(v, 0.9, block_mb=block_mb)
        peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
    assert sorted((i, j) for i, j, _ in got) == [(0, n - 1), (678, 12_345)]
    # the vectors, one block's scores and mask, and index slices: a few block budgets, not n * n * 4 bytes
    assert peak_mb < vectors_mb + 3 * block_mb, (peak_mb, vectors_mb)
    assert peak_mb < vectors_mb + (n * n * 4 / 2**20) / 20
