"""A catalog's three embedding blocks, one per modality: text, photo and colour (notebooks 03-04).

    text   = text encoder(name + the chosen attributes)
    photo  = image encoder(product photo)
    colour = image encoder(colour swatch of the photo)

Each block is a float32 ``(n_items, d)`` array with unit-norm rows; :mod:`helpers.similarity` and
:mod:`helpers.retrieval` weigh and combine them. Embedding a catalog takes seconds, and the notebooks
ask for the same blocks several times, so they are kept for the rest of the session.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .colours import colour_swatch

__all__ = ["embed_catalog", "forget_blocks"]

#: (item ids, text encoder, image encoder, attributes) -> blocks, for the rest of the session
_BLOCKS: dict[tuple, dict[str, np.ndarray]] = {}


def embed_catalog(catalog: Sequence, text_encoder=None, image_encoder=None, attributes: Sequence[str] | None = None,
                  progress: bool = False) -> dict[str, np.ndarray]:
    """Per-modality embedding blocks of ``catalog`` (items of :func:`helpers.catalog.load_catalog`).

    Returns ``{"text", "photo", "colour"}``, each ``(n_items, d)`` with unit-norm rows (the dimensions
    differ: text and image encoders have their own sizes). Encoders default to the active preset's;
    ``attributes`` (default: each item's five) chooses what the text feature holds. The result is a
    copy: changing it changes nothing here.
    """
    from .models import load_image_encoder, load_text_encoder

    catalog = list(catalog)
    text_encoder = text_encoder or load_text_encoder()
    image_encoder = image_encoder or load_image_encoder()
    key = (tuple(catalog), text_encoder.name, image_encoder.name, None if attributes is None else tuple(attributes))
    if key not in _BLOCKS:
        texts = [it.text_feature(attributes) for it in catalog]
        _BLOCKS[key] = {
            "text": text_encoder.encode(texts, progress=progress),
            "photo": image_encoder.encode([it.path for it in catalog], progress=progress),
            "colour": image_encoder.encode([colour_swatch(it.path) for it in catalog], progress=progress),
        }
    return {name: block.copy() for name, block in _BLOCKS[key].items()}


def forget_blocks() -> None:
    """Drop the kept blocks (after changing a catalog file in place, for example)."""
    _BLOCKS.clear()
