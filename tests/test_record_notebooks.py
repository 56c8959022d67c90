"""tools/record_notebooks.py: what it writes into the committed notebooks is clean and marks its source.

The executed notebooks themselves are checked in tests/test_notebooks_meta.py (outputs current, no machine path,
size); here the cleaning is tested on executed-notebook outputs of the kinds a run produces.
"""
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import record_notebooks as rec  # noqa: E402
import sync_notebooks  # noqa: E402

INFO = {"preset": "offline"}


def _stream(text, name="stdout"):
    return new_output("stream", name=name, text=text)


def _tqdm_state(box, desc, n, total, right, hidden=False):
    """The widget state a tqdm.notebook bar leaves: an HBox of (HTML, FloatProgress, HTML) and the box's layout."""
    def model(name, **state):
        return {"model_name": name, "model_module": "@jupyter-widgets/controls", "state": state}

    return {
        box: model("HBoxModel", children=[f"IPY_MODEL_{box}-{k}" for k in "lpr"], layout=f"IPY_MODEL_{box}-lay"),
        f"{box}-l": model("HTMLModel", value=desc.replace(" ", "\u2007")),
        f"{box}-p": model("FloatProgressModel", value=n, max=total),
        f"{box}-r": model("HTMLModel", value=right.replace(" ", "\u2007").replace("<", "&lt;")),
        f"{box}-lay": {"model_name": "LayoutModel", "state": {"visibility": "hidden" if hidden else None}},
    }


def _view(model_id, plain):
    return new_output("display_data", data={rec.WIDGET_VIEW: {"model_id": model_id, "version_major": 2},
                                            "text/plain": plain})


def _executed(outputs_per_cell, state=None):
    nb = new_notebook(cells=[new_markdown_cell("# Title")])
    for n, outputs in enumerate(outputs_per_cell, 1):
        cell = new_code_cell(f"x = {n}", execution_count=10 * n, outputs=outputs)
        cell.metadata["execution"] = {"iopub.execute_input": "2026-12-02T02:00:00Z"}
        nb.cells.append(cell)
    if state is not None:
        nb.metadata["widgets"] = {rec.WIDGET_STATE: {"state": state, "version_major": 2, "version_minor": 0}}
    return nbformat.from_dict(nb)


def test_machine_paths_become_placeholders(monkeypatch, tmp_path):
    cache = tmp_path / "cache"
    monkeypatch.setenv("EMBEDDINGS_CACHE_DIR", str(cache))
    monkeypatch.setenv("EMBEDDINGS_IMAGE_MIRROR", str(tmp_path / "mirror"))
    home, tmp = str(Path.home()), tempfile.gettempdir()
    text = (f"index: {cache}/collections/sample\nphoto: {tmp_path}/mirror/cats/a.jpg\n"
            f"note: {ROOT}/data/notes/trip.md\nroot: {ROOT}\n"
            f"scratch: {tmp}/tmpab_c1234/out.csv {tmp}/beyond-fur6ung2/A\n"
            f"kept: {tmp}/collection {tmp}/my-folder\n"
            f"weights: {home}/.cache/torch\nother: /home/alice/x and C:\\Users\\bob\\x\n")
    axes = new_output("execute_result", data={"text/plain": f"<Axes at 0x7f3a2b1c9d90> {ROOT}"}, execution_count=20)
    nb = _executed([[_stream(text)], [axes]])
    assert rec.machine_paths(nb, ROOT)  # the raw outputs do name this machine
    rec.clean(nb, INFO)
    out = nb.cells[1].outputs[0].text
    assert "index: $EMBEDDINGS_CACHE_DIR/collections/sample\n" in out
    assert "photo: $EMBEDDINGS_IMAGE_MIRROR/cats/a.jpg\n" in out
    assert "note: data/notes/trip.md\n" in out and "root: .\n" in out
    assert "scratch: $TMPDIR/tmpXXXXXXXX/out.csv $TMPDIR/beyond-XXXXXXXX/A\n" in out
    assert "kept: $TMPDIR/collection $TMPDIR/my-folder\n" in out
    assert "weights: ~/.cache/torch\n" in out and "other: ~/x and ~\\x" in out
    assert nb.cells[2].outputs[0].data["text/plain"] == "<Axes at 0x...> ."
    assert rec.machine_paths(nb, ROOT) == []


def test_a_path_that_only_starts_like_the_repo_is_left_alone():
    root = Path("/srv/checkouts/embeddings")  # a repository outside the home and temp folders
    nb = _executed([[_stream(f"{root}2/x {root}.bak /srv{root}/y {root}/data/z\n")]])
    rec.clean(nb, INFO, root=root)
    assert nb.cells[1].outputs[0].text == f"{root}2/x {root}.bak /srv{root}/y data/z\n"


def test_progress_bars_keep_their_final_state_without_timings():
    bar = ("photos:   0%|          | 0/38 [00:00<?, ?file/s]\rphotos:  50%|█████     | 19/38 [00:01<00:01, 18.2file/s]"
           "\rphotos: 100%|██████████| 38/38 [00:02<00:00, 17.9file/s]\n")
    state = {**_tqdm_state("box", "embedding photos: 100%", 12, 12, "12/12 [00:03<00:00, 3.51photo/s]"),
             **_tqdm_state("h_box", "gone: 100%", 3, 3, "3/3 [00:00<00:00]", hidden=True)}
    sliders = "VBox(children=(FloatSlider(value=0.5, description='text'),))"
    nb = _executed([[_stream("loading\n", "stderr"), _stream(bar, "stderr"), _stream("done\n")],
                    [_view("box", "embedding photos:   0%|          | 0/12 [00:00<?, ?photo/s]"),
                     _view("h_box", "gone:   0%|          | 0/3"), _view("w", sliders)]], state)
    rec.clean(nb, INFO)
    first, second = nb.cells[1].outputs, nb.cells[2].outputs
    assert [o.text for o in first] == ["loading\nphotos: 100%|██████████| 38/38\n", "done\n"]
    assert [o.data for o in second] == [{"text/plain": "embedding photos: 100%|██████████| 12/12"}]
    assert "widgets" not in nb.metadata


