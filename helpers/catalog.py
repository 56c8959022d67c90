"""The product catalog of notebooks 03-04: items, their text, photo and colour, and evaluation.

``data/catalog.csv`` lists the products of a small arena kiosk (food, drinks and one
basketball), each on a photo of the image registry (:mod:`helpers.data`). Every
item has a ``category`` (used only to *evaluate* similarity, never as a feature)
and five text attributes (:data:`TEXT_ATTRIBUTES`). Its colour is derived, not
typed: the dominant colours of the photo (k-means), drawn as a swatch image.

Three embedding blocks per item, one per modality (:data:`MODALITIES`)::

    text   = text encoder(name + the five attributes)
    photo  = image encoder(product photo)
    colour = image encoder(colour swatch of the photo)
"""
from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from .data import DATA_DIR, ImageRecord, record
from .similarity import cosine_similarity, normalize, validate_weights, weighted_scores

__all__ = [
    "CATALOG_CSV",
    "TEXT_ATTRIBUTES",
    "MODALITIES",
    "CatalogError",
    "Item",
    "load_catalog",
    "item",
    "text_feature",
    "dominant_colours",
    "colour_swatch",
    "embed_catalog",
    "per_modality_scores",
    "search",
    "precision_at_k",
    "evaluate",
    "top_k_overlap",
    "rankings_table",
    "neighbour_grid",
    "contribution_chart",
]

CATALOG_CSV = DATA_DIR / "catalog.csv"
TEXT_ATTRIBUTES: tuple[str, ...] = ("course", "cuisine", "flavour_texture", "ingredients", "description")
MODALITIES: tuple[str, ...] = ("text", "photo", "colour")
_COLUMNS = ("id", "image", "name", "category", *TEXT_ATTRIBUTES)


class CatalogError(ValueError):
    """The catalog file is malformed; the message names the row and the problem."""


@dataclass(frozen=True)
class Item:
    """One product: its id, registry photo, display name, evaluation category and text attributes."""

    id: str
    image: str
    name: str
    category: str
    course: str
    cuisine: str
    flavour_texture: str
    ingredients: str
    description: str

    @property
    def record(self) -> ImageRecord:
        """The registry entry of the photo (licence, attribution, checksum)."""
        return record(self.image)

    @property
    def path(self) -> Path:
        """Local, hash-verified path of the photo (fetched on first use)."""
        return self.record.path

    @property
    def attributes(self) -> dict[str, str]:
        return {a: getattr(self, a) for a in TEXT_ATTRIBUTES}


def _validate_rows(rows: list[dict[str, str]], path: Path) -> list[Item]:
    if not rows:
        raise CatalogError(f"{path}: no items")
    missing = [c for c in _COLUMNS if c not in rows[0]]
    if missing:
        raise CatalogError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(_COLUMNS)}")
    items, seen = [], set()
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        where = f"{path.name} line {line} ({row.get('id') or '?'})"
        empty = [c for c in _COLUMNS if not (row.get(c) or "").strip()]
        if empty:
            raise CatalogError(f"{where}: empty {', '.join(empty)}; every item needs all of {', '.join(_COLUMNS)}")
        if row["id"] in seen:
            raise CatalogError(f"{where}: duplicate id {row['id']!r}")
        seen.add(row["id"])
        try:
            record(row["image"])
        except KeyError:
            raise CatalogError(
                f"{where}: image {row['image']!r} is not in the image registry (data/images.csv)") from None
        items.append(Item(**{f.name: row[f.name].strip() for f in fields(Item)}))
    return items


@lru_cache(maxsize=None)
def _load(path: Path) -> tuple[Item, ...]:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return tuple(_validate_rows(rows, path))


def load_catalog(path: str | Path = CATALOG_CSV) -> list[Item]:
    """All catalog items in file order, validated.

    Raises :class:`CatalogError` when a column is missing or empty, an id is
    repeated, or a photo is not in the image registry.
    """
    return list(_load(Path(path).resolve()))


