"""Shared by the tests/test_collection*.py files: real registry photos copied into temporary folders."""
from __future__ import annotations

import shutil
from pathlib import Path

from helpers import data

CATS = ["cats/d2l_cat1_tabby_lying.jpg", "cats/pexels_tabby_cat.jpg"]
DOG = "dogs/d2l_dog1_pug.jpg"
FOOD = "food/churros.jpg"


def fetch(files: list[str]) -> dict[str, Path]:
    """Verified local paths of registry photos (fetched with the default cache, before a test moves it)."""
    return {f: data.fetch(f, progress=False) for f in files}


def make_folder(folder: Path, sources: dict[str, Path], files: list[str]) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for f in files:
        shutil.copy(sources[f], folder / Path(f).name)
        names.append(Path(f).name)
    return names
