"""Notebook 04's weights widget, driven from Python: sliders in, rankings out, as the maths says."""
from __future__ import annotations

import math

import numpy as np
import pytest

from helpers.similarity import top_k, weighted_scores
from helpers.widgets import WeightExplorer


def synthetic_blocks(n=40, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "text": rng.normal(size=(n, 16)).astype(np.float32),
        "photo": rng.normal(size=(n, 32)).astype(np.float32) * 7.0,  # another scale: normalised inside
        "colour": rng.normal(size=(n, 8)).astype(np.float32),
    }


def expected_ranking(blocks, q, weights, k):
    per = {}
    for m, b in blocks.items():
        b = b / np.linalg.norm(b, axis=1, keepdims=True)
        per[m] = b @ b[q]
    idx, _ = top_k(weighted_scores(per, weights), k, exclude=q)
    return idx.tolist()


@pytest.fixture
def blocks():
    return synthetic_blocks()


@pytest.fixture
def explorer(blocks):
    names = [f"item {i}" for i in range(40)]
    return WeightExplorer(blocks, names, k=5, query=3)


def test_initial_ranking_uses_equal_weights(explorer, blocks):
    assert explorer.weights == {"text": 1.0, "photo": 1.0, "colour": 1.0}
    assert explorer.ranking_indices.tolist() == expected_ranking(blocks, 3, {"text": 1, "photo": 1, "colour": 1}, 5)
    assert explorer.ranking == [f"item {i}" for i in explorer.ranking_indices]
    assert "item 3" not in explorer.ranking


def test_moving_sliders_reranks_as_the_maths_says(explorer, blocks):
    rankings = set()
    for w in ({"text": 1, "photo": 0, "colour": 0}, {"text": 0, "photo": 1, "colour": 0},
              {"text": 0.2, "photo": 0.5, "colour": 0.9}):
        for m, v in w.items():  # one slider at a time, like a user
            explorer.sliders[m].value = v
        assert explorer.ranking_indices.tolist() == expected_ranking(blocks, 3, w, 5), w
        rankings.add(tuple(explorer.ranking))
    assert len(rankings) == 3, "different weights should give different rankings on random data"


def test_text_only_slider_setting_equals_text_only_search(explorer, blocks):
    explorer.set_weights(text=1, photo=0, colour=0)
    text = blocks["text"] / np.linalg.norm(blocks["text"], axis=1, keepdims=True)
    idx, vals = top_k(text @ text[3], 5, exclude=3)
    assert explorer.ranking_indices.tolist() == idx.tolist()
    assert np.allclose(explorer.scores, vals, atol=1e-6)
    assert np.allclose(explorer.contributions["photo"], 0) and np.allclose(explorer.contributions["colour"], 0)


def test_contributions_add_up_and_text_shows_the_ranking(explorer):
    explorer.set_weights(text=0.5, photo=0.25, colour=0.25)
    assert np.allclose(sum(explorer.contributions.values()), explorer.scores, atol=1e-6)
    html = explorer.ranking_html.value
    for name in explorer.ranking:
        assert name in html
    assert html.index(explorer.ranking[0]) < html.index(explorer.ranking[1])
    assert explorer.ranking_text().splitlines()[0].startswith(f"1. {explorer.ranking[0]} (")


def test_query_dropdown_changes_the_query(explorer, blocks):
    explorer.query_dropdown.value = 7
    assert explorer.query == 7
    assert explorer.ranking_indices.tolist() == expected_ranking(blocks, 7, explorer.weights, 5)
    explorer.set_query("item 9")
    assert explorer.query == 9 and "item 9" not in explorer.ranking


def test_set_weights_keeps_unmentioned_sliders_and_rescales_above_one(explorer, blocks):
    explorer.set_weights(text=0.3)
    assert explorer.weights == {"text": 0.3, "photo": 1.0, "colour": 1.0}
    explorer.set_weights(text=4, photo=2, colour=0)
    assert explorer.weights == {"text": 1.0, "photo": 0.5, "colour": 0.0}
    assert explorer.ranking_indices.tolist() == expected_ranking(blocks, 3, {"text": 2, "photo": 1, "colour": 0}, 5)


@pytest.mark.parametrize(
    "bad, exc, message",
    [
        ({"text": -0.5}, ValueError, "negative"),
        ({"photo": math.nan}, ValueError, "finite"),
        ({"colour": math.inf}, ValueError, "finite"),
        ({"text": 0, "photo": 0, "colour": 0}, ValueError, "all weights are zero"),
        ({"smell": 1.0}, KeyError, "unknown modality 'smell'"),
        ({"text": "a lot"}, TypeError, "must be a number"),
    ],
)
def test_bad_weights_raise_clear_errors_and_change_nothing(explorer, bad, exc, message):
    before = (explorer.weights, list(explorer.ranking))
    with pytest.raises(exc, match=message):
        explorer.set_weights(**bad)
    assert (explorer.weights, explorer.ranking) == before


def test_all_sliders_at_zero_shows_a_message_instead_of_a_ranking(explorer):
    for s in explorer.sliders.values():
        s.value = 0.0
    assert explorer.ranking == [] and "all weights are zero" in explorer.error
    assert "No ranking" in explorer.ranking_html.value
    explorer.sliders["colour"].value = 0.4
    assert explorer.error is None and len(explorer.ranking) == 5


def test_constructor_checks(blocks):
    names = [str(i) for i in range(40)]
    with pytest.raises(ValueError, match="names"):
        WeightExplorer(blocks, names[:-1])
    with pytest.raises(ValueError, match="different numbers of rows"):
        WeightExplorer({**blocks, "colour": blocks["colour"][:-1]}, names)
    with pytest.raises(KeyError, match="unknown modality"):
        WeightExplorer(blocks, names, weights={"sound": 1})
    with pytest.raises(ValueError, match="k must be"):
        WeightExplorer(blocks, names, k=40)


def test_view_updates_in_place_one_image_widget(blocks):
    rng = np.random.default_rng(1)
    images = [rng.integers(0, 255, size=(32, 32, 3), dtype=np.uint8) for _ in range(40)]
    ex = WeightExplorer(blocks, [f"item {i}" for i in range(40)], images, groups=["a", "b"] * 20,
                        credits=lambda idx: f"credits for {len(idx)} photos")
    first = ex.image.value
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    n_children = len(ex.widget.children)
    ex.sliders["photo"].value = 0.0
    assert ex.image.value != first and len(ex.widget.children) == n_children
    assert "credits for 6 photos" in ex.credits_html.value


def test_rerank_is_fast_for_10000_items():
    big = synthetic_blocks(n=10_000, seed=2)
    ex = WeightExplorer(big, [str(i) for i in range(10_000)], k=10, query=0)
    times = []
    for v in np.linspace(0.05, 1.0, 20):
        ex.sliders["photo"].value = float(v)
        times.append(ex.last_rerank_ms)
    assert np.median(times) < 100, times
