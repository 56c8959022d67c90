"""Notebook 04's judged answer key (data/looks_alike.csv) and what its lesson relies on, without models.

The widget's own behaviour (sliders, live precision@k, bad weights, speed on 10,000 items) is tested in
tests/test_widget.py; notebook 04 no longer demonstrates those inside the lesson.
"""
from __future__ import annotations

import numpy as np
import pytest

from helpers import catalog as C
from helpers import retrieval as R


@pytest.fixture(scope="module")
def store():
    return C.load_catalog("store")


def test_looks_alike_key_pairs_the_six_trousers_and_jeans_both_ways(store):
    pairs = C.looks_alike(store)
    legwear = {it.id for it in store if it.category == "trousers and jeans"}
    assert set(pairs) == legwear
    assert all(pairs[pairs[a]] == a and pairs[a] != a for a in pairs)
    by_id = {it.id: it for it in store}
    assert all(by_id[a].category == by_id[b].category for a, b in pairs.items())


@pytest.mark.parametrize("rows, message", [
    ("trousers_black,no_such_item,x\n", "no item 'no_such_item'"),
    ("trousers_black,trousers_black,x\n", "must be two items"),
    ("trousers_black,trousers_grey,x\ntrousers_grey,jeans_straight,y\n", "line 3"),
])
def test_looks_alike_rejects_a_bad_row_naming_it(store, tmp_path, rows, message):
    path = tmp_path / "looks.csv"
    path.write_text("id,looks_like,why\n" + rows, encoding="utf-8")
    with pytest.raises(C.CatalogError, match=message):
        C.looks_alike(store, path)


def test_rank_of_a_partner_does_not_depend_on_the_scale_of_the_scores():
    # the notebook compares weightings by ranks and by margins in units of spread, not by raw scores:
    # scaling one weighting's scores (a wider spread) changes raw gaps but no rank and no normalised margin
    rng = np.random.default_rng(0)
    blocks = {"a": rng.normal(size=(30, 8)), "b": rng.normal(size=(30, 8))}
    per = R.per_modality_scores(blocks, 0)
    found, scores, _ = R.rank(per, {"a": 1}, 29, exclude=0)
    wide = {m: 3 * s for m, s in per.items()}
    found_w, scores_w, _ = R.rank(wide, {"a": 1}, 29, exclude=0)
    assert found.tolist() == found_w.tolist()
    assert scores_w[0] - scores_w[1] == pytest.approx(3 * (scores[0] - scores[1]), rel=1e-5)
    assert (scores_w[0] - scores_w[1]) / scores_w.std() == pytest.approx((scores[0] - scores[1]) / scores.std(),
                                                                         rel=1e-4)
