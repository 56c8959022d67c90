"""Files written safely and recognised by their content: a SHA-256 per file, and write-then-replace.

* :func:`sha256_of` - the SHA-256 of a file's bytes (read in chunks): the registry checks each photo
  with it, and the collection keys each file by it (a renamed file keeps its key).
* :func:`atomic_write` - write to a temporary file in the same folder, then ``os.replace`` it into
  place: a reader, or an interrupted run, only ever sees the old complete file or the new one.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

__all__ = ["sha256_of", "atomic_write"]


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
