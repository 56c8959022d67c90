"""The image registry: hash-verified fetching, the mirror, and credits."""
import csv
import hashlib
import os
import re
from pathlib import Path

import pytest

from helpers import data

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "images"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDDINGS_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "images"


def _mirror_with(tmp_path: Path, rec: data.ImageRecord, content: bytes) -> Path:
    mirror = tmp_path / "mirror"
    (mirror / rec.file).parent.mkdir(parents=True, exist_ok=True)
    (mirror / rec.file).write_bytes(content)
    return mirror


EXPECTED_COUNTS = {  # the shared photo set (../shared/data/images/README.md)
    "cats": 4, "dogs": 6, "food": 30, "people": 5, "sports": 12, "footwear": 6, "clothing": 4,
    "appliances": 2, "electronics": 11, "cameras": 9, "furniture": 11, "plants": 9,
}


def test_registry_is_complete_and_well_formed():
    recs = data.registry()
    assert len(recs) == sum(EXPECTED_COUNTS.values()) == 109
    assert len({r.file for r in recs}) == len(recs)
    for r in recs:
        assert re.fullmatch(r"[0-9a-f]{64}", r.sha256) and r.url.startswith("https://")
        assert r.license and r.attribution and r.file.startswith(r.category + "/")
        # URLs are pinned to a commit, never a moving branch
        assert re.search(r"/[0-9a-f]{40}/", r.url), r.url
    assert {c: len(data.records(c)) for c in EXPECTED_COUNTS} == EXPECTED_COUNTS


def test_share_alike_photos_name_their_licence_in_the_credit():
    sa = [r for r in data.registry() if "BY-SA" in r.license]
    assert {r.file for r in data.records("appliances")} <= {r.file for r in sa}
    for r in sa:
        version = re.search(r"CC BY-SA [0-9.]+", r.license).group(0)
        assert version in r.attribution, r.file


def test_record_lookup_by_file_or_name():
    assert data.record("churros").file == "food/churros.jpg"
    assert data.record("food/churros.jpg").name == "churros"
    with pytest.raises(KeyError, match="no registered image called 'unicorn'"):
        data.record("unicorn")
    with pytest.raises(KeyError, match="unknown image category 'birds'"):
        data.records("birds")


def test_mirror_copy_is_verified_and_used(cache, tmp_path, monkeypatch):
    rec = data.record("french_fries_1")
    payload = (SHARED / rec.file).read_bytes() if SHARED.is_dir() else None
    if payload is None:
        pytest.skip("shared photos not available")
    mirror = _mirror_with(tmp_path, rec, payload)
    monkeypatch.setenv("EMBEDDINGS_IMAGE_MIRROR", str(mirror))
    path = data.fetch(rec)
    assert path == cache / rec.file and data.sha256_of(path) == rec.sha256
    # second call uses the verified cache, even if the mirror disappears
    (mirror / rec.file).unlink()
    assert data.fetch(rec) == path


def test_hash_mismatch_is_rejected_and_nothing_is_left_behind(cache, tmp_path, monkeypatch):
    rec = data.record("french_fries_1")
    mirror = _mirror_with(tmp_path, rec, b"not the real photo")
    monkeypatch.setenv("EMBEDDINGS_IMAGE_MIRROR", str(mirror))
    with pytest.raises(ValueError, match=r"food/french_fries_1.jpg.*SHA-256 mismatch"):
        data.fetch(rec)
    leftovers = [p for p in cache.rglob("*") if p.is_file()] if cache.exists() else []
    assert leftovers == []


def test_corrupt_cached_file_is_replaced(cache, tmp_path, monkeypatch):
    if not SHARED.is_dir():
        pytest.skip("shared photos not available")
    rec = data.record("french_fries_2")
    bad = cache / rec.file
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"half a download")
    monkeypatch.setenv("EMBEDDINGS_IMAGE_MIRROR", str(SHARED))
    assert data.sha256_of(data.fetch(rec)) == rec.sha256


