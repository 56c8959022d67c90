"""CLIP's loss and the linear map of notebook 5, section 6 (helpers.contrastive), and its side-by-side with CLIP.

The notebook writes the loss out (log-softmax, the diagonal, both ways) and trains the map with a loop of its
own; the helpers are the same, for reuse. These tests take the notebook's cells as they are and check that
the helpers equal them, that the loss as written equals ``F.cross_entropy`` taken both ways, and (real models,
slow) that the learned map finds classes it never saw far more often than chance. The opt-in real-CLIP
section's code path runs here with a randomly initialised tiny CLIP (no CLIP weights offline).
"""
from __future__ import annotations

import ast
import math
import warnings
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers import data
from helpers.contrastive import LinearMapModel, contrastive_loss, retrieval_accuracy, train_linear_map
from helpers.side_by_side import CAKES, DISH_QUERIES, answers, caption, side_by_side

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "05_clip_text_and_images.ipynb"


def _cell(marker: str) -> str:
    """The source of notebook 5's one code cell that contains ``marker``."""
    cells = [c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells
             if c.cell_type == "code" and marker in c.source]
    assert len(cells) == 1, f"{len(cells)} cells of notebook 5 contain {marker!r}"
    return cells[0]


def _notebook_clip_loss():
    """``clip_loss`` exactly as section 6's cell defines it (only the ``def``, run on its own)."""
    tree = ast.parse(_cell("def clip_loss("))
    (fn,) = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "clip_loss"]
    namespace: dict = {"torch": torch}
    exec(compile(ast.Module(body=[fn], type_ignores=[]), "notebook 5: clip_loss", "exec"), namespace)
    return namespace["clip_loss"]


def _batch(n: int, d: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=gen) * 2, torch.randn(n, d, generator=gen) + 0.5


@pytest.mark.parametrize("n, d, temperature", [(2, 3, 1.0), (9, 16, 0.05), (256, 64, 0.07)])
def test_the_loss_as_written_equals_cross_entropy_both_ways(n, d, temperature):
    clip_loss = _notebook_clip_loss()
    text, image = _batch(n, d, seed=n)
    logits = F.normalize(text, dim=1) @ F.normalize(image, dim=1).T / temperature
    right = torch.arange(n)
    both_ways = (F.cross_entropy(logits, right) + F.cross_entropy(logits.T, right)) / 2
    written_out = clip_loss(text, image, temperature)
    assert torch.allclose(written_out, both_ways, rtol=1e-5, atol=1e-6)
    assert torch.allclose(contrastive_loss(text, image, temperature), both_ways, rtol=1e-5, atol=1e-6)


def test_the_helper_has_the_same_gradients_as_the_cell():
    clip_loss = _notebook_clip_loss()
    text, image = _batch(32, 8, seed=1)
    grads = []
    for loss_fn in (clip_loss, contrastive_loss):
        t, i = text.clone().requires_grad_(), image.clone().requires_grad_()
        loss_fn(t, i, 0.05).backward()
        grads.append((t.grad, i.grad))
    assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(*grads))


def test_the_loss_is_symmetric_low_for_matched_pairs_and_about_ln_n_for_noise():
    text, image = _batch(64, 32, seed=2)
    assert torch.isclose(contrastive_loss(text, image), contrastive_loss(image, text))
    assert contrastive_loss(text, text, 0.05) < 0.01   # every pair is its own best match, by a wide margin
    assert abs(contrastive_loss(text, image, 100.0).item() - math.log(64)) < 0.01   # a huge temperature: guessing


def test_the_loss_rejects_bad_arguments():
    text, image = _batch(4, 3, seed=3)
    with pytest.raises(ValueError, match="same shape"):
        contrastive_loss(text, image[:3])
    with pytest.raises(ValueError, match="temperature"):
        contrastive_loss(text, image, 0.0)
    with pytest.raises(ValueError, match="batch_size"):
        train_linear_map(text, image, torch.arange(4), batch_size=8)


