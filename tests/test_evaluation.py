"""Measuring retrieval: late fusion (reciprocal rank fusion), per-query precision, tuning on a held-out split.

Small hand-made cases pin the arithmetic; the store with the offline preset's real models checks the
claims notebook 03 makes (their numbers are printed with ``-s``, not asserted as magic values).
"""
from __future__ import annotations

import numpy as np
import pytest

from helpers import catalog as C
from helpers import evaluation as E
from helpers.similarity import cosine_similarity, weighted_scores

LABELS = ["a", "a", "b", "b", "c"]
SIM = np.array([
    [1, .9, .1, .1, .1],
    [.9, 1, .1, .8, .1],
    [.1, .1, 1, .2, .9],
    [.1, .8, .2, 1, .1],
    [.1, .1, .9, .1, 1],
])


def test_precision_at_k_by_hand():
    # queries 0..3 (label c occurs once, so query 4 is skipped); top-1: 1 ok, 0 ok, 4 wrong, 1 wrong
    assert E.precision_at_k(SIM, LABELS, 1) == pytest.approx(0.5)
    # top-2: {1,2|3|4} -> q0: {1, x} 1/2, q1: {0,3} 1/2, q2: {4,3} 1/2, q3: {1,2} 1/2
    assert E.precision_at_k(SIM, LABELS, 2) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="undefined"):
        E.precision_at_k(np.eye(3), ["a", "b", "c"], 1)


def test_per_query_precision_by_hand_and_its_mean_is_precision_at_k():
    got = E.per_query_precision(SIM, LABELS, 1)
    # q0 -> 1 (a, right), q1 -> 0 (a, right), q2 -> 4 (c, wrong), q3 -> 1 (a, wrong), q4: its label is unique
    assert np.array_equal(np.isnan(got), [False, False, False, False, True])
    assert got[:4].tolist() == [1.0, 1.0, 0.0, 0.0]
    for k in (1, 2, 3):
        assert np.nanmean(E.per_query_precision(SIM, LABELS, k)) == pytest.approx(E.precision_at_k(SIM, LABELS, k))
    with pytest.raises(ValueError, match=r"sim must be \(5, 5\)"):
        E.per_query_precision(SIM[:4], LABELS, 1)


def test_reciprocal_rank_fusion_by_hand():
    a = np.array([[0, 3, 2, 1], [3, 0, 2, 1], [3, 2, 0, 1], [3, 2, 1, 0]], dtype=float)
    b = np.array([[0, 1, 2, 3], [1, 0, 2, 3], [1, 2, 0, 3], [1, 2, 3, 0]], dtype=float)
    fused = E.reciprocal_rank_fusion({"a": a, "b": b}, c=1)
    # query 0: a ranks 1,2,3 -> 1,2,3; b ranks 3,2,1 -> ranks 3,2,1; each modality weighs 1/2
    expected = [0.5 / (1 + 1) + 0.5 / (1 + 3), 0.5 / (1 + 2) + 0.5 / (1 + 2), 0.5 / (1 + 3) + 0.5 / (1 + 1)]
    assert fused[0, 1:] == pytest.approx(expected)
    only_a = E.reciprocal_rank_fusion({"a": a, "b": b}, {"a": 1, "b": 0}, c=1)
    assert only_a[0, 1:] == pytest.approx([1 / 2, 1 / 3, 1 / 4])


def test_rank_fusion_ignores_how_far_apart_the_scores_are():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(30, 8)), rng.normal(size=(30, 5))
    sims = {"x": cosine_similarity(x), "y": cosine_similarity(y)}
    squashed = {"x": sims["x"], "y": 0.9 + 0.001 * sims["y"]}  # same order, almost no spread
    assert np.allclose(E.reciprocal_rank_fusion(sims), E.reciprocal_rank_fusion(squashed))
    # ... while averaging the scores lets the squashed block stop mattering
    labels = (np.arange(30) % 5).astype(str)
    assert E.precision_at_k(weighted_scores(squashed, {"x": 1, "y": 1}), labels, 3) == pytest.approx(
        E.precision_at_k(sims["x"], labels, 3))


