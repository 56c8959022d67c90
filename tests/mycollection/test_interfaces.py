"""The application's interfaces: its records, the one query check, the one forward pass shared with the bridge."""
from __future__ import annotations

import json

import numpy as np
import pytest

from helpers import data
from helpers.images import load_image
from helpers.models import ClipModel, LabelBridge, TextImageModel
from mycollection.encoders import Encoders
from mycollection.records import Entry, FileRecord
from mycollection.store import read_manifest, write_manifest


def test_a_file_record_survives_the_manifest_and_an_old_manifest_still_reads(tmp_path):
    folder = tmp_path / "photos"
    files = {
        "a.jpg": FileRecord("photo", 10, 1, key="k" * 64),
        "bad.jpg": FileRecord("photo", 0, 2, key="e" * 64, skip="corrupt: the file is empty (0 bytes)"),
        "j.csv": FileRecord("table", 5, 3, notes=[Entry("j.csv#row 1", "note", "n1", "Snow walk.")],
                            row_skips=[("j.csv#row 2", "empty note")]),
    }
    write_manifest(tmp_path, folder, files, {"image": "m"})
    assert read_manifest(tmp_path, folder) == (files, "")
    doc = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    # the format written before the records were typed: plain lists, no row_skips for a photo
    assert doc["files"]["j.csv"]["notes"] == [["j.csv#row 1", "n1", "Snow walk."]]
    assert "row_skips" not in doc["files"]["a.jpg"]
    assert files["a.jpg"].photo_key == "k" * 64 and files["bad.jpg"].photo_key is None


def test_a_malformed_manifest_record_is_named_and_the_index_rebuilt(tmp_path):
    folder = tmp_path / "photos"
    write_manifest(tmp_path, folder, {"a.jpg": FileRecord("photo", 10, 1)}, {})
    doc = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    del doc["files"]["a.jpg"]["size"]
    (tmp_path / "manifest.json").write_text(json.dumps(doc), encoding="utf-8")
    files, why = read_manifest(tmp_path, folder)
    assert files == {} and "malformed record (KeyError)" in why
    (tmp_path / "manifest.json").write_text("[1, 2]", encoding="utf-8")
    assert read_manifest(tmp_path, folder)[0] == {}


@pytest.mark.parametrize("query", ["", "   ", None, 3])
def test_one_query_check_for_every_search_and_no_model_loaded_for_a_bad_query(query):
    enc = Encoders()
    for space in ("clip-image", "text"):
        with pytest.raises(ValueError, match="the query must be a non-empty string"):
            enc.query(space, query)
    assert enc.loaded == []


def test_zero_shot_is_written_once():
    assert LabelBridge.zero_shot is TextImageModel.zero_shot and ClipModel.zero_shot is TextImageModel.zero_shot
    assert "zero_shot" not in vars(LabelBridge) and "zero_shot" not in vars(ClipModel)


@pytest.mark.slow
def test_one_forward_pass_gives_what_the_two_encoders_give():
    """With the bridge, ``embed_photos`` computes the image features once and feeds both spaces from them."""
    enc = Encoders()
    if not (isinstance(enc.clip, LabelBridge) and enc.clip.image_encoder is enc.image):
        pytest.skip("the preset's CLIP is not the bridge over its image encoder: nothing is shared")
    photos = [load_image(data.fetch(f, progress=False), target_size=enc.photo_size())
              for f in ("cats/d2l_cat1_tabby_lying.jpg", "dogs/d2l_dog1_pug.jpg", "food/churros.jpg")]
    shared = enc.embed_photos(photos, ["image", "clip-image"])
    assert np.allclose(shared["image"], enc.image.encode(photos, progress=False), atol=1e-5)
    assert np.allclose(shared["clip-image"], enc.clip.encode_images(photos, progress=False), atol=1e-5)
    assert set(enc.embed_photos(photos, ["image"])) == {"image"}
