"""The colour of a photo: its dominant colours (k-means on its pixels), drawn as a swatch image.

Notebook 03 embeds the swatch with the image encoder, so "colour" becomes a third embedding of a
product beside its text and its photo. A photo is anything :func:`helpers.images.load_image` takes
(a path, a PIL image, a catalog item); results for a path are cached, so a swatch costs one k-means.
"""
from __future__ import annotations

import os
from functools import lru_cache

import numpy as np
from PIL import Image

from .images import ImageInput, load_image

__all__ = ["ENCODER_CROP", "dominant_colours", "colour_swatch"]


def _kmeans_colours(img: Image.Image, k: int, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.cluster import KMeans

    small = img.copy()
    small.thumbnail((size, size), Image.Resampling.BILINEAR)  # keeps the aspect ratio, so the whole photo counts
    pixels = np.asarray(small, dtype=np.float64).reshape(-1, 3)
    km = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(pixels)
    shares = np.bincount(km.labels_, minlength=k) / len(pixels)
    colours = np.clip(np.rint(km.cluster_centers_), 0, 255).astype(np.uint8)
    # largest cluster first; ties broken by the colour itself, so the order never depends on k-means' labels
    order = sorted(range(k), key=lambda i: (-shares[i], tuple(colours[i])))
    return colours[order], shares[order]


@lru_cache(maxsize=256)
def _colours_of_file(path: str, k: int, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    return _kmeans_colours(load_image(path, target_size=128), k, size, seed)


def dominant_colours(photo: ImageInput, k: int = 5, size: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` dominant colours of a photo and the share of pixels each one covers.

    The photo is shrunk to at most ``size`` x ``size`` pixels (the colours
    barely change, k-means gets ~60x faster), then its RGB pixels are
    clustered with scikit-learn's :class:`~sklearn.cluster.KMeans`
    (``random_state=seed``, ``n_init=4``, so runs repeat). Returns
    ``(colours, shares)``: ``(k, 3)`` uint8 and ``(k,)`` floats summing to 1,
    largest share first.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if isinstance(photo, (str, os.PathLike)):
        return _colours_of_file(os.fspath(photo), k, size, seed)
    return _kmeans_colours(load_image(photo, target_size=128), k, size, seed)


#: The part of a picture the image encoders keep: ResNet-18's and EfficientNet-Lite0's preprocessing both resize it
#: to 256 pixels, then crop the central 224 x 224 (a crop of 0.875 of each side, 6.25 % cut from each edge).
ENCODER_CROP = 224 / 256


def colour_swatch(photo: ImageInput, k: int = 5, size: int = 224, seed: int = 0,
                  crop: float = ENCODER_CROP) -> Image.Image:
    """An RGB image of vertical colour bands, one per dominant colour, framed so an image encoder sees them all.

    The bands fill a ``size`` x ``size`` square, each as wide as its cluster's share of the photo, largest
    first (the same photo always gives the same pixels). A white frame around them makes the image
    ``round(size / crop)`` pixels square (256 for 224): an encoder that resizes a picture to 256 and keeps its
    central 224 x 224 (both of ours do: :data:`ENCODER_CROP`) leaves it at 256 and crops exactly the frame
    away, so it embeds every band at its share. Without the frame (``crop=1``) it would cut 14 pixels from
    each side of a 224-pixel swatch: the first band would shrink and a last band narrower than that, a
    colour with a share under 6 %, would never be embedded.
    """
    if not 0 < crop <= 1:
        raise ValueError(f"crop must be in (0, 1], got {crop}")
    colours, shares = dominant_colours(photo, k=k, seed=seed)
    edges = np.rint(np.concatenate([[0.0], np.cumsum(shares)]) * size).astype(int)
    edges[-1] = size
    full = int(round(size / crop))
    top = (full - size) // 2
    arr = np.full((full, full, 3), 255, dtype=np.uint8)
    for c, lo, hi in zip(colours, edges[:-1], edges[1:]):
        arr[top:top + size, top + lo:top + hi] = c
    return Image.fromarray(arr, mode="RGB")
