"""A text-image space built offline from two ordinary models, with ImageNet's labels as the bridge.

No CLIP weights install without the Hugging Face Hub, but two real pretrained models do:
MiniLM (sentences -> 384-d vectors) and EfficientNet-Lite0 (an ImageNet classifier). The
classifier's 1,000 class names are text, so they connect the two:

* a **text** is embedded by MiniLM, as in notebook 1;
* a **photo** is classified by EfficientNet-Lite0 (softmax over the 1,000 classes), and its
  vector is the probability-weighted average of the MiniLM vectors of ``"a photo of a {class}."``,
  scaled to length 1. A photo that is 84 % "pug" lands next to the sentence "a photo of a pug.".

Both kinds of vector then live in MiniLM's space and can be compared with a dot product, which
gives text -> image search and zero-shot classification like CLIP's: both are a
:class:`~helpers.models.joint.TextImageModel`. What it cannot do: see anything ImageNet has no class
for (churros, french fries, fish and chips, red velvet cake), because a photo is described only
by those 1,000 words. CLIP learned from 400 million captions instead.
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np
import torch

from ..availability import IMAGENET_BRIDGE, MINILM
from ..images import ImageInput
from ._common import check_batch_size, check_image_items
from .joint import TextImageModel

__all__ = ["LabelBridge", "build_label_bridge", "CLASS_TEMPLATE", "BRIDGE_LOGIT_SCALE"]

#: How each ImageNet class name is written before MiniLM embeds it.
CLASS_TEMPLATE = "a photo of a {}."

#: The bridge's temperature. Chosen, not learned: its cosines spread about five times wider than
#: CLIP's, so CLIP's 100 would turn every zero-shot answer into a certainty.
BRIDGE_LOGIT_SCALE = 20.0


class LabelBridge(TextImageModel):
    """Texts through MiniLM, photos through their ImageNet class probabilities, into one space.

    ``encode_text`` and ``encode_images`` return unit-norm ``float32`` rows of the same width,
    so ``text_emb @ image_emb.T`` is a text x image cosine matrix, as with CLIP.

    A photo's vector comes from the image encoder's features (:meth:`embed_features`), so an
    application that also wants the image encoder's own embedding of the same photos computes the
    features once and passes them to both (see ``mycollection.encoders``).
    """

    def __init__(self, text_encoder, image_encoder, class_names: Sequence[str], name: str = IMAGENET_BRIDGE,
                 template: str = CLASS_TEMPLATE, logit_scale: float = BRIDGE_LOGIT_SCALE,
                 class_emb: np.ndarray | None = None):
        """``text_encoder``: MiniLM, or a function that loads it. With ``class_emb`` (the prompts' vectors, kept
        from an earlier run) that function is called only when a text is first embedded: photos need only the
        image encoder and ``class_emb`` (a Ray worker that embeds photos never loads MiniLM)."""
        if image_encoder.head is None:
            raise ValueError(f"{image_encoder.name} has no classifier head: the bridge needs its class probabilities")
        n_out = int(image_encoder.head.out_features) if hasattr(image_encoder.head, "out_features") else None
        if n_out is not None and n_out != len(class_names):
            raise ValueError(f"{image_encoder.name} predicts {n_out} classes but {len(class_names)} names were given")
        if "{}" not in template:
            raise ValueError(f"template must contain '{{}}' where the class name goes, got {template!r}")
        self.name = name
        self._text, self._load_text = (text_encoder, None) if hasattr(text_encoder, "encode") else (None, text_encoder)
        self.image_encoder = image_encoder
        self.device = image_encoder.device
        self.class_names = list(class_names)
        self.class_prompts = [template.format(c) for c in self.class_names]
        if class_emb is None:
            class_emb = self.text_encoder.encode(self.class_prompts, batch_size=32, progress=False)
        elif class_emb.ndim != 2 or class_emb.shape[0] != len(self.class_names):
            raise ValueError(f"class_emb has shape {class_emb.shape}, expected ({len(self.class_names)}, dim): "
                             "one text-encoder vector per class prompt")
        #: MiniLM vectors of the class prompts, ``(n_classes, dim)``: the bridge itself.
        self.class_emb = class_emb
        self.dim = int(class_emb.shape[1])
        self._logit_scale = float(logit_scale)

    @property
    def text_encoder(self):
        """MiniLM (loaded on first use when the bridge was given a function that loads it)."""
        if self._text is None:
            self._text = self._load_text()
        return self._text

    @property
    def tokenizer(self):
        return self.text_encoder.tokenizer

    @property
    def max_length(self) -> int:
        return self.text_encoder.max_length

    def __repr__(self) -> str:
        return (f"LabelBridge({self.name!r}, dim={self.dim}, classes={len(self.class_names)}, "
                f"max_length={self.max_length}, device={self.device})")

    @property
    def logit_scale(self) -> float:
        """The temperature of :meth:`zero_shot`: logits = scale x cosine (fixed, see ``BRIDGE_LOGIT_SCALE``)."""
        return self._logit_scale

    def encode_text(self, texts: Sequence[str], batch_size: int = 64, progress: bool | None = None) -> np.ndarray:
        """Embed texts with MiniLM (texts over ``max_length`` tokens are truncated with a warning)."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            emb = self.text_encoder.encode(texts, batch_size=batch_size, progress=progress)
        for w in caught:  # re-issued so that they point at the caller's line, not at this one
            warnings.warn(w.message, w.category, stacklevel=2)
        return emb

    def class_probabilities(self, items: Sequence[ImageInput], batch_size: int = 32,
                            progress: bool | None = None) -> np.ndarray:
        """The classifier's softmax over the ImageNet classes for each image: ``(n, n_classes)``."""
        check_batch_size(batch_size)
        items = check_image_items(items)
        if not items:
            return np.empty((0, len(self.class_names)), dtype=np.float32)
        return self.probabilities_of_features(self.image_encoder.features(items, batch_size=batch_size,
                                                                          progress=progress))

    @torch.inference_mode()
    def probabilities_of_features(self, feats: np.ndarray) -> np.ndarray:
        """The classifier head's softmax for image-encoder features ``(n, d)`` (from ``image_encoder.features``)."""
        x = torch.from_numpy(np.asarray(feats, dtype=np.float32)).to(self.image_encoder.device)
        return self.image_encoder.head(x).softmax(dim=-1).float().cpu().numpy()

    def embed_features(self, feats: np.ndarray) -> np.ndarray:
        """Image-encoder features ``(n, d)`` -> unit-norm vectors in the text space (one forward pass less)."""
        return self.embed_probabilities(self.probabilities_of_features(feats))

    def embed_probabilities(self, probs: np.ndarray) -> np.ndarray:
        """Class probabilities ``(n, n_classes)`` -> unit-norm vectors in the text space."""
        probs = np.asarray(probs, dtype=np.float32)
        if probs.ndim != 2 or probs.shape[1] != len(self.class_names):
            raise ValueError(f"expected probabilities of shape (n, {len(self.class_names)}), got {probs.shape}")
        v = probs @ self.class_emb
        return (v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)).astype(np.float32)

    def encode_images(self, items: Sequence[ImageInput], batch_size: int = 32,
                      progress: bool | None = None) -> np.ndarray:
        """Embed images: their class probabilities times the class-prompt vectors, unit length."""
        return self.embed_probabilities(self.class_probabilities(items, batch_size, progress))

    def top_classes(self, items: Sequence[ImageInput], k: int = 3) -> list[list[tuple[str, float]]]:
        """The ``k`` most probable ImageNet classes of each image: the words the bridge sees it as."""
        probs = self.class_probabilities(items)
        order = np.argsort(-probs, axis=1, kind="stable")[:, :k]
        return [[(self.class_names[j], float(p[j])) for j in row] for p, row in zip(probs, order)]


