"""Checks for notebook 04's exercises (weighting embeddings)."""
from __future__ import annotations

import numpy as np

from ..retrieval import per_modality_scores, rank
from ..similarity import combine, weighted_scores
from . import Wrong, as_array, attempt, exercise

__all__ = ["check_fractions", "check_weighted_concat", "check_weighted_scores"]


@exercise(4, "a fixed-weight index")
def check_weighted_concat(weighted_concat, blocks: dict[str, np.ndarray], weights: dict[str, float]) -> str:
    """``weighted_concat(blocks, weights)``: rows normalised per block, scaled by sqrt(w / sum w), concatenated."""
    rng = np.random.default_rng(10)
    unseen = {"text": rng.normal(size=(5, 4)) * 3, "image": rng.normal(size=(5, 3)), "colour": rng.normal(size=(5, 2))}
    w = {"text": 0.5, "image": 0.3, "colour": 0.2}
    want = combine({k: v.astype(np.float32) for k, v in unseen.items()}, w)
    got = as_array(attempt(weighted_concat, {k: v.copy() for k, v in unseen.items()}, dict(w)), want.shape,
                   "one row per item, the blocks side by side")
    unit = {k: v / np.linalg.norm(v, axis=1, keepdims=True) for k, v in unseen.items()}
    if np.allclose(got, np.concatenate([w[k] * unit[k] for k in unseen], axis=1), atol=1e-4):
        raise Wrong("a cosine multiplies two vectors, so each weight counts twice: scale by sqrt(w / sum of w)")
    if not np.allclose(got, want, atol=1e-4):
        raise Wrong("each block: rows to length 1, times sqrt(its weight / the sum of the weights); then concatenate")
    index = np.asarray(weighted_concat(blocks, weights), dtype=np.float64)
    scores = index @ index.T
    np.fill_diagonal(scores, -np.inf)   # a product is not its own neighbour
    same = sum(set(np.argsort(-scores[q], kind="stable")[:5]) == set(rank(per_modality_scores(blocks, q), weights, 5,
                                                                          exclude=q)[0]) for q in range(len(index)))
    return f"{index.shape[0]} items, {index.shape[1]}-d, rows of length {np.linalg.norm(index, axis=1).mean():.3f}; " \
           f"the index's top 5 = the query-time top 5 for {same} of {len(index)} queries"


@exercise(6, "query-time weights")
def check_weighted_scores(my_weighted_scores, per_block: dict[str, np.ndarray], weights: dict[str, float]) -> str:
    """``my_weighted_scores(per_block, weights)``: sum over blocks of (w / sum of w) × that block's scores."""
    rng = np.random.default_rng(11)
    unseen = {k: rng.uniform(-1, 1, size=7) for k in ("text", "image", "colour")}
    w = {"text": 2.0, "image": 1.0, "colour": 1.0}
    want = weighted_scores(unseen, w)
    got = as_array(attempt(my_weighted_scores, dict(unseen), dict(w)), want.shape, "one score per item")
    if np.allclose(got, sum(w[k] * unseen[k] for k in w), atol=1e-5):
        raise Wrong("divide each weight by the sum of the weights, so that the scores stay cosines")
    if not np.allclose(got, want, atol=1e-5):
        raise Wrong("score = sum over blocks of (weight / sum of weights) × the block's score")
    mine = np.asarray(my_weighted_scores(per_block, weights))
    return f"same ranking as helpers.similarity.weighted_scores: " \
           f"{bool(np.array_equal(np.argsort(-mine), np.argsort(-weighted_scores(per_block, weights))))}"


@exercise(7, "weights that make no sense")
def check_fractions(fractions, weights: dict[str, float]) -> str:
    """``fractions(weights)``: each weight / their sum; ValueError for a negative weight or all weights 0."""
    got = attempt(fractions, {"a": 3.0, "b": 1.0, "c": 0.0})
    if not isinstance(got, dict) or set(got) != {"a", "b", "c"}:
        raise Wrong("return a dict with the same names as the weights")
    if not np.allclose([got["a"], got["b"], got["c"]], [0.75, 0.25, 0.0]):
        raise Wrong("each weight divided by the sum of all weights")
    for bad, why in (({"a": -1.0, "b": 2.0}, "a negative weight"), ({"a": 0.0, "b": 0.0}, "weights that are all 0")):
        try:
            fractions(bad)
        except ValueError:
            continue
        except Exception as exc:  # noqa: BLE001 - the learner's code: name what it raised
            raise Wrong(f"{why} should raise ValueError, not {type(exc).__name__}") from None
        raise Wrong(f"{why} must raise ValueError with a message that says what to fix")
    return "fractions " + ", ".join(f"{k} {v:.2f}" for k, v in fractions(weights).items())
