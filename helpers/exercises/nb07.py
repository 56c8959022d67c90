"""Checks for notebook 07's exercises (beyond one machine): the cost model, memory per vector, binary codes.
Functions are tried on inputs the learner did not see; the ✓ line then applies them to the notebook's own run."""
from __future__ import annotations

import numpy as np

from . import Wrong, as_array, as_number, attempt, exercise

__all__ = ["check_embedding_cost", "check_index_bytes", "check_signs"]

EUR_PER_GPU_HOUR = 2.0


@exercise(2, "your own cost model")
def check_embedding_cost(embedding_cost, rates: dict[str, float], n_photos: int = 1_000_000) -> str:
    """``embedding_cost(rate, n_photos, eur_per_hour)``: EUR to embed ``n_photos`` at ``rate`` photos per second."""
    for rate, n, price in [(50.0, 2_000_000, 3.0), (7.5, 90_000, 0.4), (1200.0, 10_000_000, 2.5)]:
        got = as_number(attempt(embedding_cost, rate, n, price), "a cost in EUR")
        want = n / rate / 3600 * price
        if np.isclose(got, want, rtol=1e-6):
            continue
        if np.isclose(got, want * 3600, rtol=1e-6):
            raise Wrong("the rate is photos per second and the price is per hour: convert seconds to hours")
        if np.isclose(got, n / rate / 3600, rtol=1e-6):
            raise Wrong("that is the number of hours: multiply by the price per hour")
        raise Wrong("time = photos / rate (seconds); cost = time in hours × price per hour")
    shown = {k: v for k, v in rates.items() if not k.startswith("10 ")}
    return f"{n_photos:,} photos at {EUR_PER_GPU_HOUR:g} EUR/hour: " + ", ".join(
        f"{k} {embedding_cost(v, n_photos, EUR_PER_GPU_HOUR):,.2f} EUR" for k, v in shown.items())


def _top_k(vecs: np.ndarray, k: int) -> np.ndarray:
    sim = vecs @ vecs.T
    np.fill_diagonal(sim, -np.inf)
    return np.argsort(-sim, kind="stable")[:, :k]


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean([len(set(x) & set(y)) / a.shape[1] for x, y in zip(a, b)]))


def _per_dimension_8bit(vecs: np.ndarray) -> np.ndarray:
    """8-bit scalar quantisation with a range per dimension (as faiss's QT_8bit): the decoded vectors."""
    lo, hi = vecs.min(axis=0), vecs.max(axis=0)
    step = np.maximum(hi - lo, 1e-12) / 255
    return lo + np.round((vecs - lo) / step) * step


@exercise(5, "fewer bits")
def check_signs(signs, vecs, k: int = 5) -> str:
    """``signs(vecs)``: each number's sign after centring every dimension on its mean over the vectors, as ±1."""
    unseen = np.maximum(np.random.default_rng(7).normal(size=(6, 9)), 0).astype(np.float32)   # post-ReLU: >= 0
    unseen[:, 4] = 0.0   # a feature no photo has: centred, it is exactly 0
    out = as_array(attempt(signs, unseen.copy()), unseen.shape, "one ±1 per number of the input")
    if set(np.unique(out)) <= {0.0, 1.0}:
        raise Wrong("use -1 and +1, not 0 and 1: with 0/1 codes, two numbers below the mean that agree count nothing")
    if not set(np.unique(out)) <= {-1.0, 1.0}:
        raise Wrong("keep only the sign: every number becomes +1 or -1, a zero too (a bit has two values)")
    want = np.where(unseen - unseen.mean(axis=0) > 0, 1.0, -1.0)
    if np.array_equal(out, np.where(unseen > 0, 1.0, -1.0)) and not np.array_equal(out, want):
        raise Wrong("centre first: these numbers are >= 0 (after a ReLU), so their signs only say zero or not; "
                    "subtract each dimension's mean over the vectors (vecs.mean(axis=0)), then take the sign")
    if np.array_equal(out, np.where(unseen - unseen.mean() > 0, 1.0, -1.0)) and not np.array_equal(out, want):
        raise Wrong("centre each dimension on its own mean (vecs.mean(axis=0)), not on one mean of all numbers")
    if not np.array_equal(out, want):
        raise Wrong("+1 where a number is above its dimension's mean, -1 where it is not")
    vecs = np.asarray(vecs, dtype=np.float32)
    exact = _top_k(vecs, k)
    binary = _overlap(exact, _top_k(np.asarray(signs(vecs), np.float32), k))
    raw = _overlap(exact, _top_k(np.where(vecs > 0, 1.0, -1.0), k))
    return (f"top-{k} overlap with float32: centred signs {binary:.3f}, zero-or-not (vecs > 0) {raw:.3f} "
            f"({np.mean(vecs == 0):.0%} of the numbers are exactly 0), both 32x smaller; "
            f"8-bit codes per dimension, ranges fitted on these same vectors (in-sample) "
            f"{_overlap(exact, _top_k(_per_dimension_8bit(vecs), k)):.3f} (4x smaller)")


@exercise(6, "memory for any format")
def check_index_bytes(index_bytes, dims: dict[str, int], n_vectors: int = 1_000_000) -> str:
    """``index_bytes(n, dim, bits)``: bytes to hold ``n`` vectors of ``dim`` numbers of ``bits`` bits each."""
    for n, dim, bits in [(3_000_000, 768, 32), (250_000, 1024, 8), (40_000_000, 256, 1), (10, 3, 16)]:
        got = as_number(attempt(index_bytes, n, dim, bits), "a number of bytes")
        if np.isclose(got, n * dim * bits / 8, rtol=1e-9):
            continue
        if np.isclose(got, n * dim * bits, rtol=1e-9):
            raise Wrong("that counts bits: a byte holds 8 of them")
        if np.isclose(got, n * dim * 4, rtol=1e-9):
            raise Wrong("use the `bits` you are given, not float32's 4 bytes")
        raise Wrong("bytes = vectors × numbers per vector × bits per number / 8")
    return f"{n_vectors:,} vectors: " + "; ".join(
        f"{space} ({d}-d) " + ", ".join(f"{name} {index_bytes(n_vectors, d, bits) / 1e9:.2f} GB"
                                       for name, bits in (("float32", 32), ("int8", 8), ("binary", 1)))
        for space, d in dims.items())
