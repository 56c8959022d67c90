"""The product catalog of notebooks 03-04: integrity, colour swatches, combining maths, evaluation.

Semantic numbers (precision@k) come from the offline preset's real models; they are
printed (run with ``-s`` to see them), not asserted as magic values.
"""
from __future__ import annotations

import csv
import math

import numpy as np
import pytest
from PIL import Image

from helpers import catalog as C
from helpers import evaluation as E
from helpers import retrieval as R
from helpers import data
from helpers.similarity import combine, contributions, cosine_similarity, top_k, weighted_scores


@pytest.fixture(scope="module")
def cat():
    return C.load_catalog()


@pytest.fixture(scope="module")
def blocks(cat):
    return C.embed_catalog(cat)


# ----------------------------------------------------------------- integrity


def test_catalog_items_have_registry_photos_attributes_and_categories(cat):
    assert len(cat) >= 20
    assert len({it.id for it in cat}) == len(cat)
    registry_files = {r.file for r in data.registry()}
    for it in cat:
        assert it.image in registry_files, it.id
        assert it.category.strip(), it.id
        assert set(it.attributes) == set(C.TEXT_ATTRIBUTES) and len(C.TEXT_ATTRIBUTES) == 5
        assert all(v.strip() for v in it.attributes.values()), it.id


def test_catalog_covers_the_issue_s_products(cat):
    names = " ".join(it.name.lower() for it in cat)
    for word in ("chocolate", "cheesecake", "fish and chips", "fries", "churros", "burger", "nigiri", "pizza",
                 "ice cream", "milkshake", "latte", "basketball"):
        assert word in names, word
    cats = [it.category for it in cat]
    assert sum(cats.count(c) >= 2 for c in set(cats)) >= 5, "precision@k needs categories with several items"


def test_every_registry_food_photo_is_in_the_catalog_once(cat):
    used = [it.image for it in cat]
    assert len(used) == len(set(used))
    assert {r.file for r in data.records("food")} <= set(used)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda r: r.update(image="food/red_velvet.jpg"), "not in the image registry"),
        (lambda r: r.update(cuisine="  "), "empty cuisine"),
        (lambda r: r.update(category=""), "empty category"),
    ],
)
def test_malformed_catalog_rows_are_reported(tmp_path, change, message):
    with open(C.CATALOG_CSV, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    change(rows[3])
    path = tmp_path / "catalog.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    with pytest.raises(C.CatalogError, match=message) as err:
        C.load_catalog(path)
    assert "line 5" in str(err.value) and rows[3]["id"] in str(err.value)


def test_duplicate_ids_and_missing_columns_are_reported(tmp_path):
    header = "id,image,name,category,course,cuisine,flavour_texture,ingredients,description\n"
    row = "a,food/churros.jpg,Churros,dessert,dessert,Spanish,crisp,dough,fried dough\n"
    (tmp_path / "dup.csv").write_text(header + row + row, encoding="utf-8")
    with pytest.raises(C.CatalogError, match="duplicate id"):
        C.load_catalog(tmp_path / "dup.csv")
    (tmp_path / "cols.csv").write_text("id,image,name\na,food/churros.jpg,Churros\n", encoding="utf-8")
    with pytest.raises(C.CatalogError, match="missing column"):
        C.load_catalog(tmp_path / "cols.csv")


def test_text_feature_joins_name_and_the_five_attributes(cat):
    it = C.item("churros", cat)
    text = C.text_feature(it)
    assert text.startswith("Churros with cream. dessert. Spanish.")
    for a in C.TEXT_ATTRIBUTES:
        assert getattr(it, a).rstrip(".") in text
    assert C.text_feature(it, ["cuisine"], with_name=False) == "Spanish."
    with pytest.raises(KeyError, match="unknown attribute"):
        C.text_feature(it, ["colour"])


# ----------------------------------------------------------------- colour


def test_dominant_colours_recover_a_synthetic_palette():
    arr = np.zeros((60, 100, 3), dtype=np.uint8)
    arr[:, :70] = (200, 30, 30)  # 70 % red
    arr[:, 70:] = (20, 40, 220)  # 30 % blue
    colours, shares = C.dominant_colours(Image.fromarray(arr), k=2)
    assert np.allclose(shares, [0.7, 0.3], atol=0.02)
    assert np.abs(colours.astype(int) - [[200, 30, 30], [20, 40, 220]]).max() <= 3


def test_swatch_is_deterministic_and_proportional(cat):
    it = C.item("seafood_paella", cat)
    a = np.asarray(C.colour_swatch(it))
    C._dominant_colours_cached.cache_clear()  # recompute from the photo, not the cache
    b = np.asarray(C.colour_swatch(it))
    assert a.shape == (224, 224, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b)
    colours, shares = C.dominant_colours(it)
    assert math.isclose(shares.sum(), 1.0, rel_tol=1e-9) and (np.diff(shares) <= 0).all()
    widths = [int((a[0] == c).all(axis=1).sum()) for c in colours]
    assert np.allclose(np.array(widths) / 224, shares, atol=2 / 224)
    assert (a == a[:1]).all(), "bands are vertical: every row is the same"


# ----------------------------------------------------------------- combining maths


def test_embed_catalog_blocks(cat, blocks):
    assert list(blocks) == list(C.MODALITIES)
    for name, b in blocks.items():
        assert b.shape[0] == len(cat) and b.dtype == np.float32, name
        assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5), name


