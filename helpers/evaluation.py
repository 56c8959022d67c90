"""Measuring retrieval: precision@k, and the baselines every number sits beside.

* :func:`random_baseline` - what a random ranking scores (the floor)
* :func:`best_possible`   - the ceiling when a category has fewer than ``k`` other members
* :func:`evaluate`        - a table of precision@k per modality and weighting, with both baselines
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .similarity import cosine_similarity, top_k, validate_weights, weighted_scores

__all__ = ["precision_at_k", "random_baseline", "best_possible", "evaluate", "top_k_overlap"]




def precision_at_k(sim: np.ndarray, labels: Sequence[str], k: int) -> float:
    """Mean over queries of the fraction of the top-``k`` neighbours sharing the query's label.

    The query itself is excluded from its neighbours, and queries whose label no
    other item has are skipped (nothing could be right for them).
    """
    sim = np.asarray(sim)
    labels = np.asarray(labels)
    if sim.shape != (len(labels), len(labels)):
        raise ValueError(f"sim must be ({len(labels)}, {len(labels)}), got {sim.shape}")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    values = []
    for q in range(len(labels)):
        if (labels == labels[q]).sum() < 2:
            continue
        idx, _ = top_k(sim[q], k, exclude=q)
        values.append(float(np.mean(labels[idx] == labels[q])))
    if not values:
        raise ValueError("no label occurs twice: precision@k is undefined")
    return float(np.mean(values))


def best_possible(labels: Sequence[str], k: int) -> float:
    labels = np.asarray(labels)
    vals = [min(k, int((labels == lab).sum()) - 1) / k for lab in labels if (labels == lab).sum() >= 2]
    return float(np.mean(vals))


def random_baseline(labels: Sequence[str]) -> float:
    """Expected precision@k of a random ranking (the same for every k)."""
    labels = np.asarray(labels)
    n = len(labels)
    vals = [(int((labels == lab).sum()) - 1) / (n - 1) for lab in labels if (labels == lab).sum() >= 2]
    return float(np.mean(vals))


def evaluate(
    blocks: Mapping[str, np.ndarray],
    labels: Sequence[str],
    ks: Sequence[int] = (1, 3),
    weightings: Mapping[str, Mapping[str, float]] | None = None,
):
    """precision@k for each modality alone and for weighted combinations, as a pandas table.

    ``weightings`` maps a row name to modality weights; by default one row,
    ``"combined (equal)"``, weighs all modalities equally. Two last rows give the
    expected value of a random ranking and the best possible value (some
    categories have fewer than ``k`` other members).
    """
    import pandas as pd

    sims = {name: cosine_similarity(block) for name, block in blocks.items()}
    if weightings is None:
        weightings = {"combined (equal)": {name: 1.0 for name in blocks}}
    rows = {f"{name} only": sims[name] for name in sims}
    for row_name, w in weightings.items():
        validate_weights(w, known=list(blocks))
        rows[row_name] = weighted_scores(sims, w)
    table = pd.DataFrame(
        {f"P@{k}": [precision_at_k(s, labels, k) for s in rows.values()] for k in ks}, index=list(rows)
    )
    table.loc["random ranking"] = [random_baseline(labels) for _ in ks]
    table.loc["best possible"] = [best_possible(labels, k) for k in ks]
    return table.round(3)


def top_k_overlap(a: np.ndarray, b: np.ndarray, k: int = 5) -> float:
    """Mean fraction of shared items between the top-``k`` lists of two embeddings of the same items."""
    sa, sb = cosine_similarity(a), cosine_similarity(b)
    shared = [len(set(top_k(sa[q], k, exclude=q)[0]) & set(top_k(sb[q], k, exclude=q)[0])) / k
              for q in range(len(sa))]
    return float(np.mean(shared))