def test_reciprocal_rank_fusion_rejects_bad_input():
    with pytest.raises(ValueError, match="no similarity matrices"):
        E.reciprocal_rank_fusion({})
    with pytest.raises(ValueError, match="same \\(n, n\\) shape"):
        E.reciprocal_rank_fusion({"a": np.eye(3), "b": np.eye(4)})
    with pytest.raises(KeyError, match="unknown modality 'z'"):
        E.reciprocal_rank_fusion({"a": np.eye(3)}, {"z": 1})
    with pytest.raises(ValueError, match="c must be >= 0"):
        E.reciprocal_rank_fusion({"a": np.eye(3)}, c=-1)


def test_weight_grid():
    grid = E.weight_grid(["text", "photo", "colour"], 0.1)
    assert len(grid) == 66 and {"text": 1.0, "photo": 0.0, "colour": 0.0} in grid
    assert all(sum(w.values()) == pytest.approx(1) and min(w.values()) >= 0 for w in grid)
    assert len({tuple(w.values()) for w in grid}) == 66
    assert len(E.weight_grid(["a", "b"], 0.5)) == 3
    with pytest.raises(ValueError, match="step must divide 1"):
        E.weight_grid(["a", "b"], 0.3)


def test_precision_table_has_baselines_and_matches_evaluate():
    sims = {"s": SIM, "t": SIM.T}
    table = E.precision_table({"s": SIM, "fused": E.reciprocal_rank_fusion(sims)}, LABELS, ks=(1, 2))
    assert list(table.index) == ["s", "fused", "random ranking", "best possible"]
    assert table.loc["s", "P@1"] == pytest.approx(0.5)
    assert table.loc["random ranking", "P@1"] == pytest.approx(E.random_baseline(LABELS), abs=1e-3)
    with pytest.raises(ValueError, match="no score matrices"):
        E.precision_table({}, LABELS)


def test_held_out_comparison_splits_and_tunes_honestly():
    rng = np.random.default_rng(1)
    labels = np.repeat(list("abcdefgh"), 5)
    good = np.eye(8)[np.searchsorted(list("abcdefgh"), labels)] + 0.8 * rng.normal(size=(40, 8))
    sims = {"good": cosine_similarity(good), "noise": cosine_similarity(rng.normal(size=(40, 16)))}
    table = E.held_out_comparison(sims, labels, k=3, baselines={"good only": {"good": 1}}, n_splits=6, step=0.25)
    assert len(table) == 6 and list(table.columns) == [
        "tuned weights", "tuned, on tuning half", "tuned, on held-out half", "good only, on held-out half"]
    # the grid contains "good only", so the tuned weights can never be worse on the half they were tuned on
    # (with "good" alone the grid is that one weighting; same seed and queries, so the same tuning halves)
    good_only_on_tune = E.held_out_comparison({"good": sims["good"]}, labels, 3, n_splits=6, step=0.25)
    assert (table["tuned, on tuning half"] >= good_only_on_tune["tuned, on tuning half"] - 1e-12).all()
    tuned = [{m: float(w) for m, w in (part.split() for part in row.split(", "))}
             for row in table["tuned weights"]]
    assert all(w["good"] >= 0.5 for w in tuned), "the informative block gets most of the weight"
    with pytest.raises(ValueError, match="n_splits must be >= 1"):
        E.held_out_comparison(sims, labels, n_splits=0)


def test_mixing_curve_ends_are_the_single_blocks():
    sims = {"s": SIM, "t": SIM[::-1, ::-1].copy()}
    curve = E.mixing_curve(sims, LABELS, "s", "t", k=1, fractions=[0.0, 0.5, 1.0])
    assert curve[0] == pytest.approx(E.precision_at_k(SIM, LABELS, 1))
    assert curve[-1] == pytest.approx(E.precision_at_k(sims["t"], LABELS, 1))
    with pytest.raises(KeyError, match="unknown modality 'colour'"):
        E.mixing_curve(sims, LABELS, "s", "colour")


