"""The image registry (``data/images.csv``) and the files it describes.

Photos are not committed to the repository. Each one has a commit-pinned URL
and a SHA-256 checksum in the registry; :func:`fetch` downloads it with pooch
(progress bar, hash check, written under a temporary name and moved into place
only once the hash matches, so an interrupted download never leaves a corrupt
file behind). When ``EMBEDDINGS_IMAGE_MIRROR`` names a folder that already
holds the files (a USB stick at a workshop, or ``../shared/data/images`` in CI),
they are copied from there instead, with the same hash check.

The registry and the other files the lessons read (catalogs, corpus, sample notes) live in the
repository's ``data/`` folder; an installed package (``pip install .``, no repository) carries the
same files as ``helpers/datafiles`` (see ``pyproject.toml``), and :data:`DATA_DIR` is whichever exists.
``python tools/prepare_workshop.py`` fetches every photo; ``python tools/write_credits.py`` rewrites
``data/CREDITS.md``.
"""
from __future__ import annotations

import csv
import os
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .files import atomic_write, sha256_of

__all__ = [
    "ImageRecord",
    "DATA_DIR",
    "registry",
    "records",
    "record",
    "cache_base",
    "cache_dir",
    "fetch",
    "fetch_all",
    "credits_markdown",
    "sha256_of",
    "PhotoUnavailableError",
    "fetched_records",
    "load_corpus",
]

_REPO_DATA = Path(__file__).resolve().parents[1] / "data"  # a clone (or an editable install)
_PACKAGED_DATA = Path(__file__).resolve().parent / "datafiles"  # an installed wheel: the same files
#: The folder of the registry, catalogs, corpus and notes: the repository's ``data/`` in a clone, the
#: package's own copy (``helpers/datafiles``) in a non-editable install.
DATA_DIR = _REPO_DATA if (_REPO_DATA / "images.csv").is_file() else _PACKAGED_DATA
REGISTRY_CSV = DATA_DIR / "images.csv"
CREDITS_MD = DATA_DIR / "CREDITS.md"


class PhotoUnavailableError(FileNotFoundError):
    """A registered photo is not cached, not in a mirror, and cannot be downloaded now."""


@dataclass(frozen=True)
class ImageRecord:
    """One registered photo: where it comes from, its checksum and its licence."""

    file: str
    category: str
    label: str
    url: str
    sha256: str
    bytes: int
    width: int
    height: int
    license: str
    attribution: str
    source: str

    @property
    def name(self) -> str:
        """File name without folder and extension, e.g. ``d2l_cat1_tabby_lying``."""
        return Path(self.file).stem

    @property
    def path(self) -> Path:
        """Local path of the photo, fetched (and verified) on first use."""
        return fetch(self)


#: Every photo fetched in this process, in first-use order (the notebook's credits cell lists them).
_FETCHED: dict[str, ImageRecord] = {}


