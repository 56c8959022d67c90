"""Searching, near-duplicates, the projector export and exact vs approximate search, on real vectors."""
from __future__ import annotations

import json

import numpy as np
import pytest
from _collection_fixtures import CATS, DOG, FOOD, fetch, make_folder
from PIL import Image

from helpers import ann
from helpers.duplicates import calibrate, near_duplicates
from mycollection import index, search_notes, similar_photos
from mycollection.projector import export

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def coll(tmp_path_factory):
    src = fetch(CATS + [DOG, FOOD])
    tmp = tmp_path_factory.mktemp("search")
    root = tmp / "photos"
    make_folder(root, src, CATS + [DOG, FOOD])
    (root / "pasta.txt").write_text("Dinner:\tspaghetti with tomato sauce\nand basil.", encoding="utf-8")
    (root / "vet.txt").write_text("The kitten had her vaccinations at the vet today.", encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.setenv("EMBEDDINGS_CACHE_DIR", str(tmp / "cache"))
    yield index(root, progress=False)
    mp.undo()


def test_photo_to_photo_excludes_the_query_and_finds_the_other_cat(coll):
    hits = similar_photos(coll, "pexels_tabby_cat.jpg", k=10)  # 4 photos: at most the 3 others
    assert [h.item.ref for h in hits].count("pexels_tabby_cat.jpg") == 0 and len(hits) == 3
    assert hits[0].item.ref == "d2l_cat1_tabby_lying.jpg", [str(h) for h in hits]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    outside = similar_photos(coll, coll.folder / "d2l_dog1_pug.jpg", k=1)  # a full path of a collection photo
    assert outside[0].item.ref != "d2l_dog1_pug.jpg"


def test_text_to_notes(coll):
    assert search_notes(coll, "what did we eat", k=1)[0].item.ref == "pasta.txt"
    assert search_notes(coll, "a young cat at the animal doctor", k=1)[0].item.ref == "vet.txt"
    with pytest.raises(ValueError, match="non-empty"):
        search_notes(coll, "   ")


def test_projector_export_has_one_row_per_item_and_a_matching_sprite(coll, tmp_path):
    written = export(coll, tmp_path / "proj")
    names = {p.name for p in written}
    assert names == {"photos.tsv", "photos_metadata.tsv", "sprite.png", "notes.tsv", "notes_metadata.tsv",
                     "projector_config.pbtxt", "projector_config.json"}
    rows = (tmp_path / "proj" / "photos.tsv").read_text().splitlines()
    assert len(rows) == len(coll.photos) and all(len(r.split("\t")) == coll.vectors["image"].shape[1] for r in rows)
    np.testing.assert_allclose(np.array([r.split("\t") for r in rows], dtype=float), coll.vectors["image"], atol=1e-5)
    meta = (tmp_path / "proj" / "notes_metadata.tsv").read_text().splitlines()
    assert meta[0] == "note\ttext" and len(meta) == 1 + len(coll.notes)
    assert all(len(line.split("\t")) == 2 for line in meta), "a tab or newline in a note broke the TSV"
    config = json.loads((tmp_path / "proj" / "projector_config.json").read_text())
    photos = config["embeddings"][0]
    assert photos["tensorShape"] == list(coll.vectors["image"].shape)
    side = photos["sprite"]["singleImageDim"][0]
    with Image.open(tmp_path / "proj" / "sprite.png") as sprite:
        cols = sprite.width // side
        assert sprite.width == sprite.height and cols * cols >= len(coll.photos)
    assert 'tensor_path: "photos.tsv"' in (tmp_path / "proj" / "projector_config.pbtxt").read_text()
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(ValueError, match="is a file"):
        export(coll, tmp_path / "a_file")


def test_calibrated_threshold_finds_a_resaved_copy_and_no_distinct_pair(coll, tmp_path):
    photos = [coll.path(it) for it in coll.photos]
    calib = calibrate(coll.encoders.image.encode, photos)
    assert calib.recall >= 0.75 and calib.precision >= 0.9, str(calib)
    copy = tmp_path / "copy.jpg"
    Image.open(photos[0]).convert("RGB").save(copy, quality=40)
    vectors = np.vstack([coll.vectors["image"], coll.encoders.image.encode([copy], progress=False)])
    pairs = near_duplicates(vectors, calib.threshold)
    assert [(i, j) for i, j, _ in pairs] == [(0, len(photos))], pairs


def test_near_duplicates_on_known_vectors():
    v = np.eye(4, dtype=np.float32)
    v[3] = [0.8, 0.6, 0, 0]
    assert near_duplicates(v, 0.7) == [(0, 3, pytest.approx(0.8))]
    assert near_duplicates(v[:1], 0.0) == []


def test_exact_top_k_matches_a_full_sort():
    rng = np.random.default_rng(0)
    base = ann.noisy_copies(rng.standard_normal((50, 16)).astype(np.float32), 500, seed=2)
    q = ann.noisy_copies(base, 7, seed=3)
    expect = np.argsort(-(q @ base.T), axis=1)[:, :10]
    np.testing.assert_array_equal(ann.exact_top_k(base, q, 10), expect)
    assert np.allclose(np.linalg.norm(base, axis=1), 1, atol=1e-5)


def test_hnsw_on_the_vocabulary_is_close_to_exact():
    from helpers.models import load_text_encoder

    vocab, tokens = ann.vocabulary_vectors(load_text_encoder())
    assert vocab.shape[0] > 25_000 and not any(t.startswith("[unused") for t in tokens)
    grown = ann.grow(vocab[:3000], 6000)
    np.testing.assert_array_equal(grown[:3000], vocab[:3000])  # real rows first, then synthetic copies
    c = ann.compare(grown, ann.noisy_copies(grown, 50, seed=1))
    assert c.recall >= 0.9, c
    assert c.ann_mb > c.exact_mb  # the graph costs memory on top of the vectors


def test_recall_by_kind_reports_the_kinds_the_calibration_made():
    """A kind added for one calibration (and removed from COPIES afterwards) is still reported; none is invented."""
    import numpy as np

    from helpers.duplicates import COPIES, Calibration

    kinds = ["JPEG quality 30", "rotated 90°", "rotated 90°"]
    calib = Calibration(threshold=0.7, precision=1.0, recall=2 / 3, positives=np.array([0.9, 0.8, 0.4]),
                        negatives=np.array([0.1]), kinds=kinds)
    assert "rotated 90°" not in COPIES
    assert calib.recall_by_kind() == {"JPEG quality 30": 1.0, "rotated 90°": 0.5}
