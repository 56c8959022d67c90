"""The product catalogs of notebooks 03-04: items, their text attributes and photo (data only).

Two catalogs, each a CSV in ``data/`` with one row per product on a photo of the image
registry (:mod:`helpers.data`), loaded by name with :func:`load_catalog`:

* ``"food"`` (``data/catalog.csv``, the default): the kiosk of a basketball arena, 27 dishes
  and drinks and one basketball; text attributes :data:`FOOD_ATTRIBUTES`.
* ``"store"`` (``data/store.csv``): a small general store (electronics, cameras, sports,
  footwear, clothing, appliances, furniture, plants), each item also in a ``department``;
  text attributes :data:`STORE_ATTRIBUTES`.

Every item has a ``category`` (used only to *evaluate* similarity, never as a feature)
and five text attributes. Its colour is derived, not typed: the dominant colours of the
photo (:mod:`helpers.colours`). An item is ``os.PathLike`` (its photo's path), so it can be
given wherever a photo can.

Three embedding blocks per item, one per modality (:data:`MODALITIES`), computed by
:func:`helpers.blocks.embed_catalog`::

    text   = text encoder(name + the five attributes)
    photo  = image encoder(product photo)
    colour = image encoder(colour swatch of the photo)

``dominant_colours``, ``colour_swatch`` and ``embed_catalog`` are also importable from here, where
notebooks 03-04 use them.
"""
from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from .blocks import embed_catalog
from .colours import colour_swatch, dominant_colours
from .data import DATA_DIR, ImageRecord, record

__all__ = [
    "CATALOGS",
    "CATALOG_CSV",
    "STORE_CSV",
    "FOOD_ATTRIBUTES",
    "STORE_ATTRIBUTES",
    "TEXT_ATTRIBUTES",
    "MODALITIES",
    "CatalogError",
    "Item",
    "load_catalog",
    "item",
    "item_index",
    "text_feature",
    "dominant_colours",
    "colour_swatch",
    "embed_catalog",
]

CATALOG_CSV = DATA_DIR / "catalog.csv"
STORE_CSV = DATA_DIR / "store.csv"
FOOD_ATTRIBUTES: tuple[str, ...] = ("course", "cuisine", "flavour_texture", "ingredients", "description")
STORE_ATTRIBUTES: tuple[str, ...] = ("use", "style", "look_feel", "materials", "description")
#: The food catalog's attributes (the default catalog); a store item's are in ``item.attribute_names``.
TEXT_ATTRIBUTES = FOOD_ATTRIBUTES
MODALITIES: tuple[str, ...] = ("text", "photo", "colour")
_BASE = ("id", "image", "name", "category")
#: name -> (file, columns besides the base ones that every row must fill, text attributes)
CATALOGS: dict[str, tuple[Path, tuple[str, ...], tuple[str, ...]]] = {
    "food": (CATALOG_CSV, (), FOOD_ATTRIBUTES),
    "store": (STORE_CSV, ("department",), STORE_ATTRIBUTES),
}


class CatalogError(ValueError):
    """The catalog file is malformed; the message names the row and the problem."""


@dataclass(frozen=True)
class Item:
    """One product: its id, registry photo, display name, evaluation category and text attributes.

    ``attribute_names``/``attribute_values`` keep the five attributes in file order; each one is
    also readable by name (``item.cuisine`` for food, ``item.materials`` for the store).
    ``department`` is empty for catalogs without departments (the food kiosk).
    """

    id: str
    image: str
    name: str
    category: str
    attribute_names: tuple[str, ...]
    attribute_values: tuple[str, ...]
    department: str = ""

    def __getattr__(self, name: str) -> str:  # only called when normal lookup fails
        names = self.__dict__.get("attribute_names", ())
        if name in names:
            return self.__dict__["attribute_values"][names.index(name)]
        raise AttributeError(f"{type(self).__name__} {self.__dict__.get('id', '?')!r} has no attribute {name!r}; "
                             f"its text attributes are {', '.join(names)}")

    @property
    def record(self) -> ImageRecord:
        """The registry entry of the photo (licence, attribution, checksum)."""
        return record(self.image)

    @property
    def path(self) -> Path:
        """Local, hash-verified path of the photo (fetched on first use)."""
        return self.record.path

    def __fspath__(self) -> str:
        """The photo's local path: an item can be given wherever a photo can (encoders, plots, colours)."""
        return str(self.path)

    @property
    def attributes(self) -> dict[str, str]:
        return dict(zip(self.attribute_names, self.attribute_values))

    def as_row(self) -> dict[str, str]:
        """The item as one flat row (for a table): id, name, category, department, attributes, image."""
        row = {"id": self.id, "name": self.name, "category": self.category}
        if self.department:
            row["department"] = self.department
        return {**row, **self.attributes, "image": self.image}

    def text_feature(self, attributes: Sequence[str] | None = None, with_name: bool = True) -> str:
        """The name and the chosen attributes (default: all five), joined as sentences."""
        attributes = self.attribute_names if attributes is None else attributes
        unknown = [a for a in attributes if a not in self.attribute_names]
        if unknown:
            raise KeyError(f"unknown attribute(s) {', '.join(unknown)} for item {self.id!r}; "
                           f"known: {', '.join(self.attribute_names)}")
        parts = ([self.name] if with_name else []) + [getattr(self, a) for a in attributes]
        return ". ".join(p.rstrip(". ") for p in parts) + "."


