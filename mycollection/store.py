"""The on-disk index: a manifest (what is in the folder) beside one vector file per embedding space.

Layout, under ``$EMBEDDINGS_CACHE_DIR/collections/`` (default ``data/cache/collections/``)::

    <folder name>-<hash of its absolute path>/
        manifest.json                       files: relative path -> kind, size, mtime, content key, skip reason
        image--efficientnet-lite0--v1.npz   keys (content SHA-256) + vectors + meta (model, preprocessing version)
        text--...npz, clip-image--...npz

Vectors are keyed by *content*, not by path, and each vector file is named by its model and
preprocessing version: a renamed photo finds its vector, a changed model finds no vectors (and
re-embeds). Every file is written to a temporary name and moved into place with ``os.replace``, so a
reader (or an interrupted run) only ever sees the previous complete file or the new complete file.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import warnings
from pathlib import Path

import numpy as np

from helpers import data
from helpers.files import atomic_write

from .records import FileRecord

__all__ = ["MANIFEST_FORMAT", "cache_root", "index_dir", "VectorFile", "read_manifest", "write_manifest"]

MANIFEST_FORMAT = 1


def cache_root() -> Path:
    """Where collection indexes live: ``data.cache_base()/collections``, beside the photos' ``images/``."""
    return data.cache_base() / "collections"


def index_dir(folder: Path) -> Path:
    """Where the index of ``folder`` (an absolute path) lives: one sub-folder per collection folder."""
    digest = hashlib.sha1(os.fspath(folder).encode("utf-8")).hexdigest()[:10]
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", folder.name)[:40] or "root"
    return cache_root() / f"{name}-{digest}"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:80]


class VectorFile:
    """The vectors of one space (``image``, ``clip-image``, ``text``) for one model and preprocessing version."""

    def __init__(self, directory: Path, space: str, model: str, prep: str):
        self.space, self.model, self.prep = space, model, prep
        self.path = directory / f"{space}--{_slug(model)}--{_slug(prep)}.npz"
        self.vectors: dict[str, np.ndarray] = {}
        self.problem = ""  # why an existing file was not used, for the report
        self.dirty = False  # vectors added since the last save
        self._load()

    def _meta(self) -> dict:
        return {"space": self.space, "model": self.model, "prep": self.prep}

    def _load(self) -> None:
        if not self.path.is_file():
            return
        try:
            with np.load(self.path, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                keys, vectors = z["keys"], z["vectors"]
        except Exception as exc:  # noqa: BLE001 - any unreadable file is ignored and rebuilt
            self.problem = f"{self.path.name} is unreadable ({type(exc).__name__}); re-embedding"
            return
        if meta != self._meta():
            self.problem = (f"{self.path.name} was written by model {meta.get('model')!r} "
                            f"(preprocessing {meta.get('prep')!r}), not {self.model!r} ({self.prep!r}); re-embedding")
            return
        if vectors.ndim != 2 or len(keys) != len(vectors) or not np.isfinite(vectors).all():
            self.problem = f"{self.path.name} has inconsistent shapes or non-finite values; re-embedding"
            return
        self.vectors = {str(k): v for k, v in zip(keys, vectors)}

    @property
    def dim(self) -> int | None:
        return next(iter(self.vectors.values())).shape[0] if self.vectors else None

    def missing(self, keys) -> list[str]:
        return [k for k in dict.fromkeys(keys) if k not in self.vectors]

    def add(self, keys, vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        if self.vectors and vectors.size and vectors.shape[1] != self.dim:
            warnings.warn(f"{self.path.name}: stored vectors are {self.dim}-d but the model gives "
                          f"{vectors.shape[1]}-d; dropping the stored ones", stacklevel=2)
            self.vectors = {}
        self.vectors.update({k: v for k, v in zip(keys, vectors)})
        self.dirty = True

    def matrix(self, keys) -> np.ndarray:
        if not keys:
            return np.empty((0, self.dim or 0), dtype=np.float32)
        return np.stack([self.vectors[k] for k in keys]).astype(np.float32, copy=False)

    def save(self, keep=None) -> None:
        """Write atomically; ``keep`` (a set of keys) drops vectors of files no longer in the folder."""
        keys = [k for k in self.vectors if keep is None or k in keep]
        dim = self.dim or 0
        vectors = np.stack([self.vectors[k] for k in keys]) if keys else np.empty((0, dim), np.float32)

        def write(f) -> None:
            np.savez(f, keys=np.array(keys, dtype="U64"), vectors=vectors.astype(np.float32),
                     meta=np.array(json.dumps(self._meta())))

        atomic_write(self.path, write)
        self.dirty = False


def read_manifest(directory: Path, folder: Path) -> tuple[dict[str, FileRecord], str]:
    """The manifest's records by relative path (empty if there is none) and why an existing one was ignored."""
    path = directory / "manifest.json"
    if not path.is_file():
        return {}, ""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return {}, f"manifest.json is unreadable ({type(exc).__name__}); rebuilding it"
    if not isinstance(doc, dict) or doc.get("format") != MANIFEST_FORMAT or doc.get("folder") != os.fspath(folder):
        return {}, "manifest.json belongs to another format or folder; rebuilding it"
    try:
        return {str(rel): FileRecord.from_json(rec) for rel, rec in doc.get("files", {}).items()}, ""
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        return {}, f"manifest.json has a malformed record ({type(exc).__name__}); rebuilding it"


def write_manifest(directory: Path, folder: Path, files: dict[str, FileRecord], models: dict[str, str]) -> None:
    doc = {"format": MANIFEST_FORMAT, "folder": os.fspath(folder), "models": models,
           "files": {rel: rec.to_json() for rel, rec in files.items()}}
    atomic_write(directory / "manifest.json",
                 lambda f: json.dump(doc, f, ensure_ascii=False, indent=1, sort_keys=True), binary=False)
