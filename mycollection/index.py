"""Indexing a folder: embed only what is new, reuse the rest, and write the index atomically.

    coll = index("~/Pictures/holiday")     # first time: embeds everything, with a progress bar and ETA
    coll = index("~/Pictures/holiday")     # again: reads the index, loads no model
    print(coll.report.summary())           # "0 new, 120 cached, 2 skipped"

A file is recognised by its path, size and modification time; a new or changed file is hashed
(SHA-256 of its bytes), and its vectors are looked up by that hash in each space's vector file.
Only photos and notes with no vector yet are decoded and embedded; while that runs, the vectors
are saved every ``checkpoint_s`` seconds, so an interrupted run keeps what it had finished.
"""
from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from helpers.files import sha256_of

from .encoders import Encoders, Space, spaces
from .engine import Checkpoint, Engine, LocalEngine, PhotoJob
from .files import FileEntry, check_folder, scan, sha256_text
from .notes import NoteError, read_csv_notes, read_note_file
from .records import Entry, FileRecord
from .store import VectorFile, index_dir, read_manifest, write_manifest

__all__ = ["Entry", "IndexReport", "Collection", "index"]


@dataclass
class IndexReport:
    """What one :func:`index` run did; ``summary()`` is the one-line ``N new, M cached, K skipped``."""

    new: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    loaded: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        return f"{len(self.new)} new, {len(self.cached)} cached, {len(self.skipped)} skipped"


class Collection:
    """An indexed folder: its items, the skipped files, and one vector matrix per space.

    ``vectors["image"]`` and ``vectors["clip-image"]`` have one row per photo (in ``photos``
    order), ``vectors["text"]`` one row per note. Searching is in :mod:`mycollection.search`.
    """

    def __init__(self, folder: Path, items: list[Entry], vectors: dict[str, np.ndarray], report: IndexReport,
                 encoders: Encoders, space_list: list[Space]):
        self.folder, self.items, self.vectors, self.report = folder, items, vectors, report
        self.encoders, self.spaces = encoders, {s.name: s for s in space_list}
        self.photos = [it for it in items if it.kind == "photo"]
        self.notes = [it for it in items if it.kind == "note"]

    def __repr__(self) -> str:
        return f"Collection({os.fspath(self.folder)!r}: {len(self.photos)} photos, {len(self.notes)} notes)"

    def __len__(self) -> int:
        return len(self.items)

    def path(self, item: Entry) -> Path:
        return self.folder / item.ref.split("#", 1)[0]

    @property
    def photo_paths(self) -> list[Path]:
        return [self.path(it) for it in self.photos]


def _examine(root: Path, e: FileEntry, skip_by_key: dict[str, str]) -> FileRecord:
    """The record of one new or changed file: its key or notes, or why it is skipped."""
    rec = FileRecord(e.kind, e.size, e.mtime_ns)
    if e.problem:  # found by the scan (files.scan): unreadable folder, link loop, named pipe, non-UTF-8 name
        rec.skip = e.problem
        return rec
    if e.kind == "unsupported":
        rec.skip = f"unsupported: {Path(e.rel).suffix or 'no extension'} is neither a photo nor a note"
        return rec
    path = root / e.rel
    try:
        if e.kind == "photo":
            rec.key = sha256_of(path)
            if e.size == 0:
                rec.skip = "corrupt: the file is empty (0 bytes)"
            else:
                rec.skip = skip_by_key.get(rec.key)  # the same bytes failed before under another name
        elif e.kind == "note":
            text = read_note_file(path, e.rel)
            rec.notes = [Entry(e.rel, "note", sha256_text(text), text)]
        else:
            notes, rec.row_skips = read_csv_notes(path, e.rel)
            rec.notes = [Entry(n.ref, "note", sha256_text(n.text), n.text) for n in notes]
    except NoteError as exc:
        rec.skip = str(exc)
    except OSError as exc:
        rec.skip = f"unreadable: {exc.strerror or exc}"
    return rec


def _survey(root: Path, old: dict[str, FileRecord]) -> dict[str, FileRecord]:
    """A record for every file: reused when path, size and mtime are unchanged, else examined."""
    skip_by_key = {r.key: r.skip for r in old.values()  # bad content, not a passing read error
                   if r.key and r.skip and not r.skip.startswith("unreadable")}
    files = {}
    for e in scan(root):
        prev = old.get(e.rel)
        if prev and prev.kind == e.kind and (prev.size, prev.mtime_ns) == e.stamp():
            files[e.rel] = dataclasses.replace(prev)  # a copy: embedding may add a skip reason
        else:
            files[e.rel] = _examine(root, e, skip_by_key)
    return files


