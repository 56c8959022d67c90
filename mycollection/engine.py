"""The embedding interface that every engine implements: embed the photos of a :class:`PhotoJob`.

    failed = engine.embed_photos(job)   # {content key: why it was skipped} for photos that failed

A job names the photos to embed (content key -> one file with that content), the photo spaces and
their vector files, the encoders and the batch size. An engine decodes each photo with
:func:`decode_photo`, embeds the decoded ones with ``job.encoders.embed_photos`` (the one forward
pass of :mod:`mycollection.encoders`) and hands the vectors to :meth:`PhotoJob.store`. Two engines:
:class:`LocalEngine` (this process, decoding in threads one batch ahead) and
:class:`~mycollection.ray_engine.RayEngine` (a pool of Ray Data workers).
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from helpers.images import ImageLoadError, ImageNotFoundError, ImageUnreadableError, load_image

from .encoders import Encoders, Space
from .store import VectorFile

__all__ = ["decode_photo", "Checkpoint", "PhotoJob", "Engine", "LocalEngine"]


def decode_photo(path: Path, size: int):
    """``(image, None)`` for a photo decoded for models of input ``size``, or ``(None, why it failed)``."""
    try:
        return load_image(path, target_size=size), None
    except (ImageNotFoundError, ImageUnreadableError) as exc:  # gone or unreadable now, not a bad photo
        return None, f"unreadable: {str(exc).split(': ', 1)[-1]}"
    except ImageLoadError as exc:
        detail = str(exc).split(": ", 1)[-1]
        tag = "too large" if "too large" in detail else "corrupt"
        return None, f"{tag}: {detail}"
    except OSError as exc:
        return None, f"unreadable: {exc.strerror or exc}"


class Checkpoint:
    """Saves the vector files every ``every_s`` seconds while embedding (never the manifest)."""

    def __init__(self, files: list[VectorFile], every_s: float):
        self.files, self.every_s, self.last = files, every_s, time.monotonic()

    def maybe_save(self) -> None:
        if time.monotonic() - self.last >= self.every_s:
            for vf in self.files:
                vf.save()
            self.last = time.monotonic()


@dataclass
class PhotoJob:
    """Photos to embed: ``paths`` maps each content key to one file with that content, in embedding order."""

    paths: dict[str, Path]
    targets: list[tuple[Space, VectorFile]]  # the photo spaces to fill, and their vector files
    encoders: Encoders
    batch_size: int = 32
    progress: bool = False
    checkpoint: Checkpoint = field(default_factory=lambda: Checkpoint([], float("inf")))

    @property
    def space_names(self) -> list[str]:
        return [space.name for space, _ in self.targets]

    def missing_spaces(self, keys: list[str]) -> list[str]:
        """The spaces that still lack a vector for one of ``keys``."""
        return [space.name for space, vf in self.targets if any(k not in vf.vectors for k in keys)]

    def store(self, keys: list[str], vectors: dict[str, np.ndarray]) -> None:
        """Add the rows of ``vectors[space]`` (one per key) that a space's vector file does not hold yet."""
        for space, vf in self.targets:
            if space.name in vectors:
                rows = [i for i, k in enumerate(keys) if k not in vf.vectors]
                if rows:
                    vf.add([str(keys[i]) for i in rows], np.asarray(vectors[space.name])[rows])


class Engine(Protocol):
    def embed_photos(self, job: PhotoJob) -> dict[str, str]:
        """Embed ``job``'s photos into its vector files; return ``{key: why}`` for the photos that failed."""
        ...


class LocalEngine:
    """Embed in this process: decode in threads (one batch ahead), embed batch after batch."""

    def embed_photos(self, job: PhotoJob) -> dict[str, str]:
        keys = list(job.paths)
        if not keys:
            return {}  # before any import below: a re-index with nothing new never loads torch
        from tqdm.auto import tqdm

        from helpers.models import decode_workers
        size = job.encoders.photo_size()
        chunks = [keys[s : s + job.batch_size] for s in range(0, len(keys), job.batch_size)]
        failed: dict[str, str] = {}
        bar = tqdm(total=len(keys), desc="embedding photos", unit="photo", disable=not job.progress)
        with ThreadPoolExecutor(max_workers=decode_workers()) as pool:
            ahead = [pool.submit(decode_photo, job.paths[k], size) for k in chunks[0]]
            for i, chunk in enumerate(chunks):
                decoded = [f.result() for f in ahead]
                if i + 1 < len(chunks):
                    ahead = [pool.submit(decode_photo, job.paths[k], size) for k in chunks[i + 1]]
                failed.update({k: why for k, (_, why) in zip(chunk, decoded) if why})
                good = [(k, img) for k, (img, _) in zip(chunk, decoded) if img is not None]
                need = job.missing_spaces([k for k, _ in good])
                if need:
                    job.store([k for k, _ in good], job.encoders.embed_photos([img for _, img in good], need))
                bar.update(len(chunk))
                job.checkpoint.maybe_save()
        bar.close()
        return failed