def test_missing_file_in_mirror_names_it(cache, tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDDINGS_IMAGE_MIRROR", str(tmp_path / "empty"))
    with pytest.raises(FileNotFoundError, match="food/churros.jpg"):
        data.fetch("churros")


def test_download_path_verifies_hash_and_leaves_no_partial_file(cache, monkeypatch):
    """Without a mirror, pooch downloads; a wrong payload must not survive."""
    import pooch

    rec = data.record("french_fries_1")
    monkeypatch.delenv("EMBEDDINGS_IMAGE_MIRROR", raising=False)

    def fake_download(url, output_file, pooch_obj=None, check_only=False):  # stands in for HTTP
        Path(output_file).write_bytes(b"truncated")

    real_retrieve = pooch.retrieve
    monkeypatch.setattr(pooch, "retrieve", lambda *a, **k: real_retrieve(*a, downloader=fake_download, **k))
    with pytest.raises(ValueError, match="SHA256 hash of downloaded file"):
        data.fetch(rec, progress=False)
    leftovers = [p for p in cache.rglob("*") if p.is_file()] if cache.exists() else []
    assert leftovers == []


def test_credits_file_is_generated_from_the_registry():
    text = (data.DATA_DIR / "CREDITS.md").read_text(encoding="utf-8")
    assert text == data.credits_markdown(), "run: python tools/write_credits.py"
    for r in data.registry():
        assert r.file in text and r.license in text


def test_registry_matches_shared_sources_when_present():
    src = SHARED / "SOURCES.csv"
    if not src.is_file():
        pytest.skip("shared SOURCES.csv not available")
    with open(src, newline="", encoding="utf-8") as f:
        shared = {r["file"]: r for r in csv.DictReader(f)}
    for r in data.registry():
        assert shared[r.file]["sha256"] == r.sha256 and shared[r.file]["raw_url"] == r.url


def test_all_shared_photos_verify(cache):
    if not os.environ.get("EMBEDDINGS_IMAGE_MIRROR"):
        pytest.skip("no mirror configured")
    paths = data.fetch_all(progress=False)
    assert len(paths) == len(data.registry())
    for p, r in zip(paths, data.registry()):
        assert hashlib.sha256(p.read_bytes()).hexdigest() == r.sha256


def _build_registry_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "build_registry", Path(__file__).resolve().parents[1] / "tools" / "build_registry.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_build_registry_reproduces_the_committed_registry():
    src = SHARED / "SOURCES.csv"
    if not src.is_file():
        pytest.skip("shared SOURCES.csv not available")
    build = _build_registry_module()
    with open(data.REGISTRY_CSV, newline="", encoding="utf-8") as f:
        committed = list(csv.DictReader(f))
    assert build.build(src) == committed, "run: python tools/build_registry.py"


@pytest.mark.parametrize("change, message", [
    (lambda r: r.update(raw_url=r["raw_url"].replace(r["commit"], "main")), "not pinned"),
    (lambda r: r.update(sha256="abc"), "not 64 hex digits"),
    (lambda r: r.update(attribution=" "), "empty attribution"),
    (lambda r: r.update(file="dogs/" + r["file"].split("/")[1]), "folder does not match"),
])
def test_build_registry_rejects_a_bad_row_and_keeps_the_old_file(tmp_path, change, message):
    src = SHARED / "SOURCES.csv"
    if not src.is_file():
        pytest.skip("shared SOURCES.csv not available")
    build = _build_registry_module()
    with open(src, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    change(rows[12])
    bad = tmp_path / "SOURCES.csv"
    with open(bad, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    with pytest.raises(build.SourceError, match=message) as err:
        build.build(bad)
    assert rows[12]["file"] in str(err.value) or "dogs/" in str(err.value)


def test_build_registry_names_a_missing_share_alike_licence():
    build = _build_registry_module()
    row = {"file": "appliances/t.jpg", "category": "appliances", "label": "toaster",
           "raw_url": "https://raw.githubusercontent.com/o/r/" + "a" * 40 + "/t.jpg", "commit": "a" * 40,
           "sha256": "0" * 64, "bytes": "1", "width": "1", "height": "1", "license": "CC BY-SA 4.0",
           "attribution": "Toaster by someone", "source_repo": "o/r", "path_in_repo": "t.jpg"}
    assert build.registry_row(row)["attribution"] == "Toaster by someone, CC BY-SA 4.0"
