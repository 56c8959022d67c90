"""Measuring retrieval: precision@k, and the baselines every number sits beside.

* :func:`random_baseline` - what a random ranking scores (the floor)
* :func:`best_possible`   - the ceiling when a category has fewer than ``k`` other members
* :func:`evaluate`        - a table of precision@k per modality and weighting, with both baselines
* :class:`PrecisionMeter` - mean precision@k of any weighting, cheap to rerun (the widget's live measure)
* :func:`precision_table`   - the same table for any score matrices (late fusion, ...)
* :func:`reciprocal_rank_fusion` - late fusion by ranks, against early fusion (concatenation)
* :func:`held_out_comparison` - weights tuned on half the queries, measured on the other half
"""
from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np

from .similarity import cosine_similarity, top_k, validate_weights, weighted_scores

__all__ = ["precision_at_k", "per_query_precision", "random_baseline", "best_possible", "evaluate",
           "precision_table", "top_k_overlap", "query_precision", "query_random_baseline", "PrecisionMeter",
           "reciprocal_rank_fusion", "weight_grid", "held_out_comparison", "mixing_curve", "signal_and_spread"]


def precision_at_k(sim: np.ndarray, labels: Sequence[str], k: int) -> float:
    """Mean over queries of the fraction of the top-``k`` neighbours sharing the query's label.

    The query itself is excluded from its neighbours, and queries whose label no
    other item has are skipped (nothing could be right for them).
    """
    values = per_query_precision(sim, labels, k)
    values = values[~np.isnan(values)]
    if values.size == 0:
        raise ValueError("no label occurs twice: precision@k is undefined")
    return float(values.mean())


def per_query_precision(sim: np.ndarray, labels: Sequence[str], k: int) -> np.ndarray:
    """precision@k of every query separately; NaN for a query whose label no other item has.

    ``np.nanmean`` of the result over all queries is :func:`precision_at_k`; over a subset of
    queries it is the precision on that subset (a held-out split, for example).
    """
    sim = np.asarray(sim)
    labels = np.asarray(labels)
    if sim.shape != (len(labels), len(labels)):
        raise ValueError(f"sim must be ({len(labels)}, {len(labels)}), got {sim.shape}")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    out = np.full(len(labels), np.nan)
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    queries = np.flatnonzero(counts[inverse] >= 2)
    if queries.size == 0:
        return out
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
    out[queries] = values
    return out


def best_possible(labels: Sequence[str], k: int) -> float:
    labels = np.asarray(labels)
    vals = [min(k, int((labels == lab).sum()) - 1) / k for lab in labels if (labels == lab).sum() >= 2]
    return float(np.mean(vals))


def random_baseline(labels: Sequence[str]) -> float:
    """Expected precision@k of a random ranking (the same for every k): :func:`query_random_baseline` averaged."""
    per_query = [query_random_baseline(labels, q) for q in range(len(labels))]
    return float(np.mean([v for v in per_query if v is not None]))


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
    sims = {name: cosine_similarity(block) for name, block in blocks.items()}
    if weightings is None:
        weightings = {"combined (equal)": {name: 1.0 for name in blocks}}
    rows = {f"{name} only": sims[name] for name in sims}
    for row_name, w in weightings.items():
        validate_weights(w, known=list(blocks))
        rows[row_name] = weighted_scores(sims, w)
    return precision_table(rows, labels, ks)


# --------------------------------------------------------------------------- late fusion and tuned weights


def precision_table(scores: Mapping[str, np.ndarray], labels: Sequence[str], ks: Sequence[int] = (1, 3)):
    """precision@k of any ``(n, n)`` score matrices, one row each, then the random and best-possible rows.

    Use it to compare rankings that are not weighted cosines (late fusion, for example) on the same
    queries with the same measure as :func:`evaluate`.
    """
    import pandas as pd

    if not scores:
        raise ValueError("precision_table: no score matrices to evaluate")
    table = pd.DataFrame({f"P@{k}": [precision_at_k(s, labels, k) for s in scores.values()] for k in ks},
                         index=list(scores))
    table.loc["random ranking"] = [random_baseline(labels) for _ in ks]
    table.loc["best possible"] = [best_possible(labels, k) for k in ks]
    return table.round(3)


def _ranks(sim: np.ndarray) -> np.ndarray:
    """rank[q, j]: 1 for the item most similar to q, 2 for the next... (q itself ranked last)."""
    s = np.array(sim, dtype=np.float64)
    np.fill_diagonal(s, -np.inf)
    order = np.argsort(-s, axis=1, kind="stable")  # ties: lower index first, as in top_k
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, s.shape[1] + 1)[None, :].repeat(len(s), 0), axis=1)
    return ranks


def reciprocal_rank_fusion(
    sims: Mapping[str, np.ndarray], weights: Mapping[str, float] | None = None, c: float = 60.0
) -> np.ndarray:
    """Late fusion by ranks: ``score[q, j] = sum_m w_m / (c + rank_m(q, j))`` (Cormack et al., 2009).

    Each modality ranks the items on its own (``sims[m]`` is an ``(n, n)`` similarity matrix);
    only the *ranks* are combined, so how confident a modality is (how far apart its scores
    are) no longer matters. ``weights`` default to equal; they are normalised to sum to 1.
    ``c`` (60 in the original paper) damps the difference between the first few ranks.
    """
    if not sims:
        raise ValueError("reciprocal_rank_fusion: no similarity matrices")
    if c < 0:
        raise ValueError(f"c must be >= 0, got {c}")
    fractions = validate_weights(weights if weights is not None else {m: 1.0 for m in sims}, known=list(sims))
    shapes = {np.shape(s) for s in sims.values()}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2 or len(set(next(iter(shapes)))) != 1:
        raise ValueError(f"every similarity matrix must be the same (n, n) shape, got {sorted(shapes)}")
    return sum(f / (c + _ranks(sims[m])) for m, f in fractions.items() if f > 0)


