"""Grids of photos and numbers: similarity heatmaps with thumbnails, image grids, contact sheets, result strips,
probability bars."""
from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.offsetbox import AnnotationBbox, OffsetImage

from ..images import ImageInput, thumbnail

__all__ = ['contact_sheet', 'image_grid', 'probability_bars', 'result_strip', 'similarity_heatmap', 'text_query_grid']


def _add_thumbs(ax, images: Sequence[ImageInput], axis: str, size: int = 64, zoom: float = 0.45) -> None:
    for i, img in enumerate(images):
        box = OffsetImage(np.asarray(thumbnail(img, size)), zoom=zoom)
        if axis == "x":
            ab = AnnotationBbox(box, (i, 0), xybox=(0, -18), xycoords=("data", "axes fraction"),
                                boxcoords="offset points", frameon=False, box_alignment=(0.5, 1))
        else:
            ab = AnnotationBbox(box, (0, i), xybox=(-18, 0), xycoords=("axes fraction", "data"),
                                boxcoords="offset points", frameon=False, box_alignment=(1, 0.5))
        ax.add_artist(ab)


def similarity_heatmap(
    sim: np.ndarray,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
    *,
    row_images: Sequence[ImageInput] | None = None,
    col_images: Sequence[ImageInput] | None = None,
    title: str = "",
    annotate: bool = True,
    vmin: float | None = None,
    vmax: float | None = None,
    cmap: str = "viridis",
    ax=None,
):
    """A labelled similarity matrix; thumbnails on the axes when images are given.

    Numbers are printed in the cells (3 decimals would crowd them, 2 are shown).
    The colour range defaults to the data's range so differences stay visible.
    """
    sim = np.asarray(sim)
    n, m = sim.shape
    if ax is None:
        w = max(5.0, 0.6 * m + 2.5 + (1.2 if row_images is not None else 0))
        h = max(4.0, 0.5 * n + 1.5 + (1.2 if col_images is not None else 0))
        _, ax = plt.subplots(figsize=(w, h))
    im = ax.imshow(sim, cmap=cmap, vmin=vmin, vmax=vmax)
    ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="cosine similarity")
    ax.set_xticks(range(m))
    ax.set_yticks(range(n))
    ax.set_xticklabels(col_labels if col_labels is not None else row_labels or [], rotation=45, ha="right")
    ax.set_yticklabels(row_labels or [])
    if row_images is not None:
        _add_thumbs(ax, row_images, "y")
        ax.tick_params(axis="y", pad=50)
    if col_images is not None:
        _add_thumbs(ax, col_images, "x")
        ax.tick_params(axis="x", pad=50)
    if annotate:
        lo, hi = im.get_clim()
        for i in range(n):
            for j in range(m):
                light = (sim[i, j] - lo) < 0.5 * (hi - lo)
                ax.text(j, i, f"{sim[i, j]:.2f}", ha="center", va="center", fontsize=8,
                        color="white" if light else "black")
    if title:
        ax.set_title(title)
    ax.figure.tight_layout()
    return ax


