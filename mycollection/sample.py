"""The collection the notebook uses when you bring none: the series' photos, a few notes, three planted copies.

The photos are the registry's (fetched and checksum-verified by :mod:`helpers.data`), linked or copied
into a folder laid out like a personal one (``cats/``, ``food/``, ...). The notes are the small
diary shipped in ``data/notes/``. Three photos also appear as a re-saved, a cropped and a shrunk copy
(named ``copy_of_...``), so the near-duplicate finder has something real to find.

Also here: :func:`demo_folder` (three photos in a fresh folder, for building an index by hand) and
:func:`save_uploads` (files uploaded in Jupyter or Colab, saved into a folder).
"""
from __future__ import annotations

import os
import re
import shutil
import warnings
from collections.abc import Mapping
from pathlib import Path

from helpers import data
from helpers.duplicates import COPIES
from helpers.files import atomic_write
from helpers.images import load_image

from .files import check_folder
from .store import index_dir

__all__ = [
    "CALIBRATION",
    "DEMO_PHOTOS",
    "NOTES_DIR",
    "NOTE_ANSWERS",
    "PLANTED",
    "calibration_photos",
    "demo_folder",
    "forget",
    "sample_collection",
    "save_uploads",
]

NOTES_DIR = data.DATA_DIR / "notes"

#: copy name -> (registry photo, kind of copy in :data:`~helpers.duplicates.COPIES`)
PLANTED = {
    "cats/copy_of_white_kitten.jpg": ("cats/d2l_cat3_white_kitten.jpg", "JPEG quality 30"),
    "food/copy_of_pizza_pepperoni.jpg": ("food/pizza_pepperoni.jpg", "cropped to 80%"),
    "dogs/copy_of_corgi_snow.jpg": ("dogs/unsplash_corgi_snow.jpg", "half size"),
}

#: Note queries with one clearly right note in the sample diary (queries without a single right answer,
#: such as "something I want to buy", are left out: a sofa, shoes and a lens all fit).
NOTE_ANSWERS = {
    "what did I cook for dinner?": "notes/pasta_night.md",
    "a visit to the vet": "notes/vet_visit.txt",
    "is my pet healthy?": "notes/vet_visit.txt",
    "which lens should I buy": "notes/camera_wishlist.md",
    "a walk in the snow": "notes/snow_walk.txt",
}

#: The three photos of :func:`demo_folder`.
DEMO_PHOTOS = ("cats/d2l_cat1_tabby_lying.jpg", "cats/d2l_cat2_black_white.jpg", "dogs/d2l_dog1_pug.jpg")


#: Photos for calibrating the near-duplicate threshold: pairs of *different* photos of the same kind of
#: thing (two plates of fries, two sofas, two monitors...): hard "not a duplicate" cases, though a real library
#: also has burst shots of one scene, harder still, which this set lacks.
#: None of them is the source of a planted copy, so the sample's copies are not used for calibrating.
CALIBRATION = (
    "food/french_fries_1.jpg", "food/french_fries_2.jpg", "food/burger_and_fries.jpg", "food/burger_on_board.jpg",
    "food/chocolate_cake_slice.jpg", "food/chocolate_cake_slice_drizzle.jpg", "food/sushi_salmon_nigiri.jpg",
    "food/sushi_rolls.jpg", "food/ice_cream_cone.jpg", "food/chocolate_ice_cream.jpg",
    "electronics/unsplash_32_inch_monitor.jpg", "electronics/unsplash_curvy_monitor.jpg",
    "footwear/unsplash_ultraboost_running_shoe.jpg", "footwear/unsplash_pureboost_running_shoe.jpg",
    "furniture/unsplash_grey_fabric_sofa.jpg", "furniture/unsplash_leather_sofa.jpg",
    "cameras/unsplash_twin_lens_camera.jpg", "cameras/unsplash_vintage_folding_camera.jpg",
    "dogs/d2l_dog1_pug.jpg", "dogs/d2l_dog2_french_bulldog.jpg",
)


def calibration_photos() -> list[Path]:
    """Local paths of :data:`CALIBRATION` (fetched and verified on first use)."""
    return [data.fetch(f, progress=False) for f in CALIBRATION]


