"""The Hugging Face CLIP wrapper, checked with a tiny randomly initialised CLIP (no CLIP weights offline).

``load_clip("tiny-random-clip")`` is a test fixture for the code path the ``article`` preset
runs: shapes, normalisation, the zero-shot maths, ranking consistency, 77-token truncation and
the transformers 4.x / 5.x feature outputs. Random weights mean no semantic claims here; the
offline preset's real text-image model (the ImageNet-label bridge) is tested in test_bridge.py.
"""
from __future__ import annotations

import types
import warnings

import numpy as np
import pytest
import torch

from helpers import data
from helpers.availability import TINY_RANDOM_CLIP, get_preset
from helpers.models import ClipModel, load_clip
from helpers.models.clip import _features_tensor, build_tiny_random_clip
from helpers.similarity import cosine_similarity, top_k

QUERIES = ["cake", "cheesecake", "chocolate cake", "fish and chips", "chips", "french fries", "churros"]


@pytest.fixture(scope="module")
def clip() -> ClipModel:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the "random weights" warning has its own test
        return load_clip(TINY_RANDOM_CLIP)


@pytest.fixture(scope="module")
def food():
    recs = data.records("food")[:8]
    return recs, [r.path for r in recs]


@pytest.fixture(scope="module")
def food_emb(clip, food):
    return clip.encode_images(food[1])


def test_tiny_random_clip_is_flagged_and_not_the_offline_default(clip):
    assert get_preset().clip != TINY_RANDOM_CLIP and not get_preset().clip_is_random
    assert clip.name == TINY_RANDOM_CLIP and clip.is_random is True
    assert "RANDOM" in repr(clip)
    with pytest.warns(UserWarning, match="randomly initialised CLIP.*meaningless"):
        build_tiny_random_clip()


def test_stand_in_is_reproducible():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a, b = build_tiny_random_clip(seed=0), build_tiny_random_clip(seed=0)
    assert np.array_equal(a.encode_text(["a photo of a cat"]), b.encode_text(["a photo of a cat"]))


def test_shapes_and_normalisation(clip, food_emb, food):
    txt = clip.encode_text(QUERIES)
    assert txt.shape == (len(QUERIES), clip.dim) and food_emb.shape == (len(food[1]), clip.dim)
    assert clip.dim == clip.model.config.projection_dim == 64
    for emb in (txt, food_emb):
        assert emb.dtype == np.float32
        assert np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)


def test_empty_inputs(clip):
    assert clip.encode_text([]).shape == (0, clip.dim)
    assert clip.encode_images([]).shape == (0, clip.dim)


def test_bad_inputs_name_the_item(clip, food, tmp_path):
    with pytest.raises(TypeError, match="wrap a single text"):
        clip.encode_text("cake")
    with pytest.raises(TypeError, match="item 1 is int"):
        clip.encode_text(["cake", 3])
    bad = tmp_path / "menu.jpg"
    bad.write_text("not a photo")
    with pytest.raises(ValueError, match=r"item 2 .*menu\.jpg"):
        clip.encode_images([food[1][0], food[1][1], bad])


def test_padding_and_batching_do_not_change_embeddings(clip, food):
    texts = ["cake", "a very long description of a slice of chocolate cake on a plate", "chips"]
    one_by_one = np.concatenate([clip.encode_text([t]) for t in texts])
    assert np.allclose(clip.encode_text(texts, batch_size=64), one_by_one, atol=1e-5)
    assert np.allclose(clip.encode_images(food[1][:3], batch_size=2), clip.encode_images(food[1][:3]), atol=1e-5)


def test_text_to_image_ranking_is_consistent_with_the_similarity_matrix(clip, food_emb):
    txt = clip.encode_text(QUERIES)
    sim = txt @ food_emb.T
    assert np.allclose(sim, cosine_similarity(txt, food_emb), atol=1e-5)
    for q, query in enumerate(QUERIES):
        single = clip.encode_text([query])[0] @ food_emb.T  # what a search for one query computes
        idx, scores = top_k(single, k=3)
        assert list(idx) == list(np.argsort(-sim[q], kind="stable")[:3])
        assert np.allclose(scores, np.sort(sim[q])[::-1][:3], atol=1e-5)


def test_zero_shot_probabilities(clip, food, food_emb):
    labels = ["cake", "fries", "pizza", "salad"]
    probs = clip.zero_shot(food_emb, labels)
    assert probs.shape == (len(food_emb), len(labels)) and probs.dtype == np.float32
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5) and (probs >= 0).all()
    # softmax(logit_scale * cosine) over the prompts, computed by hand
    prompts = clip.encode_text([f"a photo of a {label}." for label in labels])
    logits = clip.logit_scale * food_emb @ prompts.T
    expected = np.exp(logits - logits.max(1, keepdims=True))
    assert np.allclose(probs, expected / expected.sum(1, keepdims=True), atol=1e-5)
    # paths and precomputed embeddings give the same answer
    assert np.allclose(clip.zero_shot(food[1][:2], labels), probs[:2], atol=1e-5)
    # the template matters (it changes the text embeddings)
    assert not np.allclose(clip.zero_shot(food_emb, labels, template="{}"), probs)


def test_zero_shot_rejects_bad_arguments(clip, food_emb):
    with pytest.raises(ValueError, match="template"):
        clip.zero_shot(food_emb, ["cake"], template="a photo of a cake")
    with pytest.raises(ValueError, match="labels is empty"):
        clip.zero_shot(food_emb, [])


