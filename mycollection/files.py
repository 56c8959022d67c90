"""Finding the files of a collection: what kind each one is, and a stable key for its content.

A collection is a folder (searched recursively, following links to folders once) of photos (iPhone
HEIC/HEIF included) and text notes. Hidden files and folders (names starting with ``.``) are ignored;
files and folders that cannot be used are listed with the reason (:attr:`FileEntry.problem`). Each file
is keyed by the SHA-256 of its bytes (:func:`helpers.files.sha256_of`), so a renamed or moved file keeps its
key, and its embedding, while an edited file gets a new one.
"""
from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "NOTE_SUFFIXES",
    "PHOTO_SUFFIXES",
    "TABLE_SUFFIXES",
    "CollectionError",
    "FileEntry",
    "check_folder",
    "kind_of",
    "scan",
    "sha256_text",
]

PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff", ".heic", ".heif"})
NOTE_SUFFIXES = frozenset({".txt", ".md"})
TABLE_SUFFIXES = frozenset({".csv"})


class CollectionError(ValueError):
    """The collection as a whole cannot be used (missing folder, not a folder); the message says what to do."""


@dataclass(frozen=True)
class FileEntry:
    """One file of the folder: its path relative to the folder, kind, size and modification time.

    ``problem`` is set (and size and mtime are -1) when the scan already knows the file cannot be used:
    an unreadable folder (``rel`` ends with ``/``), a link loop or a broken link, something that is not a
    regular file (a named pipe would block a read forever), a name that is not valid UTF-8. The index
    reports it as a skip with that reason.
    """

    rel: str
    kind: str  # "photo", "note", "table" or "unsupported"
    size: int
    mtime_ns: int
    problem: str = ""

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


def _printable(name: str) -> str:
    """``name`` with bytes that are not UTF-8 (kept by Python as surrogates) written as ``\\xNN``."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def check_folder(folder: str | os.PathLike) -> Path:
    """``folder`` as an absolute path, or a :class:`CollectionError` that names it and says what to do."""
    path = Path(folder).expanduser()
    if not path.exists():
        raise CollectionError(f"folder {os.fspath(folder)!r} does not exist: check the path (absolute, or relative "
                              f"to {os.getcwd()})")
    if not path.is_dir():
        raise CollectionError(f"{os.fspath(folder)!r} is a file, not a folder: point at the folder that holds it")
    path = path.resolve()
    if _printable(os.fspath(path)) != os.fspath(path):
        raise CollectionError(f"the folder's path {_printable(os.fspath(path))!r} is not valid UTF-8: rename the "
                              "folder (or make a link to it with a plain name) and use that")
    return path


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _kind_of_node(mode: int) -> str:
    for test, what in ((stat.S_ISFIFO, "named pipe"), (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "character device"),
                       (stat.S_ISBLK, "block device")):
        if test(mode):
            return what
    return "special file"


def scan(folder: str | os.PathLike) -> list[FileEntry]:
    """Every non-hidden file under ``folder`` (recursively, following links to folders), sorted by relative path.

    Nothing here raises for one bad file or sub-folder: each becomes an entry with a ``problem``. Links to
    folders are followed once: a link back to a folder above it (a loop) or to a folder already scanned
    is an entry with a problem, not an endless walk or a second copy. Raises :class:`CollectionError`
    only when ``folder`` itself is missing or unreadable.
    """
    root = check_folder(folder)
    try:
        top = os.stat(root)
        with os.scandir(root):
            pass
    except OSError as exc:
        raise CollectionError(f"cannot read folder {os.fspath(root)!r}: {_reason(exc)}; check that you may read it "
                              f"(ls -ld {os.fspath(root)!r})") from None
    entries: list[FileEntry] = []
    seen: dict[tuple[int, int], str] = {}  # folders scanned: (device, inode) -> relative path
    # real folders first, links to folders after them: a folder reached both ways is listed under its real path
    pending = [(os.fspath(root), "", frozenset(), (top.st_dev, top.st_ino))]
    links: list[tuple[str, str, frozenset, tuple[int, int]]] = []
    while pending or links:
        dirpath, rel_dir, above, key = pending.pop() if pending else links.pop(0)
        if key in above:
            entries.append(FileEntry(f"{rel_dir}/", "unsupported", -1, -1, "a symbolic link loop: it leads back to "
                                     f"{seen[key] + '/' if seen[key] else 'the folder itself'}; not followed"))
            continue
        if key in seen:
            entries.append(FileEntry(f"{rel_dir}/", "unsupported", -1, -1, f"the same folder as {seen[key]}/ "
                                     "(a link): its files are indexed there, once"))
            continue
        seen[key] = rel_dir
        above = above | {key}
        try:
            with os.scandir(dirpath) as it:
                children = sorted(it, key=lambda d: d.name, reverse=True)  # popped last first: walked in order
        except OSError as exc:
            entries.append(FileEntry(f"{rel_dir}/", "unsupported", -1, -1, f"unreadable folder: {_reason(exc)}; "
                                     "its files are not indexed (check its permissions)"))
            continue
        for child in children:
            if child.name.startswith("."):
                continue
            name = _printable(child.name)
            rel = f"{rel_dir}/{name}" if rel_dir else name
            problem = "" if name == child.name else "the name is not valid UTF-8: rename it (UTF-8 names work)"
            try:
                st = os.stat(child.path)  # follows links
            except OSError as exc:
                if child.is_symlink():
                    why = ("a symbolic link loop" if exc.errno == errno.ELOOP
                           else f"a broken symbolic link (to {_printable(os.readlink(child.path))!r})")
                else:
                    why = f"vanished while scanning ({_reason(exc)})"
                entries.append(FileEntry(rel, kind_of(name), -1, -1, problem or f"unreadable: {why}"))
                continue
            if stat.S_ISDIR(st.st_mode):
                if problem:
                    entries.append(FileEntry(f"{rel}/", "unsupported", -1, -1, f"unreadable folder: {problem}"))
                else:
                    (links if child.is_symlink() else pending).append((child.path, rel, above, (st.st_dev, st.st_ino)))
            elif not stat.S_ISREG(st.st_mode):
                entries.append(FileEntry(rel, kind_of(name), -1, -1,
                                         problem or f"unreadable: not a regular file (a {_kind_of_node(st.st_mode)})"))
            else:
                size, mtime = (-1, -1) if problem else (st.st_size, st.st_mtime_ns)
                entries.append(FileEntry(rel, kind_of(name), size, mtime, problem))
    return sorted(entries, key=lambda e: e.rel)


def sha256_text(text: str) -> str:
    """The content key of a note (a file's key is :func:`helpers.files.sha256_of`)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
