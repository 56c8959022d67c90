"""The collection the notebook uses when you bring none: the series' photos, a few notes, three planted copies.

The photos are the registry's (fetched and checksum-verified by :mod:`helpers.data`), linked or copied
into a folder laid out like a personal one (``cats/``, ``food/``, ...). The notes are the small
diary shipped in ``data/notes/``. Three photos also appear as a re-saved, a cropped and a shrunk copy
(named ``copy_of_...``), so the near-duplicate finder has something real to find.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from helpers import data
from helpers.duplicates import COPIES
from helpers.images import load_image

from .files import check_folder
from .store import index_dir

__all__ = ["NOTES_DIR", "PLANTED", "CALIBRATION", "calibration_photos", "sample_collection", "forget", "save_uploads"]

NOTES_DIR = data.DATA_DIR / "notes"

#: copy name -> (registry photo, kind of copy in :data:`~helpers.duplicates.COPIES`)
PLANTED = {
    "cats/copy_of_white_kitten.jpg": ("cats/d2l_cat3_white_kitten.jpg", "JPEG quality 30"),
    "food/copy_of_pizza_pepperoni.jpg": ("food/pizza_pepperoni.jpg", "cropped to 80%"),
    "dogs/copy_of_corgi_snow.jpg": ("dogs/unsplash_corgi_snow.jpg", "half size"),
}


#: Photos for calibrating the near-duplicate threshold: pairs of *different* photos of the same kind of
#: thing (two plates of fries, two sofas, two monitors...), the hardest "not a duplicate" cases.
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


def sample_collection(dest: str | os.PathLike | None = None, progress: bool = True) -> Path:
    """Build (once) and return the sample folder: registry photos, ``data/notes``, planted copies."""
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
    return root


def forget(folder: str | os.PathLike) -> bool:
    """Delete the index of ``folder`` (not the folder!): the next :func:`index` starts from scratch."""
    directory = index_dir(check_folder(folder))
    if directory.is_dir():
        shutil.rmtree(directory)
        return True
    return False


def save_uploads(uploads, folder: str | os.PathLike) -> list[Path]:
    """Write the files of an ipywidgets ``FileUpload`` value (a tuple of dicts) into ``folder``."""
    folder = Path(folder)
    saved = []
    for up in uploads:
        name = Path(str(up["name"])).name  # never let a file name climb out of the folder
        if not name or name.startswith("."):
            continue
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(bytes(up["content"]))
        saved.append(folder / name)
    return saved
