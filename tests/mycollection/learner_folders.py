"""The folders learners really have, generated from the registry's photos: for the CLI tests and notebook 06.

    from learner_folders import FOLDERS, make_folder, make_all
    lf = make_folder("photos_flat", tmp_path)      # a LearnerFolder: lf.path, lf.photos, lf.notes, lf.skipped, ...
    folders = make_all(tmp_path)                    # every kind in FOLDERS, each in its own sub-folder of tmp_path

Kinds (:data:`FOLDERS`):

* ``photos_flat``  - 24 photos (cats, dogs, food) in one flat folder, camera names (``IMG_0001.jpg``), no notes,
                     and one re-saved copy (``IMG_0001 copy.jpg``, JPEG quality 30): one planted duplicate
* ``notes_only``   - five .txt / .md notes and a CSV diary (3 rows), no photos
* ``single_photo`` - one photo, nothing else
* ``nested_mix``   - sub-folders of photos and notes, two iPhone photos in HEIC/HEIF made from JPEGs that are also
                     in the folder (so each pair is a near-duplicate), and bad files: empty, not an image,
                     truncated, Latin-1 note, a PDF, a hidden file, a broken link, a named pipe, a link loop
* ``many_scripts`` - names in Cyrillic, CJK, emoji, with spaces, the same accented name in NFC and NFD (two
                     files), a Cyrillic folder, notes in three scripts, and one name that is not UTF-8 (skipped)

Every folder is built from registry photos fetched with :func:`helpers.data.fetch` (the offline mirror in
tests); HEIC files are written with pillow-heif. A :class:`LearnerFolder` says what the index must find:
``photos`` and ``notes`` (relative refs), ``skipped`` (ref -> start of the skip reason), ``duplicates``
(planted pairs), ``heic`` (HEIC ref -> the JPEG ref it was made from).

Also a script: ``python tests/mycollection/learner_folders.py OUTDIR`` writes every kind under OUTDIR.
"""
from __future__ import annotations

import os
import shutil
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["FOLDERS", "LearnerFolder", "make_all", "make_folder"]

FOLDERS = ("photos_flat", "notes_only", "single_photo", "nested_mix", "many_scripts")

NOTES = {
    "groceries.txt": "Buy flour, eggs, butter and apples for the pie on Sunday.",
    "ideas.md": "# Ideas\n\nA photo book of the summer holiday, with the beach and the dinners.",
    "vet.txt": "The dog has a vet appointment on Tuesday at 10; bring the vaccination papers.",
    "recipes/pancakes.md": "Pancakes: 200 g flour, 2 eggs, 300 ml milk, a pinch of salt. Rest 30 minutes.",
    "recipes/curry.txt": "Chicken curry with rice: onions, garlic, ginger, coconut milk, simmer 40 minutes.",
}
DIARY_CSV = ("date,text\n2024-05-01,Walked along the river and saw swans.\n"
             "2024-05-02,Cooked pizza with the kids.\n2024-05-03,Rainy day: read a book about cats.\n")


@dataclass(frozen=True)
class LearnerFolder:
    """A generated folder and what indexing it must give."""

    name: str
    path: Path
    photos: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    skipped: dict[str, str] = field(default_factory=dict)
    duplicates: tuple[tuple[str, str], ...] = ()
    heic: dict[str, str] = field(default_factory=dict)


def _sources(n: int, categories=("cats", "dogs", "food")) -> list[Path]:
    """``n`` registry photos, taken in turn from ``categories`` (verified local copies)."""
    from helpers import data

    per = [data.records(c) for c in categories]
    picked = [recs[i] for i in range(max(len(r) for r in per)) for recs in per if i < len(recs)][:n]
    if len(picked) < n:
        raise ValueError(f"the registry has only {len(picked)} photos in {categories}, {n} asked")
    return [data.fetch(r, progress=False) for r in picked]