@cache
def registry(path: Path = REGISTRY_CSV) -> tuple[ImageRecord, ...]:
    """All records of the registry, in file order."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return tuple(
        ImageRecord(**{**r, "bytes": int(r["bytes"]), "width": int(r["width"]), "height": int(r["height"])})
        for r in rows
    )


def records(category: str | None = None) -> list[ImageRecord]:
    """Records of one category (``cats``, ``dogs``, ``food``, ``people``) or all of them."""
    recs = list(registry())
    if category is None:
        return recs
    known = sorted({r.category for r in recs})
    if category not in known:
        raise KeyError(f"unknown image category {category!r}; known: {', '.join(known)}")
    return [r for r in recs if r.category == category]


def record(key: str) -> ImageRecord:
    """The record whose ``file`` (``food/churros.jpg``) or ``name`` (``churros``) is ``key``."""
    for r in registry():
        if key in (r.file, r.name):
            return r
    raise KeyError(f"no registered image called {key!r}")


def cache_base() -> Path:
    """The one cache folder: ``$EMBEDDINGS_CACHE_DIR`` (``~`` expanded), default ``data/cache`` (git-ignored).

    It holds the fetched photos (``images/``) and the collection indexes (``collections/``, notebook 6).
    An installed package has no ``data/`` folder of its own to write to: its default is
    ``~/.cache/embeddings-hands-on``.
    """
    default = DATA_DIR / "cache" if DATA_DIR == _REPO_DATA else Path.home() / ".cache" / "embeddings-hands-on"
    return Path(os.environ.get("EMBEDDINGS_CACHE_DIR") or default).expanduser()


def cache_dir() -> Path:
    """Where fetched photos live: ``cache_base()/images``."""
    return cache_base() / "images"


def _copy_verified(src: Path, dest: Path, expected: str, what: str) -> None:
    """Copy ``src`` to ``dest`` (write-then-replace); a copy whose hash differs never becomes visible."""

    def copy(out) -> None:
        with open(src, "rb") as inp:
            shutil.copyfileobj(inp, out)

    def check(tmp: Path) -> None:
        actual = sha256_of(tmp)
        if actual != expected:
            raise ValueError(
                f"{what}: SHA-256 mismatch for mirror copy {src} (expected {expected}, got {actual}); "
                "the file was not used. Replace it with the original or remove EMBEDDINGS_IMAGE_MIRROR."
            )

    atomic_write(dest, copy, verify=check)


def fetch(rec: ImageRecord | str, progress: bool = True) -> Path:
    """Local, hash-verified path of a registered photo (downloaded or copied on first use)."""
    rec = record(rec) if isinstance(rec, str) else rec
    path = _fetch(rec, progress)
    _FETCHED.setdefault(rec.file, rec)
    return path


def _fetch(rec: ImageRecord, progress: bool) -> Path:
    dest = cache_dir() / rec.file
    if dest.is_file() and sha256_of(dest) == rec.sha256:
        return dest
    mirror = os.environ.get("EMBEDDINGS_IMAGE_MIRROR")
    if mirror:
        src = Path(mirror) / rec.file
        if not src.is_file():
            raise FileNotFoundError(f"{rec.file}: not in EMBEDDINGS_IMAGE_MIRROR={mirror}")
        _copy_verified(src, dest, rec.sha256, rec.file)
        return dest
    import pooch
    import requests

    try:
        path = pooch.retrieve(
            rec.url,
            known_hash=f"sha256:{rec.sha256}",
            fname=Path(rec.file).name,
            path=dest.parent,
            progressbar=progress,
        )
    except requests.exceptions.RequestException as exc:
        raise PhotoUnavailableError(
            f"{rec.file}: not cached and cannot be downloaded ({type(exc).__name__}). Either connect to the "
            "internet once (or run `make prepare-workshop` while online: the photos are cached afterwards), "
            "or set EMBEDDINGS_IMAGE_MIRROR to a folder that holds the photos (e.g. a workshop USB stick)."
        ) from None
    return Path(path)


def fetched_records() -> list[ImageRecord]:
    """The registered photos fetched so far in this process, in first-use order."""
    return list(_FETCHED.values())


def load_corpus():
    """Notebook 1's small text corpus (``data/texts/corpus.csv``) as a DataFrame: ``topic``, ``text``.

    Read from the package's own folder, so it works from any working directory (Colab: ``/content``).
    """
    import pandas as pd

    return pd.read_csv(DATA_DIR / "texts" / "corpus.csv")


def fetch_all(category: str | None = None, progress: bool = True) -> list[Path]:
    """Fetch every registered photo (of one category), with one overall progress bar."""
    from tqdm.auto import tqdm

    recs = records(category)
    return [fetch(r, progress=False) for r in tqdm(recs, desc="photos", unit="file", disable=not progress)]


def credits_markdown() -> str:
    """The credits page, generated from the registry (``data/CREDITS.md``)."""
    lines = [
        "# Image credits",
        "",
        "Generated from `data/images.csv` by `python tools/write_credits.py`; do not edit by hand.",
        "The photos are not stored in this repository: `helpers.data` downloads each one from the",
        "pinned URL below and checks its SHA-256.",
        "",
        "| file | what | licence | attribution | source |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in registry():
        cells = [f"`{r.file}`", r.label, r.license, r.attribution, f"[{r.source}]({r.url})"]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"