def test_logit_scale_is_the_exponentiated_parameter(clip):
    assert clip.logit_scale == pytest.approx(float(clip.model.logit_scale.detach().exp()))
    assert clip.logit_scale == pytest.approx(1 / 0.07, rel=1e-3)  # CLIP's initial temperature


def test_text_over_77_tokens_is_truncated_with_a_warning(clip):
    head = "a photo of a cake with " + "strawberries and cream and " * 20  # well over 77 tokens
    assert len(clip.tokenizer(head)["input_ids"]) > clip.max_length == 77
    with pytest.warns(UserWarning, match=r"exceed CLIP's limit of 77 tokens.*item 1\b") as caught:
        emb = clip.encode_text(["cake", head + "and a cherry on top", head + "served with fries"])
    assert [w.filename for w in caught if "77 tokens" in str(w.message)] == [__file__], "warning points at the caller"
    assert emb.shape == (3, clip.dim) and np.isfinite(emb).all()
    # everything after token 77 is cut, so the two different endings give the same vector
    assert np.allclose(emb[1], emb[2], atol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clip.encode_text(["a short caption"])  # no warning for short texts


# ------------------------------------------------------------------ transformers 4.x / 5.x outputs


def test_features_tensor_accepts_both_output_styles():
    t = torch.randn(2, 8)
    assert _features_tensor(t) is t  # transformers 4.x: a tensor
    five = types.SimpleNamespace(pooler_output=t, last_hidden_state=torch.randn(2, 5, 16))
    assert _features_tensor(five) is t  # transformers 5.x: output object, .pooler_output is projected
    assert _features_tensor(types.SimpleNamespace(text_embeds=t)) is t
    with pytest.raises(TypeError, match="unexpected CLIP feature output"):
        _features_tensor(types.SimpleNamespace(logits=None))


def _projected_text(clip, texts):
    batch = clip.tokenizer(texts, padding=True, return_tensors="pt")
    with torch.inference_mode():
        out = clip.model.text_model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
        pooled = out.pooler_output
        return clip.model.text_projection(pooled)


def _projected_images(clip, paths):
    from helpers.images import load_image

    images = [load_image(p, target_size=clip.input_size) for p in paths]
    pixels = clip.image_processor(images=images, return_tensors="pt")["pixel_values"]
    with torch.inference_mode():
        return clip.model.visual_projection(clip.model.vision_model(pixel_values=pixels).pooler_output)


def test_installed_transformers_features_are_the_projected_embeddings(clip, food):
    """Whatever get_*_features returns here, we must end up with the *projected* embedding."""
    texts = ["cake", "fish and chips"]
    proj = _projected_text(clip, texts)
    expected = (proj / proj.norm(dim=-1, keepdim=True)).numpy()
    assert np.allclose(clip.encode_text(texts), expected, atol=1e-5)
    tokens = clip.tokenizer(texts, padding=True, return_tensors="pt")
    unprojected = clip.model.text_model(**{k: v for k, v in tokens.items()
                                           if k != "token_type_ids"}).pooler_output.detach()
    unprojected = (unprojected / unprojected.norm(dim=-1, keepdim=True)).numpy()
    assert not np.allclose(clip.encode_text(texts), unprojected, atol=1e-3)
    img = _projected_images(clip, food[1][:2])
    assert np.allclose(clip.encode_images(food[1][:2]), (img / img.norm(dim=-1, keepdim=True)).numpy(), atol=1e-5)


def test_transformers_4_tensor_outputs(clip, food, monkeypatch):
    """transformers 4.x returns plain tensors from get_text_features / get_image_features."""
    texts = ["cake", "fish and chips", "something cold to drink"]
    want_text, want_img = clip.encode_text(texts), clip.encode_images(food[1][:2])
    calls = []

    def text_as_tensor(input_ids, attention_mask=None, **kw):
        calls.append("text")
        out = clip.model.text_model(input_ids=input_ids, attention_mask=attention_mask)
        return clip.model.text_projection(out.pooler_output)

    def image_as_tensor(pixel_values, **kw):
        calls.append("image")
        return clip.model.visual_projection(clip.model.vision_model(pixel_values=pixel_values).pooler_output)

    monkeypatch.setattr(clip.model, "get_text_features", text_as_tensor)
    monkeypatch.setattr(clip.model, "get_image_features", image_as_tensor)
    assert np.allclose(clip.encode_text(texts), want_text, atol=1e-5)
    assert np.allclose(clip.encode_images(food[1][:2]), want_img, atol=1e-5)
    assert calls == ["text", "image"]


def test_text_query_grid_draws_one_row_per_query(clip, food, food_emb):
    import matplotlib.pyplot as plt

    from helpers.plots import text_query_grid

    queries = ["cake", "chips"]
    found = [top_k(row, 3) for row in clip.encode_text(queries) @ food_emb.T]
    fig = text_query_grid(queries, [[food[1][i] for i in idx] for idx, _ in found], [s for _, s in found],
                          [[food[0][i].name for i in idx] for idx, _ in found])
    assert len(fig.axes) == 6
    assert fig.axes[0].get_ylabel() == '"cake"' and fig.axes[3].get_ylabel() == '"chips"'
    idx, scores = found[1]
    assert fig.axes[3].get_title() == f"{food[0][idx[0]].name}\n{scores[0]:.3f}"
    plt.close(fig)
    with pytest.raises(ValueError, match="nothing to show"):
        text_query_grid([], [], [])
