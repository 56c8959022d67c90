"""2-D maps of embeddings: PCA and t-SNE projections, labelled maps, thumbnail maps without overlaps."""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.offsetbox import AnnotationBbox, OffsetImage

from ..images import ImageInput, thumbnail
from ..similarity import combine

__all__ = ['embedding_map', 'folder_groups', 'group_colours', 'photo_map', 'project_2d', 'tsne_settings',
           'weighted_map_xy']


def group_colours(names: Sequence[str]) -> dict:
    """One distinct colour per group: ``tab10`` up to 10 groups, ``tab20`` up to 20 (then they repeat)."""
    cmap = plt.get_cmap("tab10" if len(names) <= 10 else "tab20")
    return {g: cmap(i % cmap.N) for i, g in enumerate(names)}


def folder_groups(refs: Sequence[str], top: str = "(top folder)", max_groups: int | None = None,
                  other: str = "(other folders)") -> list[str]:
    """The group of each file: its parent folder (``"2023/rome/a.jpg"`` -> ``"2023/rome"``).

    ``refs`` are paths relative to the collection folder; files directly in it share the group ``top``
    (so a flat folder is one group). With ``max_groups``, the ``max_groups - 1`` largest groups keep their
    names and the rest become ``other``: a legend of 20 entries stays readable, one of 300 does not.
    """
    groups = [PurePosixPath(str(r).split("#", 1)[0]).parent.as_posix() for r in refs]
    groups = [top if g in (".", "") else g for g in groups]
    counts = Counter(groups)
    if max_groups is None or len(counts) <= max_groups:
        return groups
    keep = {g for g, _ in counts.most_common(max(1, max_groups - 1))}
    return [g if g in keep else other for g in groups]


def tsne_settings(n_points: int, seed: int | None = None, perplexity: float | None = None) -> dict:
    """The settings :func:`project_2d` gives scikit-learn's :class:`~sklearn.manifold.TSNE` for ``n_points`` points.

    ``metric="cosine"`` (the similarity the embeddings are compared with); ``perplexity`` (about how many
    neighbours each point keeps close) must be below the number of points, so by default it is
    ``min(30, (n - 1) / 3)``. ``init``: with no ``seed``, t-SNE starts from the PCA map, so it draws the same
    map every run and needs no seed; with a ``seed``, it starts from random positions drawn with that seed
    (``init="random"``), so another seed draws another map of the same points.
    """
    perp = perplexity or max(2.0, min(30.0, (n_points - 1) / 3))
    return {"metric": "cosine", "perplexity": perp, "init": "pca" if seed is None else "random",
            "random_state": 0 if seed is None else seed}


def project_2d(emb: np.ndarray, method: str = "pca", seed: int | None = None,
               perplexity: float | None = None) -> np.ndarray:
    """Project embeddings to 2-D with scikit-learn's PCA or t-SNE; runs repeat.

    t-SNE's settings are :func:`tsne_settings`'s: with no ``seed`` it starts from the PCA map (one map, the
    same every run); with a ``seed`` from random positions drawn with it (each seed its own map, repeatable).
    PCA needs no seed (``seed`` only names its ``random_state``).
    """
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    emb = np.asarray(emb, dtype=np.float32)
    if emb.shape[0] < 3:
        raise ValueError(f"need at least 3 points for a 2-D map, got {emb.shape[0]}")
    if method == "pca":
        return PCA(n_components=2, random_state=seed or 0).fit_transform(emb)
    if method == "tsne":
        from threadpoolctl import threadpool_limits

        tsne = TSNE(n_components=2, **tsne_settings(emb.shape[0], seed, perplexity))
        # one thread: the same map (Barnes-Hut sums in a fixed order), and on a busy 2-core machine its
        # OpenMP threads otherwise spin waiting for each other (20 s instead of 0.5 s for 112 points)
        with threadpool_limits(limits=1):
            return tsne.fit_transform(emb)
    raise ValueError(f"method must be 'pca' or 'tsne', got {method!r}")


def embedding_map(
    emb: np.ndarray,
    groups: Sequence[str] | None = None,
    *,
    method: str = "pca",
    labels: Sequence[str] | None = None,
    images: Sequence[ImageInput] | None = None,
    seed: int | None = None,
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
    colors = group_colours(names)
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


def weighted_map_xy(blocks: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """2-D PCA (:func:`project_2d`) of the weighted combination (:func:`~helpers.similarity.combine`).

    Each axis is flipped so that its farthest point lies on the positive side: a
    small change of the weights then moves the points instead of mirroring the map.
    """
    xy = project_2d(combine(blocks, weights))
    signs = np.sign(xy[np.abs(xy).argmax(axis=0), [0, 1]])
    return xy * np.where(signs == 0, 1, signs)


def photo_map(emb: np.ndarray, groups: Sequence[str], images: Sequence[ImageInput], *, method: str = "tsne",
              seed: int | None = None, title: str = "", cell: float = 0.62, ax=None):
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
    colours = group_colours(names)
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
