"""Notebook 04's control: a slider per modality, a query dropdown, a live top-k and its precision@k.

A thin view: a query change calls :func:`helpers.retrieval.per_modality_scores` (once per query),
a slider move :func:`helpers.retrieval.rank` (O(n)) and :class:`helpers.evaluation.PrecisionMeter`;
colours, labels and the 2-D map come from :mod:`helpers.plots`. :class:`WeightedRanker` is that state
without widgets (the notebook times it on 10,000 items without saving a 10,000-option dropdown);
:class:`WeightExplorer` adds the sliders and updates in place, also in Colab: one off-pyplot figure
rendered into one ``ipywidgets.Image``, the ranking and its precision in an ``ipywidgets.HTML``.
"""
from __future__ import annotations

import html
import io
import textwrap
import time
from collections.abc import Mapping, Sequence

import numpy as np

from . import plots as P
from .evaluation import PrecisionMeter, query_precision, query_random_baseline
from .images import thumbnail
from .retrieval import normalize_blocks, per_modality_scores, rank
from .similarity import validate_weights

__all__ = ["WeightExplorer", "WeightedRanker"]

LIVE_MEAN_MAX_ITEMS = 1000  #: above this, no live mean precision@k by default (it keeps n x n matrices)


class WeightedRanker:
    """The widget's state without widgets: a query, weights, the top-k and its precision@k.

    ``blocks`` are ``{modality: (n, d_m) array}`` (rows normalised here, once); ``labels``
    (optional, one category per item) turn on precision@k: for this query, and the mean over
    all queries when ``live_mean`` (default: up to 1,000 items). ``weights`` default to equal.

    After each :meth:`rerank`: ``ranking`` (names, best first), ``ranking_indices``, ``scores``,
    ``contributions`` (each modality's share of each score), ``fractions`` (the weights as
    shares of their sum), ``quality`` (precision numbers beside their random baselines),
    ``error`` (why there is no ranking, e.g. all weights zero), ``last_rerank_ms`` (validate + rank)
    and ``last_measure_ms`` (precision@k).
    """

    def __init__(self, blocks: Mapping[str, np.ndarray], names: Sequence[str], *, labels: Sequence[str] | None = None,
                 k: int = 5, weights: Mapping[str, float] | None = None, query: int | str = 0,
                 live_mean: bool | None = None):
        if not blocks:
            raise ValueError("blocks is empty: give at least one modality")
        self.modalities = list(blocks)
        self.blocks = normalize_blocks(blocks)
        rows = {m: b.shape[0] for m, b in self.blocks.items()}
        if len(set(rows.values())) != 1:
            raise ValueError(f"blocks have different numbers of rows: {rows}")
        self.n = next(iter(rows.values()))
        self.names = [str(x) for x in names]
        for what, seq in (("names", self.names), ("labels", labels)):
            if seq is not None and len(seq) != self.n:
                raise ValueError(f"{len(seq)} {what} for {self.n} items")
        if not 1 <= k < self.n:
            raise ValueError(f"k must be between 1 and {self.n - 1}, got {k}")
        self.k, self.labels = k, (list(labels) if labels is not None else None)
        live = self.n <= LIVE_MEAN_MAX_ITEMS if live_mean is None else live_mean
        repeated = self.labels is not None and len(set(self.labels)) < self.n
        self.meter = PrecisionMeter(self.blocks, self.labels, k) if live and repeated else None
        self._weights = self._merged({m: 1.0 for m in self.modalities} if weights is None else weights, merge=False)
        self.last_rerank_ms = self.last_measure_ms = float("nan")
        self._set_query(self.index(query))
        self.rerank()

    @property
    def weights(self) -> dict[str, float]:
        """The current weights (raw; only their ratios matter)."""
        return dict(self._weights)

    def index(self, query: int | str) -> int:
        """An item's index from its index or name."""
        if isinstance(query, (int, np.integer)):
            if not 0 <= int(query) < self.n:
                raise IndexError(f"query index {query} out of range 0..{self.n - 1}")
            return int(query)
        if query in self.names:
            return self.names.index(query)
        raise KeyError(f"no item named {query!r}")

    def set_query(self, query: int | str) -> None:
        """Choose the query item by index or name, then re-rank."""
        self._set_query(self.index(query))
        self.update()

    def set_weights(self, weights: Mapping[str, float] | None = None, **kw: float) -> None:
        """Set some or all weights at once (others keep theirs), then re-rank once.

        ``KeyError`` for an unknown modality, ``TypeError`` for a non-number, ``ValueError``
        for a negative, NaN or infinite weight or all weights zero; nothing changes then.
        Weights above 1 are all divided by the largest one (ratios are what count).
        """
        self._weights = self._merged({**(weights or {}), **kw}, merge=True)
        self.update()

    def update(self) -> None:  # the widget also redraws
        self.rerank()

    def rerank(self) -> list[str]:
        """Validate the weights once, rank (:func:`~helpers.retrieval.rank`), measure precision@k."""
        t0 = time.perf_counter()
        try:
            self.fractions = validate_weights(self.weights, known=self.modalities)
        except ValueError as exc:  # e.g. every slider at zero: a message instead of a ranking
            self.error, self.fractions, self.quality, self.contributions = str(exc), {}, {}, {}
            self.ranking, self.ranking_indices, self.scores = [], np.empty(0, np.int64), np.empty(0, np.float32)
            return self.ranking
        self.error: str | None = None
        self.ranking_indices, self.scores, self.contributions = rank(self._per, self.fractions, self.k,
                                                                      exclude=self.query)
        self.ranking = [self.names[i] for i in self.ranking_indices]
        self.last_rerank_ms = (time.perf_counter() - t0) * 1000
        self.quality = self._measure()
        return self.ranking

    def ranking_text(self) -> str:
        """The current ranking as plain text, one line per result."""
        if self.error:
            return f"no ranking: {self.error}"
        return "\n".join(f"{r}. {name} ({s:.3f})" for r, (name, s) in enumerate(zip(self.ranking, self.scores), 1))

    def _set_query(self, q: int) -> None:
        self.query = q
        self._per = per_modality_scores(self.blocks, q, normalized=True)

    def _measure(self) -> dict[str, float | None]:
        if self.labels is None:
            return {}
        t0 = time.perf_counter()
        out = {"query": query_precision(self.ranking_indices, self.labels, self.query),
               "query_random": query_random_baseline(self.labels, self.query)}
        if self.meter is not None:
            out.update(mean=self.meter(self.fractions), random=self.meter.random, best=self.meter.best)
        self.last_measure_ms = (time.perf_counter() - t0) * 1000
        return out

    def _merged(self, weights: Mapping[str, float], merge: bool) -> dict[str, float]:
        merged = {**(self._weights if merge else {m: 0.0 for m in self.modalities}), **weights}
        validate_weights(merged, known=self.modalities)  # reject bad input before anything changes
        top = max(float(w) for w in merged.values())
        return {m: (float(w) / top if top > 1 else float(w)) for m, w in merged.items()}


