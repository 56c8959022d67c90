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

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from helpers.images import ImageLoadError, ImageNotFoundError, ImageUnreadableError, load_image
from .encoders import Encoders, Space, spaces
from .files import FileEntry, check_folder, scan, sha256_file, sha256_text
from .notes import NoteError, read_csv_notes, read_note_file
from .store import VectorFile, index_dir, read_manifest, write_manifest

__all__ = ["Item", "IndexReport", "Collection", "index"]


@dataclass(frozen=True)
class Item:
    """One searchable thing: a photo file, or one note (a file, or one row of a CSV)."""

    ref: str  # path relative to the folder; "notes.csv#row 3" for a CSV row
    kind: str  # "photo" or "note"
    key: str  # SHA-256 of the content
    text: str = ""  # the note's text (empty for photos)


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

    def __init__(self, folder: Path, items: list[Item], vectors: dict[str, np.ndarray], report: IndexReport,
                 encoders: Encoders, space_list: list[Space]):
        self.folder, self.items, self.vectors, self.report = folder, items, vectors, report
        self.encoders, self.spaces = encoders, {s.name: s for s in space_list}
        self.photos = [it for it in items if it.kind == "photo"]
        self.notes = [it for it in items if it.kind == "note"]

    def __repr__(self) -> str:
        return f"Collection({os.fspath(self.folder)!r}: {len(self.photos)} photos, {len(self.notes)} notes)"

    def __len__(self) -> int:
        return len(self.items)

    def path(self, item: Item) -> Path:
        return self.folder / item.ref.split("#", 1)[0]

    @property
    def photo_paths(self) -> list[Path]:
        return [self.path(it) for it in self.photos]


def _examine(root: Path, e: FileEntry, skip_by_key: dict[str, str]) -> dict:
    """The manifest record of one new or changed file: its key(s), or why it is skipped."""
    rec: dict = {"kind": e.kind, "size": e.size, "mtime_ns": e.mtime_ns, "key": None, "skip": None, "notes": []}
    if e.problem:  # found by the scan (files.scan): unreadable folder, link loop, named pipe, non-UTF-8 name
        rec["skip"] = e.problem
        return rec
    if e.kind == "unsupported":
        rec["skip"] = f"unsupported: {Path(e.rel).suffix or 'no extension'} is neither a photo nor a note"
        return rec
    path = root / e.rel
    try:
        if e.kind == "photo":
            rec["key"] = sha256_file(path)
            if e.size == 0:
                rec["skip"] = "corrupt: the file is empty (0 bytes)"
            else:
                rec["skip"] = skip_by_key.get(rec["key"])  # the same bytes failed before under another name
        elif e.kind == "note":
            text = read_note_file(path, e.rel)
            rec["notes"] = [[e.rel, sha256_text(text), text]]
        else:
            notes, row_skips = read_csv_notes(path, e.rel)
            rec["notes"] = [[n.ref, sha256_text(n.text), n.text] for n in notes]
            rec["row_skips"] = [list(s) for s in row_skips]
    except NoteError as exc:
        rec["skip"] = str(exc)
    except OSError as exc:
        rec["skip"] = f"unreadable: {exc.strerror or exc}"
    return rec


def _survey(root: Path, old: dict) -> dict[str, dict]:
    """Manifest records for every file: reused when path, size and mtime are unchanged, else examined."""
    skip_by_key = {r["key"]: r["skip"] for r in old.values()  # bad content, not a passing read error
                   if r.get("key") and r.get("skip") and not r["skip"].startswith("unreadable")}
    files = {}
    for e in scan(root):
        prev = old.get(e.rel)
        if prev and prev.get("kind") == e.kind and (prev.get("size"), prev.get("mtime_ns")) == e.stamp():
            files[e.rel] = {**prev}  # a copy: the embedding step may add a skip reason
        else:
            files[e.rel] = _examine(root, e, skip_by_key)
    return files


def _decode(root: Path, rel: str, size: int):
    try:
        return load_image(root / rel, target_size=size), None
    except (ImageNotFoundError, ImageUnreadableError) as exc:  # gone or unreadable now, not a bad photo
        return None, f"unreadable: {str(exc).split(': ', 1)[-1]}"
    except ImageLoadError as exc:
        detail = str(exc).split(": ", 1)[-1]
        tag = "too large" if "too large" in detail else "corrupt"
        return None, f"{tag}: {detail}"
    except OSError as exc:
        return None, f"unreadable: {exc.strerror or exc}"


def _decode_ahead(pool: ThreadPoolExecutor, root: Path, rels: list[str], size: int):
    return [pool.submit(_decode, root, rel, size) for rel in rels]


