"""Checks for notebook 03's exercises (combining embeddings). Prepared before the notebook's rewrite (issue 17)."""
from __future__ import annotations

import numpy as np

from ..evaluation import precision_at_k, random_baseline
from ..similarity import combine
from . import Wrong, as_array, as_number, attempt, exercise

__all__ = ["check_centre_block", "check_equal_mix", "check_precision_at_k"]


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


@exercise(4, "a finer answer key")
def check_precision_at_k(my_precision_at_k, sims: dict[str, np.ndarray], labels, k: int = 3) -> str:
    """``my_precision_at_k(sim, labels, k)``: mean share of each item's k nearest others that share its label."""
    rng = np.random.default_rng(1)
    unseen = rng.normal(size=(9, 9))
    unseen = (unseen + unseen.T) / 2 + 3 * np.eye(9)
    lab = ["a", "a", "b", "b", "b", "c", "c", "d", "a"]   # "d" occurs once: nothing can be right for it
    got = as_number(attempt(my_precision_at_k, unseen.copy(), list(lab), 2), "one precision between 0 and 1")
    if abs(got - precision_at_k(unseen, lab, 2)) > 1e-6:
        with_self = np.mean([np.mean([lab[j] == lab[i] for j in np.argsort(-unseen[i])[:2]]) for i in range(9)])
        if abs(got - with_self) < 1e-6:
            raise Wrong("leave the query itself out of its own neighbours")
        raise Wrong("per query: the share of its k nearest *other* items with its label; skip a query whose "
                    "label no other item has; then the mean over queries")
    return f"precision@{k} " + ", ".join(f"{n} {my_precision_at_k(s, labels, k):.3f}" for n, s in sims.items()) + \
        f" (random: {random_baseline(labels):.3f})"


@exercise(5, "spread, not length")
def check_centre_block(centre_block, blocks: dict[str, np.ndarray]) -> str:
    """``centre_block(b)``: subtract the block's mean row, then normalise every row (a new array)."""
    unseen = np.random.default_rng(8).normal(size=(6, 3)) + np.array([5.0, -2.0, 1.0])
    given = unseen.copy()
    got = as_array(attempt(centre_block, given), unseen.shape, "the same shape as the block")
    if not np.array_equal(given, unseen):
        raise Wrong("do not change the block you are given: `b = b - b.mean(axis=0)` makes a new one")
    if not np.allclose(got, _unit(unseen - unseen.mean(axis=0)), atol=1e-6):
        raise Wrong("subtract the mean of all rows (axis=0), then divide each row by its length")
    def pairs(x: np.ndarray) -> float:   # mean cosine over pairs of two different items (no self-pairs)
        cos = np.asarray(x) @ np.asarray(x).T
        return float(cos[~np.eye(len(cos), dtype=bool)].mean())

    mean_cos = {n: pairs(_unit(b)) for n, b in blocks.items()}
    after = {n: pairs(centre_block(np.array(b))) for n, b in blocks.items()}
    return "mean cosine of pairs of two products, before -> after: " + ", ".join(
        f"{n} {mean_cos[n]:.3f} -> {after[n]:.3f}" for n in blocks)


@exercise(8, "equal mix by hand")
def check_equal_mix(equal_mix, blocks: dict[str, np.ndarray]) -> str:
    """``equal_mix(blocks)``: normalise each block, concatenate, scale so that the rows have length 1."""
    rng = np.random.default_rng(9)
    unseen = {"a": rng.normal(size=(4, 3)) * 5, "b": rng.normal(size=(4, 2)), "c": rng.normal(size=(4, 6))}
    want = combine({k: v.astype(np.float32) for k, v in unseen.items()}, dict.fromkeys(unseen, 1.0))
    got = as_array(attempt(equal_mix, {k: v.copy() for k, v in unseen.items()}), want.shape,
                   "one row per item, the blocks side by side")
    if np.allclose(got, np.concatenate(list(unseen.values()), axis=1), atol=1e-5):
        raise Wrong("normalise each block's rows first, or the longest vectors decide alone")
    if np.allclose(got * np.sqrt(len(unseen)), want, atol=1e-4) or np.allclose(got, want * np.sqrt(3), atol=1e-4):
        raise Wrong("the combined rows must have length 1: divide by the square root of the number of blocks")
    if not np.allclose(got, want, atol=1e-4):
        raise Wrong("each block's rows to length 1, then concatenated in the order given, then / sqrt(#blocks)")
    mix = np.asarray(equal_mix(blocks))
    per = np.mean([_unit(b) @ _unit(b).T for b in blocks.values()], axis=0)
    return f"cosine of the mix = mean of the blocks' cosines: max difference {np.abs(mix @ mix.T - per).max():.1e}"
