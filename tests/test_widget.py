"""Notebook 04's weights widget, driven from Python: sliders in, rankings out, as the maths says."""
from __future__ import annotations

import math

import numpy as np
import pytest

from helpers.evaluation import precision_at_k
from helpers.similarity import cosine_similarity, top_k, weighted_scores
from helpers.widgets import WeightedRanker, WeightExplorer


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
    ex = WeightExplorer(blocks, [f"item {i}" for i in range(40)], images, groups=["a", "b"] * 20)
    first = ex.image.value
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    n_children = len(ex.widget.children)
    ex.sliders["photo"].value = 0.0
    assert ex.image.value != first and len(ex.widget.children) == n_children
    for s in ex.sliders.values():  # all zero: the picture says so instead of crashing
        s.value = 0.0
    assert ex.error and ex.image.value[:8] == b"\x89PNG\r\n\x1a\n"


def test_live_precision_matches_the_evaluation_module(blocks):
    groups = ["a", "b", "c", "d"] * 10
    ex = WeightExplorer(blocks, [f"item {i}" for i in range(40)], groups=groups, k=5, query=3)
    sims = {m: cosine_similarity(b) for m, b in blocks.items()}
    for w in ({"text": 1, "photo": 0, "colour": 0}, {"text": 0.2, "photo": 0.9, "colour": 0.4}):
        ex.set_weights(**w)
        expected_mean = precision_at_k(weighted_scores(sims, w), groups, 5)
        top = expected_ranking(blocks, 3, w, 5)
        expected_query = np.mean([groups[i] == groups[3] for i in top])
        assert ex.quality["mean"] == pytest.approx(expected_mean)
        assert ex.quality["query"] == pytest.approx(expected_query)
        html = ex.ranking_html.value
        assert f"P@5 of this query: <b>{expected_query:.2f}</b> (random {9 / 39:.2f})" in html
        assert f"mean P@5 over all queries: <b>{expected_mean:.3f}</b> (random {9 / 39:.3f}" in html


def test_precision_is_undefined_for_a_query_alone_in_its_category(blocks):
    groups = ["a", "b"] * 19 + ["x", "y"]
    ex = WeightExplorer(blocks, [f"item {i}" for i in range(40)], groups=groups, query=38)
    assert ex.quality["query"] is None and "undefined (no other item in its category)" in ex.ranking_html.value
    assert ex.quality["mean"] == pytest.approx(precision_at_k(weighted_scores(
        {m: cosine_similarity(b) for m, b in blocks.items()}, ex.weights), groups, 5))


def test_ranker_without_widgets_ranks_like_the_widget(blocks):
    names = [f"item {i}" for i in range(40)]
    ranker, ex = WeightedRanker(blocks, names, query=5), WeightExplorer(blocks, names, query=5)
    for w in ({"text": 0.1, "photo": 1, "colour": 0.3}, {"colour": 1, "text": 0, "photo": 0}):
        ranker.set_weights(**w)
        ex.set_weights(**w)
        assert ranker.ranking == ex.ranking == [names[i] for i in expected_ranking(blocks, 5, ranker.weights, 5)]
    assert not hasattr(ranker, "widget")


def test_rerank_is_fast_for_10000_items():
    big = synthetic_blocks(n=10_000, seed=2)
    ex = WeightExplorer(big, [str(i) for i in range(10_000)], k=10, query=0)
    times = []
    for v in np.linspace(0.05, 1.0, 20):
        ex.sliders["photo"].value = float(v)
        times.append(ex.last_rerank_ms)
    assert np.median(times) < 100, times


def test_live_precision_is_exactly_the_per_query_definition_ties_included():
    """precision_at_k ranks all rows at once for the slider; it must equal top_k query by query."""
    rng = np.random.default_rng(3)
    for trial in range(40):
        n = int(rng.integers(3, 50))
        labels = np.array([f"c{x}" for x in rng.integers(0, max(1, n // 4), n)])
        sim = rng.normal(size=(n, n)).astype(np.float32)
        if trial % 2:
            sim = np.round(sim)  # many ties at the k-th place
        queries = [q for q in range(n) if (labels == labels[q]).sum() >= 2]
        for k in (1, 3, n + 2):
            if not queries:
                with pytest.raises(ValueError, match="no label occurs twice"):
                    precision_at_k(sim, labels, k)
                continue
            by_query = [np.mean(labels[top_k(sim[q], k, exclude=q)[0]] == labels[q]) for q in queries]
            assert precision_at_k(sim, labels, k) == float(np.mean(by_query)), (trial, k)


def test_static_figure_rows_can_each_carry_their_own_query(blocks):
    """Notebook 04's static figure of the scenarios (the widget's stand-in in HTML/GitHub): one row per query."""
    import matplotlib.pyplot as plt

    from helpers import plots as P
    from helpers.catalog import Item
    from helpers.retrieval import search

    items = [Item(id=f"i{i}", image="x", name=f"item {i}", category="ab"[i % 2], attribute_names=(),
                  attribute_values=()) for i in range(40)]
    images = [np.full((8, 8, 3), 10 * (i % 25), dtype=np.uint8) for i in range(40)]
    rows = {"first, equal": ("i0", {"text": 1, "photo": 1, "colour": 1}), "second, photo": ("item 7", {"photo": 1})}
    fig = P.neighbour_grid(items, blocks, None, rows, k=3, images=images)
    for r, (q, w) in enumerate([(0, rows["first, equal"][1]), (7, {"photo": 1})]):
        first = fig.axes[r * 4]
        hits = sum(items[i].category == items[q].category for i in search(blocks, q, w, 3)[0])
        assert first.get_title() == f"query: item {q}"
        assert f"{hits}/3 same category" in first.get_ylabel()
    plt.close(fig)


def test_the_widget_tree_serialises_for_the_front_end_under_this_ipywidgets(blocks):
    """What Colab's front end (ipywidgets 7.7) or JupyterLab's (8.x) receives: every model's state, slider moves
    included.

    `make test` runs this with ipywidgets 8, `make test-colab` with Colab's 7.7.1.
    """
    import ipywidgets
    from ipywidgets.embed import embed_data

    rng = np.random.default_rng(4)
    images = [rng.integers(0, 255, size=(16, 16, 3), dtype=np.uint8) for _ in range(40)]
    ex = WeightExplorer(blocks, [f"item {i}" for i in range(40)], images, groups=["a", "b"] * 20, query=2)
    ex.sliders["text"].value = 0.25  # a user's move, through the slider's observer
    data = embed_data(views=[ex.widget])
    states = {mid: m["state"] for mid, m in data["manager_state"]["state"].items()}
    assert data["view_specs"][0]["model_id"] == ex.widget.model_id
    assert states[ex.sliders["text"].model_id]["value"] == 0.25
    assert states[ex.ranking_html.model_id]["value"] == ex.ranking_html.value and ex.ranking[0] in ex.ranking_html.value
    assert states[ex.query_dropdown.model_id]["index"] == 2
    major = int(ipywidgets.__version__.split(".")[0])
    assert major in (7, 8), ipywidgets.__version__
    versions = {m["model_module_version"] for m in data["manager_state"]["state"].values()
                if m["model_module"] == "@jupyter-widgets/controls"}
    assert versions == {"1.5.0" if major == 7 else "2.0.0"}, versions
