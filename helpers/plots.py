"""Every figure of the series: heatmaps, image grids, 2-D maps, neighbour grids, contribution charts.

Figures only draw: the numbers come from :mod:`helpers.similarity`, :mod:`helpers.retrieval`
and :mod:`helpers.evaluation`."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.offsetbox import AnnotationBbox, OffsetImage

from .catalog import Item, item_index
from .images import ImageInput, thumbnail
from .retrieval import search
from .similarity import combine, validate_weights

__all__ = ["similarity_heatmap", "image_grid", "project_2d", "embedding_map", "result_strip", "probability_bars",
           "text_query_grid", "MODALITY_COLOURS", "modality_colour", "weights_label", "neighbour_grid",
           "contribution_chart", "precision_curves", "weighted_map_xy", "photo_map"]

#: One colour per modality, the same in every figure and in the widget.
MODALITY_COLOURS = {"text": "#4c72b0", "photo": "#dd8452", "colour": "#55a868"}
_FALLBACK_COLOURS = ["#8172b3", "#c44e52", "#937860", "#da8bc3"]


def modality_colour(name: str, position: int = 0) -> str:
    """The colour of a modality (a fallback palette for modalities without one)."""
    return MODALITY_COLOURS.get(name, _FALLBACK_COLOURS[position % len(_FALLBACK_COLOURS)])


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


def project_2d(emb: np.ndarray, method: str = "pca", seed: int = 0, perplexity: float | None = None) -> np.ndarray:
    """Project embeddings to 2-D with scikit-learn's PCA or t-SNE (seeded, so runs repeat).

    t-SNE's perplexity must be below the number of points; by default we use
    ``min(30, (n - 1) / 3)``.
    """
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    emb = np.asarray(emb, dtype=np.float32)
    if emb.shape[0] < 3:
        raise ValueError(f"need at least 3 points for a 2-D map, got {emb.shape[0]}")
    if method == "pca":
        return PCA(n_components=2, random_state=seed).fit_transform(emb)
    if method == "tsne":
        perp = perplexity or max(2.0, min(30.0, (emb.shape[0] - 1) / 3))
        return TSNE(n_components=2, perplexity=perp, init="pca", random_state=seed, metric="cosine").fit_transform(emb)
    raise ValueError(f"method must be 'pca' or 'tsne', got {method!r}")


def embedding_map(
    emb: np.ndarray,
    groups: Sequence[str] | None = None,
    *,
    method: str = "pca",
    labels: Sequence[str] | None = None,
    images: Sequence[ImageInput] | None = None,
    seed: int = 0,
    title: str = "",
    ax=None,
    zoom: float = 0.35,
):
    """Scatter the 2-D projection of ``emb``, coloured by ``groups``.

    With ``images`` each point becomes a thumbnail framed in its group colour;
    with ``labels`` each point gets a small text label.
    """
    xy = project_2d(emb, method=method, seed=seed)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 6))
    groups = list(groups) if groups is not None else ["all"] * len(xy)
    names = list(dict.fromkeys(groups))
    colors = {g: plt.cm.tab10(i % 10) for i, g in enumerate(names)}
    for g in names:
        sel = [i for i, gi in enumerate(groups) if gi == g]
        ax.scatter(xy[sel, 0], xy[sel, 1], color=colors[g], label=g, s=40)
    if images is not None:
        for (x, y), img, g in zip(xy, images, groups):
            box = OffsetImage(np.asarray(thumbnail(img, 64)), zoom=zoom)
            ax.add_artist(AnnotationBbox(box, (x, y), frameon=True, pad=0.1,
                                         bboxprops=dict(edgecolor=colors[g], linewidth=2)))
    if labels is not None:
        for (x, y), lab in zip(xy, labels):
            ax.annotate(lab, (x, y), fontsize=8, xytext=(4, 4), textcoords="offset points")
    ax.legend(loc="best", fontsize=8)
    ax.set_title(title or f"{method.upper()} of {emb.shape[1]}-d embeddings")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


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


# --------------------------------------------------------------------------- several embeddings per item



def weighted_map_xy(blocks: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """2-D PCA (:func:`project_2d`) of the weighted combination (:func:`~helpers.similarity.combine`).

    Each axis is flipped so that its farthest point lies on the positive side: a
    small change of the weights then moves the points instead of mirroring the map.
    """
    xy = project_2d(combine(blocks, weights))
    signs = np.sign(xy[np.abs(xy).argmax(axis=0), [0, 1]])
    return xy * np.where(signs == 0, 1, signs)


def weights_label(weights: Mapping[str, float]) -> str:
    """'text 0.50, photo 0.50': the weights as fractions of their sum (zero weights left out)."""
    fr = validate_weights(weights)
    return ", ".join(f"{m} {f:.2f}" for m, f in fr.items() if f > 0)


def neighbour_grid(
    catalog: Sequence[Item], blocks: Mapping[str, np.ndarray], query: str | None,
    weightings: Mapping[str, Mapping[str, float] | tuple[str, Mapping[str, float]]], k: int = 4,
    images: Sequence | None = None, size: float = 1.75, by: str = "category",
):
    """One row per weighting: the query photo, then its top-``k`` with scores.

    Titles of items that share the query's ``by`` (``"category"``, or ``"department"`` in the
    store) are green, others grey; the row label counts them. ``images`` (one per item, e.g.
    thumbnails) avoids re-reading photos. A row given as ``label: (query, weights)`` has its own
    query (several scenarios on one static figure; ``query`` may then be ``None``).
    """
    import textwrap

    pics = images if images is not None else [it.path for it in catalog]
    group = [getattr(it, by) for it in catalog]
    fig, axes = plt.subplots(len(weightings), k + 1, figsize=(size * (k + 1) + 1.6, size * 1.25 * len(weightings)),
                             squeeze=False)
    for r, (label, w) in enumerate(weightings.items()):
        q, w = (item_index(w[0], catalog), w[1]) if isinstance(w, tuple) else (item_index(query, catalog), w)
        n_same = sum(g == group[q] for g in group) - 1
        idx, scores, _ = search(blocks, q, w, k)
        hits = sum(group[i] == group[q] for i in idx)
        for c, ax in enumerate(axes[r]):
            i = q if c == 0 else idx[c - 1]
            ax.imshow(thumbnail(pics[i], 128))
            ax.set_xticks([])
            ax.set_yticks([])
            name = textwrap.shorten(catalog[i].name, 24, placeholder="...")
            if c == 0:
                ax.set_title(f"query: {name}", fontsize=8, color="red")
                for spine in ax.spines.values():
                    spine.set_color("red")
                    spine.set_linewidth(2)
                score_note = f"{hits}/{k} same {by}" if n_same else f"no other item\nin its {by}"
                ax.set_ylabel(f"{label}\n({weights_label(w)})\n{score_note}", fontsize=8, rotation=0,
                              ha="right", va="center", labelpad=8)
            else:
                same = group[i] == group[q]
                ax.set_title(f"{name}\n{scores[c - 1]:.3f}", fontsize=8, color="green" if same else "0.35")
    fig.tight_layout()
    return fig


def contribution_chart(
    catalog: Sequence[Item], blocks: Mapping[str, np.ndarray], query: str, weights: Mapping[str, float], k: int = 5,
):
    """'Why is this similar?': per result, a stacked bar of what each modality added to its score."""
    q = item_index(query, catalog)
    idx, scores, contrib = search(blocks, q, weights, k)
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * k + 1.2))
    labels = [catalog[i].name for i in idx][::-1]
    left = np.zeros(len(idx))
    for j, (m, values) in enumerate(contrib.items()):
        ax.barh(labels, values[::-1], left=left, color=modality_colour(m, j), label=m)
        left += values[::-1]
    for y, s in enumerate(scores[::-1]):
        ax.text(s + 0.005, y, f"{s:.3f}", va="center", fontsize=8)
    ax.set_xlim(0, max(1.0, float(left.max()) + 0.08))
    ax.set_xlabel("combined score = sum of the modalities' contributions")
    ax.set_title(f"Why are these similar to {catalog[q].name}? ({weights_label(weights)})", fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def photo_map(emb: np.ndarray, groups: Sequence[str], images: Sequence[ImageInput], *, method: str = "tsne",
              seed: int = 0, title: str = "", cell: float = 0.62, ax=None):
    """A 2-D map of photos, no thumbnail over another: :func:`project_2d` snapped to a grid.

    Each photo gets its own cell (about 1.4 cells per photo) by the assignment that moves the
    points least (scipy's ``linear_sum_assignment``); frames show the group, the legend sits outside.
    """
    from matplotlib.patches import Patch, Rectangle
    from scipy.optimize import linear_sum_assignment

    xy = project_2d(emb, method=method, seed=seed)
    n = len(xy)
    if not (len(groups) == len(images) == n):
        raise ValueError(f"photo_map: {n} embeddings, {len(groups)} groups and {len(images)} images must match")
    xy = (xy - xy.min(0)) / np.maximum(np.ptp(xy, axis=0), 1e-12)
    cols = int(np.ceil(np.sqrt(1.4 * n)))
    rows = int(np.ceil(1.4 * n / cols))
    centres = np.array([((c + 0.5) / cols, 1 - (r + 0.5) / rows) for r in range(rows) for c in range(cols)])
    _, cell_of = linear_sum_assignment(((xy[:, None, :] - centres[None]) ** 2).sum(-1))
    names = list(dict.fromkeys(groups))
    colours = {g: plt.cm.tab10(i % 10) for i, g in enumerate(names)}
    if ax is None:
        _, ax = plt.subplots(figsize=(cell * 1.6 * cols + 2.2, cell * 1.6 * rows + 0.6))
    for i, k in enumerate(cell_of):
        r, c = divmod(int(k), cols)
        ax.imshow(thumbnail(images[i], 96), extent=(c + 0.06, c + 0.94, rows - r - 0.94, rows - r - 0.06))
        ax.add_patch(Rectangle((c + 0.04, rows - r - 0.96), 0.92, 0.92, fill=False, lw=2.5,
                               edgecolor=colours[groups[i]]))
    ax.set_xlim(0, cols)
    ax.set_ylim(0, rows)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.legend(handles=[Patch(facecolor="none", edgecolor=colours[g], lw=2.5, label=g) for g in names],
              loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False)
    ax.set_title(title or f"{method.upper()} map of {emb.shape[1]}-d embeddings (snapped to a grid)")
    return ax


def precision_curves(
    fractions: Sequence[float], curves: Mapping[str, Sequence[float]], baselines: Mapping[str, float] | None = None,
    *, k: int = 3, colours: Mapping[str, str] | None = None, xlabel: str = "weight of the added block", title: str = "",
):
    """precision@k against a weight: one line per mix, dashed lines for fixed references; legend outside the axes."""
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    for j, (name, ys) in enumerate(curves.items()):
        ax.plot(fractions, ys, marker="o", lw=2, label=name, color=(colours or {}).get(name, _FALLBACK_COLOURS[j % 4]))
    for j, (name, y) in enumerate((baselines or {}).items()):
        ax.axhline(y, ls="--", lw=1.2, color=str(0.2 + 0.3 * j), label=f"{name} ({y:.3f})")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(0, 1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"precision@{k}")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig
