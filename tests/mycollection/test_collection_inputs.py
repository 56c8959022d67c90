"""Bad input in a collection: each file is indexed correctly or skipped with a named reason; nothing crashes."""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from _collection_fixtures import CATS, fetch, make_folder
from PIL import Image

from mycollection import CollectionError, index
from mycollection.encoders import Encoders

pytestmark = pytest.mark.slow


def _huge_png(path: Path, side: int = 30000) -> None:
    """A valid tiny PNG whose header claims side x side pixels (a decompression bomb)."""
    Image.new("L", (1, 1)).save(path)
    raw = bytearray(path.read_bytes())
    raw[16:24] = struct.pack(">II", side, side)
    raw[29:33] = struct.pack(">I", zlib.crc32(bytes(raw[12:29])) & 0xFFFFFFFF)
    path.write_bytes(bytes(raw))


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    """One folder with every kind of trouble, indexed once (the models load once)."""
    src = fetch(CATS)
    tmp = tmp_path_factory.mktemp("messy")
    root = tmp / "photos"
    make_folder(root, src, CATS[:1])
    cat = Image.open(src[CATS[1]]).convert("RGB")
    cat.convert("CMYK").save(root / "cmyk.jpg")
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    cat.transpose(Image.Transpose.ROTATE_90).save(root / "exif_rotated.jpg", exif=exif)
    cat.save(root / "upright.jpg")
    grey16 = (np.linspace(0, 65535, 200 * 300).reshape(200, 300)).astype(np.uint16)
    Image.fromarray(grey16).save(root / "sixteen_bit.png")  # mode I;16
    (root / "empty.jpg").write_bytes(b"")
    (root / "garbage.jpg").write_bytes(b"this is not a photo at all" * 20)
    full = Path(src[CATS[1]]).read_bytes()
    (root / "truncated.jpg").write_bytes(full[: len(full) // 3])
    _huge_png(root / "huge.png")
    (root / "latin1.txt").write_bytes("Crème brûlée au café".encode("latin-1"))
    (root / "blank.md").write_text("  \n\n ", encoding="utf-8")
    (root / "good.txt").write_text("A walk by the river with the dog.", encoding="utf-8")
    (root / "diary.csv").write_text("date,text\n2024-01-01,Snow in the garden\n2024-01-02,\n", encoding="utf-8")
    (root / "report.pdf").write_bytes(b"%PDF-1.4")
    (root / ".DS_Store").write_bytes(b"\x00\x01")
    cache = tmp / "cache"
    mp = pytest.MonkeyPatch()
    mp.setenv("EMBEDDINGS_CACHE_DIR", str(cache))
    coll = index(root, progress=False)
    yield coll
    mp.undo()


def test_every_bad_file_is_skipped_with_a_named_reason(messy):
    skipped = dict(messy.report.skipped)
    expect = {
        "empty.jpg": "corrupt: the file is empty",
        "garbage.jpg": "corrupt: not a recognised image format",
        "truncated.jpg": "corrupt: corrupt or truncated",
        "huge.png": "too large",
        "latin1.txt": "not UTF-8: latin1.txt: byte 0xe8",
        "blank.md": "empty note",
        "diary.csv#row 2": "empty note",
        "report.pdf": "unsupported: .pdf",
    }
    assert set(skipped) == set(expect), skipped
    for ref, start in expect.items():
        assert skipped[ref].startswith(start), (ref, skipped[ref])


def test_cmyk_16bit_and_exif_photos_are_indexed_upright(messy):
    refs = [it.ref for it in messy.photos]
    assert sorted(refs) == sorted(["d2l_cat1_tabby_lying.jpg", "cmyk.jpg", "exif_rotated.jpg", "upright.jpg",
                                   "sixteen_bit.png"])
    emb = dict(zip(refs, messy.vectors["image"]))
    assert np.isfinite(messy.vectors["image"]).all() and np.isfinite(messy.vectors["clip-image"]).all()
    # the EXIF-rotated file must be embedded as the upright photo, not as the sideways pixels
    assert emb["exif_rotated.jpg"] @ emb["upright.jpg"] > 0.97
    enc = messy.encoders.image
    pixels = np.asarray(Image.open(messy.folder / "exif_rotated.jpg").convert("RGB"))  # no EXIF: sideways
    sideways = enc.encode([pixels], progress=False)[0]
    assert emb["exif_rotated.jpg"] @ emb["upright.jpg"] > sideways @ emb["upright.jpg"] + 0.02
    assert emb["cmyk.jpg"] @ emb["upright.jpg"] > 0.9


def test_notes_from_files_and_csv_rows(messy):
    texts = {it.ref: it.text for it in messy.notes}
    assert texts == {"good.txt": "A walk by the river with the dog.", "diary.csv#row 1": "Snow in the garden"}


def test_reindex_reports_the_same_skips_without_decoding_or_loading(messy, monkeypatch):
    monkeypatch.setenv("EMBEDDINGS_CACHE_DIR", str(messy.folder.parent / "cache"))
    again = index(messy.folder, progress=False, encoders=Encoders())
    assert again.report.loaded == []
    assert again.report.skipped == messy.report.skipped
    assert again.report.summary() == f"0 new, 7 cached, {len(messy.report.skipped)} skipped"


def test_empty_missing_and_file_folders(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDDINGS_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "empty").mkdir()
    coll = index(tmp_path / "empty", progress=False, encoders=Encoders())
    assert coll.report.summary() == "0 new, 0 cached, 0 skipped" and coll.report.loaded == []
    with pytest.raises(CollectionError, match="'.*nowhere' does not exist"):
        index(tmp_path / "nowhere", progress=False)
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(CollectionError, match="is a file, not a folder"):
        index(tmp_path / "a.txt", progress=False)
