"""Which models a collection uses, loaded only when something has to be embedded.

Three embedding spaces, named after what they are for:

* ``image``      - photos, by the preset's image encoder: photo -> similar photos, duplicates, the map
* ``clip-image`` - photos, by the preset's CLIP image side: text -> photos
* ``text``       - notes, by the preset's text encoder: text -> notes

The model *names* come from the preset (no loading needed), so an index can tell whether its
vectors are current without loading a single model: re-indexing an unchanged folder loads none.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers.availability import Preset, get_preset

__all__ = ["PREP_VERSION", "Space", "spaces", "Encoders"]

#: Bump when the way this package prepares inputs changes: every vector is then recomputed.
PREP_VERSION = "v1"


@dataclass(frozen=True)
class Space:
    name: str  # "image", "clip-image" or "text"
    kind: str  # what it embeds: "photo" or "note"
    model: str  # the model's name in the preset
    prep: str = PREP_VERSION


def spaces(preset: Preset | None = None) -> list[Space]:
    p = preset or get_preset()
    return [Space("image", "photo", p.image), Space("clip-image", "photo", p.clip), Space("text", "note", p.text)]


class Encoders:
    """The preset's encoders, each loaded on first use; ``loaded`` lists the ones that were."""

    def __init__(self, preset: Preset | None = None):
        self.preset = preset or get_preset()
        self.loaded: list[str] = []
        self._cache: dict[str, object] = {}

    def _get(self, what: str):
        if what not in self._cache:
            from helpers import models

            if what == "image":
                self._cache[what] = models.load_image_encoder(self.preset.image)
            elif what == "clip":
                self._cache[what] = models.load_clip(self.preset.clip)
            else:
                self._cache[what] = models.load_text_encoder(self.preset.text)
            self.loaded.append(getattr(self._cache[what], "name", what))
        return self._cache[what]

    @property
    def image(self):
        return self._get("image")

    @property
    def clip(self):
        return self._get("clip")

    @property
    def text(self):
        return self._get("text")

    def photo_size(self) -> int:
        """The pixel size photos are decoded for (the larger input of the two photo models)."""
        return max(int(getattr(self.image, "input_size", 224)), int(getattr(self.clip, "input_size", 224)))

    def embed_photos(self, images: list, names: list[str]) -> dict[str, np.ndarray]:
        """Embed decoded photos (PIL images) into the photo spaces ``names``: unit-norm float32 rows.

        When the CLIP is the offline ImageNet-label bridge built on this very image encoder, both
        spaces come from ONE forward pass: the image encoder's features are the ``image`` vectors,
        and the bridge maps the same features into its space (:meth:`LabelBridge.embed_features`).
        """
        from helpers.models import LabelBridge

        n = max(1, len(images))
        clip = self.clip if "clip-image" in names else None
        if isinstance(clip, LabelBridge) and clip.image_encoder is self.image:
            feats = self.image.features(images, batch_size=n, progress=False)
            unit = feats / np.maximum(np.linalg.norm(feats, axis=1, keepdims=True), 1e-12)  # as image.encode does
            out = {"image": unit.astype(np.float32), "clip-image": clip.embed_features(feats)}
            return {k: v for k, v in out.items() if k in names}
        out = {}
        if "image" in names:
            out["image"] = self.image.encode(images, batch_size=n, progress=False)
        if clip is not None:
            out["clip-image"] = clip.encode_images(images, batch_size=n, progress=False)
        return out

    def query(self, space: str, text: str) -> np.ndarray:
        """A text query's vector in ``space`` (``clip-image``: CLIP's text side; ``text``: the text encoder).

        The one check of a query: a non-empty string (surrounding white space is dropped).
        """
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"the query must be a non-empty string, got {text!r}")
        if space == "clip-image":
            return self.clip.encode_text([text.strip()])[0]
        if space == "text":
            return self.text.encode([text.strip()])[0]
        raise ValueError(f"text queries go to 'clip-image' (photos) or 'text' (notes), not {space!r}")