def _photo_job(root: Path, files: dict[str, FileRecord], targets: list[tuple[Space, VectorFile]], enc: Encoders,
               batch_size: int, progress: bool, ckpt: Checkpoint) -> PhotoJob:
    """The photos with a vector missing in some space: one file per content key, in folder order."""
    first: dict[str, Path] = {}
    for rel, rec in files.items():
        if rec.photo_key:
            first.setdefault(rec.photo_key, root / rel)
    todo = dict.fromkeys(k for _, vf in targets for k in vf.missing(first))
    return PhotoJob({k: first[k] for k in todo}, targets, enc, batch_size, progress, ckpt)


def _embed_notes(notes: list[Entry], vf: VectorFile, enc: Encoders, progress: bool) -> list[str]:
    todo = {n.key: n.text for n in notes if n.key not in vf.vectors}
    if todo:
        vf.add(list(todo), enc.text.encode(list(todo.values()), progress=progress and len(todo) > 64))
    return list(todo)


def index(folder: str | os.PathLike, *, progress: bool = True, batch_size: int = 32,
          encoders: Encoders | None = None, checkpoint_s: float = 30.0, engine: Engine | None = None) -> Collection:
    """Index ``folder`` (photos and notes, recursively) and return the :class:`Collection`.

    Only new or changed content is embedded; ``collection.report`` says what happened.
    ``engine`` embeds the new photos (:mod:`mycollection.engine`): ``None`` is the
    :class:`~mycollection.engine.LocalEngine` (this process); :class:`~mycollection.ray_engine.RayEngine`
    uses Ray Data.
    Raises :class:`~mycollection.files.CollectionError` for a missing folder.
    """
    t0 = time.perf_counter()
    root = check_folder(folder)
    enc = encoders or Encoders()
    directory = index_dir(root)
    old, why = read_manifest(directory, root)
    report = IndexReport(notices=[why] if why else [])
    files = _survey(root, old)
    space_list = spaces(enc.preset)
    vfs = {s.name: VectorFile(directory, s.name, s.model, s.prep) for s in space_list}
    report.notices += [vf.problem for vf in vfs.values() if vf.problem]
    targets = [(s, vfs[s.name]) for s in space_list if s.kind == "photo"]
    ckpt = Checkpoint(list(vfs.values()), checkpoint_s)
    job = _photo_job(root, files, targets, enc, batch_size, progress, ckpt)
    failed = (engine or LocalEngine()).embed_photos(job)
    for rec in files.values():
        if rec.photo_key in failed:
            rec.skip = failed[rec.photo_key]
    notes = [n for r in files.values() if not r.skip for n in r.notes]
    text_space = next(s for s in space_list if s.kind == "note")
    new_keys = set(job.paths) | set(_embed_notes(notes, vfs[text_space.name], enc, progress))
    items, vectors = _assemble(files, notes, report, new_keys, vfs, space_list)
    keep = {it.key for it in items}
    for vf in vfs.values():
        if vf.dirty or vf.vectors.keys() - keep or vf.problem or not vf.path.is_file():
            vf.save(keep)
    if files != old:
        write_manifest(directory, root, files, {s.name: s.model for s in space_list})
    report.loaded = list(enc.loaded)
    report.seconds = time.perf_counter() - t0
    return Collection(root, items, vectors, report, enc, space_list)


def _assemble(files: dict[str, FileRecord], notes: list[Entry], report: IndexReport, new_keys: set,
              vfs: dict[str, VectorFile], space_list: list[Space]) -> tuple[list[Entry], dict[str, np.ndarray]]:
    items = []
    for rel, rec in files.items():
        if rec.skip:
            report.skipped.append((rel, rec.skip))
        elif rec.kind == "photo":
            items.append(Entry(rel, "photo", rec.key))
        report.skipped += rec.row_skips
    items += notes
    for it in items:
        (report.new if it.key in new_keys else report.cached).append(it.ref)
    vectors = {s.name: vfs[s.name].matrix([it.key for it in items if it.kind == s.kind]) for s in space_list}
    return items, vectors
