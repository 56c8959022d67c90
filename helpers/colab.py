"""Install what a requirements file asks for and this Python lacks, and nothing else (the notebooks' Colab cells).

Colab ships hundreds of packages (torch, transformers, ipywidgets 7, ...) and its front end relies on
them: replacing one under the running kernel can break it (ipywidgets 8 stops rendering in Colab). So
:func:`install_missing` installs only the requirements whose distribution is not installed at all,
with every installed distribution pinned at its version (a pip constraints file written at run time):
pip either installs the missing packages, and their missing dependencies, around what is there, or
stops with its conflict; it never upgrades or downgrades a package that is already installed.
It prints what it installed, their size on disk and how long it took.

    from helpers.colab import install_missing
    install_missing("requirements.txt")          # the repository's file, whatever the working directory

From a shell (``.ci/run`` builds its Colab-like environment this way):
``python tools/colab_install.py install requirements.txt [more files or requirements] [--dry-run --report out.json]``.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

__all__ = [
    "InstallResult",
    "Installed",
    "in_colab",
    "install_missing",
    "installed_versions",
    "missing",
    "pip_command",
    "read_requirements",
]


@dataclass(frozen=True)
class Installed:
    """One distribution pip installed: name, version, size on disk in bytes (0 in a dry run)."""

    name: str
    version: str
    size: int = 0


@dataclass
class InstallResult:
    """What :func:`install_missing` did: the requirements found missing, what pip installed, the seconds taken."""

    missing: list[str]
    installed: list[Installed] = field(default_factory=list)
    seconds: float = 0.0
    dry_run: bool = False
    #: ``{name: (before, after)}`` for any installed package pip changed (or would change): empty, or a bug
    changed: dict[str, tuple[str, str]] = field(default_factory=dict)

    def summary(self) -> str:
        if not self.missing:
            return "Nothing to install: every requirement is already here (no installed package was changed)."
        verb = "Would install" if self.dry_run else "Installed"
        mb = sum(p.size for p in self.installed) / 1e6
        parts = [f"{p.name} {p.version}" + (f" ({p.size / 1e6:.0f} MB)" if p.size else "") for p in self.installed]
        size = "" if self.dry_run else f", {mb:.0f} MB on disk"
        kept = ("No installed package was upgraded or downgraded." if not self.changed else
                "CHANGED: " + ", ".join(f"{n} {a} -> {b}" for n, (a, b) in self.changed.items()) + ".")
        return f"{verb} {len(self.installed)} package(s) this Python lacked in {self.seconds:.0f} s{size}: " \
               f"{', '.join(parts)}. {kept}"


def in_colab() -> bool:
    """True inside Google Colab (its ``google.colab`` module is loaded in every Colab kernel)."""
    return "google.colab" in sys.modules


def installed_versions() -> dict[str, str]:
    """``{canonical name: version}`` of every distribution this Python can import (valid versions only)."""
    out = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        try:
            Version(dist.version)
        except (InvalidVersion, TypeError):
            continue
        if name:
            out.setdefault(canonicalize_name(name), dist.version)  # first on sys.path wins, as for imports
    return out


ROOT = Path(__file__).resolve().parents[1]


def read_requirements(items: Iterable[str | Path]) -> list[Requirement]:
    """Requirements from files (``*.txt``, comments and ``-r``/``-c`` lines skipped) or requirement strings.

    A relative file name is first looked up in the repository (``requirements.txt`` is this project's,
    whatever the working directory), then in the working directory.
    """
    reqs = []
    for item in items:
        path = Path(item)
        if not path.is_absolute() and (ROOT / path).is_file():
            path = ROOT / path
        if path.suffix == ".txt" or path.is_file():
            if not path.is_file():
                raise FileNotFoundError(f"requirements file {path} not found (run from the folder above it)")
            lines = path.read_text(encoding="utf-8").splitlines()
        else:
            lines = [str(item)]
        for line in lines:
            line = line.split(" #", 1)[0].strip()
            if not line or line.startswith(("#", "-")):
                continue
            try:
                reqs.append(Requirement(line))
            except InvalidRequirement as exc:
                raise ValueError(f"{item}: cannot read requirement {line!r}: {exc}") from None
    return reqs


def _extra_deps(name: str, extras: Iterable[str]) -> list[Requirement]:
    try:
        requires = metadata.distribution(name).requires or []
    except metadata.PackageNotFoundError:
        return []
    deps = []
    for line in requires:
        dep = Requirement(line)
        if dep.marker is not None and any(dep.marker.evaluate({"extra": e}) for e in extras):
            deps.append(dep)
    return deps


def missing(requirements: Sequence[Requirement], installed: Mapping[str, str]) -> list[Requirement]:
    """The requirements whose distribution is not in ``installed`` (an extra's dependencies count too).

    A requirement that is installed at a version outside its range is NOT missing: its version stays
    (this is what keeps Colab's packages as Colab ships them).
    """
    out = []
    for req in requirements:
        if req.marker is not None and not req.marker.evaluate():
            continue
        name = canonicalize_name(req.name)
        extras_missing = req.extras and any(canonicalize_name(d.name) not in installed
                                            for d in _extra_deps(name, req.extras))
        if name not in installed or extras_missing:
            out.append(req)
    return out


def pip_command(requirements: Sequence[Requirement], constraints: Path, *, dry_run: bool = False,
                report: Path | None = None) -> list[str]:
    """The pip command that installs ``requirements`` with every package pinned by ``constraints``."""
    cmd = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-c", str(constraints)]
    if dry_run:
        cmd.append("--dry-run")
    if report is not None:
        cmd += ["--report", str(report)]
    return cmd + [str(r) for r in requirements]


def write_constraints(versions: Mapping[str, str], path: Path) -> Path:
    """A pip constraints file pinning each ``{name: version}``."""
    path.write_text("".join(f"{n}=={v}\n" for n, v in sorted(versions.items())), encoding="utf-8")
    return path


def _size(name: str) -> int:
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return 0
    total = 0
    for f in dist.files or []:
        try:
            total += Path(dist.locate_file(f)).stat().st_size
        except OSError:
            pass
    return total


def install_missing(*requirements: str | Path, install: bool | None = None, dry_run: bool = False,
                    report: str | Path | None = None, constraints: Mapping[str, str] | None = None) -> InstallResult:
    """Install the requirements (files or strings) this Python lacks, pinning every installed package.

    ``install``: None (default) installs only in Colab; elsewhere it prints what is missing and how to
    install it (``make setup``). ``dry_run`` asks pip what it would install (``--dry-run``) and changes
    nothing. ``report`` keeps pip's JSON installation report. ``constraints`` (``{name: version}``)
    replaces the installed versions as the pins and as what counts as installed (tests use Colab's list).
    Prints one summary line: what was installed, its size and the time taken.
    """
    have = {canonicalize_name(n): v for n, v in (installed_versions() if constraints is None else constraints).items()}
    todo = missing(read_requirements(requirements), have)
    result = InstallResult([str(r) for r in todo], dry_run=dry_run)
    if not todo:
        print(result.summary())
        return result
    if install is None:
        install = in_colab()
    if not install and not dry_run:
        files = " ".join(f"-r {r}" if str(r).endswith(".txt") else repr(str(r)) for r in requirements)
        print(f"Missing: {', '.join(result.missing)}. Run `make setup`, or `pip install {files}`.")
        return result
    print(f"{'Resolving (dry run)' if dry_run else 'Installing'} what this Python lacks: {', '.join(result.missing)}"
          " ...", flush=True)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        pins = write_constraints(have, Path(tmp) / "installed.txt")
        out = Path(report) if report is not None else Path(tmp) / "report.json"
        proc = subprocess.run(pip_command(todo, pins, dry_run=dry_run, report=out), check=False, capture_output=True,
                              text=True)
        if proc.returncode != 0:  # e.g. a missing package needs a newer version of an installed one
            raise RuntimeError(f"pip could not install {', '.join(result.missing)} without changing an installed "
                               f"package (every installed version is pinned):\n{proc.stderr.strip()[-3000:]}")
        items = json.loads(out.read_text(encoding="utf-8")).get("install", [])
    result.seconds = time.perf_counter() - t0
    for item in items:
        name, version = item["metadata"]["name"], item["metadata"]["version"]
        result.installed.append(Installed(name, version, 0 if dry_run else _size(name)))
    after = ({canonicalize_name(p.name): p.version for p in result.installed} if dry_run or constraints is not None
             else installed_versions())
    result.changed = {n: (v, after[n]) for n, v in have.items() if n in after and after[n] != v}
    print(result.summary())
    return result
