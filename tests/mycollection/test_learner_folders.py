"""The command line on the folders learners really have (tests/mycollection/learner_folders.py): index, search,
duplicates; HEIC photos indexed like JPEGs; folders that are unreadable or change while they are indexed."""
from __future__ import annotations

import builtins
import importlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from learner_folders import FOLDERS, make_all, make_folder

from mycollection import CollectionError, index
from mycollection.cli import main

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """One index cache for the module (the models load once per process; the calibration is measured once)."""
    mp = pytest.MonkeyPatch()
    path = tmp_path_factory.mktemp("cache")
    mp.setenv("EMBEDDINGS_CACHE_DIR", str(path))
    yield path
    mp.undo()


@pytest.fixture(scope="module")
def folders(tmp_path_factory, cache):
    return make_all(tmp_path_factory.mktemp("learners"))


def cli(capsys, *args) -> tuple[int, list[str], str]:
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out.splitlines(), err


@pytest.mark.parametrize("kind", FOLDERS)
def test_index_finds_every_photo_and_note_and_names_every_bad_file(folders, kind, capsys):
    lf = folders[kind]
    rc, out, err = cli(capsys, "index", lf.path, "--no-progress")
    assert rc == 0, err
    assert out[-1] == f"{len(lf.photos) + len(lf.notes)} new, 0 cached, {len(lf.skipped)} skipped", out
    coll = index(lf.path, progress=False)  # again: everything cached, nothing lost
    assert coll.report.summary() == f"0 new, {len(lf.photos) + len(lf.notes)} cached, {len(lf.skipped)} skipped"
    assert sorted(it.ref for it in coll.photos) == list(lf.photos)
    assert sorted(it.ref for it in coll.notes) == list(lf.notes)
    assert len(coll.vectors["image"]) == len(coll.vectors["clip-image"]) == len(lf.photos)
    assert len(coll.vectors["text"]) == len(lf.notes)
    skipped = dict(coll.report.skipped)
    assert set(skipped) == set(lf.skipped), skipped
    for ref, start in lf.skipped.items():
        assert skipped[ref].startswith(start), (ref, skipped[ref])
        assert any(line.startswith(f"skipped: {ref}: {start}") for line in out), out


@pytest.mark.parametrize("kind", FOLDERS)
def test_search_answers_or_says_there_is_nothing_to_search(folders, kind, capsys):
    lf = folders[kind]
    rc, out, err = cli(capsys, "search", lf.path, "a photo of a cat", "-k", "3")
    assert rc == 0, err
    hits = [line.split("\t") for line in out]
    expected = min(3, len(lf.photos)) + min(3, len(lf.notes))
    assert len(hits) == expected and all(len(h) == 2 for h in hits), out
    found = {Path(h[0]).relative_to(lf.path).as_posix() for h in hits}  # full paths; a CSV row: its file
    assert found <= {ref.split("#")[0] for ref in lf.photos + lf.notes}, found
    if not lf.photos:
        rc, out, err = cli(capsys, "search", lf.path, "a cat", "--photos")
        assert rc == 1 and out == [] and "holds no indexed photos" in err


def test_duplicates_finds_the_planted_pairs_with_the_calibrated_threshold(folders, capsys):
    flat = folders["photos_flat"]
    rc, out, err = cli(capsys, "duplicates", flat.path)
    assert rc == 0, err
    assert out[0].startswith("threshold ") and "calibrated on 20 built-in photos" in out[0], out
    threshold = float(out[0].split()[1])
    pairs = [line.split("\t") for line in out[1:-1]]
    assert pairs and all(float(s) >= threshold for s, *_ in pairs)
    assert sorted(pairs[0][1:]) == sorted(flat.duplicates[0]), out  # the re-saved copy is the most similar pair
    assert out[-1] == f"{len(pairs)} near-duplicate pair(s) among {len(flat.photos)} photos at cosine >= " \
                      f"{threshold:.3f}"

    mix = folders["nested_mix"]
    rc, out, err = cli(capsys, "duplicates", mix.path)
    assert rc == 0, err
    assert "measured before, same model and code" in out[0] and float(out[0].split()[1]) == threshold
    found = {tuple(sorted(line.split("\t")[1:])) for line in out[1:-1]}
    assert {tuple(sorted(p)) for p in mix.duplicates} <= found, out  # each HEIC beside the JPEG it was made from


@pytest.mark.parametrize("kind, line", [("notes_only", "holds no photos, nothing to compare"),
                                        ("single_photo", "holds a single photo, nothing to compare")])
def test_duplicates_without_pairs_to_compare_says_so_in_one_line(folders, kind, line, capsys):
    rc, out, _err = cli(capsys, "duplicates", folders[kind].path)
    assert rc == 0 and len(out) == 1 and out[0].startswith("no near-duplicates: ") and out[0].endswith(line), out


