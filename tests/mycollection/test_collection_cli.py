"""The command line on real folders: index (new / cached / skipped), search, export."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import data

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
N_PHOTOS = 76


def run(args: list[str], cache: Path, check_torch: bool = False) -> subprocess.CompletedProcess:
    """``python -m mycollection ARGS``; with ``check_torch`` also print whether torch was imported."""
    code = ("import sys; from mycollection.cli import main; rc = main(sys.argv[1:]); "
            "print('TORCH IMPORTED:', 'torch' in sys.modules); sys.exit(rc)")
    cmd = [sys.executable, "-c", code] if check_torch else [sys.executable, "-m", "mycollection"]
    env = {**os.environ, "EMBEDDINGS_CACHE_DIR": str(cache), "EMBEDDINGS_MODELS": "offline"}
    return subprocess.run(cmd + args, capture_output=True, text=True, cwd=ROOT, env=env, timeout=900)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """76 registry photos (the first 76: all four cats among them), a corrupt file and a note."""
    recs = data.records()[:N_PHOTOS]
    root = tmp_path_factory.mktemp("cli") / "my photos"
    for r in recs:
        dest = root / r.file
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(data.fetch(r, progress=False), dest)
    (root / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (root / "notes").mkdir()
    (root / "notes" / "todo.txt").write_text("Print the photos of the cats for grandma.", encoding="utf-8")
    return root


def test_index_then_reindex_then_search_then_export(folder, tmp_path):
    cache = tmp_path / "cache"
    first = run(["index", str(folder), "--no-progress"], cache)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[-1] == f"{N_PHOTOS + 1} new, 0 cached, 1 skipped", first.stdout
    assert any(line.startswith("skipped: broken.jpg: corrupt") for line in lines), first.stdout

    second = run(["index", str(folder)], cache, check_torch=True)
    assert second.returncode == 0, second.stderr
    assert f"0 new, {N_PHOTOS + 1} cached, 1 skipped" in second.stdout
    assert "skipped: broken.jpg: corrupt" in second.stdout
    assert "models loaded: none" in second.stdout and "TORCH IMPORTED: False" in second.stdout

    found = run(["search", str(folder), "a photo of a cat", "-k", "3", "--photos"], cache)
    assert found.returncode == 0, found.stderr
    hits = [line.split("\t") for line in found.stdout.splitlines()]
    assert len(hits) == 3 and all(len(h) == 2 for h in hits), found.stdout
    assert all(Path(p).relative_to(folder).parts[0] == "cats" for p, _ in hits), found.stdout
    scores = [float(s) for _, s in hits]
    assert scores == sorted(scores, reverse=True)

    out = tmp_path / "projector"
    exported = run(["export", str(folder), str(out)], cache)
    assert exported.returncode == 0, exported.stderr
    rows = sum(len((out / f).read_text().splitlines()) for f in ("photos.tsv", "notes.tsv"))
    assert rows == N_PHOTOS + 1


def test_search_notes_and_errors(tmp_path):
    cache = tmp_path / "cache"
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.txt").write_text("Recipe: pasta with tomato sauce and basil.", encoding="utf-8")
    (notes / "b.txt").write_text("The kitten chased a ball of wool.", encoding="utf-8")
    (notes / "c.md").write_text("Train timetable for the trip to Lyon.", encoding="utf-8")
    found = run(["search", str(notes), "my cat playing", "-k", "2"], cache)
    assert found.returncode == 0, found.stderr
    assert found.stdout.splitlines()[0].startswith(str(notes / "b.txt") + "\t"), found.stdout
    missing = run(["index", str(tmp_path / "no such folder")], cache)
    assert missing.returncode == 2 and "no such folder' does not exist" in missing.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = run(["index", str(empty)], cache)
    assert nothing.returncode == 0 and nothing.stdout.splitlines()[-1] == "0 new, 0 cached, 0 skipped"
    assert "holds no photos" in nothing.stdout
