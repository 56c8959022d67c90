"""Files written safely and recognised by their content: a SHA-256 per file, and write-then-replace.

* :func:`sha256_of` - the SHA-256 of a file's bytes (read in chunks): the registry checks each photo
  with it, and the collection keys each file by it (a renamed file keeps its key).
* :func:`atomic_write` - write to a temporary file in the same folder, then ``os.replace`` it into
  place: a reader, or an interrupted run, only ever sees the old complete file or the new one.
* :func:`content_key` and :func:`cached_arrays` - arrays computed once and kept on disk under a name made
  from everything they depend on (inputs, models, the code that computes them), so a file found is
  never stale: notebook 04 starts from the catalog vectors notebook 03 computed.
"""
from __future__ import annotations

import hashlib
import importlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np

__all__ = ["sha256_of", "atomic_write", "content_key", "cached_arrays"]


def sha256_of(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """The SHA-256 of the file's bytes, as 64 hex digits."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def atomic_write(path: str | os.PathLike, write: Callable[[IO[Any]], object], binary: bool = True,
                 verify: Callable[[Path], object] | None = None) -> None:
    """Write ``path`` through a temporary file in the same folder, then ``os.replace`` it into place.

    ``write(f)`` fills the open temporary file; ``verify(tmp_path)``, if given, checks the complete
    file before it is moved into place. If either raises, the previous file, if any, is untouched and
    the temporary file is removed; after a kill it is left under a ``.partial-`` name nothing reads.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".partial-{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8"})) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        if verify is not None:
            verify(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def content_key(*parts: object, code: tuple[str, ...] = ()) -> str:
    """A name for a result computed from exactly ``parts`` by the modules named in ``code``.

    ``parts``: strings, numbers, lists of them (JSON). ``code``: module names (``"helpers.colours"``, ...)
    whose source files count too, so that changing how a result is computed changes its name.
    Returns the SHA-256 of it all, as 64 hex digits.
    """
    h = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode("utf-8"))
    for name in code:
        h.update(Path(importlib.import_module(name).__file__).read_bytes())
    return h.hexdigest()


def cached_arrays(path: str | os.PathLike, names: Sequence[str],
                  compute: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The arrays ``names`` kept in ``path`` (an ``.npz``), or ``compute()``'s, kept there first.

    Name ``path`` by a :func:`content_key` of everything the arrays depend on. A file that cannot be read
    (cut short, not an ``.npz``, or lacking one of ``names``) is computed again and replaced (write-then-
    replace, so a reader never sees half a file); a folder that cannot be written leaves the result uncached.
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as stored:
            return {name: stored[name] for name in names}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        pass  # not there yet, or unreadable: compute it again
    arrays = compute()
    if set(arrays) != set(names):
        raise ValueError(f"compute() returned arrays {sorted(arrays)}, expected {sorted(names)}")
    try:
        atomic_write(path, lambda f: np.savez(f, **arrays))
    except OSError:
        pass  # a read-only cache folder: the result is still right, only not kept
    return arrays
