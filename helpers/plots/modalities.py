"""Several embeddings per item: modality colours, neighbour grids per weighting, contributions, precision curves."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from ..catalog import Item, item_index
from ..images import thumbnail
from ..retrieval import search
from ..similarity import validate_weights

__all__ = ["modality_colour", "weights_label", "neighbour_grid", "contribution_chart", "precision_curves",
           "MODALITY_COLOURS"]


#: One colour per modality, the same in every figure and in the widget.
MODALITY_COLOURS = {"text": "#4c72b0", "photo": "#dd8452", "colour": "#55a868"}
_FALLBACK_COLOURS = ["#8172b3", "#c44e52", "#937860", "#da8bc3"]


def modality_colour(name: str, position: int = 0) -> str:
    """The colour of a modality (a fallback palette for modalities without one)."""
    return MODALITY_COLOURS.get(name, _FALLBACK_COLOURS[position % len(_FALLBACK_COLOURS)])


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
