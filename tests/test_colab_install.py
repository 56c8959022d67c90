"""helpers.colab: what the notebooks' Colab cells install (only what is missing) and what they print."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from helpers import colab
from helpers.colab import Installed, InstallResult, install_missing, installed_versions, missing, read_requirements

ROOT = Path(__file__).resolve().parents[1]


def names(reqs):
    return [r.name for r in reqs]


def test_a_package_installed_at_any_version_is_not_missing():
    """Colab's ipywidgets 7.7.1 stays even for a requirement that asks for 8: only absent packages are missing."""
    reqs = [Requirement("ipywidgets>=8.1"), Requirement("faiss-cpu>=1.8"), Requirement("Pillow_HEIF")]
    assert names(missing(reqs, {"ipywidgets": "7.7.1", "numpy": "2.1.3"})) == ["faiss-cpu", "Pillow_HEIF"]
    assert names(missing(reqs, {"ipywidgets": "7.7.1", "faiss-cpu": "1.8.0", "pillow-heif": "1.0"})) == []


def test_markers_that_do_not_apply_are_skipped():
    reqs = [Requirement('tomli>=2; python_version < "3.0"'), Requirement("zzz-absent-package")]
    assert names(missing(reqs, {})) == ["zzz-absent-package"]


def test_an_extra_counts_as_missing_when_one_of_its_dependencies_is():
    """ray[data] with ray installed but not pyarrow (a dependency of its `data` extra) is still missing."""
    pytest.importorskip("ray")
    have = installed_versions()
    assert names(missing([Requirement("ray[data]")], have)) == []
    assert names(missing([Requirement("ray[data]")], {n: v for n, v in have.items() if n != "pyarrow"})) == ["ray"]
    assert names(missing([Requirement("ray")], {n: v for n, v in have.items() if n != "pyarrow"})) == []


def test_requirements_are_read_from_the_repository_whatever_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # Colab runs from /content, above the clone
    reqs = read_requirements(["requirements.txt", "requirements-scale.txt", "nbval>=0.11"])
    expected = [ln.split("#")[0].strip() for f in ("requirements.txt", "requirements-scale.txt")
                for ln in (ROOT / f).read_text().splitlines() if ln.split("#")[0].strip()]
    assert [str(r) for r in reqs[:-1]] == [str(Requirement(e)) for e in expected]
    assert str(reqs[-1]) == "nbval>=0.11"


def test_bad_requirements_files_and_lines_say_what_is_wrong(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.txt not found"):
        read_requirements([tmp_path / "nope.txt"])
    bad = tmp_path / "bad.txt"
    bad.write_text("numpy>=1\nthis is not a requirement\n")
    with pytest.raises(ValueError, match=r"bad.txt: cannot read requirement 'this is not a requirement'"):
        read_requirements([bad])


def test_outside_colab_it_lists_what_is_missing_and_installs_nothing(capsys, monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    called = []
    monkeypatch.setattr(colab.subprocess, "run", lambda *a, **k: called.append(a))
    result = install_missing("requirements.txt", "zzz-absent-package>=1")
    out = capsys.readouterr().out
    assert result.missing == ["zzz-absent-package>=1"] and not called
    assert "Missing: zzz-absent-package>=1. Run `make setup`, or `pip install -r requirements.txt" in out


def test_nothing_missing_says_so_and_runs_no_pip(capsys, monkeypatch):
    called = []
    monkeypatch.setattr(colab.subprocess, "run", lambda *a, **k: called.append(a))
    result = install_missing("requirements.txt", install=True)  # this venv has every requirement
    assert result.missing == [] and not called
    assert capsys.readouterr().out.startswith("Nothing to install")


def test_the_pip_command_pins_every_installed_package(tmp_path):
    pins = colab.write_constraints({"numpy": "2.1.3", "ipywidgets": "7.7.1"}, tmp_path / "c.txt")
    assert pins.read_text() == "ipywidgets==7.7.1\nnumpy==2.1.3\n"
    cmd = colab.pip_command([Requirement("faiss-cpu>=1.8")], pins, dry_run=True, report=tmp_path / "r.json")
    assert cmd[:4] == [sys.executable, "-m", "pip", "install"]
    assert cmd[cmd.index("-c") + 1] == str(pins) and "--dry-run" in cmd and cmd[-1] == "faiss-cpu>=1.8"


def test_summary_names_packages_sizes_time_and_changes():
    r = InstallResult(["faiss-cpu>=1.8"], [Installed("faiss-cpu", "1.12.0", 32_000_000),
                                           Installed("pillow-heif", "1.1.0", 8_000_000)], seconds=21.4)
    assert r.summary() == ("Installed 2 package(s) this Python lacked in 21 s, 40 MB on disk: faiss-cpu 1.12.0 "
                           "(32 MB), pillow-heif 1.1.0 (8 MB). No installed package was upgraded or downgraded.")
    r.changed = {"numpy": ("2.1.3", "2.3.0")}
    assert r.summary().endswith("CHANGED: numpy 2.1.3 -> 2.3.0.")


@pytest.mark.slow
def test_a_real_dry_run_pins_installed_versions(capsys):
    """pip (dry run) asked for a package this venv lacks, whose dependency is installed: the dependency stays."""
    have = installed_versions()
    if "tqdm" not in have:
        pytest.skip("needs tqdm installed")
    try:
        result = install_missing("tqdm-joblib", install=True, dry_run=True)  # depends on tqdm
    except RuntimeError as exc:  # no index reachable: say so rather than pass
        pytest.skip(f"pip could not reach an index: {str(exc)[:200]}")
    assert result.missing == ["tqdm-joblib"] and result.changed == {}
    assert [p.name.replace("_", "-") for p in result.installed] == ["tqdm-joblib"], result.installed
    assert "Would install 1 package(s)" in capsys.readouterr().out
