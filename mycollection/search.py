"""Searching a :class:`~mycollection.index.Collection`: text -> photos, photo -> photos, text -> notes.

Every search is exact: one matrix-vector product against the stored unit vectors (a dot product of
unit vectors *is* the cosine similarity), then the top ``k``. For thousands to tens of thousands of
items that takes milliseconds; a few hundred thousand 1280-d vectors take a good fraction of a second per
query on a laptop; :mod:`helpers.ann` measures where an approximate index starts to pay off.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from helpers.similarity import top_k

from .index import Collection
from .records import Entry

__all__ = ["Hit", "search_photos", "similar_photos", "search_notes", "search_all"]


@dataclass(frozen=True)
class Hit:
    """One search result: the item, its cosine similarity to the query, and where it is on disk."""

    item: Entry
    score: float
    path: Path

    def __str__(self) -> str:
        return f"{self.item.ref}\t{self.score:.3f}"


def _rank(coll: Collection, space: str, query: np.ndarray, k: int, exclude: int | None = None) -> list[Hit]:
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    pool = coll.photos if coll.spaces[space].kind == "photo" else coll.notes
    if not pool:
        return []
    idx, scores = top_k(coll.vectors[space] @ np.asarray(query, dtype=np.float32), k, exclude=exclude)
    return [Hit(pool[i], float(s), coll.path(pool[i])) for i, s in zip(idx, scores)]


def search_photos(coll: Collection, query: str, k: int = 5) -> list[Hit]:
    """Text -> photos, through the preset's CLIP (its text side against the photos' image side)."""
    return _rank(coll, "clip-image", coll.encoders.query("clip-image", query), k)


def search_notes(coll: Collection, query: str, k: int = 5) -> list[Hit]:
    """Text -> notes, through the text encoder (the notes' own space)."""
    return _rank(coll, "text", coll.encoders.query("text", query), k)


def similar_photos(coll: Collection, photo: str | os.PathLike, k: int = 5) -> list[Hit]:
    """Photo -> the ``k`` most similar other photos (image encoder).

    ``photo`` is a photo of the collection (its relative path, or its full path), or any other image
    file, which is then embedded on the spot.
    """
    refs = {it.ref: i for i, it in enumerate(coll.photos)}
    ref = os.fspath(photo)
    if ref not in refs:
        try:
            ref = Path(photo).resolve().relative_to(coll.folder).as_posix()
        except ValueError:
            pass
    if ref in refs:
        q = refs[ref]
        return _rank(coll, "image", coll.vectors["image"][q], k, exclude=q)
    vec = coll.encoders.image.encode([photo], progress=False)[0]
    return _rank(coll, "image", vec, k)


def search_all(coll: Collection, query: str, k: int = 5) -> dict[str, list[Hit]]:
    """Text -> photos and text -> notes, each ranked in its own space (their scores are not comparable)."""
    out = {}
    if coll.photos:
        out["photos"] = search_photos(coll, query, k)
    if coll.notes:
        out["notes"] = search_notes(coll, query, k)
    return out
