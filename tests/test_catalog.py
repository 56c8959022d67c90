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
from helpers import colours as colour_module
from helpers import data
from helpers import evaluation as E
from helpers import retrieval as R
from helpers.similarity import combine, contributions, cosine_similarity, top_k, weighted_scores


@pytest.fixture(scope="module")
def cat():
    return C.load_catalog()


@pytest.fixture(scope="module")
def blocks(cat):
    return C.embed_catalog(cat)


@pytest.fixture(scope="module")
def store():
    return C.load_catalog("store")


# ----------------------------------------------------------------- integrity


@pytest.mark.parametrize("name, attrs", [("food", C.FOOD_ATTRIBUTES), ("store", C.STORE_ATTRIBUTES)])
def test_catalog_items_have_registry_photos_attributes_and_categories(name, attrs):
    items = C.load_catalog(name)
    assert len(items) >= 20 and len(attrs) == 5
    assert len({it.id for it in items}) == len(items)
    assert len({it.image for it in items}) == len(items), "one item per photo"
    registry_files = {r.file for r in data.registry()}
    for it in items:
        assert it.image in registry_files, it.id
        assert it.category.strip(), it.id
        assert list(it.attributes) == list(attrs) and it.attribute_names == attrs
        assert all(v.strip() for v in it.attributes.values()), it.id
        assert getattr(it, attrs[0]) == it.attributes[attrs[0]]


def test_load_catalog_by_name_default_and_path(cat, store):
    assert cat == C.load_catalog("food") == C.load_catalog(C.CATALOG_CSV)
    assert store == C.load_catalog(C.STORE_CSV) == C.load_catalog(str(C.STORE_CSV))
    shared = {it.image for it in cat} & {it.image for it in store}
    assert shared == {"people/basketball_player_dribbling.jpg"}, "only the kiosk's basketball is in both"
    with pytest.raises(C.CatalogError, match="unknown catalog 'shop'.*'food', 'store'"):
        C.load_catalog("shop")
    with pytest.raises(C.CatalogError, match="does not exist"):
        C.load_catalog("no/such/file.csv")


def test_food_catalog_covers_the_issue_s_products(cat):
    names = " ".join(it.name.lower() for it in cat)
    for word in ("chocolate", "cheesecake", "fish and chips", "fries", "churros", "burger", "nigiri", "pizza",
                 "ice cream", "milkshake", "latte", "basketball"):
        assert word in names, word
    cats = [it.category for it in cat]
    assert sum(cats.count(c) >= 2 for c in set(cats)) >= 5, "precision@k needs categories with several items"
    assert all(it.department == "" for it in cat)
    assert {it.image.split("/")[0] for it in cat} <= {"food", "people"}


def test_store_has_every_shop_photo_and_the_article_s_scenarios(store):
    shop_folders = ("electronics", "cameras", "sports", "footwear", "clothing", "appliances", "furniture", "plants")
    shop_photos = {r.file for c in shop_folders for r in data.records(c)} | {r.file for r in data.records("people")}
    assert {it.image for it in store} == shop_photos
    departments = {it.department for it in store}
    assert departments == set(shop_folders)
    by_id = {it.id: it for it in store}
    # 1. toasters: the two appliances, and nothing else is one
    toasters = [it for it in store if it.department == "appliances"]
    assert len(toasters) == 2 and all("toast" in C.text_feature(it).lower() for it in toasters)
    # 2. trousers and jeans: photos of the product alone and worn by people, in one category
    legwear = [it for it in store if it.category == "trousers and jeans"]
    assert len(legwear) >= 5 and {it.image.split("/")[0] for it in legwear} == {"clothing", "people"}
    # 3. a basketball photographed with players, other basketball products, and other photos of people
    assert by_id["basketball"].image == "people/basketball_player_dribbling.jpg"
    basketball_items = [it for it in store if "basketball" in it.name.lower()]
    assert len(basketball_items) >= 3 and any(it.department == "footwear" for it in basketball_items)
    cats = [it.category for it in store]
    assert sum(cats.count(c) >= 2 for c in set(cats)) >= 15


def test_store_text_names_no_brands(store):
    brands = ("nike", "adidas", "converse", "all star", "polaroid", "kodak", "nikon", "sony", "fujifilm",
              "title", "starbucks", "apple", "ipad", "macbook", "boost", "instamatic", "nikkormat")
    for it in store:
        text = (C.text_feature(it) + " " + it.name).lower()
        assert not [b for b in brands if b in text], it.id


def _write_rows(path, rows, fieldnames=None):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fieldnames or list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