def test_combined_cosine_equals_weighted_average_of_modality_cosines(blocks):
    for weights in ({"text": 1, "photo": 1, "colour": 1}, {"text": 0.6, "photo": 0.1, "colour": 0.3}):
        comb = combine(blocks, weights)
        assert np.allclose(np.linalg.norm(comb, axis=1), 1.0, atol=1e-5)
        sims = {m: cosine_similarity(b) for m, b in blocks.items()}
        assert np.allclose(comb @ comb.T, weighted_scores(sims, weights), atol=1e-5)


def test_weights_1_0_0_reproduce_the_text_only_ranking_exactly(cat, blocks):
    text_sim = blocks["text"] @ blocks["text"].T
    for q in range(len(cat)):
        expected, _ = top_k(text_sim[q], len(cat) - 1, exclude=q)
        got, _, _ = R.search(blocks, q, {"text": 1, "photo": 0, "colour": 0}, k=len(cat) - 1)
        assert got.tolist() == expected.tolist(), cat[q].id


def test_search_contributions_add_up_to_scores(blocks):
    idx, scores, contrib = R.search(blocks, 0, {"text": 2, "photo": 1, "colour": 1}, k=5)
    assert np.allclose(sum(contrib.values()), scores, atol=1e-6)
    per = R.per_modality_scores(blocks, 0)
    assert np.allclose(contrib["text"], 0.5 * per["text"][idx], atol=1e-6)
    assert 0 not in idx.tolist()


def test_scaling_all_weights_changes_nothing(blocks):
    per = R.per_modality_scores(blocks, 3)
    a = weighted_scores(per, {"text": 1, "photo": 2, "colour": 3})
    b = weighted_scores(per, {"text": 10, "photo": 20, "colour": 30})
    assert np.allclose(a, b)
    assert set(contributions(per, {"text": 1, "photo": 0, "colour": 0})) == set(C.MODALITIES)


# ----------------------------------------------------------------- evaluation


def test_precision_at_k_by_hand():
    labels = ["a", "a", "b", "b", "c"]
    sim = np.array([
        [1, .9, .1, .1, .1],
        [.9, 1, .1, .8, .1],
        [.1, .1, 1, .2, .9],
        [.1, .8, .2, 1, .1],
        [.1, .1, .9, .1, 1],
    ])
    # queries 0..3 (label c occurs once, so query 4 is skipped); top-1: 1 ok, 0 ok, 4 wrong, 1 wrong
    assert E.precision_at_k(sim, labels, 1) == pytest.approx(0.5)
    # top-2: {1,2|3|4} -> q0: {1, x} 1/2, q1: {0,3} 1/2, q2: {4,3} 1/2, q3: {1,2} 1/2
    assert E.precision_at_k(sim, labels, 2) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="undefined"):
        E.precision_at_k(np.eye(3), ["a", "b", "c"], 1)


def test_evaluation_table_with_the_offline_models(cat, blocks, capsys):
    labels = [it.category for it in cat]
    table = E.evaluate(blocks, labels, ks=(1, 3, 5), weightings={
        "combined (equal)": {"text": 1, "photo": 1, "colour": 1},
        "text + photo": {"text": 1, "photo": 1, "colour": 0},
    })
    assert list(table.index[:3]) == ["text only", "photo only", "colour only"]
    assert ((table >= 0) & (table <= 1)).all().all()
    best = table.loc["best possible"]
    assert (table.drop(index="best possible") <= best + 1e-9).all().all()
    with capsys.disabled():
        print("\nprecision@k by category (offline preset: MiniLM + EfficientNet-Lite0)\n" + table.to_string())
