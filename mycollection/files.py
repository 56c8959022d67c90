"""Finding the files of a collection: what kind each one is, and a stable key for its content.

A collection is a folder (searched recursively) of photos and text notes. Hidden files and folders
(names starting with ``.``) are ignored. Each file is keyed by the SHA-256 of its bytes
(:func:`helpers.files.sha256_of`), so a renamed or moved file keeps its key, and its embedding, while
an edited file gets a new one.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PHOTO_SUFFIXES", "NOTE_SUFFIXES", "TABLE_SUFFIXES", "CollectionError", "FileEntry", "scan", "kind_of",
           "sha256_text"]

PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"})
NOTE_SUFFIXES = frozenset({".txt", ".md"})
TABLE_SUFFIXES = frozenset({".csv"})


class CollectionError(ValueError):
    """The collection as a whole cannot be used (missing folder, not a folder); the message says what to do."""


@dataclass(frozen=True)
class FileEntry:
    """One file of the folder: its path relative to the folder, kind, size and modification time."""

    rel: str
    kind: str  # "photo", "note", "table" or "unsupported"
    size: int
    mtime_ns: int

    def stamp(self) -> tuple[int, int]:
        """(size, mtime): unchanged stamp + same path means unchanged content (what ``make`` and ``git`` trust)."""
        return (self.size, self.mtime_ns)


def kind_of(path: str | os.PathLike) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in PHOTO_SUFFIXES:
        return "photo"
    if suffix in NOTE_SUFFIXES:
        return "note"
    if suffix in TABLE_SUFFIXES:
        return "table"
    return "unsupported"


def check_folder(folder: str | os.PathLike) -> Path:
    """``folder`` as an absolute path, or a :class:`CollectionError` that names it and says what to do."""
    path = Path(folder).expanduser()
    if not path.exists():
        raise CollectionError(f"folder {os.fspath(folder)!r} does not exist: check the path (absolute, or relative "
                              f"to {os.getcwd()})")
    if not path.is_dir():
        raise CollectionError(f"{os.fspath(folder)!r} is a file, not a folder: point at the folder that holds it")
    return path.resolve()


def scan(folder: str | os.PathLike) -> list[FileEntry]:
    """Every non-hidden file under ``folder`` (recursively), sorted by relative path."""
    root = check_folder(folder)
    entries = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if name.startswith("."):
                continue
            full = Path(dirpath) / name
            try:
                st = full.stat()
            except OSError:  # vanished or a dangling link: reported as unreadable by the caller
                st = None
            rel = full.relative_to(root).as_posix()
            entries.append(FileEntry(rel, kind_of(name), st.st_size if st else -1, st.st_mtime_ns if st else -1))
    return sorted(entries, key=lambda e: e.rel)


def sha256_text(text: str) -> str:
    """The content key of a note (a file's key is :func:`helpers.files.sha256_of`)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
