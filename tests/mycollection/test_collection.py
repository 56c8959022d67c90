"""The on-disk index: embed once, reuse by content, re-embed on a model change, survive interruptions."""
from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
from _collection_fixtures import CATS, DOG, FOOD, fetch, make_folder

from helpers.availability import get_preset
from mycollection import index
from mycollection.encoders import Encoders
from mycollection.store import index_dir

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sources():
    return fetch(CATS + [DOG, FOOD])


@pytest.fixture
def folder(tmp_path, monkeypatch, sources):
    monkeypatch.setenv("EMBEDDINGS_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "photos"
    make_folder(root, sources, CATS + [DOG])
    (root / "note.md").write_text("# Sunday\nThe cat slept on the sofa all afternoon.\n", encoding="utf-8")
    return root


def vector_of(coll, space, ref):
    items = coll.photos if coll.spaces[space].kind == "photo" else coll.notes
    return coll.vectors[space][[it.ref for it in items].index(ref)]


def test_second_run_reuses_everything_and_loads_no_model(folder):
    first = index(folder, progress=False)
    assert sorted(first.report.new) == sorted(["d2l_cat1_tabby_lying.jpg", "pexels_tabby_cat.jpg",
                                               "d2l_dog1_pug.jpg", "note.md"])
    assert first.report.loaded, "the first run must load the models it embeds with"
    again = index(folder, progress=False, encoders=Encoders())
    assert again.report.summary() == "0 new, 4 cached, 0 skipped"
    assert again.report.loaded == []
    for space in ("image", "clip-image", "text"):
        np.testing.assert_array_equal(first.vectors[space], again.vectors[space])
    assert np.allclose(np.linalg.norm(again.vectors["image"], axis=1), 1, atol=1e-5)


def test_adding_a_photo_embeds_only_that_photo(folder, sources):
    before = index(folder, progress=False)
    shutil.copy(sources[FOOD], folder / "churros.jpg")
    after = index(folder, progress=False)
    assert after.report.new == ["churros.jpg"]
    assert len(after.report.cached) == 4
    for ref in ("d2l_dog1_pug.jpg", "pexels_tabby_cat.jpg"):
        np.testing.assert_array_equal(vector_of(before, "image", ref), vector_of(after, "image", ref))


def test_renamed_and_moved_files_are_not_reembedded(folder):
    before = index(folder, progress=False)
    (folder / "pets").mkdir()
    os.rename(folder / "d2l_dog1_pug.jpg", folder / "pets" / "my_dog.jpg")
    os.rename(folder / "note.md", folder / "sunday.md")
    after = index(folder, progress=False, encoders=Encoders())
    assert after.report.new == [] and after.report.loaded == []
    assert "pets/my_dog.jpg" in after.report.cached and "sunday.md" in after.report.cached
    np.testing.assert_array_equal(vector_of(before, "image", "d2l_dog1_pug.jpg"),
                                  vector_of(after, "image", "pets/my_dog.jpg"))


def test_an_edited_note_is_reembedded(folder):
    index(folder, progress=False)
    (folder / "note.md").write_text("Pasta with tomatoes and basil.", encoding="utf-8")
    after = index(folder, progress=False)
    assert after.report.new == ["note.md"]


class _RandomResNet(Encoders):
    """Another real image model (ResNet-18 architecture, random weights) under its own name."""

    def __init__(self):
        from helpers.availability import Preset

        p = get_preset()
        super().__init__(Preset("test", p.text, "resnet18 (random weights)", p.clip))

    def _get(self, what):
        if what == "image" and what not in self._cache:
            from helpers.models.images import build_resnet18

            self._cache[what] = build_resnet18(pretrained=False)
            self.loaded.append(self._cache[what].name)
        return super()._get(what)


def test_a_changed_model_reembeds_and_switching_back_is_free(folder):
    first = index(folder, progress=False)
    other = index(folder, progress=False, encoders=_RandomResNet())
    assert len(other.report.new) == 3 and other.report.cached == ["note.md"]
    assert other.vectors["image"].shape == (3, 512)
    back = index(folder, progress=False, encoders=Encoders())
    assert back.report.new == [] and back.report.loaded == []
    np.testing.assert_array_equal(first.vectors["image"], back.vectors["image"])


def test_cache_file_written_by_another_model_is_detected_and_replaced(folder):
    first = index(folder, progress=False)
    vf = next(index_dir(folder).glob("image--*.npz"))
    with np.load(vf) as z:
        keys, vectors = z["keys"], z["vectors"]
    np.savez(vf, keys=keys, vectors=vectors[:, :100],
             meta=np.array('{"space": "image", "model": "resnet18", "prep": "v1"}'))
    again = index(folder, progress=False)
    assert any("written by model 'resnet18'" in n for n in again.report.notices), again.report.notices
    assert len(again.report.new) == 3
    np.testing.assert_allclose(first.vectors["image"], again.vectors["image"], atol=1e-5)


def test_interrupted_embedding_keeps_the_last_good_index_and_finished_batches(folder, sources, monkeypatch):
    index(folder, progress=False)
    manifest = (index_dir(folder) / "manifest.json").read_bytes()
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        shutil.copy(sources[FOOD], folder / name)
        with open(folder / name, "ab") as f:  # three different files (bytes after the JPEG end are ignored)
            f.write(name.encode())
    calls = []
    real = Encoders.embed_photos

    def flaky(self, images, names):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(self, images, names)

    with monkeypatch.context() as m:
        m.setattr(Encoders, "embed_photos", flaky)
        with pytest.raises(KeyboardInterrupt):
            index(folder, progress=False, batch_size=1, checkpoint_s=0)
    assert (index_dir(folder) / "manifest.json").read_bytes() == manifest, "the manifest must be the old one"
    assert not list(index_dir(folder).glob(".partial-*"))
    after = index(folder, progress=False)
    assert len(after.report.new) == 1, "the two batches finished before the interruption were kept"
    assert len(after.photos) == 6


def test_a_failed_write_leaves_the_previous_file_intact(folder, sources, monkeypatch):
    index(folder, progress=False)
    vf = next(index_dir(folder).glob("image--*.npz"))
    good = vf.read_bytes()
    shutil.copy(sources[FOOD], folder / "churros.jpg")

    def disk_full(f, **arrays):
        f.write(b"PK\x03\x04 half a file")
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(np, "savez", disk_full)
        with pytest.raises(OSError, match="No space left"):
            index(folder, progress=False)
    assert vf.read_bytes() == good
    assert not list(index_dir(folder).glob(".partial-*"))
    assert index(folder, progress=False).report.new == ["churros.jpg"]


def test_photos_and_indexes_share_one_cache_folder_with_home_expanded(monkeypatch, tmp_path):
    from helpers import data
    from mycollection.store import cache_root

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("EMBEDDINGS_CACHE_DIR", "~/embeddings-cache")
    assert data.cache_dir() == tmp_path / "embeddings-cache" / "images"
    assert cache_root() == tmp_path / "embeddings-cache" / "collections"