def _link_or_copy(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        return
    try:
        os.link(src, dest)
    except OSError:  # another file system, or no hard links: copy instead
        shutil.copy2(src, dest)


def sample_collection(dest: str | os.PathLike | None = None, progress: bool = True, fresh_index: bool = False) -> Path:
    """Build (once) and return the sample folder: registry photos, ``data/notes``, planted copies.

    ``fresh_index=True`` also deletes the folder's index (:func:`forget`), so that the next :func:`index` embeds
    every file, as on a learner's first run (notebook 06 starts so, and its timings mean something).
    """
    root = Path(dest) if dest else data.cache_base() / "sample-collection"
    for path in data.fetch_all(progress=progress):
        rel = path.relative_to(data.cache_dir())
        _link_or_copy(path, root / rel)
    for note in sorted(NOTES_DIR.iterdir()):
        _link_or_copy(note, root / "notes" / note.name)
    for name, (src, kind) in PLANTED.items():
        if not (root / name).exists():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            COPIES[kind](load_image(data.fetch(src, progress=False), target_size=512)).save(root / name, quality=90)
    if fresh_index:
        forget(root)
    return root


def forget(folder: str | os.PathLike) -> bool:
    """Delete the index of ``folder`` (not the folder!): the next :func:`index` starts from scratch."""
    directory = index_dir(check_folder(folder))
    if directory.is_dir():
        shutil.rmtree(directory)
        return True
    return False


def demo_folder(name: str = "demo-three-photos") -> Path:
    """A fresh folder holding copies of :data:`DEMO_PHOTOS` (and no index yet), for editing freely.

    The files are real copies, never links: renaming or editing them leaves the photo cache alone.
    """
    root = data.cache_base() / name
    if root.is_dir():
        forget(root)
        shutil.rmtree(root)
    root.mkdir(parents=True)
    for f in DEMO_PHOTOS:
        shutil.copyfile(data.fetch(f, progress=False), root / Path(f).name)
    return root


def _upload_entries(uploads) -> list[tuple[str, bytes]]:
    """``(name, bytes)`` for each uploaded file, whichever uploader produced ``uploads``.

    * Colab's ``google.colab.files.upload()``: ``{name: bytes}``
    * ipywidgets 7 ``FileUpload.value``: ``{name: {"metadata": {"name": ..., ...}, "content": bytes}}``
    * ipywidgets 8 ``FileUpload.value``: a tuple of ``{"name": ..., "content": memoryview, ...}``
    """
    if not uploads:
        return []
    if isinstance(uploads, Mapping):
        out = []
        for name, value in uploads.items():
            if isinstance(value, Mapping):  # ipywidgets 7
                out.append((str(value.get("metadata", {}).get("name", name)), bytes(value["content"])))
            else:  # Colab
                out.append((str(name), bytes(value)))
        return out
    try:
        return [(str(up["name"]), bytes(up["content"])) for up in uploads]
    except (TypeError, KeyError) as exc:
        raise TypeError(f"save_uploads: expected FileUpload.value (ipywidgets 7 or 8) or the dict of "
                        f"google.colab.files.upload(), got {type(uploads).__name__}") from exc


def _safe_name(name: str) -> str:
    """The last part of an uploaded file's name ("" when nothing usable is left): never a path."""
    base = re.split(r"[\\/]", name.replace("\0", ""))[-1].strip()
    return "" if base in ("", ".", "..") else base


def save_uploads(uploads, folder: str | os.PathLike) -> list[Path]:
    """Write uploaded files into ``folder`` (created, even when nothing was uploaded); returns the paths written.

    ``uploads`` is what an uploader returns: Colab's ``files.upload()`` dict, or ``FileUpload.value`` of
    ipywidgets 7 (a dict) or 8 (a tuple). Only the file's own name is used, so a name such as
    ``../x.jpg`` or ``/etc/x.jpg`` cannot write outside ``folder``; hidden names (``.x``) are skipped
    with a warning, as the index would ignore them anyway.
    """
    folder = Path(folder).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    saved = []
    for name, content in _upload_entries(uploads):
        safe = _safe_name(name)
        if not safe or safe.startswith("."):
            warnings.warn(f"save_uploads: skipped {name!r}: not a usable file name (empty or hidden)", stacklevel=2)
            continue
        atomic_write(folder / safe, lambda f, c=content: f.write(c))  # never a half-written file
        saved.append(folder / safe)
    return saved