def weight_grid(modalities: Sequence[str], step: float = 0.1) -> list[dict[str, float]]:
    """Every weighting of ``modalities`` in steps of ``step`` that sums to 1 (66 for 3 modalities, 0.1)."""
    n = round(1 / step)
    if n < 1 or not np.isclose(n * step, 1.0):
        raise ValueError(f"step must divide 1 evenly (0.5, 0.25, 0.1, ...), got {step}")
    grid = []
    for parts in itertools.product(range(n + 1), repeat=len(modalities)):
        if sum(parts) == n:
            grid.append({m: round(p / n, 6) for m, p in zip(modalities, parts)})
    return grid


def held_out_comparison(
    sims: Mapping[str, np.ndarray], labels: Sequence[str], k: int = 3,
    baselines: Mapping[str, Mapping[str, float]] | None = None,
    n_splits: int = 20, step: float = 0.1, seed: int = 0,
):
    """Tune weights on half of the queries, measure them on the other half; ``n_splits`` random halvings.

    Per split (one table row): the weights that score best on the *tuning* half (a grid search
    with :func:`weight_grid`; ties go to the first in grid order), their precision@k on the
    tuning half (what you would report if you tuned on your evaluation queries) and on the
    *held-out* half (what you can expect on new queries), and each of ``baselines`` (fixed
    weightings, nothing tuned) on the held-out half. Queries whose label no other item has are
    never used.
    """
    import pandas as pd

    if n_splits < 1:
        raise ValueError(f"n_splits must be >= 1, got {n_splits}")
    grid = weight_grid(list(sims), step)
    per_query = np.array([per_query_precision(weighted_scores(sims, w), labels, k) for w in grid])
    usable = np.flatnonzero(~np.isnan(per_query[0]))
    if len(usable) < 4:
        raise ValueError(f"only {len(usable)} queries have a label that another item shares; need at least 4")
    fixed = {name: per_query_precision(weighted_scores(sims, w), labels, k) for name, w in (baselines or {}).items()}
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n_splits):
        perm = rng.permutation(usable)
        tune, held = perm[: len(perm) // 2], perm[len(perm) // 2:]
        best = int(np.argmax(per_query[:, tune].mean(axis=1)))
        row = {"tuned weights": ", ".join(f"{m} {w:g}" for m, w in grid[best].items()),
               "tuned, on tuning half": per_query[best, tune].mean(),
               "tuned, on held-out half": per_query[best, held].mean()}
        row.update({f"{name}, on held-out half": v[held].mean() for name, v in fixed.items()})
        rows.append(row)
    return pd.DataFrame(rows, index=pd.RangeIndex(1, n_splits + 1, name="split"))


def mixing_curve(
    sims: Mapping[str, np.ndarray], labels: Sequence[str], base: str, other: str, k: int = 3,
    fractions: Sequence[float] = tuple(np.linspace(0, 1, 11)),
) -> np.ndarray:
    """precision@k when ``other`` gets weight ``f`` and ``base`` gets ``1 - f``, for each ``f`` in ``fractions``."""
    for m in (base, other):
        if m not in sims:
            raise KeyError(f"unknown modality {m!r}; known: {', '.join(sims)}")
    return np.array([precision_at_k(weighted_scores(sims, {base: 1 - f, other: f}), labels, k) for f in fractions])


def signal_and_spread(sims: Mapping[str, np.ndarray], labels: Sequence[str]):
    """Per modality: how high its cosines are, how much they vary, and how much of that follows the labels.

    * ``mean cosine``  - average over all pairs of different items
    * ``spread``       - per query, the standard deviation of its cosines to the other items, averaged
    * ``same-label gap`` - mean cosine of pairs with the same label minus that of pairs with different labels
    * ``gap / spread`` - the signal in units of the variation: near 0 means the block reorders items, but
      not by label (noise, at whatever weight it gets)
    """
    import pandas as pd

    labels = np.asarray(labels)
    same = labels[:, None] == labels[None, :]
    off = ~np.eye(len(labels), dtype=bool)
    if not (same & off).any():
        raise ValueError("no label occurs twice: the same-label gap is undefined")
    rows = {}
    for name, s in sims.items():
        s = np.asarray(s, dtype=np.float64)
        if s.shape != same.shape:
            raise ValueError(f"{name}: sim must be {same.shape}, got {s.shape}")
        spread = float(np.mean([np.std(s[q][off[q]]) for q in range(len(s))]))
        gap = float(s[same & off].mean() - s[~same].mean())
        ratio = gap / spread if spread > 0 else 0.0  # a block whose scores never vary cannot reorder anything
        rows[name] = {"mean cosine": s[off].mean(), "spread": spread, "same-label gap": gap, "gap / spread": ratio}
    return pd.DataFrame(rows).T.round(3)


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