def test_cells_get_sequential_counts_their_source_hash_and_the_notebook_its_preset():
    nb = _executed([[], [new_output("execute_result", data={"text/plain": "2"}, execution_count=20)], []])
    rec.clean(nb, INFO)
    code = nb.cells[1:]
    assert [c.execution_count for c in code] == [1, 2, 3] and code[1].outputs[0].execution_count == 2
    assert all(c.metadata == {rec.SOURCE_HASH_KEY: rec.source_sha256(c.source)} for c in code)
    assert nb.metadata[rec.RECORD_KEY] == INFO
    assert rec.stale_cells(nb) == []
    code[2].source = "x = 'changed'"
    assert rec.stale_cells(nb) == [3]


def test_outputs_survive_a_no_op_sync_and_a_changed_shared_cell_is_then_stale(monkeypatch, tmp_path):
    name = sync_notebooks.NOTEBOOKS[0][0]
    shutil.copy(ROOT / "notebooks" / name, tmp_path / name)
    monkeypatch.setattr(sync_notebooks, "NOTEBOOK_DIR", tmp_path)
    nb = nbformat.read(tmp_path / name, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [_stream(f"output of {cell.source[:20]!r}\n")]
    rec.clean(nb, INFO)
    nbformat.write(nb, tmp_path / name)
    before = (tmp_path / name).read_bytes()
    assert sync_notebooks.sync_notebook(0, check=False) == [] and (tmp_path / name).read_bytes() == before

    setup = next(c for c in nb.cells if "shared-setup" in c.metadata.get("tags", []))
    setup.source += "\n# edited by hand"
    nbformat.write(nb, tmp_path / name)
    assert sync_notebooks.sync_notebook(0, check=False)
    synced = nbformat.read(tmp_path / name, as_version=4)
    i = next(i for i, c in enumerate(synced.cells) if "shared-setup" in c.metadata.get("tags", []))
    assert rec.stale_cells(synced) == [i] and synced.cells[i].outputs == []
    assert sum(bool(c.get("outputs")) for c in synced.cells) == sum(bool(c.get("outputs")) for c in nb.cells) - 1


@pytest.mark.skipif(not (ROOT / "notebooks").is_dir(), reason="no notebooks")
def test_readme_table_links_each_notebook_for_reading_and_running():
    table = sync_notebooks.readme_table()
    slug = sync_notebooks.repo_url().removeprefix("https://github.com/")
    for f, _, _ in sync_notebooks.NOTEBOOKS:
        row = next(line for line in table.splitlines() if f"notebooks/{f})" in line)
        assert f"https://nbviewer.org/github/{slug}/blob/main/notebooks/{f}" in row
        assert sync_notebooks.colab_url(f) in row



def test_setup_takes_the_figure_resolution_from_the_environment(monkeypatch):
    import matplotlib.pyplot as plt

    from helpers.notebook import DPI_ENV, setup

    monkeypatch.setenv(DPI_ENV, str(rec.FIGURE_DPI))
    setup()
    assert plt.rcParams["figure.dpi"] == rec.FIGURE_DPI
    monkeypatch.setenv(DPI_ENV, "high")
    with pytest.raises(ValueError, match=f"{DPI_ENV}='high'"):
        setup()
    monkeypatch.delenv(DPI_ENV)
    setup()
    assert plt.rcParams["figure.dpi"] == 90


@pytest.mark.slow
def test_record_executes_with_inline_figures_writes_in_place_and_leaves_a_failing_notebook_alone(monkeypatch, tmp_path):
    from nbclient.exceptions import CellExecutionError

    monkeypatch.setenv("MPLBACKEND", "Agg")  # as the tests set it: the recording must still show figures
    nb = new_notebook(cells=[
        new_code_cell("import os\n"
                      "print(os.environ['EMBEDDINGS_MODELS'], os.environ['EMBEDDINGS_STRICT_CHECKS'], os.getcwd())"),
        new_code_cell("import matplotlib.pyplot as plt\nplt.plot([0, 1])\nplt.show()"),
    ])
    path = tmp_path / "tiny.ipynb"
    nbformat.write(nb, path)
    _, left = rec.record(path, None, timeout=120)
    done = nbformat.read(path, as_version=4)
    assert left == [] and rec.stale_cells(done) == [] and done.metadata[rec.RECORD_KEY]["preset"] == "offline"
    assert done.cells[0].outputs[0].text.startswith("offline 1 ")
    assert done.cells[0].outputs[0].text.split()[2].startswith("$TMPDIR/")  # the notebook's folder, scrubbed
    assert "image/png" in done.cells[1].outputs[0].data

    broken = tmp_path / "broken.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("print('before')"), new_code_cell("raise ValueError('boom')")]),
                   broken)
    before = broken.read_bytes()
    with pytest.raises(CellExecutionError, match="boom"):
        rec.record(broken, None, timeout=120)
    assert broken.read_bytes() == before
