"""Notebook 04's control: one slider per modality, a query dropdown, and a live top-k view.

Re-ranking is cheap because the expensive part does not depend on the weights:
when the query changes we compute one cosine-score vector per modality
(``block @ block[query]``); when a slider moves we only take their weighted
average (:func:`helpers.similarity.weighted_scores`) and the top-k
(:func:`helpers.similarity.top_k`). That is O(n) per slider change.

The view updates in place, also in Colab: one ``matplotlib`` figure (not
managed by pyplot, so nothing piles up under the cell) whose artists are
updated and rendered into a single ``ipywidgets.Image``; the ranking is also
written as text into an ``ipywidgets.HTML`` (CSS class ``embeddings-ranking``)
and kept in :attr:`WeightExplorer.ranking` for code and tests.
"""
from __future__ import annotations

import html
import io
import textwrap
import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from .plots import modality_colour
from .similarity import contributions, normalize, top_k, validate_weights, weighted_scores

__all__ = ["WeightExplorer"]


class WeightExplorer:
    """Query-time weights with sliders, for any set of per-modality embedding blocks.

    Parameters
    ----------
    blocks:
        ``{modality: (n, d_m) array}``; rows are L2-normalised here.
    names:
        One display name per item (the dropdown and the ranking text use them).
    images:
        Optional, one image per item (path, PIL image or uint8 array) for the
        thumbnail view; without images only the text ranking is shown.
    groups:
        Optional category per item, used to colour the 2-D map.
    k:
        How many results to show.
    weights:
        Initial weights (default: all equal). Only their ratios matter.
    query:
        Initial query: an index or a name.
    show_map:
        Draw a 2-D PCA map of the weighted combination that follows the sliders
        (default: only for catalogs up to 500 items).
    credits:
        Optional ``f(indices) -> str`` returning a photo credit line for the shown items.

    Attributes
    ----------
    ranking: list[str]
        Names of the current top-k, best first (empty while the weights are invalid).
    ranking_indices, scores:
        Their indices and combined scores.
    contributions: dict[str, np.ndarray]
        Each modality's share of each shown score (they add up to ``scores``).
    error: str | None
        Why there is no ranking (for example all sliders at zero).
    last_rerank_ms: float
        Time of the last re-rank (weighted sum + top-k), excluding drawing.
    """

    def __init__(
        self,
        blocks: Mapping[str, np.ndarray],
        names: Sequence[str],
        images: Sequence | None = None,
        *,
        groups: Sequence[str] | None = None,
        k: int = 5,
        weights: Mapping[str, float] | None = None,
        query: int | str = 0,
        step: float = 0.05,
        show_map: bool | None = None,
        credits: Callable[[list[int]], str] | None = None,
        thumb_size: int = 96,
    ):
        import ipywidgets as W

        if not blocks:
            raise ValueError("blocks is empty: give at least one modality")
        self.modalities = list(blocks)
        self._blocks = {m: normalize(b, m) for m, b in blocks.items()}
        n = {m: b.shape[0] for m, b in self._blocks.items()}
        if len(set(n.values())) != 1:
            raise ValueError(f"blocks have different numbers of rows: {n}")
        self.n = next(iter(n.values()))
        self.names = [str(x) for x in names]
        if len(self.names) != self.n:
            raise ValueError(f"{len(self.names)} names for {self.n} items")
        if images is not None and len(images) != self.n:
            raise ValueError(f"{len(images)} images for {self.n} items")
        if groups is not None and len(groups) != self.n:
            raise ValueError(f"{len(groups)} groups for {self.n} items")
        if not 1 <= k < self.n:
            raise ValueError(f"k must be between 1 and {self.n - 1}, got {k}")
        self.k = k
        self._images = images
        self._groups = list(groups) if groups is not None else None
        self._credits = credits
        self._thumb_size = thumb_size
        self._thumbs: dict[int, np.ndarray] = {}
        self.show_map = (self.n <= 500) if show_map is None else bool(show_map)
        start = self._checked({m: 1.0 for m in self.modalities} if weights is None else weights, merge=False)

        self.ranking: list[str] = []
        self.ranking_indices = np.empty(0, dtype=np.int64)
        self.scores = np.empty(0, dtype=np.float32)
        self.contributions: dict[str, np.ndarray] = {}
        self.error: str | None = None
        self.last_rerank_ms = float("nan")
        self._per_block: dict[str, np.ndarray] = {}
        self._hold = False
        self._fig = None

        self.sliders = {
            m: W.FloatSlider(
                value=start[m], min=0.0, max=1.0, step=step, description=m, continuous_update=False,
                readout_format=".2f", layout=W.Layout(width="330px"), style={"description_width": "55px"},
            )
            for m in self.modalities
        }
        for s in self.sliders.values():
            s.add_class("embeddings-weight")
        self.query_dropdown = W.Dropdown(
            options=[(name, i) for i, name in enumerate(self.names)], value=self._index(query),
            description="query", layout=W.Layout(width="330px"), style={"description_width": "55px"},
        )
        self.ranking_html = W.HTML(layout=W.Layout(min_width="320px"))
        self.ranking_html.add_class("embeddings-ranking")
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%")) if images is not None else None
        self.credits_html = W.HTML() if credits is not None else None
        controls = W.VBox([self.query_dropdown, *self.sliders.values()])
        top = W.HBox([controls, self.ranking_html])
        parts = [top] + ([self.image] if self.image is not None else []) + (
            [self.credits_html] if self.credits_html is not None else [])
        self.widget = W.VBox(parts)
        self.widget.add_class("embeddings-explorer")

        for s in self.sliders.values():
            s.observe(self._on_change, names="value")
        self.query_dropdown.observe(self._on_query, names="value")
        self._compute_query_scores()
        self.update()

    # ------------------------------------------------------------------ public API

    @property
    def query(self) -> int:
        """Index of the current query item."""
        return int(self.query_dropdown.value)

    @property
    def weights(self) -> dict[str, float]:
        """The slider values (raw; only their ratios matter)."""
        return {m: float(s.value) for m, s in self.sliders.items()}

    def set_weights(self, weights: Mapping[str, float] | None = None, **kw: float) -> None:
        """Set some or all sliders at once, then re-rank once.

        Modalities not mentioned keep their value. Raises ``KeyError`` for an
        unknown modality and ``ValueError`` for a negative, NaN or infinite
        weight, or when all weights would be zero; nothing changes then.
        Weights above 1 are all divided by the largest one (ratios are what count).
        """
        new = self._checked({**(weights or {}), **kw}, merge=True)
        self._hold = True
        try:
            for m, w in new.items():
                self.sliders[m].value = w
        finally:
            self._hold = False
        self.update()

    def set_query(self, query: int | str) -> None:
        """Choose the query item by index or name (re-ranks)."""
        self.query_dropdown.value = self._index(query)

    def update(self) -> None:
        """Re-rank with the current sliders and redraw the view."""
        self.rerank()
        if self.image is not None:
            self._draw()
        if self.credits_html is not None:
            shown = [self.query, *self.ranking_indices.tolist()]
            self.credits_html.value = f"<small>{html.escape(self._credits(shown))}</small>"
        self._render_text()  # last: when the text has changed, the picture has been sent already

    def rerank(self) -> list[str]:
        """Weighted average of the per-modality scores, then the top-k; no drawing."""
        t0 = time.perf_counter()
        try:
            w = validate_weights(self.weights, known=self.modalities)
        except ValueError as exc:
            self.error = str(exc)
            self.ranking, self.ranking_indices = [], np.empty(0, dtype=np.int64)
            self.scores, self.contributions = np.empty(0, dtype=np.float32), {}
            return self.ranking
        self.error = None
        idx, vals = top_k(weighted_scores(self._per_block, w), self.k, exclude=self.query)
        self.ranking_indices, self.scores = idx, vals
        self.contributions = {m: c[idx] for m, c in contributions(self._per_block, w).items()}
        self.ranking = [self.names[i] for i in idx]
        self.last_rerank_ms = (time.perf_counter() - t0) * 1000
        return self.ranking

    def ranking_text(self) -> str:
        """The current ranking as plain text, one line per result."""
        if self.error:
            return f"no ranking: {self.error}"
        return "\n".join(f"{r}. {name} ({s:.3f})" for r, (name, s) in enumerate(zip(self.ranking, self.scores), 1))

    def _ipython_display_(self):  # pragma: no cover - exercised in notebooks
        from IPython.display import display

        display(self.widget)

    # ------------------------------------------------------------------ internals

    def _index(self, query: int | str) -> int:
        if isinstance(query, (int, np.integer)):
            if not 0 <= int(query) < self.n:
                raise IndexError(f"query index {query} out of range 0..{self.n - 1}")
            return int(query)
        if query in self.names:
            return self.names.index(query)
        raise KeyError(f"no item named {query!r}")

    def _checked(self, weights: Mapping[str, float], merge: bool) -> dict[str, float]:
        merged = {**(self.weights if merge else {m: 0.0 for m in self.modalities}), **weights}
        validate_weights(merged, known=self.modalities)  # unknown modality, non-numbers, NaN, inf, negatives, all zero
        merged = {m: float(w) for m, w in merged.items()}
        top = max(merged.values())
        return {m: (w / top if top > 1 else w) for m, w in merged.items()}

    def _compute_query_scores(self) -> None:
        q = self.query
        self._per_block = {m: b @ b[q] for m, b in self._blocks.items()}

    def _on_change(self, _change) -> None:
        if not self._hold:
            self.update()

    def _on_query(self, _change) -> None:
        self._compute_query_scores()
        self.update()

    def _colour(self, m: str) -> str:
        return modality_colour(m, self.modalities.index(m))

    def _render_text(self) -> None:
        fractions = self._fractions()
        wtxt = ", ".join(f"{m} {f:.2f}" for m, f in fractions.items())
        head = f"<b>Top {self.k} for {html.escape(self.names[self.query])}</b><br><small>weights: {wtxt}</small>"
        if self.error:
            self.ranking_html.value = f"{head}<p style='color:#b00020'><b>No ranking:</b> {html.escape(self.error)}</p>"
            return
        items = []
        for j, (name, s) in enumerate(zip(self.ranking, self.scores)):
            parts = ", ".join(f"{m} {self.contributions[m][j]:.3f}" for m in self.modalities)
            items.append(f"<li><b>{html.escape(name)}</b> {s:.3f} <small>({parts})</small></li>")
        self.ranking_html.value = f"{head}<ol class='ranking-list'>{''.join(items)}</ol>"

    def _fractions(self) -> dict[str, float]:
        total = sum(self.weights.values())
        return {m: (w / total if total > 0 else 0.0) for m, w in self.weights.items()}

    def _thumb(self, i: int) -> np.ndarray:
        if i not in self._thumbs:
            from .images import thumbnail

            self._thumbs[i] = np.asarray(thumbnail(self._images[i], self._thumb_size))
        return self._thumbs[i]

    def _build_figure(self) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        cols = self.k + 1
        width = 1.45 * cols + (3.4 if self.show_map else 0)
        fig = Figure(figsize=(width, 2.9), dpi=80)
        FigureCanvasAgg(fig)
        ratios = [1] * cols + ([2.3] if self.show_map else [])
        gs = fig.add_gridspec(2, len(ratios), width_ratios=ratios, height_ratios=[3, 1.1],
                              left=0.01, right=0.99, top=0.76, bottom=0.07, wspace=0.08, hspace=0.3)
        blank = np.full((self._thumb_size, self._thumb_size, 3), 255, dtype=np.uint8)
        self._img_axes, self._img_artists, self._bar_axes = [], [], []
        for c in range(cols):
            ax = fig.add_subplot(gs[0, c])
            ax.set_xticks([])
            ax.set_yticks([])
            self._img_artists.append(ax.imshow(blank))
            self._img_axes.append(ax)
            bax = fig.add_subplot(gs[1, c])
            bax.set_xlim(0, 1)
            bax.set_xticks([])  # tick labels cost more to draw than everything else; scores are in the titles
            bax.set_yticks([])
            bax.axvline(0.5, color="0.8", lw=0.6, zorder=0)
            self._bar_axes.append(bax)
        for spine in self._img_axes[0].spines.values():
            spine.set_color("red")
            spine.set_linewidth(2.5)
        self._bar_axes[0].axis("off")
        from matplotlib.patches import Patch

        handles = [Patch(color=self._colour(m), label=m) for m in self.modalities]
        self._bar_axes[0].legend(handles=handles, loc="center", fontsize=7, frameon=False, ncol=1,
                                 title="share of score", title_fontsize=7)
        self._bars = {}
        for c in range(1, cols):
            left = 0.0
            for m in self.modalities:
                self._bars[(c, m)] = self._bar_axes[c].barh([0], [0.0], left=left, color=self._colour(m), height=0.8)[0]
        self._map_ax = fig.add_subplot(gs[:, -1]) if self.show_map else None
        self._fig = fig

    def _draw(self) -> None:
        if self._fig is None:
            self._build_figure()
        shown = [self.query, *self.ranking_indices.tolist()]
        for c, ax in enumerate(self._img_axes):
            if c < len(shown):
                self._img_artists[c].set_data(self._thumb(shown[c]))
                name = _wrap(("query: " if c == 0 else f"{c}. ") + self.names[shown[c]])
                ax.set_title(name if c == 0 else f"{name}\n{self.scores[c - 1]:.3f}", fontsize=7)
                ax.set_visible(True)
            else:
                ax.set_visible(False)
        for c in range(1, self.k + 1):
            visible = c <= len(self.ranking_indices)
            self._bar_axes[c].set_visible(visible)
            left = 0.0
            for m in self.modalities:
                v = max(float(self.contributions[m][c - 1]), 0.0) if visible else 0.0
                bar = self._bars[(c, m)]
                bar.set_x(left)
                bar.set_width(v)
                left += v
        if self._map_ax is not None:
            self._draw_map()
        self._fig.suptitle(
            "query-time weights: " + ", ".join(f"{m} {f:.2f}" for m, f in self._fractions().items())
            + ("   (no ranking: all weights are zero)" if self.error else ""), fontsize=8, y=0.995)
        buf = io.BytesIO()
        self._fig.savefig(buf, format="png")
        self.image.value = buf.getvalue()

    def _draw_map(self) -> None:
        """Move the points of the 2-D map (artists are created once, then updated in place)."""
        ax = self._map_ax
        if not hasattr(self, "_map_points"):
            import matplotlib

            groups = self._groups or ["item"] * self.n
            names = list(dict.fromkeys(groups))
            cmap = matplotlib.colormaps["tab10"]
            colours = [cmap(names.index(g) % 10) for g in groups]
            ax.set_xticks([])
            ax.set_yticks([])
            self._map_points = ax.scatter(np.zeros(self.n), np.zeros(self.n), c=colours, s=14, alpha=0.8,
                                          linewidths=0)
            self._map_rings = ax.scatter(np.zeros(self.k), np.zeros(self.k), s=70, facecolors="none",
                                         edgecolors="black", linewidths=1)
            self._map_ranks = [ax.annotate(str(r), (0, 0), fontsize=6, xytext=(3, 3), textcoords="offset points")
                               for r in range(1, self.k + 1)]
            self._map_star = ax.scatter([0], [0], marker="*", s=140, color="red", edgecolors="black",
                                        linewidths=0.5, zorder=3)
            ax.set_title("PCA of the weighted combination (red star: query)", fontsize=7)
        for artist in (self._map_points, self._map_rings, self._map_star, *self._map_ranks):
            artist.set_visible(not self.error)
        if self.error:
            return
        w = validate_weights(self.weights, known=self.modalities)
        if not hasattr(self, "_grams"):  # centred Gram matrix of each block, computed once
            self._grams = {}
            for m, b in self._blocks.items():
                bc = b - b.mean(axis=0, keepdims=True)
                self._grams[m] = (bc @ bc.T).astype(np.float64)
        xy = _pca_2d_from_gram(sum(f * self._grams[m] for m, f in w.items()))
        top = self.ranking_indices
        self._map_points.set_offsets(xy)
        self._map_rings.set_offsets(xy[top])
        self._map_star.set_offsets(xy[[self.query]])
        for r, label in enumerate(self._map_ranks):
            label.xy = tuple(xy[top[r]]) if r < len(top) else (np.nan, np.nan)
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        pad = 0.08 * np.maximum(hi - lo, 1e-6)
        ax.set_xlim(lo[0] - pad[0], hi[0] + pad[0])
        ax.set_ylim(lo[1] - pad[1], hi[1] + pad[1])


def _wrap(text: str, width: int = 20) -> str:
    lines = textwrap.wrap(text, width)
    return "\n".join(lines[:2]) + ("..." if len(lines) > 2 else "")


def _pca_2d_from_gram(gram: np.ndarray) -> np.ndarray:
    """First two principal components from the centred Gram matrix, signs fixed so the map does not flip.

    The weighted combination's Gram matrix is the weighted sum of the blocks' Gram
    matrices (the sqrt-weights square away), so a slider move costs one small
    ``n x n`` eigendecomposition instead of a PCA of the long concatenated vectors.
    """
    vals, vecs = np.linalg.eigh(gram)
    top = np.argsort(vals)[::-1][:2]
    xy = vecs[:, top] * np.sqrt(np.clip(vals[top], 0, None))
    signs = np.sign(xy[np.abs(xy).argmax(axis=0), [0, 1]])
    return xy * np.where(signs == 0, 1, signs)
