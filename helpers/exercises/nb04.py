"""Checks for notebook 04's exercises (weighting embeddings)."""
from __future__ import annotations

import numpy as np

from ..retrieval import search
from ..similarity import top_k
from . import Wrong, attempt, exercise

__all__ = ["check_block_pull", "check_fractions", "check_photo_edge"]


def _top(scores: dict[str, np.ndarray], weights: dict[str, float], query: int, k: int) -> set[int]:
    total = sum(weights.values())
    s = sum(w / total * np.asarray(scores[m], dtype=np.float64) for m, w in weights.items() if w > 0)
    return set(top_k(s, k, exclude=query)[0].tolist())


def _pull(per_block: dict[str, np.ndarray], weights: dict[str, float], query: int, k: int = 5) -> dict[str, int]:
    full = _top(per_block, weights, query, k)
    return {m: k - len(full & _top(per_block, {**weights, m: 0.0}, query, k)) for m, w in weights.items() if w > 0}


@exercise(3, "which block drives this ranking")
def check_block_pull(block_pull, per_block: dict[str, np.ndarray], weightings: dict[str, dict[str, float]],
                     query: int) -> str:
    """``block_pull(per_block, weights, query)``: {block: items of the top 5 replaced when its weight is set to 0}."""
    rng = np.random.default_rng(11)
    unseen = {k: rng.uniform(-1, 1, size=12) for k in ("text", "photo", "colour")}
    unseen = {k: np.where(np.arange(12) == 4, 1.0, v) for k, v in unseen.items()}   # item 4 is the query: 1 with itself
    w = {"text": 2.0, "photo": 1.0, "colour": 1.0}
    want = _pull(unseen, w, 4)
    got = attempt(block_pull, {k: v.copy() for k, v in unseen.items()}, dict(w), 4)
    if not isinstance(got, dict) or set(got) != set(want):
        raise Wrong("return a dict with one number per block of positive weight")
    got = {k: float(v) for k, v in got.items()}
    kept = {m: 5 - want[m] for m in want}
    alone = {m: 5 - len(_top(unseen, w, 4, 5) & _top(unseen, {m: 1.0}, 4, 5)) for m in want}
    if kept != want and all(abs(got[m] - kept[m]) < 1e-9 for m in want):
        raise Wrong("count the items that leave the top 5 (those replaced), not those that stay")
    if alone != want and all(abs(got[m] - alone[m]) < 1e-9 for m in want):
        raise Wrong("drop the one block (its weight 0, the others kept), rather than ranking by that block alone")
    if any(abs(got[m] - want[m]) > 1e-9 for m in want):
        raise Wrong("rank by the weighted sum with all the weights, and again with this block's weight 0 (the "
                    "query left out both times); count the top-5 items of the first that are not in the second")
    return "; ".join(f"{name}: " + ", ".join(f"{m} {v}" for m, v in block_pull(per_block, ws, query).items())
                     for name, ws in weightings.items())


@exercise(5, "weights that make no sense")
def check_fractions(fractions, weights: dict[str, float]) -> str:
    """``fractions(weights)``: each weight / their sum; ValueError for a negative weight or all weights 0."""
    got = attempt(fractions, {"a": 3.0, "b": 1.0, "c": 0.0})
    if not isinstance(got, dict) or set(got) != {"a", "b", "c"}:
        raise Wrong("return a dict with the same names as the weights")
    if not np.allclose([got["a"], got["b"], got["c"]], [0.75, 0.25, 0.0]):
        raise Wrong("each weight divided by the sum of all weights")
    for bad, why, named in (({"text": 2.0, "photo": -1.0}, "a negative weight", ("photo",)),
                            ({"text": 0.0, "photo": 0.0}, "weights that are all 0", ("0", "zero"))):
        try:
            fractions(bad)
        except ValueError as exc:
            if not any(word in str(exc) for word in named):
                raise Wrong(f"for {why} the message must say what to fix (name the block, or say all are 0); "
                            f"got {str(exc)!r}") from None
            continue
        except Exception as exc:  # noqa: BLE001 - the learner's code: name what it raised
            raise Wrong(f"{why} should raise ValueError, not {type(exc).__name__}") from None
        raise Wrong(f"{why} must raise ValueError with a message that says what to fix")
    return "fractions " + ", ".join(f"{k} {v:.2f}" for k, v in fractions(weights).items())


def _photo_edge(blocks: dict[str, np.ndarray], labels, query: int, k: int = 5) -> float | None:
    labels = np.asarray(labels)

    def precision(p: float) -> float:
        return float(np.mean(labels[search(blocks, query, {"text": 1 - p, "photo": p}, k)[0]] == labels[query]))

    start = precision(0.0)
    return next((p / 10 for p in range(1, 11) if precision(p / 10) < start), None)


@exercise(2, "how low must the photo go")
def check_photo_edge(photo_edge, blocks: dict[str, np.ndarray], labels, queries: dict[str, int]) -> str:
    """``photo_edge(blocks, labels, query)``: the first photo weight p (text 1 - p, steps of 0.1) at which the
    query's precision@5 falls below text alone's; None if it never does."""
    rng = np.random.default_rng(13)
    unseen_labels = np.repeat(list("abcdef"), 4)
    text = np.eye(6)[np.searchsorted(list("abcdef"), unseen_labels)] + rng.normal(scale=0.3, size=(24, 6))
    unseen = {"text": text, "photo": rng.normal(size=(24, 5))}
    query = int(next(q for q in range(24) if _photo_edge(unseen, unseen_labels, q) not in (None, 0.1)))
    want = _photo_edge(unseen, unseen_labels, query)
    got = attempt(photo_edge, {k: v.copy() for k, v in unseen.items()}, list(unseen_labels), query)
    if got is None or isinstance(got, (bool, str)) or not np.isscalar(got):
        raise Wrong(f"return the photo weight as a number (here one exists), got {got!r}")
    if abs(float(got) - (want - 0.1)) < 1e-6:
        raise Wrong("return the first weight at which precision@5 drops, not the last one before it")
    if abs(float(got) - want) > 1e-6:
        raise Wrong("for p = 0.1, 0.2, ..., 1 weigh text 1 - p and photo p; return the first p whose precision@5 "
                    "is below that at p = 0")
    return ", ".join(f"{name}: {photo_edge(blocks, labels, q)}" for name, q in queries.items())
