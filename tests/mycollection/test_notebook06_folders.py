"""Notebook 06 on the folders learners really have, and its upload path.

* ``save_uploads`` with the three shapes an upload arrives in: Colab's ``files.upload()`` dict,
  ipywidgets 7's ``FileUpload.value`` dict and ipywidgets 8's tuple; names that try to leave the folder.
* The notebook, executed with ``FOLDER`` pointed (through ``$EMBEDDINGS_COLLECTION``) at generated
  folders: photos only in one flat folder, notes only, a single photo, and a nested mix with bad files
  (and a HEIC photo when pillow-heif is installed). One kernel runs the whole notebook on the first
  folder, then, for each other folder, every cell except the few that never look at the folder (the
  hand-built demo index, the duplicate calibration, the exact-vs-HNSW comparison). Every run must reach
  the last cell and print no ✗ line (strict checks: a ✗ raises).
"""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from helpers import data
from mycollection.sample import save_uploads

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "06_your_own_collection.ipynb"

PHOTOS = ["cats/d2l_cat1_tabby_lying.jpg", "cats/pexels_tabby_cat.jpg", "dogs/d2l_dog1_pug.jpg",
          "dogs/d2l_dog2_french_bulldog.jpg", "food/churros.jpg", "food/pizza_pepperoni.jpg"]

# Cells that never read the learner's folder, found by what they call (each must match exactly one cell).
FOLDER_INDEPENDENT = ("demo = demo_folder()", "gap = max(", "first.rename(", "calibrate(",
                      "ann.vocabulary_vectors", "ann.compare(")


# --- save_uploads -----------------------------------------------------------------------------------------

def _widgets8_value(files: dict[str, bytes]) -> tuple:
    """What ipywidgets 8's FileUpload.value holds: a tuple of dicts, content as a memoryview."""
    return tuple({"name": n, "type": "image/jpeg", "size": len(b), "content": memoryview(b),
                  "last_modified": dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)} for n, b in files.items())


def _widgets7_value(files: dict[str, bytes]) -> dict:
    """What ipywidgets 7 (7.5-7.7) FileUpload.value holds: {name: {"metadata": {...}, "content": bytes}}."""
    return {n: {"metadata": {"name": n, "type": "image/jpeg", "size": len(b), "lastModified": 1704067200000},
                "content": b} for n, b in files.items()}


@pytest.mark.parametrize("shape", ["colab", "ipywidgets7", "ipywidgets8"])
def test_save_uploads_writes_each_file_whatever_the_uploader(tmp_path, shape):
    files = {"a.jpg": b"\xff\xd8 first", "notes.txt": "grüße".encode()}
    value = {"colab": dict(files), "ipywidgets7": _widgets7_value(files), "ipywidgets8": _widgets8_value(files)}[shape]
    saved = save_uploads(value, tmp_path / "up")
    assert sorted(p.name for p in saved) == ["a.jpg", "notes.txt"]
    assert {p.name: p.read_bytes() for p in saved} == files


@pytest.mark.parametrize("shape", ["colab", "ipywidgets7", "ipywidgets8"])
def test_save_uploads_never_writes_outside_the_folder(tmp_path, shape):
    files = {"../escape.jpg": b"1", "/tmp/abs.jpg": b"2", "..\\win.jpg": b"3", "..": b"4", ".hidden": b"5"}
    value = {"colab": dict(files), "ipywidgets7": _widgets7_value(files), "ipywidgets8": _widgets8_value(files)}[shape]
    folder = tmp_path / "inside" / "up"
    with pytest.warns(UserWarning, match="skipped"):
        saved = save_uploads(value, folder)
    assert sorted(p.name for p in saved) == ["abs.jpg", "escape.jpg", "win.jpg"]
    assert all(p.parent == folder for p in saved)
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert written == ["inside/up/abs.jpg", "inside/up/escape.jpg", "inside/up/win.jpg"]


def test_save_uploads_with_nothing_uploaded_makes_an_empty_folder(tmp_path):
    for empty in ((), {}, None):
        assert save_uploads(empty, tmp_path / "up") == []
    assert (tmp_path / "up").is_dir()
    with pytest.raises(TypeError, match="FileUpload.value"):
        save_uploads([1, 2], tmp_path / "up")


# --- the notebook on generated folders --------------------------------------------------------------------