@pytest.mark.parametrize(
    "source, change, message",
    [
        ("food", lambda r: r.update(image="food/red_velvet.jpg"), "not in the image registry"),
        ("food", lambda r: r.update(cuisine="  "), "empty cuisine"),
        ("food", lambda r: r.update(category=""), "empty category"),
        ("store", lambda r: r.update(department=""), "empty department"),
        ("store", lambda r: r.update(materials=""), "empty materials"),
        ("store", lambda r: r.update(image="cameras/nope.jpg"), "not in the image registry"),
    ],
)
def test_malformed_catalog_rows_are_reported(tmp_path, source, change, message):
    with open(C.CATALOGS[source][0], newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    change(rows[3])
    path = _write_rows(tmp_path / f"{source}.csv", rows)
    with pytest.raises(C.CatalogError, match=message) as err:
        C.load_catalog(path)
    assert "line 5" in str(err.value) and rows[3]["id"] in str(err.value)


def test_a_row_with_too_many_fields_is_reported(tmp_path):
    text = C.STORE_CSV.read_text(encoding="utf-8").splitlines()
    text[2] += ",an unquoted, extra value"
    (tmp_path / "s.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(C.CatalogError, match=r"line 3 \(tablet\): wrong number of fields"):
        C.load_catalog(tmp_path / "s.csv")


def test_a_store_file_without_department_names_the_missing_column(tmp_path):
    with open(C.STORE_CSV, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        del r["department"]
    with pytest.raises(C.CatalogError, match="missing column.*department"):
        C.load_catalog(_write_rows(tmp_path / "s.csv", rows))


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


def test_store_text_feature_uses_the_store_s_attributes(store):
    it = C.item("toaster_white", store)
    assert C.text_feature(it).startswith("White two-slice toaster. toasting bread for breakfast.")
    assert C.text_feature(it, ["materials"], with_name=False) == it.materials + "."
    with pytest.raises(KeyError, match="known: use, style, look_feel, materials, description"):
        C.text_feature(it, ["cuisine"])
    with pytest.raises(AttributeError, match="text attributes are use, style"):
        _ = it.cuisine


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
    colour_module._colours_of_file.cache_clear()  # recompute from the photo, not the cache
    b = np.asarray(C.colour_swatch(it))
    assert a.shape == (256, 256, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b)
    colours, shares = C.dominant_colours(it)
    assert math.isclose(shares.sum(), 1.0, rel_tol=1e-9) and (np.diff(shares) <= 0).all()
    bands = a[16:240, 16:240]  # the bands fill the central 224 x 224; a white frame 16 pixels wide around them
    widths = [int((bands[0] == c).all(axis=1).sum()) for c in colours]
    assert np.allclose(np.array(widths) / 224, shares, atol=2 / 224)
    assert (bands == bands[:1]).all(), "bands are vertical: every row is the same"
    frame = np.ones((256, 256), dtype=bool)
    frame[16:240, 16:240] = False
    assert (a[frame] == 255).all()


def _narrow_last_band() -> tuple[Image.Image, list[float]]:
    """A 60 x 20 picture of five flat colours, 24, 15, 10, 8 and 3 columns wide: the last one has a share of 0.05."""
    palette = [(30, 90, 200), (240, 240, 235), (20, 20, 20), (60, 160, 60), (235, 120, 30)]
    widths = [24, 15, 10, 8, 3]
    arr = np.concatenate([np.tile(np.array(c, dtype=np.uint8), (20, w, 1)) for c, w in zip(palette, widths)], axis=1)
    return Image.fromarray(arr), [w / 60 for w in widths]


@pytest.mark.parametrize("photo", ["narrow last band", "the store's basketball"])
def test_the_image_encoder_sees_every_band_of_a_swatch(photo, store):
    """What the encoder embeds, after its own preprocessing (resize to 256, centre crop 224), is the whole swatch:
    every band at its share, the narrow last one (0.05) included, and none of the white frame."""
    from helpers.models import load_image_encoder

    encoder = load_image_encoder("efficientnet-lite0")
    assert encoder.name == "efficientnet-lite0"
    if photo == "narrow last band":
        picture, want = _narrow_last_band()
        assert np.allclose(C.dominant_colours(picture)[1], want)
    else:
        picture = C.item("basketball", store)
        want = C.dominant_colours(picture)[1].tolist()
        assert 0.04 < want[-1] < 0.0625, "the basketball's last band (its orange) is narrower than the old crop"
    colours, shares = C.dominant_colours(picture)
    seen = encoder.prepare([C.colour_swatch(picture)])[0].numpy()  # (3, 224, 224): what the network is given
    assert seen.shape == (3, 224, 224)
    # the preprocessing's Normalize, undone: back to 0-255 pixels
    mean = np.array(encoder.preprocess.transforms[-1].mean.tolist()).reshape(3, 1, 1)
    std = np.array(encoder.preprocess.transforms[-1].std.tolist()).reshape(3, 1, 1)
    pixels = (seen * std + mean) * 255
    columns = pixels[:, 0, :].T  # (224, 3): the bands are vertical, so one row shows them all
    assert np.allclose(pixels, pixels[:, :1, :], atol=0.5), "every row the same: the frame is cropped away"
    nearest = np.abs(columns[:, None, :] - colours[None].astype(float)).max(-1)
    widths = np.bincount(nearest.argmin(axis=1), minlength=len(colours))
    assert (widths > 0).all(), f"bands missing after the encoder's crop: {widths.tolist()}"
    assert nearest.min(axis=1).max() < 1.0, "every column is one of the dominant colours (no white frame)"
    assert np.allclose(widths / 224, shares, atol=2 / 224), (widths.tolist(), shares.round(3).tolist())


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
