"""A catalog's three embedding blocks, one per modality: text, photo and colour (notebooks 03-04).

    text   = text encoder(name + the chosen attributes)
    photo  = image encoder(product photo)
    colour = image encoder(colour swatch of the photo)

Each block is a float32 ``(n_items, d)`` array with unit-norm rows; :mod:`helpers.similarity` and
:mod:`helpers.retrieval` weigh and combine them. Embedding a catalog takes seconds, and the notebooks
ask for the same blocks several times, so they are kept for the rest of the session, and the preset's
blocks on disk too (the cache folder's ``vectors/``), under a key of the photos' content, the texts, the
models' weights and the code that computes them: notebook 04 starts from the blocks notebook 03 computed.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .colours import colour_swatch
from .data import cache_base
from .files import cached_arrays, content_key, sha256_of

__all__ = ["embed_catalog", "forget_blocks"]

#: (item ids, text encoder, image encoder, attributes) -> blocks, for the rest of the session
_BLOCKS: dict[tuple, dict[str, np.ndarray]] = {}
BLOCK_NAMES = ("text", "photo", "colour")
#: the code that computes the blocks: a change to any of it is a new key on disk
CODE = ("helpers.blocks", "helpers.colours", "helpers.images", "helpers.models.text", "helpers.models.images",
        "helpers.models._common")


def embed_catalog(catalog: Sequence, text_encoder=None, image_encoder=None, attributes: Sequence[str] | None = None,
                  progress: bool = False) -> dict[str, np.ndarray]:
    """Per-modality embedding blocks of ``catalog`` (items of :func:`helpers.catalog.load_catalog`).

    Returns ``{"text", "photo", "colour"}``, each ``(n_items, d)`` with unit-norm rows (the dimensions
    differ: text and image encoders have their own sizes). Encoders default to the active preset's;
    ``attributes`` (default: each item's five) chooses what the text feature holds. The result is a
    copy: changing it changes nothing here. With the preset's encoders (none given) the blocks are also
    kept on disk, and read from there next time.
    """
    from .models import load_image_encoder, load_text_encoder, weights_fingerprint

    catalog = list(catalog)
    on_disk = text_encoder is None and image_encoder is None  # encoders of one's own may share a name
    text_encoder = text_encoder or load_text_encoder()
    image_encoder = image_encoder or load_image_encoder()
    key = (tuple(catalog), text_encoder.name, image_encoder.name, None if attributes is None else tuple(attributes))
    if key not in _BLOCKS:
        texts = [it.text_feature(attributes) for it in catalog]

        def compute() -> dict[str, np.ndarray]:
            return {
                "text": text_encoder.encode(texts, progress=progress),
                "photo": image_encoder.encode([it.path for it in catalog], progress=progress),
                "colour": image_encoder.encode([colour_swatch(it.path) for it in catalog], progress=progress),
            }

        if on_disk:
            import torch

            disk_key = content_key("catalog blocks", texts, [sha256_of(it.path) for it in catalog], text_encoder.name,
                                   image_encoder.name, weights_fingerprint(text_encoder.model),
                                   weights_fingerprint(image_encoder.backbone), torch.__version__, code=CODE)
            path = cache_base() / "vectors" / f"catalog-{disk_key[:16]}.npz"
            _BLOCKS[key] = cached_arrays(path, BLOCK_NAMES, compute)
        else:
            _BLOCKS[key] = compute()
    return {name: block.copy() for name, block in _BLOCKS[key].items()}


def forget_blocks() -> None:
    """Drop the blocks kept for this session (those on disk are named by their content: they need no forgetting)."""
    _BLOCKS.clear()
