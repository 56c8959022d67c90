"""The similarity maths: cosine, top-k and combining weighted blocks."""
import math

import numpy as np
import pytest

from helpers.similarity import (
    combine,
    contributions,
    cosine_similarity,
    normalize,
    top_k,
    validate_weights,
    weighted_scores,
)

rng = np.random.default_rng(0)


def test_self_similarity_is_one_and_matrix_is_symmetric_and_bounded():
    x = rng.normal(size=(20, 16)) * rng.uniform(0.1, 50, size=(20, 1))  # very different norms
    s = cosine_similarity(x)
    assert s.shape == (20, 20)
    np.testing.assert_allclose(np.diag(s), 1.0, atol=1e-6)
    np.testing.assert_allclose(s, s.T, atol=1e-7)
    assert s.min() >= -1.0 and s.max() <= 1.0


def test_cosine_matches_the_textbook_formula_and_ignores_scale():
    a, b = rng.normal(size=8), rng.normal(size=8)
    expected = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
    assert cosine_similarity(a, b)[0, 0] == pytest.approx(expected, abs=1e-6)
    assert cosine_similarity(3 * a, 0.01 * b)[0, 0] == pytest.approx(expected, abs=1e-6)
    assert cosine_similarity(a, -a)[0, 0] == pytest.approx(-1.0, abs=1e-6)


def test_zero_or_nan_rows_raise_naming_the_row():
    x = rng.normal(size=(4, 3))
    x[2] = 0
    with pytest.raises(ValueError, match="row 2"):
        cosine_similarity(x)
    x[2] = [1, np.nan, 0]
    with pytest.raises(ValueError, match="row 2.*NaN"):
        normalize(x)


def test_dimension_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match="dimension mismatch"):
        cosine_similarity(np.ones((2, 3)), np.ones((2, 4)))


def test_top_k_order_exclusion_and_ties():
    scores = np.array([0.1, 0.9, 0.5, 0.9, -0.2, 0.7])
    idx, val = top_k(scores, k=3)
    assert idx.tolist() == [1, 3, 5]  # tie 0.9/0.9 broken by lower index first
    np.testing.assert_allclose(val, [0.9, 0.9, 0.7])
    idx, _ = top_k(scores, k=3, exclude=1)
    assert idx.tolist() == [3, 5, 2]
    idx, _ = top_k(scores, k=100, exclude=[0, 1])
    assert len(idx) == 4 and 0 not in idx and 1 not in idx
    assert top_k(scores, k=0)[0].size == 0


def test_top_k_agrees_with_full_sort_on_large_input():
    s = rng.normal(size=10_000)
    idx, val = top_k(s, k=10)
    np.testing.assert_array_equal(idx, np.argsort(-s)[:10])
    assert np.all(np.diff(val) <= 0)


def test_combine_equals_weighted_average_of_block_cosines():
    n = 12
    blocks = {"text": rng.normal(size=(n, 384)), "photo": rng.normal(size=(n, 1280)) * 40,
              "colour": rng.normal(size=(n, 7))}
    weights = {"text": 2.0, "photo": 1.0, "colour": 0.5}
    c = combine(blocks, weights)
    total = sum(weights.values())
    expected = sum(w / total * cosine_similarity(blocks[m]) for m, w in weights.items())
    np.testing.assert_allclose(c @ c.T, expected, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(c, axis=1), 1.0, atol=1e-6)


def test_combine_zero_weight_drops_block_and_single_block_is_plain_cosine():
    blocks = {"a": rng.normal(size=(5, 4)), "b": rng.normal(size=(5, 6))}
    c = combine(blocks, {"a": 1.0, "b": 0.0})
    assert c.shape == (5, 4)
    np.testing.assert_allclose(c @ c.T, cosine_similarity(blocks["a"]), atol=1e-6)


@pytest.mark.parametrize(
    "weights, exc, match",
    [
        ({"a": -1.0, "b": 1.0}, ValueError, "'a' is negative"),
        ({"a": math.nan, "b": 1.0}, ValueError, "'a' is nan"),
        ({"a": math.inf}, ValueError, "finite"),
        ({"a": 0.0, "b": 0.0}, ValueError, "all weights are zero"),
        ({"a": 1.0, "sound": 1.0}, KeyError, "unknown modality 'sound'"),
        ({"a": "heavy"}, TypeError, "must be a number"),
        ({}, ValueError, "empty"),
    ],
)
def test_bad_weights_are_rejected_by_name(weights, exc, match):
    blocks = {"a": np.ones((2, 3)), "b": np.ones((2, 2))}
    with pytest.raises(exc, match=match):
        combine(blocks, weights)


def test_combine_rejects_blocks_of_different_lengths():
    with pytest.raises(ValueError, match="different numbers of rows"):
        combine({"a": np.ones((2, 3)), "b": np.ones((3, 3))}, {"a": 1, "b": 1})


def test_weighted_scores_and_contributions_add_up():
    per = {"a": rng.uniform(-1, 1, 50), "b": rng.uniform(-1, 1, 50)}
    w = {"a": 3, "b": 1}
    total = weighted_scores(per, w)
    np.testing.assert_allclose(total, 0.75 * per["a"] + 0.25 * per["b"], atol=1e-6)
    parts = contributions(per, w)
    np.testing.assert_allclose(parts["a"] + parts["b"], total, atol=1e-6)
    assert validate_weights({"x": 2, "y": 6}) == {"x": 0.25, "y": 0.75}