@cache
def build_label_bridge(logit_scale: float = BRIDGE_LOGIT_SCALE) -> LabelBridge:
    """The bridge from the packaged MiniLM and EfficientNet-Lite0 (whatever the preset): no network.

    The 1,000 prompt vectors are computed once and kept in the cache folder (``vectors/``), under a key
    of the prompts, MiniLM's files and the code that embeds them; MiniLM itself loads when a text is
    first embedded.
    """
    from ..availability import resolve_text_name
    from ..data import cache_base
    from ..files import cached_arrays, content_key
    from .images import imagenet_categories, load_image_encoder
    from .text import load_text_encoder

    names = imagenet_categories()
    prompts = [CLASS_TEMPLATE.format(c) for c in names]
    key = content_key("bridge prompts", MINILM, _weight_files(resolve_text_name(MINILM)), prompts, torch.__version__,
                      code=("helpers.models.text", "helpers.models._common"))
    class_emb = cached_arrays(cache_base() / "vectors" / f"bridge-prompts-{key[:16]}.npz", ["class_emb"], lambda: {
        "class_emb": load_text_encoder(MINILM).encode(prompts, batch_size=32, progress=False)})["class_emb"]
    return LabelBridge(lambda: load_text_encoder(MINILM), load_image_encoder("efficientnet-lite0"), names,
                       logit_scale=logit_scale, class_emb=class_emb)


def _weight_files(model: str) -> list:
    """A local model folder's files by name, size and modification time (a reinstall or another version
    changes them) without loading the model; a hub id stands for itself."""
    folder = Path(model)
    if not folder.is_dir():
        return [model]
    return sorted((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in folder.iterdir() if f.is_file())