class WeightExplorer(WeightedRanker):
    """:class:`WeightedRanker` with sliders, a query dropdown and a live view.

    Extra parameters: ``images`` (one per item: path, PIL image or uint8 array) for the
    thumbnails, contribution bars and 2-D map (``show_map``, default up to 500 items);
    ``groups`` (one category per item) colour the map and give the live precision@k.
    ``widget`` is the ``ipywidgets.VBox`` to display.
    """

    def __init__(self, blocks: Mapping[str, np.ndarray], names: Sequence[str], images: Sequence | None = None, *,
                 groups: Sequence[str] | None = None, k: int = 5, weights: Mapping[str, float] | None = None,
                 query: int | str = 0, step: float = 0.05, show_map: bool | None = None, thumb_size: int = 96,
                 live_mean: bool | None = None):
        import ipywidgets as W

        if images is not None and len(images) != len(names):
            raise ValueError(f"{len(images)} images for {len(names)} items")
        super().__init__(blocks, names, labels=groups, k=k, weights=weights, query=query, live_mean=live_mean)
        self._hold = False
        style, width = {"description_width": "55px"}, W.Layout(width="330px")
        self.sliders = {m: W.FloatSlider(value=w, min=0.0, max=1.0, step=step, description=m, readout_format=".2f",
                                         continuous_update=False, layout=width, style=style)
                        for m, w in self._weights.items()}
        self.query_dropdown = W.Dropdown(options=[(nm, i) for i, nm in enumerate(self.names)], value=self.query,
                                         description="query", layout=width, style=style)
        self.ranking_html = W.HTML(layout=W.Layout(min_width="320px"))
        self.ranking_html.add_class("embeddings-ranking")
        self.figure = None
        if images is not None:
            self.figure = _ResultsFigure(self, images, thumb_size, (self.n <= 500) if show_map is None else show_map)
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%")) if self.figure else None
        for s in self.sliders.values():
            s.add_class("embeddings-weight")
            s.observe(self._on_change, names="value")
        self.query_dropdown.observe(lambda change: WeightedRanker.set_query(self, change["new"]), names="value")
        top = W.HBox([W.VBox([self.query_dropdown, *self.sliders.values()]), self.ranking_html])
        self.widget = W.VBox([top] + ([self.image] if self.image is not None else []))
        self.widget.add_class("embeddings-explorer")
        self.update()

    def set_query(self, query: int | str) -> None:
        self.query_dropdown.value = self.index(query)  # the dropdown's observer re-ranks

    def set_weights(self, weights: Mapping[str, float] | None = None, **kw: float) -> None:
        new = self._merged({**(weights or {}), **kw}, merge=True)
        self._hold = True
        try:
            for m, w in new.items():
                self.sliders[m].value = w
        finally:
            self._hold = False
        self.update()

    def update(self) -> None:
        """Re-rank with the current sliders and redraw the view."""
        self._weights = {m: float(s.value) for m, s in self.sliders.items()}
        self.rerank()
        if self.figure is not None:
            self.image.value = self.figure.draw()
        self.ranking_html.value = ranking_html(self)  # last: when the text changes, the picture is already sent

    def _on_change(self, _change) -> None:
        if not self._hold:
            self.update()

    def _ipython_display_(self):  # pragma: no cover - exercised in notebooks
        from IPython.display import display

        display(self.widget)