@pytest.mark.slow
def test_train_linear_map_equals_the_notebooks_training_loop(monkeypatch):
    """Section 6's training cell, run as it is on stand-in pairs (same shapes), gives the helper's map."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setattr(plt, "show", lambda *a, **k: plt.close("all"))
    gen = torch.Generator().manual_seed(4)
    text_vecs, image_vecs = torch.randn(400, 384, generator=gen), torch.randn(400, 1280, generator=gen)
    train = torch.randperm(400, generator=gen)[:300]
    namespace = {"torch": torch, "math": math, "plt": plt, "clip_loss": _notebook_clip_loss(),
                 "text_vecs": text_vecs, "class_rows": image_vecs, "train": train}
    exec(compile(_cell("optimizer.step()"), "notebook 5: training", "exec"), namespace)
    mapped, losses = train_linear_map(text_vecs, image_vecs, train)
    assert np.allclose(namespace["losses"], losses, rtol=1e-4, atol=1e-5)
    gap = (namespace["to_image"].weight - mapped.weight).abs().max().item()
    assert gap < 1e-3 * mapped.weight.abs().max().item(), gap   # float rounding only (log-softmax vs cross_entropy)


@pytest.fixture(scope="module")
def bridge():
    from helpers.availability import IMAGENET_BRIDGE
    from helpers.models import load_clip

    return load_clip(IMAGENET_BRIDGE)


@pytest.fixture(scope="module")
def pairs(bridge):
    """Notebook 5's pairs and split: MiniLM's class sentences, EfficientNet-Lite0's class rows, 800 / 200."""
    text_vecs = torch.from_numpy(bridge.class_emb)
    image_vecs = bridge.image_encoder.head.weight.detach().cpu()
    order = torch.randperm(len(text_vecs), generator=torch.Generator().manual_seed(0))
    return text_vecs, image_vecs, order[:800], order[800:]


@pytest.fixture(scope="module")
def learned(pairs):
    text_vecs, image_vecs, train, _ = pairs
    return train_linear_map(text_vecs, image_vecs, train)


@pytest.mark.slow
def test_the_learned_map_finds_held_out_classes_far_above_chance(pairs, learned):
    text_vecs, image_vecs, train, held_out = pairs
    mapped, losses = learned
    assert len(set(train.tolist()) & set(held_out.tolist())) == 0 and len(held_out) == 200
    assert losses[-1] < 0.2 * losses[0]
    acc = retrieval_accuracy(mapped, text_vecs[held_out], image_vecs[held_out])
    assert acc[1] > 20 * (1 / 200) and acc[5] > 10 * (5 / 200), acc   # chance: 0.005 and 0.025
    # the same numbers as the notebook's cell computes them (argmax and topk)
    with torch.no_grad():
        sim = F.normalize(mapped(text_vecs[held_out]), dim=1) @ F.normalize(image_vecs[held_out], dim=1).T
    right = torch.arange(200)
    assert acc[1] == pytest.approx((sim.argmax(dim=1) == right).float().mean().item())
    assert acc[5] == pytest.approx((sim.topk(5, dim=1).indices == right[:, None]).any(dim=1).float().mean().item())
    # an untrained map is at chance level
    torch.manual_seed(0)
    assert retrieval_accuracy(torch.nn.Linear(384, 1280, bias=False), text_vecs[held_out],
                              image_vecs[held_out])[1] < 0.05


@pytest.mark.slow
def test_the_learned_map_as_a_text_image_model(bridge, learned):
    model = LinearMapModel(bridge.text_encoder, bridge.image_encoder, learned[0])
    shared = [r for category in ("cats", "dogs", "food", "people") for r in data.records(category)]
    txt, img = model.encode_text([caption(r) for r in shared]), model.encode_images([r.path for r in shared])
    assert txt.shape == img.shape == (len(shared), 1280) and model.logit_scale == pytest.approx(20.0)
    assert np.allclose(np.linalg.norm(txt, axis=1), 1, atol=1e-5) and model.encode_text([]).shape == (0, 1280)
    first = np.mean((txt @ img.T).argmax(axis=1) == np.arange(len(shared)))
    assert first > 3 / len(shared)   # captions find their own photo well above chance (1 in 45)


@pytest.fixture(scope="module")
def tiny_clip():
    from helpers.availability import TINY_RANDOM_CLIP
    from helpers.models import load_clip

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "randomly initialised": known, it only runs the code path
        return load_clip(TINY_RANDOM_CLIP)


