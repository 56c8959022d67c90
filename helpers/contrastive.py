"""CLIP's training loss (symmetric InfoNCE), and a linear map between two frozen encoders trained with it.

Notebook 5 writes the loss out in a cell (log-softmax, the diagonal, both ways) and trains the map with a
loop of its own; this module is the same, kept for reuse (its exercises, the side-by-side with real CLIP)
and checked against the notebook's cell in ``tests/test_contrastive.py``:

* :func:`contrastive_loss` - a batch of n (text, image) pairs -> the mean cross-entropy, text -> image and
  image -> text, of the n x n cosine matrix divided by a temperature (Radford et al. 2021, CLIP);
* :func:`train_linear_map` - a linear map from one space to the other, trained with that loss on the pairs
  of a training set (seeded: the same map on every run);
* :func:`retrieval_accuracy` - how often each text finds its own image among the candidates (top-k);
* :class:`LinearMapModel` - two frozen encoders and the trained map as a
  :class:`~helpers.models.joint.TextImageModel` (search and zero-shot like the bridge and CLIP).

CLIP trains both encoders from scratch on 400 million pairs, with batches of 32,768 and a learned
temperature; here both encoders stay frozen and only the map is learned.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .images import ImageInput
from .models.joint import TextImageModel

__all__ = ["contrastive_loss", "train_linear_map", "retrieval_accuracy", "LinearMapModel"]


def contrastive_loss(text: torch.Tensor, image: torch.Tensor, temperature: float = 0.05) -> torch.Tensor:
    """CLIP's loss for ``n`` pairs: row ``i`` of ``text`` ``(n, d)`` and row ``i`` of ``image`` ``(n, d)`` match.

    The rows are scaled to length 1, every text is scored against every image (cosine / ``temperature``) and
    the cross-entropy is taken both ways, with the right answers on the diagonal; the result is their mean.
    """
    if text.ndim != 2 or text.shape != image.shape:
        raise ValueError(f"expected two (n, d) batches of the same shape, got {tuple(text.shape)} and "
                         f"{tuple(image.shape)}")
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    logits = F.normalize(text, dim=1) @ F.normalize(image, dim=1).T / temperature
    right = torch.arange(len(text), device=logits.device)
    return (F.cross_entropy(logits, right) + F.cross_entropy(logits.T, right)) / 2


def train_linear_map(text: torch.Tensor, image: torch.Tensor, train: torch.Tensor, steps: int = 100,
                     batch_size: int = 256, temperature: float = 0.05, lr: float = 3e-3,
                     seed: int = 0) -> tuple[torch.nn.Linear, list[float]]:
    """A linear map (no bias) from ``text``'s space to ``image``'s, trained with :func:`contrastive_loss`.

    ``text`` ``(n, d_text)`` and ``image`` ``(n, d_image)``: row ``i`` of each is a pair; ``train``: the row
    indices to learn from. Each step draws ``batch_size`` of them at random (seeded) and takes one AdamW
    step. Returns the map and the loss of every step. The same arguments give the same map.
    """
    if len(text) != len(image):
        raise ValueError(f"text has {len(text)} rows and image {len(image)}: one row of each per pair")
    if not 1 <= batch_size <= len(train):
        raise ValueError(f"batch_size must be between 1 and the {len(train)} training pairs, got {batch_size}")
    torch.manual_seed(seed)
    to_image = torch.nn.Linear(text.shape[1], image.shape[1], bias=False)
    optimizer = torch.optim.AdamW(to_image.parameters(), lr=lr)
    batches = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(steps):
        batch = train[torch.randperm(len(train), generator=batches)[:batch_size]]
        loss = contrastive_loss(to_image(text[batch]), image[batch], temperature)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return to_image, losses


@torch.no_grad()
def retrieval_accuracy(to_image: torch.nn.Module, text: torch.Tensor, image: torch.Tensor,
                       k: Sequence[int] = (1, 5)) -> dict[int, float]:
    """For each ``k``: the share of texts whose own image (same row) is among the ``k`` most similar images.

    Texts are mapped with ``to_image``; candidates are all rows of ``image``, so chance is ``k / len(image)``.
    """
    sim = F.normalize(to_image(text), dim=1) @ F.normalize(image, dim=1).T
    right = torch.arange(len(text))
    ranked = sim.argsort(dim=1, descending=True, stable=True)
    return {j: (ranked[:, :j] == right[:, None]).any(dim=1).float().mean().item() for j in k}


class LinearMapModel(TextImageModel):
    """A text encoder, an image encoder and a linear map from the first's space into the second's.

    ``encode_text``: the text encoder's vectors through the map, scaled to length 1; ``encode_images``: the image
    encoder's own unit vectors. ``logit_scale`` is ``1 / temperature``, the temperature the map was trained at.
    """

    def __init__(self, text_encoder, image_encoder, to_image: torch.nn.Module, temperature: float = 0.05,
                 name: str | None = None):
        self.text_encoder, self.image_encoder, self.to_image = text_encoder, image_encoder, to_image.eval()
        self.dim = int(image_encoder.dim)
        self.name = name or f"{text_encoder.name} -> {image_encoder.name}, linear map (CLIP's loss)"
        self._logit_scale = 1.0 / float(temperature)

    def __repr__(self) -> str:
        return f"LinearMapModel({self.name!r}, dim={self.dim})"

    @property
    def logit_scale(self) -> float:
        return self._logit_scale

    @torch.no_grad()
    def encode_text(self, texts: Sequence[str], batch_size: int = 64, progress: bool | None = None) -> np.ndarray:
        emb = torch.from_numpy(self.text_encoder.encode(texts, batch_size=batch_size, progress=progress))
        if len(emb) == 0:
            return np.empty((0, self.dim), dtype=np.float32)
        return F.normalize(self.to_image(emb.float()), dim=1).numpy().astype(np.float32)

    def encode_images(self, items: Sequence[ImageInput], batch_size: int = 32,
                      progress: bool | None = None) -> np.ndarray:
        return self.image_encoder.encode(items, batch_size=batch_size, progress=progress)
