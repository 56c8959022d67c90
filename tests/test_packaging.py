"""The package installs as users install it: a wheel with every module and data file, imported from outside the repo.

``pip install .`` (or ``pip install git+...``) builds a wheel and installs that: no repository beside it.
The wheel is built from a copy of the sources (so no build folder is left in the checkout), installed
into a fresh virtual environment (its dependencies, torch among them, are borrowed from this one through
a ``.pth`` file rather than downloaded again), and used from a folder outside the repository.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("helpers", "mycollection")
SOURCES = ("pyproject.toml", "README.md", "requirements.txt", "helpers", "mycollection", "data")
# What the code reads at run time (helpers.data, helpers.catalog, mycollection.sample).
DATA_FILES = ("images.csv", "catalog.csv", "store.csv", "texts/corpus.csv", "notes/journal.csv")


def _modules() -> set[str]:
    return {p.relative_to(ROOT).as_posix() for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")
            if "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("src")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "cache")  # data/cache holds downloads, not sources
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=ignore)
        else:
            shutil.copy2(path, src / name)
    out = tmp_path_factory.mktemp("wheel")
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                          "-w", str(out), str(src)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    (whl,) = out.glob("*.whl")
    return whl


def test_the_wheel_holds_every_module_and_the_data_the_code_reads(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = sorted(_modules() - names)
    assert not missing, f"modules missing from the wheel (add their package to pyproject.toml): {missing}"
    data = [f"helpers/datafiles/{f}" for f in DATA_FILES]
    assert not [f for f in data if f not in names], f"data files missing from the wheel: {sorted(set(data) - names)}"
    assert not [n for n in names if "/cache/" in n], "the download cache must not be packaged"
    metadata = next(zipfile.ZipFile(wheel).read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
    assert "Requires-Dist: numpy" in metadata, "the dependencies of requirements.txt belong in the wheel's metadata"


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> tuple[Path, Path]:
    """A fresh venv holding only the wheel's packages, plus a .pth that borrows this venv's dependencies."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = Path(subprocess.check_output([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                        text=True).strip())
    run = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site),
                          str(wheel)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    # Dependencies only: a path listed in a .pth is not a site folder, so this venv's editable install
    # (its own .pth and finder) stays inactive in the fresh one.
    (site / "borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return python, site


def _run(python: Path, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "EMBEDDINGS_CACHE_DIR")}
    return subprocess.run([str(python), *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=600)


def test_a_non_editable_install_imports_and_runs_from_outside_the_repository(installed, tmp_path):
    python, site = installed
    code = (
        "import helpers, mycollection, helpers.models, helpers.plots, helpers.catalog as C\n"
        "from helpers import data\n"
        "from mycollection import sample\n"
        "print(helpers.__file__); print(mycollection.__file__); print(data.DATA_DIR); print(data.cache_base())\n"
        "print(len(data.registry()), len(C.load_catalog('food')), len(C.load_catalog('store')), "
        "len(data.load_corpus()), len(list(sample.NOTES_DIR.iterdir())))\n"
    )
    run = _run(python, ["-c", code], tmp_path)
    assert run.returncode == 0, run.stderr
    helpers_file, app_file, data_dir, cache, counts = run.stdout.strip().splitlines()
    for path in (helpers_file, app_file, data_dir):
        assert Path(path).is_relative_to(site), f"{path} is not the installed copy in {site}"
        assert not Path(path).is_relative_to(ROOT), f"{path} comes from the repository"
    assert not Path(cache).is_relative_to(site), "the download cache must not go into site-packages"
    assert all(int(n) > 0 for n in counts.split()), f"registry, catalogs, corpus, notes: {counts}"


def test_the_installed_command_line_answers_help(installed, tmp_path):
    python, _ = installed
    run = _run(python, ["-m", "mycollection", "--help"], tmp_path)
    assert run.returncode == 0, run.stderr
    assert all(cmd in run.stdout for cmd in ("index", "search", "export")), run.stdout


BINARY_SUFFIXES = (".whl", ".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".egg", ".so", ".dll", ".exe")


def test_no_wheel_archive_or_binary_is_tracked():
    """Tools come from requirements files, photos from their pinned URLs: the repository holds text."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    binaries = [f for f in tracked.splitlines() if f.lower().endswith(BINARY_SUFFIXES)]
    assert not binaries, f"tracked binaries or archives: {binaries}"
