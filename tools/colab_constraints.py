"""Write constraints/colab.txt: Colab's versions of our dependencies, from Colab's published `pip-freeze.txt`.

Colab publishes the packages of its runtime in the repository googlecolab/backend-info (`pip-freeze.txt`,
`os-info.txt`); it moves every few months. This script keeps, from that list, the packages we use: the
requirements in requirements.txt and requirements-scale.txt, the Jupyter stack the notebooks run in
(ipykernel, IPython, ipywidgets, ...), the test runner, and everything those depend on (read from the
metadata of the environment running this script, so run it with the project's `.venv`). CI builds its
Colab-like virtual environment from the result (`make test-colab`).

    .venv/bin/python tools/colab_constraints.py PATH/TO/backend-info          # a clone: reads HEAD's files
    .venv/bin/python tools/colab_constraints.py pip-freeze.txt --source "backend-info, 2026-08-19"
    .venv/bin/python tools/colab_constraints.py ... --check                     # exit 1 if the file differs
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "constraints" / "colab.txt"
REQUIREMENTS = ("requirements.txt", "requirements-scale.txt")
#: What the notebooks run in and what runs them, beside our requirements: Colab's versions of these matter too.
JUPYTER_STACK = ("ipykernel", "ipython", "ipywidgets", "widgetsnbextension", "jupyterlab-widgets", "traitlets",
                 "jupyter-client", "jupyter-core", "comm", "pyzmq", "tornado", "matplotlib-inline",
                 "ipython-genutils", "nbformat", "nbclient", "nbconvert", "pytest", "packaging", "pip")
#: Colab's builds of these come from download.pytorch.org and do not install here (see README, "Tests").
TORCH_FAMILY = ("torch", "torchvision")
#: This machine's torch is a CUDA build: its CUDA libraries and triton are no dependency of Colab's CPU torch.
CUDA_BUILD = re.compile(r"^(nvidia-|cuda-|triton$)")
#: The comment line that lists Colab's pins pip cannot install for CI's Python (e.g. a release for 3.12+ only).
UNAVAILABLE_PREFIX = "# Not installable for Python "


def python_tag() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def unavailable_pins(pins: list[str], python: str = sys.executable) -> list[str]:
    """Those of ``pins`` (``name==version``) that pip cannot install for ``python`` (asks pip, dry run, no deps)."""
    pins, dropped = list(pins), []
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "pins.txt"
        while True:
            listing.write_text("\n".join(pins) + "\n", encoding="utf-8")
            proc = subprocess.run([python, "-m", "pip", "install", "-q", "--dry-run", "--no-deps", "--ignore-installed",
                                   "-r", str(listing)], check=False, capture_output=True, text=True)
            if proc.returncode == 0:
                return dropped
            bad = re.findall(r"No matching distribution found for (\S+)", proc.stderr)
            if not bad or bad[0] not in pins:
                raise RuntimeError(f"pip cannot check Colab's versions here:\n{proc.stderr[-2000:]}")
            pins.remove(bad[0])
            dropped.append(bad[0])


def read_unavailable(text: str, python: str | None = None) -> list[str] | None:
    """The pins the constraints file says do not install for ``python`` (None: not recorded for that Python)."""
    python = python or python_tag()
    for line in text.splitlines():
        if line.startswith(UNAVAILABLE_PREFIX + python + ":"):
            return [p for p in line.split(":", 1)[1].replace(",", " ").split() if "==" in p]
    return None


def parse_freeze(text: str) -> dict[str, tuple[str, str]]:
    """``{canonical name: (name as written, version)}`` from ``pip freeze`` lines.

    ``name==version`` lines as they are; ``name @ https://.../name-1.2+cpu-...whl`` get the wheel's version;
    other direct references (git, local files) and comments are left out: no version to pin.
    """
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "-")):
            continue
        if "==" in line:
            name, version = (s.strip() for s in line.split("==", 1))
        elif " @ " in line and line.split("#", 1)[0].endswith(".whl"):
            name, url = (s.strip() for s in line.split(" @ ", 1))
            version = unquote(url.split("#", 1)[0].rsplit("/", 1)[-1]).split("-")[1]
        else:
            continue
        try:
            Version(version)
        except InvalidVersion:
            continue
        out[canonicalize_name(name)] = (name, version)
    return out


def requirement_roots(root: Path = ROOT) -> list[Requirement]:
    """The requirements of requirements.txt and requirements-scale.txt, plus the Jupyter stack."""
    reqs = []
    for fname in REQUIREMENTS:
        for line in (root / fname).read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line and not line.startswith("-"):
                reqs.append(Requirement(line))
    return reqs + [Requirement(n) for n in JUPYTER_STACK]


def closure(roots: list[Requirement]) -> set[str]:
    """Canonical names of the roots and of everything they depend on, as installed in this environment."""
    seen: set[str] = set()
    todo = [(r, frozenset(r.extras)) for r in roots]
    while todo:
        req, extras = todo.pop()
        name = canonicalize_name(req.name)
        if CUDA_BUILD.match(name):
            continue
        key = name + "[" + ",".join(sorted(extras)) + "]"
        if key in seen:
            continue
        seen.add(key)
        seen.add(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # not installed here: its own dependencies stay unknown (add them to JUPYTER_STACK)
        for line in dist.requires or []:
            try:
                dep = Requirement(line)
            except InvalidRequirement:
                continue
            if dep.marker is None or any(dep.marker.evaluate({**default_environment(), "extra": e})
                                         for e in (extras or {""})):
                todo.append((dep, frozenset(dep.extras)))
    return {n for n in seen if "[" not in n}


def git_source(repo: Path) -> tuple[str, str]:
    """``(pip-freeze.txt text, header line)`` from HEAD of a clone of googlecolab/backend-info."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout

    freeze = git("show", "HEAD:pip-freeze.txt")
    commit, date, subject = git("log", "-1", "--date=short", "--format=%H%n%ad%n%s").splitlines()[:3]
    python = re.search(r"^Python (\S+)", git("show", "HEAD:os-info.txt"), re.MULTILINE)
    source = (f"googlecolab/backend-info pip-freeze.txt (CPU runtime), commit {commit[:12]} of {date} "
              f"({subject!r})" + (f"; Colab's Python is {python.group(1)}" if python else ""))
    return freeze, source


def render(freeze: dict[str, tuple[str, str]], names: set[str], source: str, unavailable: list[str]) -> str:
    kept = sorted(n for n in names if n in freeze)
    lines = [
        "# Colab's versions of the packages we use (our requirements, their dependencies, the Jupyter stack).",
        f"# Source: {source}.",
        "# Generated by tools/colab_constraints.py (refresh it from a newer pip-freeze.txt; do not edit by hand).",
        "# Used by `make test-colab` (the Colab-like venv) and tests/test_colab_versions.py. Colab's torch and",
        "# torchvision are CPU builds from download.pytorch.org that do not install here: the Colab-like venv",
        "# keeps this machine's torch instead (the lines stay, as Colab's truth).",
        (f"{UNAVAILABLE_PREFIX}{python_tag()}: {', '.join(unavailable) or 'none'} (the Colab-like venv takes pip's "
        "newest for its Python instead)."),
    ]
    lines += [f"{freeze[n][0]}=={freeze[n][1]}" for n in kept]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", type=Path, help="a clone of googlecolab/backend-info, or a pip-freeze.txt file")
    ap.add_argument("--source", dest="label", help="where a pip-freeze.txt file comes from (for the header)")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--check", action="store_true", help="exit 1 if --out differs from what would be written")
    args = ap.parse_args()
    if args.source.is_dir():
        text, label = git_source(args.source)
    else:
        text = args.source.read_text(encoding="utf-8")
        label = args.label or str(args.source)
    freeze = parse_freeze(text)
    names = closure(requirement_roots())
    pins = [f"{freeze[n][0]}=={freeze[n][1]}" for n in sorted(names & set(freeze)) if n not in TORCH_FAMILY]
    print(f"asking pip which of {len(pins)} pins install for Python {python_tag()} (a few minutes) ...", flush=True)
    new = render(freeze, names, label, unavailable_pins(pins))
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == new
        print(f"{args.out}: {'up to date' if same else 'OUT OF DATE'}")
        return 0 if same else 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(new, encoding="utf-8")
    print(f"wrote {args.out}: {sum(not ln.startswith('#') for ln in new.splitlines())} packages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
