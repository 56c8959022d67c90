"""The article's text-image questions, asked of several models on the same photos, answers side by side.

Notebook 5 asks them of the ImageNet-label bridge and of a linear map trained with CLIP's loss, and, when a
learner turns it on, of OpenAI's CLIP: which cake is "red velvet", which photo "fish and chips", "chips",
"french fries" and "churros" find first, cat versus dog zero-shot, and how often a photo's caption finds that
photo first. Any :class:`~helpers.models.joint.TextImageModel` answers them (a randomly initialised CLIP too:
the tests run the code path with one).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .data import ImageRecord
from .models.joint import TextImageModel

__all__ = ["CAKES", "DISH_QUERIES", "caption", "answers", "side_by_side"]

#: The three cakes asked "cake" or "red velvet cake" (only the last is red velvet).
CAKES = ("chocolate_cake_slice", "cheesecake", "red_velvet_mini_cake")
#: Queries whose first food photo is reported: dishes ImageNet has no class for, and fries by three names.
DISH_QUERIES = ("fish and chips", "chips", "french fries", "churros")


def caption(record: ImageRecord) -> str:
    """A photo's caption from its label: ``"dog (pug puppy)"`` -> ``"a photo of dog, pug puppy"``."""
    return f"a photo of {record.label.replace(' (', ', ').replace(')', '')}"


def answers(model: TextImageModel, photos: Sequence[ImageRecord], image_emb: np.ndarray | None = None) -> dict:
    """One model's answers on ``photos`` (they must hold the food photos of :data:`CAKES` and cats and dogs).

    ``image_emb``: the model's vectors of ``photos`` if already computed (else they are computed here).
    Returns ``{question: answer}``: probabilities and shares rounded to 3 decimals, photo names as text.
    """
    names = [r.name for r in photos]
    missing = [n for n in CAKES if n not in names]
    if missing:
        raise ValueError(f"photos lacks {missing}: pass the notebook's photos (cats, dogs, food, people)")
    emb = model.encode_images([r.path for r in photos]) if image_emb is None else np.asarray(image_emb)
    if emb.shape != (len(photos), model.dim):
        raise ValueError(f"image_emb has shape {emb.shape}, expected ({len(photos)}, {model.dim})")
    out: dict[str, object] = {}
    cakes = emb[[names.index(n) for n in CAKES]]
    for name, p in zip(CAKES, model.zero_shot(cakes, ["cake", "red velvet cake"])[:, 1]):
        out[f"P(red velvet cake) of {name}"] = round(float(p), 3)
    food = [i for i, r in enumerate(photos) if r.category == "food"]
    best = (model.encode_text(list(DISH_QUERIES)) @ emb[food].T).argmax(axis=1)
    for query, j in zip(DISH_QUERIES, best):
        out[f"first food photo for {query!r}"] = names[food[j]]
    pets = [i for i, r in enumerate(photos) if r.category in ("cats", "dogs")]
    if pets:
        truth = np.array([photos[i].category == "dogs" for i in pets], dtype=int)
        right = model.zero_shot(emb[pets], ["cat", "dog"]).argmax(axis=1) == truth
        out[f"cat vs dog accuracy ({len(pets)} pets, always 'dog': {truth.mean():.3f})"] = round(float(right.mean()), 3)
    first = (model.encode_text([caption(r) for r in photos]) @ emb.T).argmax(axis=1) == np.arange(len(photos))
    out[f"captions finding their own photo first (chance {1 / len(photos):.3f})"] = round(float(first.mean()), 3)
    return out


def side_by_side(models: Mapping[str, TextImageModel], photos: Sequence[ImageRecord],
                 image_emb: Mapping[str, np.ndarray] | None = None) -> pd.DataFrame:
    """:func:`answers` of each model, one column per model (named by the keys of ``models``)."""
    image_emb = image_emb or {}
    return pd.DataFrame({label: answers(model, photos, image_emb.get(label)) for label, model in models.items()})
