"""Model availability: choosing presets fast and failing clearly without a network."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import availability as presets
from helpers import models
from helpers.models.images import build_resnet18

ROOT = Path(__file__).resolve().parents[1]


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
    with pytest.raises(ValueError, match="not a preset; use one of: article, offline, or leave it unset"):
        presets.get_preset("bogus")
    with pytest.raises(ValueError, match="'auto' is gone"):
        presets.get_preset("auto")


def test_other_presets_say_the_text_describes_the_default():
    default = presets.get_preset(presets.DEFAULT_PRESET)
    assert "\n" not in presets.banner(default) and "the default" in default.reason
    article = presets.get_preset("article")
    first, second = presets.banner(article).split("\n")
    assert first.startswith("Preset 'article' [your choice, EMBEDDINGS_MODELS=article]")
    assert "default preset, 'offline'" in second and "✓/✗" in second


def _fake_article_caches(root: Path) -> dict[str, str]:
    """HF_HOME and TORCH_HOME holding (empty) files where the article's weights would be cached."""
    for repo in (presets.PRESETS["article"].text, presets.PRESETS["article"].clip):
        folder = root / "hf" / "hub" / f"models--{repo.replace('/', '--')}"
        (folder / "refs").mkdir(parents=True)
        (folder / "refs" / "main").write_text("abc123")
        snapshot = folder / "snapshots" / "abc123"
        snapshot.mkdir(parents=True)
        for name in ("config.json", "model.safetensors"):
            (snapshot / name).write_text("{}")
    checkpoints = root / "torch" / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    (checkpoints / "resnet18-f37072fd.pth").write_bytes(b"")
    return {"HF_HOME": str(root / "hf"), "TORCH_HOME": str(root / "torch")}


def test_default_is_the_tested_preset_even_with_the_article_models_cached(tmp_path):
    """No network probe, no cache decides: a learner with the article's models cached still gets the default."""
    env = {k: v for k, v in os.environ.items() if k not in ("EMBEDDINGS_MODELS", "HF_HUB_OFFLINE")}
    env.update(_fake_article_caches(tmp_path), PYTHONPATH=str(ROOT))
    code = ("from helpers.availability import article_models_cached\n"
            "print('cached', article_models_cached())\n"
            "from helpers.notebook import setup\n"
            "setup()")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    cached, banner = out.stdout.splitlines()[:2]
    assert cached == "cached True", "the fake caches must look like the article's models"
    assert banner.startswith(f"Preset '{presets.DEFAULT_PRESET}' [the default"), banner


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
