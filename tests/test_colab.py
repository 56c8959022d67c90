"""Every notebook runs as in Colab: the Colab branch of its setup cell taken, from the folder above the clone.

Colab's working directory is ``/content`` and the first cell clones the repository into
``/content/embeddings-hands-on``. Here a temporary folder plays ``/content``, the repository is
linked into it under that name (so the clone step is skipped, as on a second run in Colab), and a
fake ``google.colab`` module makes the notebook take its Colab branch. A notebook that reads
``../data`` or writes next to itself fails here. Each cell's checked lines must be the committed ones (the
re-execution rule of tests/nbval_checked.py), so Colab's versions give the book's numbers.

It runs in ``make test-colab``, inside ``.venv-colab`` (Colab's versions, built by the Colab cell itself), and is
skipped in ``make test``: CI runs both, and the notebooks run once per environment.
"""
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbval_checked import checked_lines, differences, sanitize

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
FAKE_COLAB = "import sys, types\nsys.modules['google.colab'] = types.ModuleType('google.colab')"


@pytest.fixture(scope="module")
def content(tmp_path_factory):
    folder = tmp_path_factory.mktemp("content")
    (folder / "embeddings-hands-on").symlink_to(ROOT, target_is_directory=True)
    return folder


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("EMBEDDINGS_COLAB_VENV") != "1",
                    reason="the Colab layout runs in `make test-colab`, with Colab's versions")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_in_colab_layout(path, content, monkeypatch):
    monkeypatch.setenv("EMBEDDINGS_CACHE_DIR", str(content / "cache"))
    nb = nbformat.read(path, as_version=4)
    committed = [c.outputs if c.cell_type == "code" else [] for c in nb.cells]
    nb.cells.insert(0, nbformat.v4.new_code_cell(FAKE_COLAB))
    nb.cells.append(nbformat.v4.new_code_cell("import os, sys\nprint(os.getcwd()); print(*sys.path, sep='\\n')"))
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(content)}})
    client.execute()
    cwd, *sys_path = nb.cells[-1].outputs[0]["text"].splitlines()
    assert os.path.join(str(content), "embeddings-hands-on") in sys_path, "the Colab branch was not taken"
    assert cwd == str(content)
    # this venv has every requirement: the Colab cell (helpers.colab.install_missing) says so and runs no pip
    colab_cell = next(c for c in nb.cells if "shared-colab" in c.metadata.get("tags", []))
    printed = "".join(o.get("text", "") for o in colab_cell.outputs)
    assert printed.startswith("Nothing to install"), printed
    report = []
    for i, (cell, outputs) in enumerate(zip(nb.cells[1:-1], committed)):
        diff = differences([sanitize(line) for line in checked_lines(cell.get("outputs", []))],
                           [sanitize(line) for line in checked_lines(outputs)])
        report += [f"cell {i}:", *diff] if diff else []
    assert not report, "checked lines differ from the committed ones in Colab's layout:\n" + "\n".join(report)
