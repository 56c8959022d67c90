"""Near-duplicates: photos whose image embeddings are almost the same (a re-save, a resize, a crop).

Where to draw the line is measured, not guessed: :func:`calibrate` makes copies of a few photos
(JPEG re-encoded at low quality, half size, cropped, brightened), embeds originals and copies, and
picks the cosine threshold that best separates "photo vs its own copy" from "photo vs another photo"
(highest F1), reporting the precision and recall it reaches on that set.
"""
from __future__ import annotations

import io
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageEnhance

from .images import load_image

__all__ = ["COPIES", "MAX_PAIRS", "Calibration", "NearDuplicates", "calibrate", "make_copies", "near_duplicates"]


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
        """Recall per kind of copy this calibration used (in the order it made them)."""
        kinds = np.array(self.kinds)
        return {k: float((self.positives[kinds == k] >= self.threshold).mean()) for k in dict.fromkeys(self.kinds)}


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


#: Default cap on the pairs :func:`near_duplicates` returns (the most similar ones are kept).
MAX_PAIRS = 10_000


class NearDuplicates(list):
    """The pairs ``(i, j, cosine)``, ``i < j``, most similar first (ties by ``i``, then ``j``): a list of them.

    ``found`` counts every pair at or above ``threshold``; when it exceeds ``max_pairs`` only the
    ``max_pairs`` most similar are kept, ``truncated`` is true and :attr:`message` says so and what to do.
    """

    def __init__(self, pairs: list[tuple[int, int, float]], found: int, threshold: float, max_pairs: int):
        super().__init__(pairs)
        self.found, self.threshold, self.max_pairs = found, threshold, max_pairs

    @property
    def truncated(self) -> bool:
        return self.found > len(self)

    @property
    def message(self) -> str:
        if not self.truncated:
            return f"{self.found} pair(s) at cosine >= {self.threshold:.3f}"
        return (f"{self.found:,d} pairs at cosine >= {self.threshold:.3f}; kept the {len(self):,d} most similar "
                "(raise the threshold, or max_pairs to see more)")


def _block_rows(n: int, block_mb: float) -> int:
    """Rows per block so that one block's scores and mask (4 + 1 bytes per entry, n columns) fit ``block_mb``."""
    return max(1, min(n, int(block_mb * 2**20 // (5 * max(n, 1)))))


def _ordered(i: np.ndarray, j: np.ndarray, s: np.ndarray, keep: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    order = np.lexsort((j, i, -s))[:keep]  # the last key sorts first: score descending, then i, then j
    return i[order], j[order], s[order]


def _candidates(mask: np.ndarray, limit: int):
    """``np.nonzero(mask)`` in row slices of at most about ``limit`` hits each (a mask can be all true)."""
    step = max(1, limit // max(1, mask.shape[1]))
    for r in range(0, len(mask), step):
        ri, rj = np.nonzero(mask[r : r + step])
        if ri.size:
            yield ri.astype(np.int64) + r, rj.astype(np.int64)


def _exact_scores(vectors: np.ndarray, i: np.ndarray, j: np.ndarray, chunk: int) -> np.ndarray:
    """float64 dot product of each pair of rows, in chunks of pairs (so that the gathered rows stay small)."""
    out = np.empty(len(i))
    for s in range(0, len(i), chunk):
        a = vectors[i[s : s + chunk]].astype(np.float64)
        b = vectors[j[s : s + chunk]].astype(np.float64)
        out[s : s + chunk] = np.einsum("ij,ij->i", a, b)
    return out


def near_duplicates(vectors: np.ndarray, threshold: float, *, max_pairs: int = MAX_PAIRS,
                    block_mb: float = 64.0) -> NearDuplicates:
    """Pairs ``(i, j, cosine)`` of rows of ``vectors`` (unit rows) with ``i < j`` and cosine >= ``threshold``.

    Exact, in bounded memory: rows are compared in blocks against every later row, so the working
    memory is a few times ``block_mb`` (plus the pairs kept), never the n x n matrix: 100,000 photos of
    1280 floats need their own 512 MB and a few hundred MB more. Each pair's cosine is the float64 dot
    product of its two rows, so the result does not depend on the block size. At most ``max_pairs``
    pairs are returned, the most similar ones (a folder of near-identical photos has n(n-1)/2 pairs):
    ``result.found`` counts them all, ``result.truncated`` and ``result.message`` say when some were cut
    (with a warning).
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2:
        raise ValueError(f"near_duplicates needs a 2-d array (one row per photo), got shape {vectors.shape}")
    threshold = float(threshold)
    if not np.isfinite(threshold):
        raise ValueError(f"threshold must be a finite number, got {threshold}")
    if max_pairs < 1:
        raise ValueError(f"max_pairs must be at least 1, got {max_pairs}")
    n, dim = vectors.shape
    kept_i, kept_j, kept_s, found = np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0), 0
    if n >= 2:
        norms = np.einsum("ij,ij->i", vectors, vectors)
        if not np.isfinite(norms).all():
            bad = np.flatnonzero(~np.isfinite(norms))[:5].tolist()
            raise ValueError(f"rows {bad} of the vectors are not finite (NaN or inf): re-embed those photos")
        # float32 products can be off by about 1e-6: candidates within the margin are re-scored in float64
        margin = 1e-4 * max(1.0, float(norms.max()))
        budget = int(block_mb * 2**20)
        rows = _block_rows(n, block_mb)
        for s in range(0, n - 1, rows):
            e = min(n, s + rows)
            mask = (vectors[s:e] @ vectors[s:].T) >= threshold - margin  # rows s..e against every row from s on
            mask[np.tril_indices(e - s)] = False  # only later rows: j > i
            for bi, bj in _candidates(mask, budget // 48):
                bi += s
                bj += s
                exact = _exact_scores(vectors, bi, bj, max(1, budget // (24 * dim)))
                hit = exact >= threshold
                found += int(hit.sum())
                kept_i, kept_j, kept_s = _ordered(np.concatenate([kept_i, bi[hit]]), np.concatenate([kept_j, bj[hit]]),
                                                  np.concatenate([kept_s, exact[hit]]), max_pairs)
            del mask
    if found > len(kept_i):
        warnings.warn(f"near_duplicates: {found:,d} pairs at cosine >= {threshold:.3f}, keeping the {len(kept_i):,d} "
                      "most similar; raise the threshold (or max_pairs)", stacklevel=2)
    return NearDuplicates(list(zip(kept_i.tolist(), kept_j.tolist(), kept_s.tolist())), found, threshold, max_pairs)
