"""Checks for notebook 06's exercises (your own collection)."""
from __future__ import annotations

import time

import numpy as np

from ..ann import exact_top_k, recall_at_k
from ..duplicates import near_duplicates
from . import Wrong, as_array, as_number, attempt, exercise

__all__ = ["check_exact_search", "check_pairs_above", "check_recall_at_k"]


@exercise(6, "near-duplicates by hand")
def check_pairs_above(pairs_above, vectors, threshold: float) -> str:
    """``pairs_above(vectors, threshold)``: the pairs (i, j), i < j, of unit rows whose cosine is >= threshold."""
    rng = np.random.default_rng(12)
    unseen = rng.normal(size=(8, 6))
    unseen[5] = unseen[1] + 0.05 * rng.normal(size=6)
    unseen[7] = unseen[2] + 0.1 * rng.normal(size=6)
    unseen /= np.linalg.norm(unseen, axis=1, keepdims=True)
    want = {(i, j) for i, j, _ in near_duplicates(unseen, 0.9)}
    got = attempt(pairs_above, unseen.copy(), 0.9)
    try:
        got = {(int(p[0]), int(p[1])) for p in got}
    except (TypeError, ValueError, IndexError):
        raise Wrong("return a list of (i, j) pairs of row indices") from None
    if any(i == j for i, j in got):
        raise Wrong("a photo is not a duplicate of itself: leave out i == j")
    if any(i > j for i, j in got):
        raise Wrong("each pair once, with i < j")
    if got != want:
        raise Wrong("every pair of different rows whose cosine (dot product of unit rows) is >= threshold")
    return f"{len(pairs_above(vectors, threshold))} pairs at cosine >= {threshold:.3f}"


@exercise(7, "exact search by hand")
def check_exact_search(top_k_by_hand, pool, queries, k: int = 10) -> str:
    """``top_k_by_hand(base, queries, k)``: per query (row), the indices of the ``k`` rows of ``base`` with the largest
    dot product (unit rows: cosine), best first."""
    rng = np.random.default_rng(13)
    base, qs = rng.normal(size=(40, 6)), rng.normal(size=(3, 6))
    base /= np.linalg.norm(base, axis=1, keepdims=True)   # unit rows, as in the notebook: dot product = cosine
    want = exact_top_k(base, qs, 4)
    got = as_array(attempt(top_k_by_hand, base.copy(), qs.copy(), 4), want.shape, "one row of k indices per query")
    if np.array_equal(np.sort(got, axis=1), np.sort(want, axis=1)) and not np.array_equal(got, want):
        raise Wrong("the right rows in the wrong order: the largest dot product first")
    if np.array_equal(got, np.argsort(qs @ base.T, axis=1)[:, :4]):
        raise Wrong("these are the k *smallest* dot products: sort from high to low")
    if not np.array_equal(got, want):
        raise Wrong("scores = queries @ base.T (one row per query); per row the k largest, best first")
    base = np.asarray(pool)[:16_000]
    t = time.perf_counter()
    mine = np.asarray(top_k_by_hand(base, np.asarray(queries), k))
    ms = 1000 * (time.perf_counter() - t) / len(queries)
    same = np.mean(np.sort(mine, axis=1) == np.sort(exact_top_k(base, np.asarray(queries), k), axis=1))
    return f"{len(base):,} vectors, {len(queries)} queries: {ms:.3f} ms per query (all at once); " \
           f"share of the top {k} equal to helpers.ann.exact_top_k: {same:.3f}"


@exercise(8, "recall by hand")
def check_recall_at_k(my_recall_at_k, approx, exact) -> str:
    """``my_recall_at_k(approx, exact)``: the mean share of each query's exact top k that the approximate one found."""
    e = np.array([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 0, 1]])
    a = np.array([[1, 0, 3, 2], [4, 9, 5, 8], [2, 3, 4, 5]])   # same sets in another order; 2 of 4; none
    got = as_number(attempt(my_recall_at_k, a.copy(), e.copy()), "one recall between 0 and 1")
    if abs(got - np.mean(a == e)) < 1e-9:
        raise Wrong("the order within the top k does not matter: compare the sets of indices")
    if abs(got - recall_at_k(a, e)) > 1e-9:
        raise Wrong("per query: |approximate top k ∩ exact top k| / k; then the mean over the queries")
    return f"recall@{np.shape(exact)[1]} {my_recall_at_k(approx, exact):.3f} over {len(exact)} queries"
