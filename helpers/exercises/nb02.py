"""Checks for notebook 02's exercises (visual embeddings)."""
from __future__ import annotations

import numpy as np

from . import Wrong, as_array, as_number, attempt, exercise

__all__ = ["check_concept_vector", "check_mirror_similarity", "check_within_between"]


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


@exercise(2, "invariances")
def check_mirror_similarity(similarity, model, image) -> str:
    """``similarity``: the cosine similarity of ``image`` (a PIL image) and its mirror image under ``model``."""
    from PIL import ImageOps

    answer = as_number(similarity, "a cosine similarity between -1 and 1")
    a, b = _unit(model.encode([image, ImageOps.mirror(image)], progress=False))
    cos = float(a @ b)
    if abs(answer - cos) < 1e-3:
        return f"{cos:.3f}: a mirrored photo stays next to the original ({model.name})"
    if abs(answer - (1 - cos)) < 1e-3:
        raise Wrong("that is the distance (1 - similarity): give the similarity")
    raise Wrong("embed the photo and ImageOps.mirror(photo) with the same model, then take the cosine")


@exercise(3, "within and between")
def check_within_between(within_between, embeddings: dict[str, np.ndarray], is_cat) -> str:
    """``within_between(emb, is_cat)``: (mean cosine over pairs of different cats, mean cosine cat vs dog)."""
    rng = np.random.default_rng(2)
    unseen, mask = rng.normal(size=(7, 5)) + 1.0, np.array([1, 0, 1, 1, 0, 0, 1], dtype=bool)
    sim = _unit(unseen) @ _unit(unseen).T
    cc = sim[np.ix_(mask, mask)]
    want = (cc[~np.eye(mask.sum(), dtype=bool)].mean(), sim[np.ix_(mask, ~mask)].mean())
    got = as_array(attempt(within_between, unseen.copy(), mask.copy()), (2,), "two numbers: cat-cat, cat-dog")
    if np.allclose(got, want, atol=1e-6):
        return "; ".join(f"{name}: cat-cat {a:.3f}, cat-dog {b:.3f}, gap {a - b:.3f}" for name, (a, b) in
                         ((n, within_between(e, np.asarray(is_cat, dtype=bool))) for n, e in embeddings.items()))
    if np.isclose(got[0], cc.mean(), atol=1e-6):
        raise Wrong("cat-cat: leave out each photo's similarity with itself (the diagonal)")
    raise Wrong("cosine of every pair of different cats, averaged; then of every (cat, dog) pair, averaged")


@exercise(4, "query by concept")
def check_concept_vector(concept_vector, emb, is_cat) -> str:
    """``concept_vector(emb)``: the mean of the rows, normalised to length 1."""
    unseen = np.random.default_rng(6).normal(size=(5, 4)) * np.array([[1], [4], [1], [2], [1]])
    got = as_array(attempt(concept_vector, unseen.copy()), (4,), "one vector")
    if np.allclose(got, unseen.mean(axis=0), atol=1e-6) or np.allclose(got, unseen.sum(axis=0), atol=1e-6):
        raise Wrong("normalise the mean to length 1")
    if np.allclose(got, _unit(_unit(unseen).mean(axis=0)), atol=1e-6):
        return _search_line(concept_vector, emb, is_cat)
    if np.allclose(got, _unit(unseen.mean(axis=0)), atol=1e-6):
        return _search_line(concept_vector, emb, is_cat) + " (the rows were averaged as given: fine for unit rows)"
    raise Wrong("average the (unit) rows, then divide by the length of the average")


def _search_line(concept_vector, emb, is_cat) -> str:
    """Leave one cat out: the concept of the other cats, and each other cat alone, search the whole collection.

    The other cats are left out of the results (no circular hit): the held-out cat's rank is where it comes among
    itself and the photos that are not cats, 1 being the best.
    """
    emb, cats = _unit(emb), np.flatnonzero(np.asarray(is_cat, dtype=bool))

    def rank(scores: np.ndarray, used: list[int], held: int) -> int:   # the held-out cat's place, ``used`` left out
        scores = scores.copy()
        scores[used] = -np.inf
        return int((scores > scores[held]).sum()) + 1

    concept, single, nearest = [], [], []
    for held in cats:
        others = [int(i) for i in cats if i != held]
        concept.append(rank(emb @ np.asarray(concept_vector(emb[others]), dtype=np.float64), others, held))
        single += [rank(emb @ emb[i], others, held) for i in others]
        nearest.append(rank((emb @ emb[others].T).max(axis=1), others, held))   # best of the others: no average
    return (f"a held-out cat's rank among {len(emb) - len(cats) + 1} photos: {', '.join(map(str, concept))} for the "
            f"concept of the other {len(cats) - 1} cats (mean {np.mean(concept):.2f}); mean {np.mean(single):.2f} "
            f"for one other cat alone; mean {np.mean(nearest):.2f} for the nearest of the {len(cats) - 1} (no average)")