@pytest.fixture(scope="module")
def shared_photos():
    return [r for category in ("cats", "dogs", "food", "people") for r in data.records(category)]


def test_side_by_side_runs_the_real_clip_code_path(tiny_clip, shared_photos):
    """The opt-in section's call, with a randomly initialised CLIP in CLIP's place: every row, both columns."""
    emb = tiny_clip.encode_images([r.path for r in shared_photos])
    table = side_by_side({"CLIP": tiny_clip, "CLIP, vectors given": tiny_clip}, shared_photos,
                         image_emb={"CLIP, vectors given": emb})
    assert list(table.columns) == ["CLIP", "CLIP, vectors given"] and len(table) == len(CAKES) + len(DISH_QUERIES) + 2
    assert (table["CLIP"] == table["CLIP, vectors given"]).all()
    food = {r.name for r in shared_photos if r.category == "food"}
    for query in DISH_QUERIES:
        assert table.loc[f"first food photo for {query!r}", "CLIP"] in food
    numbers = [v for v in table["CLIP"] if not isinstance(v, str)]
    assert len(numbers) == len(CAKES) + 2 and all(0 <= v <= 1 for v in numbers)
    # one row recomputed by hand: P(red velvet cake) of the red velvet cake
    i = [r.name for r in shared_photos].index("red_velvet_mini_cake")
    prompts = tiny_clip.encode_text(["a photo of a cake.", "a photo of a red velvet cake."])
    logits = tiny_clip.logit_scale * emb[i] @ prompts.T
    p = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    assert table.loc["P(red velvet cake) of red_velvet_mini_cake", "CLIP"] == pytest.approx(round(p[1], 3), abs=1e-3)


def test_answers_name_what_is_missing(tiny_clip, shared_photos):
    pets = [r for r in shared_photos if r.category in ("cats", "dogs")]
    with pytest.raises(ValueError, match="lacks"):
        answers(tiny_clip, pets)
    with pytest.raises(ValueError, match="image_emb has shape"):
        answers(tiny_clip, shared_photos, image_emb=np.zeros((3, tiny_clip.dim), dtype=np.float32))


def test_caption_is_the_notebooks():
    pug = data.record("d2l_dog1_pug")
    assert caption(pug) == "a photo of dog, pug puppy"
    assert "caption(r) for r in food" in _cell("captions = [")
    assert "caption(r) for r in shared" in _cell("captions_45 =")


# --- exercise 7: the loss with F.cross_entropy ----------------------------------------------------------------

def test_nb05_symmetric_loss_check():
    from helpers.exercises import nb05

    clip_loss = _notebook_clip_loss()

    def right(text, image, temperature):
        logits = F.normalize(text, dim=1) @ F.normalize(image, dim=1).T / temperature
        target = torch.arange(len(text))
        return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2

    def one_way(text, image, temperature):
        logits = F.normalize(text, dim=1) @ F.normalize(image, dim=1).T / temperature
        return F.cross_entropy(logits, torch.arange(len(text)))

    def summed(text, image, temperature):
        return 2 * right(text, image, temperature)

    def not_normalised(text, image, temperature):
        logits = text @ image.T / temperature
        target = torch.arange(len(text))
        return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2

    def starter(text, image, temperature):
        raise NotImplementedError

    result = nb05.check_symmetric_loss.evaluate(right, clip_loss)
    assert result.ok and "3 batches" in result.message, result.line
    assert nb05.check_symmetric_loss.evaluate(lambda t, i, tau: right(t, i, tau).item(), clip_loss).ok
    assert nb05.check_symmetric_loss.evaluate(clip_loss, clip_loss).ok   # the written-out form is right too
    for wrong, hint in [(one_way, "one direction"), (summed, "not their sum"), (not_normalised, "length 1"),
                        (lambda t, i, tau: torch.zeros(3), "one number")]:
        result = nb05.check_symmetric_loss.evaluate(wrong, clip_loss)
        assert result.status == "wrong" and hint in result.message, result.line
    assert nb05.check_symmetric_loss.evaluate(starter, clip_loss).status == "unanswered"
