"""What CLIP and the offline ImageNet-label bridge share: texts and images in one space, and zero-shot.

Both :class:`~helpers.models.clip.ClipModel` and :class:`~helpers.models.bridge.LabelBridge` are
a :class:`TextImageModel`: ``encode_text`` and ``encode_images`` give unit-norm rows of the same
width, ``logit_scale`` is the temperature, and :meth:`TextImageModel.zero_shot` (written once, here)
turns them into a classifier for any list of labels.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..images import ImageInput

__all__ = ["TextImageModel"]


class TextImageModel:
    """Texts and images embedded into one space; a subclass provides the two encoders and the temperature."""

    name: str
    dim: int
    is_random: bool = False

    @property
    def logit_scale(self) -> float:
        """The temperature of :meth:`zero_shot`: logits = scale x cosine."""
        raise NotImplementedError

    def encode_text(self, texts: Sequence[str], batch_size: int = 64, progress: bool | None = None) -> np.ndarray:
        raise NotImplementedError

    def encode_images(self, items: Sequence[ImageInput], batch_size: int = 32,
                      progress: bool | None = None) -> np.ndarray:
        raise NotImplementedError

    def zero_shot(
        self,
        images: Sequence[ImageInput] | np.ndarray,
        labels: Sequence[str],
        template: str = "a photo of a {}.",
    ) -> np.ndarray:
        """Zero-shot classification: probabilities ``(n_images, n_labels)``, rows sum to 1.

        Each label becomes a prompt (``template.format(label)``); the logits are
        ``logit_scale * cosine(image, prompt)`` and a softmax over the labels
        turns them into probabilities. ``images`` may be precomputed image
        embeddings (a 2-D float array) to avoid encoding twice.
        """
        if "{}" not in template:
            raise ValueError(f"template must contain '{{}}' where the label goes, got {template!r}")
        if not labels:
            raise ValueError("labels is empty: zero-shot classification needs at least one label")
        if isinstance(images, np.ndarray) and images.dtype.kind == "f" and images.ndim == 2:
            img = images.astype(np.float32)
        else:
            img = self.encode_images(images)
        txt = self.encode_text([template.format(label) for label in labels])
        logits = self.logit_scale * (img @ txt.T)
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        return (probs / probs.sum(axis=1, keepdims=True)).astype(np.float32)