def _schema_for(header: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(required extra columns, attributes) of the known catalog layout the header matches best."""
    _, extra, attrs = max(CATALOGS.values(), key=lambda schema: len(set(schema[1] + schema[2]) & set(header)))
    return extra, attrs


def _validate_rows(rows: list[dict], path: Path, extra: tuple[str, ...], attrs: tuple[str, ...]) -> list[Item]:
    columns = (*_BASE, *extra, *attrs)
    if not rows:
        raise CatalogError(f"{path}: no items")
    missing = [c for c in columns if c not in rows[0]]
    if missing:
        raise CatalogError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(columns)}")
    items, seen = [], set()
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        where = f"{path.name} line {line} ({(row.get('id') or '?').strip()})"
        if None in row or None in row.values():
            raise CatalogError(f"{where}: wrong number of fields (header has {len(rows[0]) - (None in rows[0])}); "
                               "quote values that contain commas")
        empty = [c for c in columns if not (row.get(c) or "").strip()]
        if empty:
            raise CatalogError(f"{where}: empty {', '.join(empty)}; every item needs all of {', '.join(columns)}")
        if row["id"] in seen:
            raise CatalogError(f"{where}: duplicate id {row['id']!r}")
        seen.add(row["id"])
        try:
            record(row["image"])
        except KeyError:
            raise CatalogError(
                f"{where}: image {row['image']!r} is not in the image registry (data/images.csv)") from None
        items.append(Item(
            *(row[c].strip() for c in _BASE), attribute_names=attrs,
            attribute_values=tuple(row[a].strip() for a in attrs),
            department=(row.get("department") or "").strip(),
        ))
    return items


@cache
def _load(path: Path, schema: str | None) -> tuple[Item, ...]:
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        header = reader.fieldnames or []
    extra, attrs = CATALOGS[schema][1:] if schema else _schema_for(header)
    return tuple(_validate_rows(rows, path, extra, attrs))


def load_catalog(name: str | Path = "food") -> list[Item]:
    """All items of a catalog, in file order, validated.

    ``name`` is ``"food"`` (the default: the arena kiosk, ``data/catalog.csv``), ``"store"``
    (the general store, ``data/store.csv``) or the path of a CSV with the same columns as one
    of them. Raises :class:`CatalogError`, naming the file, line and item, when a column is
    missing or empty, a row has the wrong number of fields, an id is repeated, or a photo is
    not in the image registry.
    """
    if isinstance(name, str) and name in CATALOGS:
        return list(_load(CATALOGS[name][0], name))
    path = Path(name)
    if isinstance(name, str) and path.suffix.lower() != ".csv":
        raise CatalogError(f"unknown catalog {name!r}; use one of {', '.join(map(repr, CATALOGS))} "
                           "or the path of a .csv file")
    if not path.is_file():
        raise CatalogError(f"catalog file {path} does not exist")
    return list(_load(path.resolve(), None))


def item(key: str, catalog: Sequence[Item] | None = None) -> Item:
    """The item whose ``id`` or ``name`` is ``key``."""
    catalog = load_catalog() if catalog is None else catalog
    for it in catalog:
        if key in (it.id, it.name):
            return it
    raise KeyError(f"no catalog item {key!r}; ids: {', '.join(i.id for i in catalog)}")


def item_index(key: str | int, catalog: Sequence[Item]) -> int:
    """Position of an item (by id, name or index) in ``catalog``."""
    if isinstance(key, (int, np.integer)):
        if not 0 <= int(key) < len(catalog):
            raise IndexError(f"item index {key} out of range for a catalog of {len(catalog)} items")
        return int(key)
    target = item(key, catalog).id
    return [it.id for it in catalog].index(target)


def text_feature(it: Item, attributes: Sequence[str] | None = None, with_name: bool = True) -> str:
    """One string per item: its name and the chosen attributes (default: all five), joined as sentences."""
    return it.text_feature(attributes, with_name)


# --------------------------------------------------------------------------- a judged answer key

LOOKS_ALIKE_CSV = DATA_DIR / "looks_alike.csv"
__all__ += ["LOOKS_ALIKE_CSV", "looks_alike"]


def looks_alike(catalog: Sequence[Item], path: str | Path = LOOKS_ALIKE_CSV) -> dict[str, str]:
    """A judged answer key: ``{item id: id of the item judged to look most like it}``, both ways.

    Each row of the CSV (``id,looks_like,why``) is one pair judged by eye from the photos and
    descriptions (notebook 04's trousers and jeans). Raises :class:`CatalogError` naming the
    row when an id is not in ``catalog``, a pair pairs an item with itself, or an item is in two pairs.
    """
    known = {it.id for it in catalog}
    pairs: dict[str, str] = {}
    with open(path, newline="", encoding="utf-8") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            a, b = (row.get("id") or "").strip(), (row.get("looks_like") or "").strip()
            where = f"{Path(path).name} line {line}"
            for x in (a, b):
                if x not in known:
                    raise CatalogError(f"{where}: no item {x!r} in the catalog; use the ids of data/store.csv")
            if a == b or a in pairs or b in pairs:
                raise CatalogError(f"{where}: {a!r} and {b!r} must be two items in no other pair")
            pairs[a], pairs[b] = b, a
    return pairs