def test_signal_and_spread_by_hand():
    labels = ["a", "a", "b", "b"]
    informative = np.array([[1, .9, .1, .1], [.9, 1, .1, .1], [.1, .1, 1, .9], [.1, .1, .9, 1]])
    flat = np.full((4, 4), 0.8) + 0.2 * np.eye(4)
    table = E.signal_and_spread({"informative": informative, "flat": flat}, labels)
    assert table.loc["informative", "same-label gap"] == pytest.approx(0.8)
    assert table.loc["informative", "mean cosine"] == pytest.approx((0.9 * 2 + 0.1 * 4) / 6, abs=1e-3)
    assert table.loc["flat", "spread"] == 0 and table.loc["flat", "same-label gap"] == 0
    assert table.loc["flat", "gap / spread"] == 0 and table.loc["informative", "gap / spread"] > 1
    assert table.loc["informative", "spread"] == pytest.approx(np.std([.9, .1, .1]), abs=1e-3)
    with pytest.raises(ValueError, match="no label occurs twice"):
        E.signal_and_spread({"x": np.eye(3)}, ["a", "b", "c"])


# ----------------------------------------------------------------- the store, with the offline models


@pytest.fixture(scope="module")
def store_sims():
    store = C.load_catalog("store")
    blocks = C.embed_catalog(store)
    return [it.department for it in store], {m: cosine_similarity(b) for m, b in blocks.items()}


def test_store_claims_of_notebook_03(store_sims, capsys):
    labels, sims = store_sims
    equal = {m: 1 for m in sims}
    table = E.precision_table({
        **{f"{m} only": s for m, s in sims.items()},
        "early fusion (equal)": weighted_scores(sims, equal),
        "late fusion, RRF (equal)": E.reciprocal_rank_fusion(sims, equal),
    }, labels, ks=(1, 3, 5))
    with capsys.disabled():
        print("\nstore, precision@k by department (offline preset)\n" + table.to_string())
    random = table.loc["random ranking", "P@3"]
    assert (table.loc[["text only", "photo only", "colour only"], "P@3"] > random).all()
    assert table.loc["text only", "P@3"] > table.loc["early fusion (equal)", "P@3"]
    assert table.loc["early fusion (equal)", "P@3"] > table.loc["late fusion, RRF (equal)", "P@3"]
    splits = E.held_out_comparison(sims, labels, k=3, baselines={"text only": {"text": 1}}, n_splits=10)
    assert splits["tuned, on held-out half"].mean() < splits["tuned, on tuning half"].mean()


# ----------------------------------------------------------------- figures of notebook 03


def _tiny_store():
    from PIL import Image

    items = [C.Item(f"i{j}", "food/churros.jpg", f"item {j}", "same cat", ("description",), ("x",), dep)
             for j, dep in enumerate(["a", "a", "b", "b", "a"])]
    rng = np.random.default_rng(0)
    blocks = {"text": rng.normal(size=(5, 4))}
    blocks["text"][1] = blocks["text"][0] + 0.01  # item 1 is item 0's nearest neighbour
    pics = [Image.new("RGB", (8, 8), (40 * j, 0, 0)) for j in range(5)]
    return items, blocks, pics


def test_neighbour_grid_counts_by_the_chosen_label():
    import matplotlib.pyplot as plt

    from helpers import plots as P

    items, blocks, pics = _tiny_store()
    by_cat = P.neighbour_grid(items, blocks, "i0", {"text only": {"text": 1}}, k=2, images=pics)
    by_dep = P.neighbour_grid(items, blocks, "i0", {"text only": {"text": 1}}, k=2, images=pics, by="department")
    assert "2/2 same category" in by_cat.axes[0].get_ylabel()
    label = by_dep.axes[0].get_ylabel()
    found = [t.get_text().split("\n")[0] for t in (ax.title for ax in by_dep.axes[1:])]
    same = sum(items[int(name.split()[-1])].department == "a" for name in found)
    assert f"{same}/2 same department" in label and found[0] == "item 1"
    plt.close("all")


def test_precision_curves_keeps_the_legend_outside_the_data():
    import matplotlib.pyplot as plt

    from helpers import plots as P

    fig = P.precision_curves([0, 0.5, 1], {"text + photo": [0.8, 0.9, 0.6]}, {"random ranking": 0.13}, k=3)
    ax = fig.axes[0]
    fig.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    assert legend.x0 >= ax.get_window_extent().x1 - 1, "the legend must sit right of the axes"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["text + photo", "random ranking (0.130)"]
    assert ax.get_ylabel() == "precision@3"
    plt.close(fig)
