"""Retrieval over several embeddings of the same items: the ONE ranking implementation.

Notebooks, the slider widget and the benchmarks all rank through here::

    per_modality_scores(blocks, q)   # one cosine-score vector per modality (depends on the query only)
    rank(per, weights, k, exclude=q) # weighted sum + top-k + each modality's contribution (cheap: O(n))
    search(blocks, q, weights, k)    # both steps at once

Because the per-modality scores do not depend on the weights, a slider only
re-runs :func:`rank`.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .catalog import Item, item_index
from .similarity import contributions, normalize, top_k

__all__ = ["normalize_blocks", "per_modality_scores", "rank", "search", "rankings_table"]


def normalize_blocks(blocks: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every block with unit-norm rows (a clear error names a block with a zero or NaN row)."""
    return {name: normalize(block, name) for name, block in blocks.items()}


def per_modality_scores(blocks: Mapping[str, np.ndarray], query: int,
                        normalized: bool = False) -> dict[str, np.ndarray]:
    """Cosine similarity of item ``query`` to every item, one score vector per modality.

    Pass ``normalized=True`` when the blocks already have unit-norm rows (saves a copy).
    """
    blocks = blocks if normalized else normalize_blocks(blocks)
    return {name: b @ b[query] for name, b in blocks.items()}


def rank(
    per: Mapping[str, np.ndarray], weights: Mapping[str, float], k: int = 5, exclude: int | None = None
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Top-``k`` of the weighted per-modality scores: ``(indices, scores, contributions)``.

    ``contributions[m][j]`` is how much modality ``m`` added to the score of
    ``indices[j]``; they add up to ``scores``.
    """
    parts = contributions(per, weights)  # once: the sum and the shares below both use them
    idx, scores = top_k(sum(parts.values()), k, exclude=exclude)
    return idx, scores, {m: v[idx] for m, v in parts.items()}


def search(
    blocks: Mapping[str, np.ndarray], query: int, weights: Mapping[str, float], k: int = 5
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Top-``k`` items for item ``query`` under ``weights`` (the query itself excluded)."""
    return rank(per_modality_scores(blocks, query), weights, k, exclude=query)


def rankings_table(
    catalog: Sequence[Item], blocks: Mapping[str, np.ndarray], query: str,
    weightings: Mapping[str, Mapping[str, float]], k: int = 5,
):
    """Top-``k`` names (with scores) for one query under several weightings, side by side.

    A trailing ``*`` marks an item of the query's category.
    """
    import pandas as pd

    q = item_index(query, catalog)
    cols = {}
    for label, w in weightings.items():
        idx, scores, _ = search(blocks, q, w, k)
        cols[label] = [f"{catalog[i].name}{' *' if catalog[i].category == catalog[q].category else ''} "
                       f"({s:.3f})" for i, s in zip(idx, scores)]
    return pd.DataFrame(cols, index=pd.RangeIndex(1, k + 1, name="rank"))