def item(key: str, catalog: Sequence[Item] | None = None) -> Item:
    """The item whose ``id`` or ``name`` is ``key``."""
    catalog = load_catalog() if catalog is None else catalog
    for it in catalog:
        if key in (it.id, it.name):
            return it
    raise KeyError(f"no catalog item {key!r}; ids: {', '.join(i.id for i in catalog)}")


def text_feature(it: Item, attributes: Sequence[str] = TEXT_ATTRIBUTES, with_name: bool = True) -> str:
    """One string per item: the name and the chosen attributes, joined as sentences."""
    unknown = [a for a in attributes if a not in TEXT_ATTRIBUTES]
    if unknown:
        raise KeyError(f"unknown attribute(s) {', '.join(unknown)}; known: {', '.join(TEXT_ATTRIBUTES)}")
    parts = ([it.name] if with_name else []) + [getattr(it, a) for a in attributes]
    return ". ".join(p.rstrip(". ") for p in parts) + "."


# --------------------------------------------------------------------------- colour


def _image_of(x: Item | str | Path | Image.Image) -> Image.Image:
    from .images import load_image

    if isinstance(x, Item):
        x = x.path
    return load_image(x, target_size=128)


@lru_cache(maxsize=256)
def _dominant_colours_cached(path: str, k: int, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    return _kmeans_colours(_image_of(Path(path)), k, size, seed)


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


def dominant_colours(
    x: Item | str | Path | Image.Image, k: int = 5, size: int = 64, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
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
    if isinstance(x, Image.Image):
        return _kmeans_colours(_image_of(x), k, size, seed)
    path = x.path if isinstance(x, Item) else Path(x)
    return _dominant_colours_cached(str(path), k, size, seed)


def colour_swatch(x: Item | str | Path | Image.Image, k: int = 5, size: int = 224, seed: int = 0) -> Image.Image:
    """A ``size`` x ``size`` RGB image of vertical colour bands, one per dominant colour.

    Each band's width is proportional to its cluster's share of the photo, largest
    first (the same item always gives the same pixels).
    """
    colours, shares = dominant_colours(x, k=k, seed=seed)
    edges = np.rint(np.concatenate([[0.0], np.cumsum(shares)]) * size).astype(int)
    edges[-1] = size
    arr = np.empty((size, size, 3), dtype=np.uint8)
    for c, lo, hi in zip(colours, edges[:-1], edges[1:]):
        arr[:, lo:hi] = c
    return Image.fromarray(arr, mode="RGB")


# --------------------------------------------------------------------------- embeddings

_EMBED_CACHE: dict[tuple, dict[str, np.ndarray]] = {}


def embed_catalog(
    catalog: Sequence[Item] | None = None,
    text_encoder=None,
    image_encoder=None,
    attributes: Sequence[str] = TEXT_ATTRIBUTES,
    progress: bool = False,
) -> dict[str, np.ndarray]:
    """Per-modality embedding blocks of the catalog: ``{"text", "photo", "colour"}``.

    Each block is a float32 ``(n_items, d)`` array with unit-norm rows; the
    dimensions differ (text and image encoders have their own sizes). Encoders
    default to the active preset's. Results are cached per catalog and encoders.
    """
    from .models import load_image_encoder, load_text_encoder

    catalog = load_catalog() if catalog is None else list(catalog)
    text_encoder = text_encoder or load_text_encoder()
    image_encoder = image_encoder or load_image_encoder()
    key = (tuple(catalog), text_encoder.name, image_encoder.name, tuple(attributes))
    if key not in _EMBED_CACHE:
        texts = [text_feature(it, attributes) for it in catalog]
        _EMBED_CACHE[key] = {
            "text": text_encoder.encode(texts, progress=progress),
            "photo": image_encoder.encode([it.path for it in catalog], progress=progress),
            "colour": image_encoder.encode([colour_swatch(it) for it in catalog], progress=progress),
        }
    return {name: block.copy() for name, block in _EMBED_CACHE[key].items()}


def per_modality_scores(blocks: Mapping[str, np.ndarray], query: int) -> dict[str, np.ndarray]:
    """Cosine similarity of item ``query`` to every item, one score vector per modality."""
    out = {}
    for name, block in blocks.items():
        b = normalize(block, name)
        out[name] = b @ b[query]
    return out


def search(
    blocks: Mapping[str, np.ndarray], query: int, weights: Mapping[str, float], k: int = 5
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Top-``k`` items for item ``query`` under ``weights`` (the query itself excluded).

    Returns ``(indices, scores, contributions)``; ``contributions[m][j]`` is how much
    modality ``m`` added to the score of ``indices[j]`` (they add up to ``scores``).
    """
    from .similarity import contributions, top_k

    per = per_modality_scores(blocks, query)
    idx, scores = top_k(weighted_scores(per, weights), k, exclude=query)
    contrib = {m: v[idx] for m, v in contributions(per, weights).items()}
    return idx, scores, contrib


# --------------------------------------------------------------------------- evaluation


def precision_at_k(sim: np.ndarray, labels: Sequence[str], k: int) -> float:
    """Mean over queries of the fraction of the top-``k`` neighbours sharing the query's label.

    The query itself is excluded from its neighbours, and queries whose label no
    other item has are skipped (nothing could be right for them).
    """
    from .similarity import top_k

    sim = np.asarray(sim)
    labels = np.asarray(labels)
    if sim.shape != (len(labels), len(labels)):
        raise ValueError(f"sim must be ({len(labels)}, {len(labels)}), got {sim.shape}")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    values = []
    for q in range(len(labels)):
        if (labels == labels[q]).sum() < 2:
            continue
        idx, _ = top_k(sim[q], k, exclude=q)
        values.append(float(np.mean(labels[idx] == labels[q])))
    if not values:
        raise ValueError("no label occurs twice: precision@k is undefined")
    return float(np.mean(values))


def _best_possible(labels: Sequence[str], k: int) -> float:
    labels = np.asarray(labels)
    vals = [min(k, int((labels == lab).sum()) - 1) / k for lab in labels if (labels == lab).sum() >= 2]
    return float(np.mean(vals))


def _chance(labels: Sequence[str]) -> float:
    """Expected precision@k of a random ranking (the same for every k)."""
    labels = np.asarray(labels)
    n = len(labels)
    vals = [(int((labels == lab).sum()) - 1) / (n - 1) for lab in labels if (labels == lab).sum() >= 2]
    return float(np.mean(vals))


def evaluate(
    blocks: Mapping[str, np.ndarray],
    labels: Sequence[str],
    ks: Sequence[int] = (1, 3),
    weightings: Mapping[str, Mapping[str, float]] | None = None,
):
    """precision@k for each modality alone and for weighted combinations, as a pandas table.

    ``weightings`` maps a row name to modality weights; by default one row,
    ``"combined (equal)"``, weighs all modalities equally. Two last rows give the
    expected value of a random ranking and the best possible value (some
    categories have fewer than ``k`` other members).
    """
    import pandas as pd

    sims = {name: cosine_similarity(block) for name, block in blocks.items()}
    if weightings is None:
        weightings = {"combined (equal)": {name: 1.0 for name in blocks}}
    rows = {f"{name} only": sims[name] for name in sims}
    for row_name, w in weightings.items():
        validate_weights(w, known=list(blocks))
        rows[row_name] = weighted_scores(sims, w)
    table = pd.DataFrame(
        {f"P@{k}": [precision_at_k(s, labels, k) for s in rows.values()] for k in ks}, index=list(rows)
    )
    table.loc["random ranking"] = [_chance(labels) for _ in ks]
    table.loc["best possible"] = [_best_possible(labels, k) for k in ks]
    return table.round(3)


def top_k_overlap(a: np.ndarray, b: np.ndarray, k: int = 5) -> float:
    """Mean fraction of shared items between the top-``k`` lists of two embeddings of the same items."""
    from .similarity import top_k

    sa, sb = cosine_similarity(a), cosine_similarity(b)
    shared = [len(set(top_k(sa[q], k, exclude=q)[0]) & set(top_k(sb[q], k, exclude=q)[0])) / k
              for q in range(len(sa))]
    return float(np.mean(shared))


# --------------------------------------------------------------------------- figures and tables


def _weights_label(weights: Mapping[str, float]) -> str:
    fr = validate_weights(weights)
    return ", ".join(f"{m} {f:.2f}" for m, f in fr.items() if f > 0)


def rankings_table(
    catalog: Sequence[Item], blocks: Mapping[str, np.ndarray], query: str,
    weightings: Mapping[str, Mapping[str, float]], k: int = 5,
):
    """Top-``k`` names (with scores) for one query under several weightings, side by side.

    A trailing ``*`` marks an item of the query's category.
    """
    import pandas as pd

    q = [it.id for it in catalog].index(item(query, catalog).id)
    cols = {}
    for label, w in weightings.items():
        idx, scores, _ = search(blocks, q, w, k)
        cols[label] = [f"{catalog[i].name}{' *' if catalog[i].category == catalog[q].category else ''} "
                       f"({s:.3f})" for i, s in zip(idx, scores)]
    return pd.DataFrame(cols, index=pd.RangeIndex(1, k + 1, name="rank"))


def neighbour_grid(
    catalog: Sequence[Item], blocks: Mapping[str, np.ndarray], query: str,
    weightings: Mapping[str, Mapping[str, float]], k: int = 4, images: Sequence | None = None,
    size: float = 1.75,
):
    """One row per weighting: the query photo, then its top-``k`` with scores.

    Titles of items in the query's category are green, others grey; the row label
    counts them. ``images`` (one per item, e.g. thumbnails) avoids re-reading photos.
    """
    import textwrap

    import matplotlib.pyplot as plt

    from .images import thumbnail

    ids = [it.id for it in catalog]
    q = ids.index(item(query, catalog).id)
    pics = images if images is not None else [it.path for it in catalog]
    n_same = sum(it.category == catalog[q].category for it in catalog) - 1
    fig, axes = plt.subplots(len(weightings), k + 1, figsize=(size * (k + 1) + 1.6, size * 1.25 * len(weightings)),
                             squeeze=False)
    for r, (label, w) in enumerate(weightings.items()):
        idx, scores, _ = search(blocks, q, w, k)
        hits = sum(catalog[i].category == catalog[q].category for i in idx)
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
                score_note = f"{hits}/{k} same category" if n_same else "no other item\nin its category"
                ax.set_ylabel(f"{label}\n({_weights_label(w)})\n{score_note}", fontsize=8, rotation=0,
                              ha="right", va="center", labelpad=8)
            else:
                same = catalog[i].category == catalog[q].category
                ax.set_title(f"{name}\n{scores[c - 1]:.3f}", fontsize=8, color="green" if same else "0.35")
    fig.tight_layout()
    return fig


def contribution_chart(
    catalog: Sequence[Item], blocks: Mapping[str, np.ndarray], query: str, weights: Mapping[str, float], k: int = 5,
):
    """'Why is this similar?': per result, a stacked bar of what each modality added to its score."""
    import matplotlib.pyplot as plt

    from .widgets import MODALITY_COLOURS

    ids = [it.id for it in catalog]
    q = ids.index(item(query, catalog).id)
    idx, scores, contrib = search(blocks, q, weights, k)
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * k + 1.2))
    labels = [catalog[i].name for i in idx][::-1]
    left = np.zeros(len(idx))
    for m, values in contrib.items():
        ax.barh(labels, values[::-1], left=left, color=MODALITY_COLOURS.get(m), label=m)
        left += values[::-1]
    for y, s in enumerate(scores[::-1]):
        ax.text(s + 0.005, y, f"{s:.3f}", va="center", fontsize=8)
    ax.set_xlim(0, max(1.0, float(left.max()) + 0.08))
    ax.set_xlabel("combined score = sum of the modalities' contributions")
    ax.set_title(f"Why are these similar to {catalog[q].name}? ({_weights_label(weights)})", fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig
