"""Export a collection for the TensorFlow Embedding Projector (https://projector.tensorflow.org).

Files written into ``outdir`` (each atomically):

* ``photos.tsv``, ``photos_metadata.tsv``, ``sprite.png`` - photo vectors (image encoder), one row per
  photo; metadata columns ``file`` and ``folder``; a sprite sheet of thumbnails in the same order
* ``notes.tsv``, ``notes_metadata.tsv`` - note vectors (text encoder), one row per note
* ``projector_config.pbtxt`` (TensorBoard's projector plugin) and ``projector_config.json`` (the
  standalone projector's "Load" dialog / ``?config=`` URL)

In the projector: *Load* -> choose a ``.tsv`` of vectors and its metadata, or serve the folder and
open the JSON config. The projector then shows PCA, t-SNE or UMAP of the collection in 3-D.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
from PIL import Image

from helpers.files import atomic_write
from helpers.images import ImageLoadError, thumbnail

from .index import Collection

__all__ = ["export", "sprite", "MAX_SPRITE_PX"]

#: The projector reads sprites up to 8192 x 8192 pixels.
MAX_SPRITE_PX = 8192


def _clean(text: str, limit: int = 120) -> str:
    text = " ".join(str(text).split())  # tabs and newlines would break the TSV
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda f: f.write(text), binary=False)


def _tsv(vectors: np.ndarray) -> str:
    return "".join("\t".join(f"{x:.6g}" for x in row) + "\n" for row in vectors)


def sprite(paths: list[Path], thumb: int | None = None) -> tuple[Image.Image, int]:
    """A square sprite sheet of thumbnails (row-major, in ``paths`` order) and the thumbnail size."""
    cols = max(1, math.ceil(math.sqrt(len(paths))))
    thumb = thumb or max(8, min(64, MAX_SPRITE_PX // cols))
    sheet = Image.new("RGB", (cols * thumb, cols * thumb), "white")
    for i, p in enumerate(paths):
        try:
            tile = thumbnail(p, thumb)
        except ImageLoadError:  # changed on disk since indexing: leave its tile blank
            continue
        sheet.paste(tile, ((i % cols) * thumb, (i // cols) * thumb))
    return sheet, thumb


def export(coll: Collection, outdir: str | os.PathLike) -> list[Path]:
    """Write the projector files for ``coll`` into ``outdir``; returns the paths written."""
    out = Path(outdir).expanduser()
    if out.exists() and not out.is_dir():
        raise ValueError(f"{os.fspath(outdir)!r} is a file; give a folder to write the projector files into")
    out.mkdir(parents=True, exist_ok=True)
    written, tensors = [], []
    if coll.photos:
        _write_text(out / "photos.tsv", _tsv(coll.vectors["image"]))
        _write_text(out / "photos_metadata.tsv", "file\tfolder\n" + "".join(
            f"{_clean(Path(it.ref).name)}\t{_clean(Path(it.ref).parent.as_posix())}\n" for it in coll.photos))
        sheet, thumb = sprite(coll.photo_paths)
        atomic_write(out / "sprite.png", lambda f: sheet.save(f, format="PNG"))
        written += [out / "photos.tsv", out / "photos_metadata.tsv", out / "sprite.png"]
        tensors.append(("photos (" + coll.spaces["image"].model + ")", coll.vectors["image"].shape, "photos", thumb))
    if coll.notes:
        _write_text(out / "notes.tsv", _tsv(coll.vectors["text"]))
        _write_text(out / "notes_metadata.tsv", "note\ttext\n" + "".join(
            f"{_clean(it.ref, 60)}\t{_clean(it.text)}\n" for it in coll.notes))
        written += [out / "notes.tsv", out / "notes_metadata.tsv"]
        tensors.append(("notes (" + coll.spaces["text"].model + ")", coll.vectors["text"].shape, "notes", None))
    if not tensors:
        raise ValueError(f"nothing to export: {coll.folder} has no indexed photos or notes")
    written += _configs(out, tensors)
    return written


def _configs(out: Path, tensors: list) -> list[Path]:
    pb, js = [], []
    for name, shape, stem, thumb in tensors:
        entry = {"tensorName": name, "tensorShape": list(shape), "tensorPath": f"{stem}.tsv",
                 "metadataPath": f"{stem}_metadata.tsv"}
        lines = [f'  tensor_name: "{name}"', f'  tensor_path: "{stem}.tsv"', f'  metadata_path: "{stem}_metadata.tsv"']
        if thumb:
            entry["sprite"] = {"imagePath": "sprite.png", "singleImageDim": [thumb, thumb]}
            lines += ["  sprite {", '    image_path: "sprite.png"', f"    single_image_dim: {thumb}",
                      f"    single_image_dim: {thumb}", "  }"]
        js.append(entry)
        pb.append("embeddings {\n" + "\n".join(lines) + "\n}\n")
    _write_text(out / "projector_config.pbtxt", "".join(pb))
    _write_text(out / "projector_config.json", json.dumps({"embeddings": js}, indent=2) + "\n")
    return [out / "projector_config.pbtxt", out / "projector_config.json"]