class _Checkpoint:
    """Saves the vector files every ``every_s`` seconds while embedding (never the manifest)."""

    def __init__(self, files: list[VectorFile], every_s: float):
        self.files, self.every_s, self.last = files, every_s, time.monotonic()

    def maybe_save(self) -> None:
        if time.monotonic() - self.last >= self.every_s:
            for vf in self.files:
                vf.save()
            self.last = time.monotonic()


def _embed_photos(root: Path, files: dict, todo: list[str], photo_files: list[tuple[Space, VectorFile]],
                  enc: Encoders, batch_size: int, progress: bool, ckpt: _Checkpoint) -> None:
    """Decode (in parallel threads, one batch ahead) and embed the photos whose keys are in ``todo``."""
    from tqdm.auto import tqdm

    rel_of, wanted = {}, set(todo)
    for rel, rec in files.items():
        if rec["kind"] == "photo" and rec["key"] in wanted and not rec["skip"]:
            rel_of.setdefault(rec["key"], rel)
    keys = [k for k in todo if k in rel_of]
    if not keys:
        return
    size = enc.photo_size()
    chunks = [keys[s : s + batch_size] for s in range(0, len(keys), batch_size)]
    bar = tqdm(total=len(keys), desc="embedding photos", unit="photo", disable=not progress)
    from helpers.models._common import decode_workers  # here, not at import: torch stays unloaded on a re-index

    with ThreadPoolExecutor(max_workers=decode_workers()) as pool:
        ahead = _decode_ahead(pool, root, [rel_of[k] for k in chunks[0]], size)
        for i, chunk in enumerate(chunks):
            decoded = [f.result() for f in ahead]
            if i + 1 < len(chunks):
                ahead = _decode_ahead(pool, root, [rel_of[k] for k in chunks[i + 1]], size)
            good = [(k, img) for k, (img, _) in zip(chunk, decoded) if img is not None]
            for k, (_, why) in zip(chunk, decoded):
                if why:
                    for rec in files.values():
                        if rec.get("key") == k and rec["kind"] == "photo":
                            rec["skip"] = why
            need = {s.name for s, vf in photo_files if any(k not in vf.vectors for k, _ in good)}
            if need:
                vecs = enc.embed_photos([img for _, img in good], sorted(need))
                for space, vf in photo_files:
                    if space.name in vecs:
                        vf.add([k for k, _ in good], vecs[space.name])
            bar.update(len(chunk))
            ckpt.maybe_save()
    bar.close()


def _embed_notes(notes: list[list], space: Space, vf: VectorFile, enc: Encoders, progress: bool) -> list[str]:
    todo = {key: text for _, key, text in notes if key not in vf.vectors}
    if todo:
        vf.add(list(todo), enc.text.encode(list(todo.values()), progress=progress and len(todo) > 64))
    return list(todo)


def index(folder: str | os.PathLike, *, progress: bool = True, batch_size: int = 32,
          encoders: Encoders | None = None, checkpoint_s: float = 30.0, engine=None) -> Collection:
    """Index ``folder`` (photos and notes, recursively) and return the :class:`Collection`.

    Only new or changed content is embedded; ``collection.report`` says what happened.
    ``engine``: ``None`` embeds photos in this process; an object with the same ``embed_photos``
    arguments as ``_embed_photos`` (for example :class:`~mycollection.ray_engine.RayEngine`) replaces it.
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
    photo_keys = [r["key"] for r in files.values() if r["kind"] == "photo" and r["key"] and not r["skip"]]
    photo_files = [(s, vfs[s.name]) for s in space_list if s.kind == "photo"]
    todo = list(dict.fromkeys(k for _, vf in photo_files for k in vf.missing(photo_keys)))
    ckpt = _Checkpoint(list(vfs.values()), checkpoint_s)
    embed_photos = engine.embed_photos if engine is not None else _embed_photos
    embed_photos(root, files, todo, photo_files, enc, batch_size, progress, ckpt)
    notes = [n for r in files.values() if not r["skip"] for n in r.get("notes", [])]
    text_space = next(s for s in space_list if s.kind == "note")
    new_keys = set(todo) | set(_embed_notes(notes, text_space, vfs[text_space.name], enc, progress))
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


def _assemble(files: dict, notes: list[list], report: IndexReport, new_keys: set, vfs: dict[str, VectorFile],
              space_list: list[Space]) -> tuple[list[Item], dict[str, np.ndarray]]:
    items = []
    for rel, rec in files.items():
        if rec["skip"]:
            report.skipped.append((rel, rec["skip"]))
        elif rec["kind"] == "photo":
            items.append(Item(rel, "photo", rec["key"]))
        report.skipped += [tuple(s) for s in rec.get("row_skips", [])]
    items += [Item(ref, "note", key, text) for ref, key, text in notes]
    for it in items:
        (report.new if it.key in new_keys else report.cached).append(it.ref)
    vectors = {s.name: vfs[s.name].matrix([it.key for it in items if it.kind == s.kind]) for s in space_list}
    return items, vectors
