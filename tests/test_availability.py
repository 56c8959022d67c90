"""Model availability: choosing presets fast and failing clearly without a network."""
import time

import pytest

from helpers import availability as presets
from helpers import models
from helpers.models.images import build_resnet18


def test_offline_preset_and_banner(monkeypatch):
    p = presets.get_preset("offline")
    assert (p.text, p.image, p.clip) == (presets.MINILM, "efficientnet-lite0", presets.IMAGENET_BRIDGE)
    assert not p.clip_is_random
    line = presets.banner(p)
    assert "offline" in line and "all-MiniLM-L6-v2" in line and "ImageNet-label bridge" in line
    assert "meaningless" not in line and "\n" not in line
    random_clip = presets.Preset("test", p.text, p.image, presets.TINY_RANDOM_CLIP)
    assert "RANDOM weights" in presets.banner(random_clip), "a random stand-in names itself in the banner"


def test_unknown_preset_is_a_clear_error():
    with pytest.raises(ValueError, match="not a preset.*auto, article, offline"):
        presets.get_preset("bogus")


def test_auto_decides_offline_quickly_without_network(monkeypatch):
    monkeypatch.setattr(presets, "article_models_cached", lambda: False)
    monkeypatch.setattr(presets, "HF_HOST", "hub.invalid")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    presets._resolve.cache_clear()
    try:
        t0 = time.perf_counter()
        p = presets.get_preset("auto")
        assert time.perf_counter() - t0 < 5
        assert p.name == "offline" and "no network" in p.reason
    finally:
        presets._resolve.cache_clear()


def test_auto_picks_article_when_cached(monkeypatch):
    monkeypatch.setattr(presets, "article_models_cached", lambda: True)
    presets._resolve.cache_clear()
    try:
        assert presets.get_preset("auto").name == "article"
    finally:
        presets._resolve.cache_clear()


def test_host_probe_gives_up_in_time():
    t0 = time.perf_counter()
    assert presets.host_reachable("hub.invalid", timeout=0.5) is False
    assert time.perf_counter() - t0 < 2


@pytest.mark.parametrize("loader, name", [
    (models.load_text_encoder, "distilbert-base-uncased"),
    (models.load_clip, "openai/clip-vit-base-patch32"),
])
def test_article_models_fail_fast_with_advice_when_offline(monkeypatch, loader, name):
    if presets.hf_model_cached(name):
        pytest.skip(f"{name} is cached on this machine, so it loads without a network")
    monkeypatch.setattr(presets, "host_reachable", lambda *a, **k: False)
    t0 = time.perf_counter()
    with pytest.raises(models.ModelUnavailableError, match="EMBEDDINGS_MODELS=offline"):
        loader(name)
    assert time.perf_counter() - t0 < 10


def test_resnet_weights_fail_fast_when_offline(monkeypatch, tmp_path):
    import torch

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    monkeypatch.setattr(presets, "host_reachable", lambda *a, **k: False)
    with pytest.raises(models.ModelUnavailableError, match="connect to the internet once|Connect to the internet once"):
        build_resnet18(pretrained=True)


def test_try_load_reports_and_returns_none(monkeypatch, capsys):
    if presets.hf_model_cached("distilbert-base-uncased"):
        pytest.skip("distilbert-base-uncased is cached on this machine")
    monkeypatch.setattr(presets, "host_reachable", lambda *a, **k: False)
    assert models.try_load_text_encoder("distilbert-base-uncased") is None
    assert "not available here" in capsys.readouterr().out


def test_device_override(monkeypatch):
    monkeypatch.setenv("EMBEDDINGS_DEVICE", "cpu")
    assert str(models.get_device()) == "cpu"