def quality_html(quality: Mapping[str, float | None], k: int) -> str:
    """precision@k of this query and of all queries, each beside what a random ranking scores."""
    if not quality:
        return ""
    parts = [f"P@{k} of this query: undefined (no other item in its category)" if quality["query"] is None else
             f"P@{k} of this query: <b>{quality['query']:.2f}</b> (random {quality['query_random']:.2f})"]
    if "mean" in quality:
        parts.append(f"mean P@{k} over all queries: <b>{quality['mean']:.3f}</b> "
                     f"(random {quality['random']:.3f}, best possible {quality['best']:.3f})")
    return "<div class='embeddings-quality'><small>" + "<br>".join(parts) + "</small></div>"


def ranking_html(r: WeightedRanker) -> str:
    """The widget's text: the query, the weights, precision@k, then the ranked items with each modality's share."""
    head = f"<b>Top {r.k} for {html.escape(r.names[r.query])}</b>"
    if r.error:
        return f"{head}<p style='color:#b00020'><b>No ranking:</b> {html.escape(r.error)}</p>"
    items = []
    for j, (name, s) in enumerate(zip(r.ranking, r.scores)):
        parts = ", ".join(f"{m} {r.contributions[m][j]:.3f}" for m in r.modalities)
        items.append(f"<li><b>{html.escape(name)}</b> {s:.3f} <small>({parts})</small></li>")
    return (f"{head}<br><small>weights: {P.weights_label(r.fractions)}</small>"
            f"{quality_html(r.quality, r.k)}<ol class='ranking-list'>{''.join(items)}</ol>")