def image_grid(images: Sequence[ImageInput], titles: Sequence[str] | None = None, ncols: int = 5,
               size: float = 2.2, thumb: int = 224, suptitle: str = ""):
    """Show images in a grid with optional titles; returns the figure."""
    n = len(images)
    if n == 0:
        raise ValueError("image_grid: no images to show")
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.3), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < n:
            ax.imshow(thumbnail(images[k], thumb))
            if titles is not None:
                ax.set_title(titles[k], fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def result_strip(query: ImageInput | None, results: Sequence[ImageInput], scores: Sequence[float],
                 titles: Sequence[str] | None = None, query_title: str = "query", size: float = 2.0):
    """A query (image or None for text queries) followed by its ranked results with scores."""
    items = ([query] if query is not None else []) + list(results)
    labels = ([query_title] if query is not None else []) + [
        (f"{titles[i]}\n" if titles is not None else "") + f"{s:.3f}" for i, s in enumerate(scores)
    ]
    fig = image_grid(items, labels, ncols=len(items), size=size)
    if query is not None:
        ax0 = fig.axes[0]
        for spine in ax0.spines.values():
            spine.set_visible(True)
            spine.set_color("red")
    return fig


def text_query_grid(queries: Sequence[str], results: Sequence[Sequence[ImageInput]],
                    scores: Sequence[Sequence[float]], titles: Sequence[Sequence[str]] | None = None,
                    size: float = 2.0):
    """One row per text query: the query on the left, its ranked images with scores to the right."""
    k = max((len(r) for r in results), default=0)
    if not queries or k == 0:
        raise ValueError("text_query_grid: nothing to show")
    fig, axes = plt.subplots(len(queries), k, figsize=(size * k + 1.6, (size + 0.35) * len(queries)), squeeze=False)
    for q, query in enumerate(queries):
        for j, ax in enumerate(axes[q]):
            ax.set_xticks([])
            ax.set_yticks([])
            if j >= len(results[q]):
                ax.axis("off")
                continue
            ax.imshow(thumbnail(results[q][j], 160))
            label = f"{titles[q][j]}\n" if titles is not None else ""
            ax.set_title(f"{label}{scores[q][j]:.3f}", fontsize=8)
        axes[q, 0].set_ylabel(f'"{query}"', fontsize=10, rotation=0, ha="right", va="center")
    fig.tight_layout()
    return fig


def probability_bars(probs: np.ndarray, labels: Sequence[str], images: Sequence[ImageInput] | None = None,
                     titles: Sequence[str] | None = None, top: int = 5, suptitle: str = ""):
    """Per image, a horizontal bar chart of its top-``top`` label probabilities (zero-shot)."""
    probs = np.asarray(probs)
    n = probs.shape[0]
    fig, axes = plt.subplots(n, 2 if images is not None else 1, figsize=(8, 1.9 * n), squeeze=False,
                             gridspec_kw={"width_ratios": [1, 2.5]} if images is not None else None)
    for i in range(n):
        order = np.argsort(-probs[i])[:top][::-1]
        bar_ax = axes[i, -1]
        bar_ax.barh([labels[j] for j in order], probs[i, order], color="tab:blue")
        bar_ax.set_xlim(0, 1)
        for y, j in enumerate(order):
            bar_ax.text(min(probs[i, j] + 0.01, 0.85), y, f"{probs[i, j]:.3f}", va="center", fontsize=8)
        if images is not None:
            axes[i, 0].imshow(thumbnail(images[i], 160))
            axes[i, 0].axis("off")
            if titles is not None:
                axes[i, 0].set_title(titles[i], fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def contact_sheet(images: Sequence[ImageInput], titles: Sequence[str] | None = None, ncols: int = 10,
                  thumb: int = 128, size: float = 1.6, fontsize: int = 8):
    """Many thumbnails pasted into ONE image with a caption under each; returns the figure.

    Looks like :func:`image_grid`, but one axes instead of one per image, so a catalog of 70
    photos draws in a fraction of the time.
    """
    from PIL import Image

    n = len(images)
    if n == 0:
        raise ValueError("contact_sheet: no images to show")
    if titles is not None and len(titles) != n:
        raise ValueError(f"contact_sheet: {n} images but {len(titles)} titles")
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    gap, caption = thumb // 16, (thumb // 5 if titles is not None else 0)
    cell_w, cell_h = thumb + gap, thumb + gap + caption
    sheet = Image.new("RGB", (ncols * cell_w, nrows * cell_h), "white")
    for k, img in enumerate(images):
        r, c = divmod(k, ncols)
        sheet.paste(thumbnail(img, thumb), (c * cell_w + gap // 2, r * cell_h + caption + gap // 2))
    fig, ax = plt.subplots(figsize=(size * ncols, size * nrows * cell_h / cell_w))
    ax.imshow(sheet)
    for k, title in enumerate(titles or []):
        r, c = divmod(k, ncols)
        ax.text(c * cell_w + cell_w / 2, r * cell_h + caption - 2, title, ha="center", va="bottom", fontsize=fontsize)
    ax.set_axis_off()
    fig.subplots_adjust(left=0, right=1, bottom=0, top=1)
    return fig
