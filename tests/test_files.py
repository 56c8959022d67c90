"""Arrays computed once and kept on disk (helpers.files): named by everything they depend on, never stale,
never half-written; the catalog blocks and the bridge's prompt vectors use them (the real offline models)."""
from __future__ import annotations

import numpy as np
import pytest

from helpers import blocks as blocks_module
from helpers import catalog as C
from helpers import files as files_module
from helpers.files import cached_arrays, content_key
from helpers.models import load_text_encoder
from helpers.models.bridge import CLASS_TEMPLATE, build_label_bridge


def test_content_key_names_exactly_its_parts_and_code():
    key = content_key("blocks", ["a", "b"], 3)
    assert key == content_key("blocks", ["a", "b"], 3) and len(key) == 64
    assert key != content_key("blocks", ["a", "c"], 3) != content_key("blocks", ["a", "b"], 4)
    assert key != content_key("blocks", ["a", "b"], 3, code=("helpers.files",))


def test_cached_arrays_computes_once_then_reads(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.ones(2)}

    path = tmp_path / "v" / "x.npz"
    first = cached_arrays(path, ["a", "b"], compute)
    again = cached_arrays(path, ["a", "b"], compute)
    assert len(calls) == 1 and path.is_file()
    assert all(np.array_equal(first[k], again[k]) and first[k].dtype == again[k].dtype for k in first)
    assert [p.name for p in path.parent.iterdir()] == ["x.npz"]  # no temporary file left behind


@pytest.mark.parametrize("damage", ["truncated", "not an npz", "lacks an array"])
def test_a_damaged_file_is_computed_again_and_replaced(tmp_path, damage):
    path = tmp_path / "x.npz"
    good = {"a": np.arange(100.0), "b": np.zeros(3)}
    cached_arrays(path, ["a", "b"], lambda: good)
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:200])
    elif damage == "not an npz":
        path.write_text("hello")
    else:
        np.savez(path, a=good["a"])
    calls = []
    out = cached_arrays(path, ["a", "b"], lambda: calls.append(1) or good)
    assert calls == [1] and np.array_equal(out["a"], good["a"])
    assert np.array_equal(np.load(path)["b"], good["b"])  # replaced by a complete file


def test_wrong_arrays_from_compute_are_an_error_not_a_cache(tmp_path):
    with pytest.raises(ValueError, match=r"returned arrays \['a'\], expected \['a', 'b'\]"):
        cached_arrays(tmp_path / "x.npz", ["a", "b"], lambda: {"a": np.ones(2)})
    assert not (tmp_path / "x.npz").exists()


def test_a_cache_folder_that_cannot_be_written_still_gives_the_result(tmp_path, monkeypatch):
    def refuse(path, write, **kw):  # what a read-only folder does (root may write anywhere, so simulated)
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(files_module, "atomic_write", refuse)
    out = cached_arrays(tmp_path / "x.npz", ["a"], lambda: {"a": np.ones(2)})
    assert np.array_equal(out["a"], np.ones(2)) and not (tmp_path / "x.npz").exists()


def test_catalog_blocks_are_read_back_from_disk_unchanged(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDDINGS_CACHE_DIR", str(tmp_path))
    food = C.load_catalog()[:4]
    blocks_module.forget_blocks()
    first = C.embed_catalog(food)
    assert len(list((tmp_path / "vectors").glob("catalog-*.npz"))) == 1
    blocks_module.forget_blocks()
    swatches = []
    real_swatch = blocks_module.colour_swatch
    monkeypatch.setattr(blocks_module, "colour_swatch", lambda *a, **k: swatches.append(1) or real_swatch(*a, **k))
    again = C.embed_catalog(food)
    assert swatches == [] and set(again) == {"text", "photo", "colour"}
    assert all(np.array_equal(first[k], again[k]) for k in first)
    C.embed_catalog(food, attributes=["cuisine"])  # other texts: another key, so computed
    blocks_module.forget_blocks()
    assert len(swatches) == len(food) and len(list((tmp_path / "vectors").glob("catalog-*.npz"))) == 2


def test_catalog_blocks_with_encoders_of_ones_own_stay_off_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDDINGS_CACHE_DIR", str(tmp_path))
    blocks_module.forget_blocks()
    C.embed_catalog(C.load_catalog()[:2], text_encoder=load_text_encoder())
    blocks_module.forget_blocks()
    assert not (tmp_path / "vectors").exists()


def test_the_bridge_reads_back_the_prompt_vectors_it_would_compute(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDDINGS_CACHE_DIR", str(tmp_path))
    build_label_bridge.cache_clear()
    try:
        built = build_label_bridge()
        build_label_bridge.cache_clear()
        read = build_label_bridge()
    finally:
        build_label_bridge.cache_clear()
    assert len(list((tmp_path / "vectors").glob("bridge-prompts-*.npz"))) == 1
    fresh = load_text_encoder().encode([CLASS_TEMPLATE.format(c) for c in read.class_names[:50]])
    assert np.array_equal(built.class_emb, read.class_emb) and np.allclose(read.class_emb[:50], fresh, atol=1e-5)


def test_weights_fingerprint_changes_with_any_weight_and_only_then():
    import copy

    import torch

    from helpers.models import weights_fingerprint

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))
    same = weights_fingerprint(net)
    assert same == weights_fingerprint(copy.deepcopy(net)) and len(same) == 64
    tuned = copy.deepcopy(net)
    with torch.no_grad():
        tuned[0].weight[0, 0, 0, 0] += 1e-3  # one number of one filter: a fine-tuned model
    assert weights_fingerprint(tuned) != same
    tuned = copy.deepcopy(net)
    tuned[1].running_mean += 0.5  # a buffer, not a parameter
    assert weights_fingerprint(tuned) != same