class _ResultsFigure:
    """The picture under the sliders: query and top-k thumbnails, contribution bars, a 2-D map.

    Built once; every update changes its artists in place and renders one PNG.
    """

    def __init__(self, ranker: WeightedRanker, images: Sequence, thumb_size: int, show_map: bool):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.patches import Patch

        self.r, self.images, self.size, self.thumbs = ranker, images, thumb_size, {}
        cols = ranker.k + 1
        fig = Figure(figsize=(1.45 * cols + (3.4 if show_map else 0), 2.9), dpi=80)
        FigureCanvasAgg(fig)
        gs = fig.add_gridspec(2, cols + show_map, width_ratios=[1] * cols + ([2.3] if show_map else []),
                              height_ratios=[3, 1.1], left=0.01, right=0.99, top=0.76, bottom=0.07, wspace=0.08,
                              hspace=0.3)
        blank = np.full((thumb_size, thumb_size, 3), 255, dtype=np.uint8)
        self.img_axes = [fig.add_subplot(gs[0, c], xticks=[], yticks=[]) for c in range(cols)]
        self.img_artists = [ax.imshow(blank) for ax in self.img_axes]
        self.bar_axes = [fig.add_subplot(gs[1, c], xlim=(0, 1), xticks=[], yticks=[]) for c in range(cols)]
        for spine in self.img_axes[0].spines.values():
            spine.set(color="red", linewidth=2.5)
        self.bar_axes[0].axis("off")
        colours = {m: P.modality_colour(m, j) for j, m in enumerate(ranker.modalities)}
        self.bar_axes[0].legend(handles=[Patch(color=c, label=m) for m, c in colours.items()], loc="center",
                                fontsize=7, frameon=False, title="share of score", title_fontsize=7)
        self.bars = {(c, m): self.bar_axes[c].barh([0], [0.0], color=colours[m], height=0.8)[0]
                     for c in range(1, cols) for m in ranker.modalities}
        self.map = _MapPanel(fig.add_subplot(gs[:, -1]), ranker) if show_map else None
        self.fig = fig

    def _thumb(self, i: int) -> np.ndarray:
        if i not in self.thumbs:
            self.thumbs[i] = np.asarray(thumbnail(self.images[i], self.size))
        return self.thumbs[i]

    def draw(self) -> bytes:
        r = self.r
        shown = [r.query, *r.ranking_indices.tolist()]
        for c, ax in enumerate(self.img_axes):
            ax.set_visible(c < len(shown))
            if c < len(shown):
                self.img_artists[c].set_data(self._thumb(shown[c]))
                name = _wrap(("query: " if c == 0 else f"{c}. ") + r.names[shown[c]])
                ax.set_title(name if c == 0 else f"{name}\n{r.scores[c - 1]:.3f}", fontsize=7)
        for c in range(1, r.k + 1):
            visible = c <= len(r.ranking_indices)
            self.bar_axes[c].set_visible(visible)
            left = 0.0
            for m in r.modalities:
                v = max(float(r.contributions[m][c - 1]), 0.0) if visible else 0.0
                self.bars[(c, m)].set(x=left, width=v)
                left += v
        if self.map is not None:
            self.map.draw()
        title = f"no ranking: {r.error}" if r.error else f"query-time weights: {P.weights_label(r.fractions)}"
        self.fig.suptitle(title, fontsize=8, y=0.995)
        buf = io.BytesIO()
        self.fig.savefig(buf, format="png")
        return buf.getvalue()


class _MapPanel:
    """A 2-D map of the weighted combination (:func:`helpers.plots.weighted_map_xy`): the query as a red
    star, its results circled and numbered. Artists are created once and moved."""

    def __init__(self, ax, ranker: WeightedRanker):
        self.ax, self.r = ax, ranker
        groups = ranker.labels or ["item"] * ranker.n
        names = list(dict.fromkeys(groups))
        colours = P.group_colours(names)
        ax.set(xticks=[], yticks=[])
        zeros = np.zeros((ranker.n, 2))
        self.points = ax.scatter(*zeros.T, c=[colours[g] for g in groups], s=14, alpha=0.8,
                                 linewidths=0)
        self.rings = ax.scatter(*zeros[: ranker.k].T, s=70, facecolors="none", edgecolors="black", linewidths=1)
        self.ranks = [ax.annotate(str(j), (0, 0), fontsize=6, xytext=(3, 3), textcoords="offset points")
                      for j in range(1, ranker.k + 1)]
        self.star = ax.scatter([0], [0], marker="*", s=140, color="red", edgecolors="black", linewidths=0.5, zorder=3)
        ax.set_title("PCA of the weighted combination (red star: query)", fontsize=7)

    def draw(self) -> None:
        r = self.r
        for artist in (self.points, self.rings, self.star, *self.ranks):
            artist.set_visible(not r.error)
        if r.error:
            return
        xy = P.weighted_map_xy(r.blocks, r.fractions)
        top = r.ranking_indices
        self.points.set_offsets(xy)
        self.rings.set_offsets(xy[top])
        self.star.set_offsets(xy[[r.query]])
        for j, label in enumerate(self.ranks):
            label.xy = tuple(xy[top[j]]) if j < len(top) else (np.nan, np.nan)
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        pad = 0.08 * np.maximum(hi - lo, 1e-6)
        self.ax.set(xlim=(lo[0] - pad[0], hi[0] + pad[0]), ylim=(lo[1] - pad[1], hi[1] + pad[1]))


def _wrap(text: str, width: int = 20) -> str:
    lines = textwrap.wrap(text, width)
    return "\n".join(lines[:2]) + ("..." if len(lines) > 2 else "")
