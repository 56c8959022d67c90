"""Measuring retrieval: precision@k, and the baselines every number sits beside.

* :func:`random_baseline` - what a random ranking scores (the floor)
* :func:`best_possible`   - the ceiling when a category has fewer than ``k`` other members
* :func:`evaluate`        - a table of precision@k per modality and weighting, with both baselines
* :class:`PrecisionMeter` - mean precision@k of any weighting, cheap to rerun (the widget's live measure)
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .similarity import cosine_similarity, top_k, validate_weights, weighted_scores

__all__ = ["precision_at_k", "random_baseline", "best_possible", "evaluate", "top_k_overlap", "query_precision",
           "query_random_baseline", "PrecisionMeter"]




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
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    queries = np.flatnonzero(counts[inverse] >= 2)
    if queries.size == 0:
        raise ValueError("no label occurs twice: precision@k is undefined")
    # all rows at once (fast enough for a slider); rows with a tie at the k-th place go through top_k,
    # so the result is exactly that of top_k for every query (ties: lower index first)
    kk = min(k, len(labels) - 1)
    s = np.array(sim[queries], dtype=np.float64)
    s[np.arange(len(queries)), queries] = -np.inf
    idx = np.argpartition(-s, kk - 1, axis=1)[:, :kk]
    kth = np.take_along_axis(s, idx, axis=1).min(axis=1)
    values = (labels[idx] == labels[queries][:, None]).mean(axis=1)
    for r in np.flatnonzero((s >= kth[:, None]).sum(axis=1) > kk):
        values[r] = np.mean(labels[top_k(sim[queries[r]], k, exclude=queries[r])[0]] == labels[queries[r]])
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


def query_precision(ranked: Sequence[int], labels: Sequence[str], query: int) -> float | None:
    """Precision of one query's ranking: the share of ``ranked`` items with the query's label.

    ``None`` when no other item has the query's label (nothing could be right).
    """
    labels = np.asarray(labels)
    if (labels == labels[query]).sum() < 2 or len(ranked) == 0:
        return None
    return float(np.mean(labels[np.asarray(ranked, dtype=int)] == labels[query]))


def query_random_baseline(labels: Sequence[str], query: int) -> float | None:
    """Expected :func:`query_precision` of a random ranking for this one query."""
    labels = np.asarray(labels)
    same = int((labels == labels[query]).sum()) - 1
    return same / (len(labels) - 1) if same > 0 else None


class PrecisionMeter:
    """Mean precision@k over all queries for any weighting, cheap enough to rerun on every slider move.

    The per-modality similarity matrices do not depend on the weights, so they are
    computed once here; a new weighting costs one weighted sum of ``n x n`` matrices
    and one top-k per row (:func:`precision_at_k`). Memory grows as ``n²`` per modality.
    """

    def __init__(self, blocks: Mapping[str, np.ndarray], labels: Sequence[str], k: int):
        self.labels, self.k = np.asarray(labels), int(k)
        if any(len(b) != len(self.labels) for b in blocks.values()):
            raise ValueError(f"{len(self.labels)} labels for blocks of {[len(b) for b in blocks.values()]} rows")
        if not np.unique(self.labels, return_counts=True)[1].max(initial=0) >= 2:
            raise ValueError("no label occurs twice: precision@k is undefined")
        self.sims = {name: cosine_similarity(block) for name, block in blocks.items()}
        self.random = random_baseline(self.labels)
        self.best = best_possible(self.labels, self.k)

    def __call__(self, weights: Mapping[str, float]) -> float:
        """Mean precision@k of the ranking under ``weights`` (validated like every weighting)."""
        return precision_at_k(weighted_scores(self.sims, weights), self.labels, self.k)
