"""Similarity math used throughout the series.

Everything here works on plain ``numpy`` arrays, so the notebooks can show the
maths by hand first and then call these helpers.

The key idea of notebooks 03-04 lives in :func:`combine`: if every block of an
item's embedding is L2-normalised and scaled by ``sqrt(w / sum(w))``, the cosine
similarity of two concatenated vectors equals the *weighted average* of the
per-block cosine similarities.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

__all__ = [
    "normalize",
    "cosine_similarity",
    "top_k",
    "validate_weights",
    "combine",
    "weighted_scores",
    "contributions",
]


def _as_2d(x: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 1-D vector or a 2-D (n, d) array, got shape {arr.shape}")
    return arr


def normalize(x: np.ndarray, name: str = "x") -> np.ndarray:
    """Return ``x`` with every row scaled to unit L2 norm (float32).

    A row that is all zeros, or that contains NaN/inf, has no direction, so
    its cosine similarity is undefined: we raise a ``ValueError`` naming the
    row instead of silently returning NaN.
    """
    arr = _as_2d(x, name)
    if arr.size == 0:
        return arr.copy()
    bad = ~np.isfinite(arr).all(axis=1)
    if bad.any():
        raise ValueError(f"{name}: row {int(np.flatnonzero(bad)[0])} contains NaN or inf")
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    zero = norms[:, 0] == 0
    if zero.any():
        raise ValueError(
            f"{name}: row {int(np.flatnonzero(zero)[0])} is all zeros; its cosine similarity is undefined"
        )
    return (arr / norms).astype(np.float32, copy=False)


def cosine_similarity(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """Cosine similarity between the rows of ``a`` and the rows of ``b``.

    ``cosine(u, v) = u . v / (|u| |v|)``. With ``b=None`` the result is the
    square ``(n, n)`` matrix of ``a`` against itself. 1-D inputs count as one
    row. Values are clipped to ``[-1, 1]`` (rounding can overshoot by 1e-7).
    """
    a_n = normalize(a, "a")
    b_n = a_n if b is None else normalize(b, "b")
    if a_n.shape[1] != b_n.shape[1]:
        raise ValueError(f"dimension mismatch: a has {a_n.shape[1]} columns, b has {b_n.shape[1]}")
    return np.clip(a_n @ b_n.T, -1.0, 1.0)


def top_k(
    scores: np.ndarray,
    k: int = 5,
    exclude: int | list[int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Indices and values of the ``k`` highest ``scores`` (1-D), best first.

    ``exclude`` removes indices (typically the query itself). Uses
    ``argpartition`` so it stays fast for large catalogs; ties keep the lower
    index first, so rankings are deterministic.
    """
    s = np.asarray(scores, dtype=np.float64).ravel().copy()
    if np.isnan(s).any():
        raise ValueError(f"scores contain NaN at index {int(np.flatnonzero(np.isnan(s))[0])}")
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    if exclude is not None:
        s[np.atleast_1d(np.asarray(exclude, dtype=int))] = -np.inf
    n_valid = int(np.isfinite(s).sum()) if exclude is not None else s.size
    k = min(k, n_valid)
    if k == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
    if k < s.size:
        cand = np.argpartition(-s, k - 1)[:k]
        # widen to all ties at the boundary so the order below is deterministic
        cand = np.flatnonzero(s >= s[cand].min())
    else:
        cand = np.arange(s.size)
    order = cand[np.lexsort((cand, -s[cand]))][:k]
    return order.astype(np.int64), s[order].astype(np.float32)


def validate_weights(weights: Mapping[str, float],
                     known: list[str] | tuple[str, ...] | None = None) -> dict[str, float]:
    """Check modality weights and return them as normalised fractions (sum 1).

    Raises ``KeyError`` for a modality not in ``known`` and ``ValueError`` for a
    negative, NaN or infinite weight, or when all weights are zero.
    """
    if not weights:
        raise ValueError("weights is empty: give at least one modality a positive weight")
    out: dict[str, float] = {}
    for name, w in weights.items():
        if known is not None and name not in known:
            raise KeyError(f"unknown modality {name!r}; known modalities: {', '.join(known)}")
        try:
            wf = float(w)
        except (TypeError, ValueError):
            raise TypeError(f"weight for {name!r} must be a number, got {w!r}") from None
        if math.isnan(wf) or math.isinf(wf):
            raise ValueError(f"weight for {name!r} is {wf}; weights must be finite")
        if wf < 0:
            raise ValueError(f"weight for {name!r} is negative ({wf}); weights must be >= 0")
        out[name] = wf
    total = sum(out.values())
    if total == 0:
        raise ValueError("all weights are zero: give at least one modality a positive weight")
    return {name: w / total for name, w in out.items()}


def combine(blocks: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """Concatenate per-modality embeddings into one weighted vector per item.

    Each block is L2-normalised row-wise and multiplied by ``sqrt(w / sum(w))``.
    Then, for two items ``x`` and ``y``::

        cos(combined_x, combined_y) = sum_m  w_m / sum(w) * cos(x_m, y_m)

    i.e. the cosine of the combined vectors *is* the weighted average of the
    per-modality cosines. Blocks with weight 0 are dropped. Combined rows have
    unit norm.
    """
    fractions = validate_weights(weights, known=list(blocks))
    n_rows = {name: _as_2d(b, name).shape[0] for name, b in blocks.items()}
    if len(set(n_rows.values())) > 1:
        raise ValueError(f"blocks have different numbers of rows: {n_rows}")
    parts = [
        normalize(blocks[name], name) * np.float32(math.sqrt(frac))
        for name, frac in fractions.items()
        if frac > 0
    ]
    return np.concatenate(parts, axis=1).astype(np.float32, copy=False)


def contributions(per_block: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> dict[str, np.ndarray]:
    """Each modality's share of the combined score: ``w_m / sum(w) * cos_m`` (zeros for a weight of 0).

    The values add up to :func:`weighted_scores`; plot them as stacked bars to
    answer "why is this item similar?".
    """
    fractions = validate_weights(weights, known=list(per_block))
    out = {}
    for name, frac in fractions.items():
        scores = np.asarray(per_block[name], dtype=np.float32)
        out[name] = frac * scores if frac > 0 else np.zeros_like(scores)  # a weight of 0 ignores even NaN scores
    return out


def weighted_scores(per_block: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """Weighted average of per-modality similarity scores (query-time weights).

    ``per_block[name]`` holds one modality's cosine scores (any shape, all the
    same). This is what a search with weights chosen at query time computes:
    one score per modality, then a cheap weighted sum (of the :func:`contributions`).
    """
    return sum(contributions(per_block, weights).values())
