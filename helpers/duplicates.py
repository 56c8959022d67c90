"""Near-duplicates: photos whose image embeddings are almost the same (a re-save, a resize, a crop).

Where to draw the line is measured, not guessed: :func:`calibrate` makes copies of a few photos
(JPEG re-encoded at low quality, half size, cropped, brightened), embeds originals and copies, and
picks the cosine threshold that best separates "photo vs its own copy" from "photo vs another photo"
(highest F1), reporting the precision and recall it reaches on that set.
"""
from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageEnhance

from .images import load_image

__all__ = ["COPIES", "make_copies", "Calibration", "calibrate", "near_duplicates"]


def _jpeg(img: Image.Image, quality: int = 30) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def _crop(img: Image.Image, keep: float = 0.8) -> Image.Image:
    w, h = img.size
    dx, dy = int(w * (1 - keep) / 2), int(h * (1 - keep) / 2)
    return img.crop((dx, dy, w - dx, h - dy))


#: The kinds of copy a collection accumulates, each as a function PIL image -> PIL image.
COPIES: dict[str, Callable[[Image.Image], Image.Image]] = {
    "JPEG quality 30": _jpeg,
    "half size": lambda im: im.resize((max(1, im.width // 2), max(1, im.height // 2)), Image.Resampling.BILINEAR),
    "cropped to 80%": _crop,
    "brighter (+30%)": lambda im: ImageEnhance.Brightness(im).enhance(1.3),
}


def make_copies(photo, size: int = 448) -> dict[str, Image.Image]:
    """Each kind of copy of ``photo`` (a path or image), decoded at about ``size`` pixels."""
    img = load_image(photo, target_size=size // 2)
    return {name: fn(img) for name, fn in COPIES.items()}


@dataclass
class Calibration:
    """The chosen threshold and how well it separates copies from distinct photos on the built-in set."""

    threshold: float
    precision: float
    recall: float
    positives: np.ndarray  # cosine of each (photo, its copy) pair
    negatives: np.ndarray  # cosine of each pair of distinct photos (originals and copies)
    kinds: list[str]  # the kind of copy of each positive

    def __str__(self) -> str:
        return (f"threshold {self.threshold:.3f}: precision {self.precision:.3f}, recall {self.recall:.3f} "
                f"on {len(self.positives)} photo/copy pairs and {len(self.negatives)} pairs of distinct photos")

    def recall_by_kind(self) -> dict[str, float]:
        kinds = np.array(self.kinds)
        return {k: float((self.positives[kinds == k] >= self.threshold).mean()) for k in COPIES}


def _best_threshold(pos: np.ndarray, neg: np.ndarray) -> tuple[float, float, float]:
    best = (-1.0, 1.0, 0.0, 0.0)
    for t in np.unique(pos):
        tp, fp = int((pos >= t).sum()), int((neg >= t).sum())
        prec, rec = tp / (tp + fp), tp / len(pos)
        f1 = 2 * prec * rec / (prec + rec)
        if f1 > best[0]:
            below = neg[neg < t]
            # halfway to the closest negative below: a margin on both sides
            best = (f1, float((t + below.max()) / 2) if below.size else float(t), prec, rec)
    return best[1], best[2], best[3]


def calibrate(encode: Callable[[list], np.ndarray], photos: Sequence[str | os.PathLike]) -> Calibration:
    """Choose the near-duplicate threshold for ``encode`` (an image encoder's ``encode``) on ``photos``.

    Positives: each photo against each of its :data:`COPIES`. Negatives: every pair of different
    photos, originals and copies alike (a copy of A against B is still "not a duplicate").
    """
    if len(photos) < 3:
        raise ValueError(f"calibration needs at least 3 distinct photos, got {len(photos)}")
    originals = [load_image(p, target_size=224) for p in photos]
    copies = [make_copies(p) for p in photos]
    kinds = list(COPIES)
    emb = encode(originals + [c[k] for c in copies for k in kinds])
    n, v = len(photos), len(kinds)
    orig, cop = emb[:n], emb[n:].reshape(n, v, -1)
    pos = np.einsum("nd,nvd->nv", orig, cop).ravel()
    owner = np.concatenate([np.arange(n), np.repeat(np.arange(n), v)])
    sim = emb @ emb.T
    i, j = np.triu_indices(len(emb), k=1)
    neg = sim[i, j][owner[i] != owner[j]]
    threshold, precision, recall = _best_threshold(pos, neg)
    return Calibration(threshold, precision, recall, pos, neg, kinds * n)


def near_duplicates(vectors: np.ndarray, threshold: float) -> list[tuple[int, int, float]]:
    """Pairs ``(i, j, cosine)`` with ``i < j`` and cosine >= ``threshold``, most similar first."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if len(vectors) < 2:
        return []
    sim = vectors @ vectors.T
    i, j = np.triu_indices(len(vectors), k=1)
    keep = sim[i, j] >= threshold
    pairs = sorted(zip(i[keep].tolist(), j[keep].tolist(), sim[i, j][keep].tolist()), key=lambda t: -t[2])
    return [(a, b, float(s)) for a, b, s in pairs]
