"""Checks for notebook 01's exercises (text embeddings).

Each takes the learner's answer, then what it needs from the notebook, passed explicitly by the starter cell.
"""
from __future__ import annotations

import numpy as np

from . import Wrong, as_array, as_number, attempt, exercise

__all__ = ["check_mean_pair_similarity", "check_nearest", "check_negation_similarity"]


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


# What the check judges the learner's number against, never shown in the notebook: a paraphrase of the exercise's
# sentence (keyed by that sentence) and a sentence on another subject.
HELD_OUT_PARAPHRASE = {"The cat sleeps on the sofa.": "The cat is asleep on the couch."}
HELD_OUT_UNRELATED = "The train to Leeds leaves at noon."


def _negation_verdict(value: float, unrelated: float, paraphrase: tuple[str, float] | None) -> str:
    """Where the negation's score sits: above a paraphrase, nearer a paraphrase's score or an unrelated one's."""
    if paraphrase is not None and value >= paraphrase[1]:
        return (f"{value:.3f}, above a paraphrase the notebook never showed ({paraphrase[0]!r}: {paraphrase[1]:.3f}): "
                "to this model the negation is closer to the original than a rewording of it")
    if paraphrase is not None:
        nearer = "a paraphrase" if value - unrelated > paraphrase[1] - value else "an unrelated sentence"
        return (f"{value:.3f}, between a paraphrase ({paraphrase[1]:.3f}) and an unrelated sentence ({unrelated:.3f}), "
                f"nearer {nearer}'s score")
    nearer = "a paraphrase" if value > unrelated + 0.5 else "an unrelated sentence"
    return f"{value:.3f}, against {unrelated:.3f} for an unrelated sentence: it scores like {nearer}"


@exercise(1, "negation")
def check_negation_similarity(similarity, model, sentence: str, negated: str) -> str:
    """``similarity``: the cosine similarity of ``sentence`` and ``negated`` under ``model``.

    The verdict places the learner's number against held-out sentences the check embeds itself: a paraphrase of
    ``sentence`` (when :data:`HELD_OUT_PARAPHRASE` has one) and an unrelated sentence.
    """
    answer = as_number(similarity, "a cosine similarity between -1 and 1")
    paraphrase = HELD_OUT_PARAPHRASE.get(sentence)
    vecs = _unit(model.encode([sentence, negated, HELD_OUT_UNRELATED] + ([paraphrase] if paraphrase else [])))
    cos, unrelated, *para = (float(vecs[0] @ v) for v in vecs[1:])
    if abs(answer - cos) < 1e-3:
        return _negation_verdict(answer, unrelated, (paraphrase, para[0]) if paraphrase else None)
    if abs(answer - (1 - cos)) < 1e-3:
        raise Wrong("that is the cosine distance (1 - similarity): give the similarity")
    if abs(answer - 100 * cos) < 0.1:
        raise Wrong("give the cosine as a number between -1 and 1, not a percentage")
    raise Wrong("embed both sentences with the same model and take the cosine of the two vectors")


@exercise(3, "all pairs")
def check_mean_pair_similarity(mean_pair_similarity, embeddings: dict[str, np.ndarray]) -> str:
    """``mean_pair_similarity(emb)``: from embeddings (one row per text, rows need not be unit), the mean cosine
    over all pairs of different rows; ``embeddings`` maps a name to the embeddings to print it for."""
    unseen = np.random.default_rng(3).normal(size=(6, 4)) * np.arange(1, 7)[:, None] + 0.5
    sim = _unit(unseen) @ _unit(unseen).T
    got = as_number(attempt(mean_pair_similarity, unseen.copy()), "one mean similarity")
    if abs(got - sim[~np.eye(6, dtype=bool)].mean()) < 1e-6:
        return "; ".join(f"{name}: {mean_pair_similarity(emb):.3f}" for name, emb in embeddings.items())
    if abs(got - sim.mean()) < 1e-6:
        raise Wrong("leave out each row's similarity with itself (the diagonal, always 1)")
    if abs(got - (unseen @ unseen.T)[~np.eye(6, dtype=bool)].mean()) < 1e-6:
        raise Wrong("cosine, not dot product: divide each row by its length first")
    raise Wrong("the cosine of every pair of different rows, averaged")


@exercise(7, "top matches by hand")
def check_nearest(nearest, query_vec, corpus_emb, texts) -> str:
    """``nearest(query, corpus, k)``: the indices of the ``k`` rows of ``corpus`` most similar to ``query``."""
    rng = np.random.default_rng(4)
    corpus, query = rng.normal(size=(12, 5)) * rng.uniform(0.2, 3, size=(12, 1)), rng.normal(size=5)
    want = np.argsort(-(_unit(corpus) @ _unit(query)), kind="stable")[:3]
    got = as_array(attempt(nearest, query.copy(), corpus.copy(), 3), (3,), "k indices, best first")
    if np.array_equal(got, np.argsort(-(corpus @ query), kind="stable")[:3]) and not np.array_equal(got, want):
        raise Wrong("cosine, not dot product: a long vector must not win by its length")
    if np.array_equal(got, np.argsort(_unit(corpus) @ _unit(query), kind="stable")[:3]):
        raise Wrong("best first: sort the similarities from high to low")
    if not np.array_equal(got, want):
        raise Wrong("k indices of the rows, the most similar first" if set(got) != set(want) else
                    "the right rows, in the wrong order: the most similar first")
    return ", ".join(repr(texts[int(i)]) for i in nearest(query_vec, corpus_emb, 3))