def _copy(src: str, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(data.fetch(src, progress=False), dest)


def make_folders(base: Path) -> dict[str, Path]:
    """The learner folders: name -> path."""
    flat = base / "holiday"
    for f in PHOTOS:
        _copy(f, flat / Path(f).name)
    notes = base / "notes_only"
    notes.mkdir()
    (notes / "todo.md").write_text("# To do\n\nBuy milk and bread; call the plumber about the kitchen tap.\n")
    (notes / "trip.txt").write_text("Train to Lyon on Friday, back on Sunday evening.\n")
    (notes / "journal.csv").write_text("date,text\n2024-01-02,Cooked a curry for dinner.\n2024-01-03,Went running.\n")
    single = base / "one_photo"
    _copy(PHOTOS[0], single / "cat.jpg")
    mix = base / "mix"
    for f, rel in zip(PHOTOS, ["2023/rome/a.jpg", "2023/rome/b.jpg", "pets/pug.jpg", "pets/old/bulldog.jpg",
                               "food/churros.jpg", "pizza.jpg"]):
        _copy(f, mix / rel)
    (mix / "notes").mkdir()
    (mix / "notes" / "vet.txt").write_text("Took the cat to the vet; all fine.\n")
    (mix / "notes" / "latin1.txt").write_bytes("caf\xe9 cr\xe8me".encode("latin-1"))  # not UTF-8
    (mix / "broken.jpg").write_bytes(b"this is not a JPEG")
    (mix / "empty.png").write_bytes(b"")
    (mix / "archive.zip").write_bytes(b"PK\x03\x04")
    try:
        import pillow_heif
        from PIL import Image

        pillow_heif.register_heif_opener()
        with Image.open(data.fetch(PHOTOS[1], progress=False)) as im:
            im.convert("RGB").resize((320, 240)).save(mix / "pets" / "phone.heic", format="HEIF")
    except ImportError:  # no pillow-heif: the mix simply has no HEIC file
        pass
    return {"photos only, flat": flat, "notes only": notes, "a single photo": single, "nested with bad files": mix}


def _texts(cell) -> str:
    out = []
    for o in cell.get("outputs", []):
        stream = o.get("output_type") == "stream"
        out.append(o.get("text", "") if stream else str(o.get("data", {}).get("text/plain", "")))
    return "".join(out)


def _pngs(cells) -> int:
    return sum("image/png" in o.get("data", {}) for c in cells for o in c.get("outputs", []))


@pytest.mark.slow
def test_notebook06_runs_to_the_end_on_learner_folders(tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    folders = make_folders(tmp_path / "folders")
    monkeypatch.setenv("EMBEDDINGS_CACHE_DIR", str(tmp_path / "cache"))  # indexes of the test folders go here
    monkeypatch.setenv("EMBEDDINGS_COLLECTION", str(next(iter(folders.values()))))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [(i, c) for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and "shared-colab" not in c.metadata.get("tags", [])]
    independent = {i for i, c in code if any(m in c.source for m in FOLDER_INDEPENDENT)}
    for m in FOLDER_INDEPENDENT:
        assert sum(m in c.source for _, c in code) == 1, f"{m!r} should mark exactly one cell of notebook 06"
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    runs = {}
    with client.setup_kernel():
        for n, (name, folder) in enumerate(folders.items()):
            setter = nbformat.v4.new_code_cell(f"import os\nos.environ['EMBEDDINGS_COLLECTION'] = {str(folder)!r}")
            client.execute_cell(setter, 0)
            done = []
            for i, cell in code:
                if n and i in independent:
                    continue
                cell = nbformat.from_dict(dict(cell, outputs=[]))  # a fresh copy per folder
                client.execute_cell(cell, i)  # raises CellExecutionError on an exception or a ✗ (strict checks)
                done.append(cell)
            runs[name] = done
            text = "\n".join(_texts(c) for c in done)
            assert f"collection folder: {folder}" in text, name
            assert "✗" not in text, f"{name}: a checked claim failed:\n{text}"
            assert "Photos in this notebook" in _texts(done[-1]) or "showed no registered photos" in _texts(done[-1]), (
                f"{name}: the notebook did not reach its last cell")
    out = {name: "\n".join(_texts(c) for c in cells) for name, cells in runs.items()}
    assert "No notes in this folder" in out["photos only, flat"]
    assert "one folder" in out["photos only, flat"]  # a flat folder is one group: the folder test says so
    assert "No photos in this folder" in out["notes only"]
    assert _pngs(runs["notes only"]) == 0, "notes only: a figure was drawn with no photos to show"
    assert "nothing to compare" in out["a single photo"] and "too few for a map" in out["a single photo"]
    mix = out["nested with bad files"]
    for bad in ("broken.jpg", "empty.png", "archive.zip", "latin1.txt"):
        assert f"skipped: {bad}" in mix or f"skipped: notes/{bad}" in mix, f"{bad} not reported as skipped:\n{mix}"
    assert "5 folders" in mix  # groups are parent folders: 2023/rome, pets, pets/old, food and the top folder


def test_groups_are_parent_folders_and_a_long_legend_is_capped():
    from helpers.plots import folder_groups

    assert folder_groups(["a.jpg", "b.jpg"]) == ["(top folder)"] * 2  # a flat folder is one group
    assert folder_groups(["2023/rome/a.jpg", "2023/b.jpg", "c.jpg", "notes.csv#row 2"]) == [
        "2023/rome", "2023", "(top folder)", "(top folder)"]
    refs = [f"trip{i}/p{j}.jpg" for i in range(30) for j in range(i + 1)]  # 30 folders, trip29 the largest
    capped = folder_groups(refs, max_groups=5)
    assert len(set(capped)) == 5 and "(other folders)" in capped
    assert {"trip29", "trip28", "trip27", "trip26"} <= set(capped)