def _copy(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _resaved(src: Path, dest: Path) -> None:
    from helpers.duplicates import COPIES
    from helpers.images import load_image

    COPIES["JPEG quality 30"](load_image(src)).save(dest, quality=95)


def _heic(src: Path, dest: Path) -> None:
    from helpers.images import heif_support, load_image

    if not heif_support():
        raise RuntimeError("writing HEIC test files needs pillow-heif: pip install pillow-heif")
    img = load_image(src)
    img.thumbnail((640, 640))  # an iPhone photo is 4032 x 3024; x265 takes seconds per megapixel on a busy CPU
    # pillow-heif's registered writer picks the format from the suffix; "ultrafast" keeps the encoding short
    img.save(dest, quality=90, enc_params={"preset": "ultrafast"})


def _photos_flat(root: Path) -> LearnerFolder:
    names = []
    for k, src in enumerate(_sources(24), 1):
        names.append(f"IMG_{k:04d}.jpg")
        _copy(src, root / names[-1])
    _resaved(root / names[0], root / "IMG_0001 copy.jpg")
    return LearnerFolder("photos_flat", root, tuple(sorted(names + ["IMG_0001 copy.jpg"])),
                         duplicates=(("IMG_0001.jpg", "IMG_0001 copy.jpg"),))


def _notes_only(root: Path) -> LearnerFolder:
    for rel, text in NOTES.items():
        _write(root / rel, text)
    _write(root / "diary.csv", DIARY_CSV)
    notes = sorted(list(NOTES) + [f"diary.csv#row {i}" for i in (1, 2, 3)])
    return LearnerFolder("notes_only", root, notes=tuple(notes))


def _single_photo(root: Path) -> LearnerFolder:
    _copy(_sources(1)[0], root / "IMG_4032.jpg")
    return LearnerFolder("single_photo", root, ("IMG_4032.jpg",))


def _nested_mix(root: Path) -> LearnerFolder:
    src = _sources(12)
    photos = []
    for k, s in enumerate(src):
        rel = f"{('pets/cats', 'pets/dogs', 'Holiday 2023/food')[k % 3]}/{s.name}"
        _copy(s, root / rel)
        photos.append(rel)
    heic = {"iPhone/IMG_5001.HEIC": photos[2], "iPhone/IMG_5002.heif": photos[5]}  # two food photos
    for rel, original in heic.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        _heic(root / original, root / rel)
    for rel in ("groceries.txt", "recipes/pancakes.md"):
        _write(root / "notes" / rel, NOTES[rel])
    _write(root / "notes" / "diary.csv", DIARY_CSV)
    bad = root / "bad"
    bad.mkdir()
    (bad / "empty.jpg").write_bytes(b"")
    (bad / "garbage.jpg").write_bytes(b"this is not a photo at all" * 20)
    (bad / "truncated.jpg").write_bytes(src[0].read_bytes()[:2000])
    (bad / "latin1.txt").write_bytes("Crème brûlée au café".encode("latin-1"))
    (bad / "report.pdf").write_bytes(b"%PDF-1.4\n")
    (bad / ".DS_Store").write_bytes(b"\x00\x01")
    os.symlink("moved_away.jpg", bad / "dangling.jpg")
    os.mkfifo(bad / "pipe.jpg")
    os.symlink("..", root / "pets" / "loop")
    skipped = {
        "bad/empty.jpg": "corrupt: the file is empty", "bad/garbage.jpg": "corrupt: not a recognised image format",
        "bad/truncated.jpg": "corrupt:", "bad/latin1.txt": "not UTF-8", "bad/report.pdf": "unsupported: .pdf",
        "bad/dangling.jpg": "unreadable: a broken symbolic link", "bad/pipe.jpg": "unreadable: not a regular file",
        "pets/loop/": "a symbolic link loop",
    }
    notes = ["notes/groceries.txt", "notes/recipes/pancakes.md"] + [f"notes/diary.csv#row {i}" for i in (1, 2, 3)]
    return LearnerFolder("nested_mix", root, tuple(sorted(photos + list(heic))), tuple(sorted(notes)), skipped,
                         tuple((original, rel) for rel, original in heic.items()), heic)


def _many_scripts(root: Path) -> LearnerFolder:
    src = _sources(7)
    cafe = "café"
    names = ["Кошка на диване.jpg", "猫の写真.jpg", "🐶 в снегу.jpg", "my holiday photo (1).jpg",
             unicodedata.normalize("NFC", cafe) + ".jpg", unicodedata.normalize("NFD", cafe) + ".jpg",
             "Фото/日本/寿司.jpg"]
    for s, rel in zip(src, names):
        _copy(s, root / rel)
    notes = {"Фото/заметка.txt": "Купить молоко и хлеб.", "日記.md": "今日は猫と公園に行きました。",
             "notes with spaces 📝.txt": "Call grandma about the photos of the dog."}
    for rel, text in notes.items():
        _write(root / rel, text)
    (root / os.fsdecode(b"caf\xe9 latin1.jpg")).write_bytes(src[0].read_bytes())  # a name that is not UTF-8
    return LearnerFolder("many_scripts", root, tuple(sorted(names)), tuple(sorted(notes)),
                         {"caf\\xe9 latin1.jpg": "the name is not valid UTF-8"})


_MAKERS = {"photos_flat": _photos_flat, "notes_only": _notes_only, "single_photo": _single_photo,
           "nested_mix": _nested_mix, "many_scripts": _many_scripts}


def make_folder(kind: str, parent: str | os.PathLike) -> LearnerFolder:
    """Create the folder ``parent/kind`` (it must not exist yet) and say what indexing it must give."""
    if kind not in _MAKERS:
        raise KeyError(f"unknown learner folder {kind!r}; known: {', '.join(FOLDERS)}")
    root = Path(parent) / kind
    root.mkdir(parents=True)
    return _MAKERS[kind](root)


def make_all(parent: str | os.PathLike) -> dict[str, LearnerFolder]:
    """Every kind of :data:`FOLDERS`, each under ``parent``."""
    return {kind: make_folder(kind, parent) for kind in FOLDERS}


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    for lf in make_all(sys.argv[1] if len(sys.argv) > 1 else "learner-folders").values():
        print(f"{lf.path}: {len(lf.photos)} photos, {len(lf.notes)} notes, {len(lf.skipped)} bad")