def test_duplicates_cli_entry_point_with_a_given_threshold(folders, cache):
    mix = folders["nested_mix"]
    index(mix.path, progress=False)
    env = {**os.environ, "EMBEDDINGS_CACHE_DIR": str(cache), "EMBEDDINGS_MODELS": "offline"}
    run = subprocess.run([sys.executable, "-m", "mycollection", "duplicates", str(mix.path), "--threshold", "0.99",
                          "--max-pairs", "1"], check=False, capture_output=True, text=True, cwd=ROOT, env=env,
                         timeout=600)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "threshold 0.990 (given with --threshold)"
    assert len(lines) == 4 and lines[2].startswith("note: 2 pairs at cosine >= 0.990; kept the 1 most similar")
    bad = subprocess.run([sys.executable, "-m", "mycollection", "duplicates", str(mix.path), "--threshold", "2"],
                         check=False, capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    assert bad.returncode == 2 and "--threshold is a cosine, between -1 and 1; got 2.0" in bad.stderr


def test_heic_photos_are_indexed_and_found_like_their_jpeg_originals(folders):
    mix = folders["nested_mix"]
    coll = index(mix.path, progress=False)
    row = {it.ref: i for i, it in enumerate(coll.photos)}
    v = coll.vectors["image"]
    for heic, jpeg in mix.heic.items():
        assert float(v[row[heic]] @ v[row[jpeg]]) > 0.95, heic
        from mycollection.search import similar_photos

        assert similar_photos(coll, heic, k=1)[0].item.ref == jpeg


# ---- folders that cannot be read, or change while they are indexed (as root, chmod blocks nothing) ----

@pytest.fixture
def small(tmp_path, cache):
    return make_folder("photos_flat", tmp_path)


def test_an_unreadable_folder_is_a_named_skip_and_an_unreadable_root_a_clear_error(small, monkeypatch, capsys):
    (small.path / "private").mkdir()
    (small.path / "private" / "diary.txt").write_text("Dear diary: the photos are in the flat folder.")
    real = os.scandir

    def scandir(path="."):
        if Path(path).name in ("private", "photos_flat") and getattr(scandir, "deny", "") == Path(path).name:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    scandir.deny = "private"
    coll = index(small.path, progress=False)
    assert dict(coll.report.skipped) == {"private/": "unreadable folder: Permission denied; its files are not "
                                                     "indexed (check its permissions)"}
    assert len(coll.photos) == len(small.photos) == len(coll.vectors["image"])
    scandir.deny = "photos_flat"
    with pytest.raises(CollectionError, match="cannot read folder .*photos_flat.*Permission denied"):
        index(small.path, progress=False)
    rc, _out, err = cli(capsys, "index", small.path)
    assert rc == 2 and err.startswith("error: cannot read folder")
    scandir.deny = ""
    again = index(small.path, progress=False)  # readable again: the folder's photo comes in, nothing else changes
    assert again.report.summary() == f"1 new, {len(small.photos)} cached, 0 skipped"


def test_an_unreadable_file_is_a_named_skip(small, monkeypatch):
    real = builtins.open
    target = (small.path / "IMG_0003.jpg").resolve()

    def guarded(file, *a, **k):
        if isinstance(file, (str, os.PathLike)) and Path(file).resolve() == target:
            raise PermissionError(13, "Permission denied", os.fspath(file))
        return real(file, *a, **k)

    monkeypatch.setattr(builtins, "open", guarded)
    coll = index(small.path, progress=False)
    assert dict(coll.report.skipped) == {"IMG_0003.jpg": "unreadable: Permission denied"}
    assert len(coll.photos) == len(small.photos) - 1 == len(coll.vectors["image"])


def test_files_that_vanish_or_appear_while_indexing(small, monkeypatch):
    ix = importlib.import_module("mycollection.index")  # the module (the package exports the function index)

    real_scan, real_hash = ix.scan, ix.sha256_of
    gone, late = small.path / "IMG_0004.jpg", small.path / "IMG_0005.jpg"
    keep = {p: p.read_bytes() for p in (gone, late)}

    def scan_then_change(folder):
        entries = real_scan(folder)
        gone.unlink()  # deleted between the scan and the read
        (small.path / "IMG_9999.jpg").write_bytes(keep[gone])  # added after the scan
        return entries

    def hash_then_delete(path, *a, **k):
        key = real_hash(path, *a, **k)
        if Path(path).resolve() == late.resolve():
            late.unlink()  # deleted between hashing and decoding
        return key

    monkeypatch.setattr(ix, "scan", scan_then_change)
    monkeypatch.setattr(ix, "sha256_of", hash_then_delete)
    coll = index(small.path, progress=False)
    skipped = dict(coll.report.skipped)
    assert set(skipped) == {"IMG_0004.jpg", "IMG_0005.jpg"}, skipped
    assert skipped["IMG_0004.jpg"].startswith("unreadable: No such file")
    assert skipped["IMG_0005.jpg"].startswith("unreadable: file not found")
    assert len(coll.photos) == len(small.photos) - 2 == len(coll.vectors["image"]) == len(coll.vectors["clip-image"])
    monkeypatch.undo()
    for path, raw in keep.items():
        path.write_bytes(raw)
    again = index(small.path, progress=False)  # the next run sees the folder as it is now, nothing lost
    refs = sorted(it.ref for it in again.photos)
    assert refs == sorted(list(small.photos) + ["IMG_9999.jpg"]) and not again.report.skipped
    assert len(again.vectors["image"]) == len(refs)
    assert np.allclose(again.vectors["image"][refs.index("IMG_9999.jpg")],
                       again.vectors["image"][refs.index("IMG_0004.jpg")], atol=1e-5)
