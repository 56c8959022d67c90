"""Build a Colab-like virtual environment: Colab's versions of what we use, then the notebooks' Colab cell.

    python tools/colab_venv.py .venv-colab --torch-from .venv   (what `make test-colab` runs)

1. A fresh venv with this machine's Python (Colab runs 3.13; see README).
2. torch and torchvision: Colab's CPU builds (constraints/colab.txt) do not install here, so the venv
   uses the project venv's torch, torchvision and the CUDA/triton packages they need, linked (not
   copied) from ``--torch-from`` into a folder that a ``.pth`` file puts at the end of ``sys.path``.
3. Every other package of constraints/colab.txt at Colab's version: the Colab runtime, as far as we use it.
4. The Colab cell's install, dry-run first (pip's report in ``build/colab/dry-run.json``, checked by
   tests/test_colab_versions.py), then for real: ``python tools/colab_install.py install`` of requirements.txt
   and requirements-scale.txt (notebook 07's cell), then the test runner (nbval), all pinned.
Each step prints its time.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from packaging.requirements import Requirement  # noqa: E402 - after the sys.path line above
from packaging.utils import canonicalize_name  # noqa: E402

from tools.colab_constraints import CUDA_BUILD, OUT, TORCH_FAMILY, python_tag, read_unavailable, unavailable_pins  # noqa: E402

CONSTRAINTS = OUT

BUILD = ROOT / "build" / "colab"


def _step(label: str, cmd: list[str], **kw) -> None:
    t0 = time.perf_counter()
    print(f"--- {label}", flush=True)
    subprocess.run(cmd, check=True, **kw)
    print(f"    {time.perf_counter() - t0:.0f} s", flush=True)


def _site_packages(python: Path) -> Path:
    out = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         check=True, capture_output=True, text=True).stdout.strip()
    return Path(out)


def link_torch(source_python: Path, target: Path, colab_names: set[str]) -> dict[str, str]:
    """Link torch, torchvision and their dependencies that Colab does not list (CUDA, triton) from another venv.

    Returns ``{name: (version, requirements)}`` of the distributions linked; their files are symlinked into
    ``target``.
    """
    code = f"""
import json, re, sys
from importlib import metadata
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name as c
colab = set(json.loads(sys.argv[1]))
family = {list(TORCH_FAMILY)!r}
cuda = re.compile({CUDA_BUILD.pattern!r})
todo, seen, out = [(n, ()) for n in family], set(), {{}}
while todo:
    n, extras = todo.pop()
    n = c(n)
    if (n, extras) in seen:
        continue
    seen.add((n, extras))
    try:
        d = metadata.distribution(n)
    except metadata.PackageNotFoundError:
        continue
    if n in colab and n not in family and not cuda.match(n):
        continue
    tops = {{str(f).split('/')[0] for f in d.files or [] if not str(f).startswith('..')}}
    out[n] = (d.version, [str(d.locate_file(t)) for t in tops], d.requires or [])
    for r in d.requires or []:
        r = Requirement(r)
        if r.marker is None or any(r.marker.evaluate({{'extra': e}}) for e in extras + ('',)):
            todo.append((r.name, tuple(sorted(r.extras))))
print(json.dumps(out))
"""
    import json

    found = json.loads(subprocess.run([str(source_python), "-c", code, json.dumps(sorted(colab_names))], check=True,
                                      capture_output=True, text=True).stdout)
    target.mkdir(parents=True, exist_ok=True)
    for _, paths, _ in found.values():
        for p in map(Path, paths):
            link = target / p.name
            if p.exists() and not link.exists() and p.name != "__pycache__":
                link.symlink_to(p)
    return {n: (v, requires) for n, (v, _, requires) in sorted(found.items())}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("venv", type=Path)
    ap.add_argument("--torch-from", type=Path, default=ROOT / ".venv", help="the venv whose torch to use")
    args = ap.parse_args()
    t0 = time.perf_counter()
    venv, py = args.venv.resolve(), args.venv.resolve() / "bin" / "python"
    if venv.exists():
        shutil.rmtree(venv)
    _step(f"venv {venv} (Python {sys.version.split()[0]})", [sys.executable, "-m", "venv", str(venv)])
    site = _site_packages(py)
    pins = [ln for ln in CONSTRAINTS.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
    names = {ln.split("==")[0].lower().replace("_", "-").replace(".", "-") for ln in pins}
    linked = link_torch(args.torch_from.resolve() / "bin" / "python", venv / "torch-site", names)
    (site / "zz-torch-from-project-venv.pth").write_text(str(venv / "torch-site") + "\n", encoding="utf-8")
    print(f"--- linked from {args.torch_from}: {', '.join(f'{n} {v}' for n, (v, _) in linked.items())}")
    BUILD.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    t1 = time.perf_counter()
    candidates = [ln for ln in pins if ln.split("==")[0] not in TORCH_FAMILY]
    dropped = read_unavailable(CONSTRAINTS.read_text(encoding="utf-8"))
    if dropped is None:  # not recorded for this Python: ask pip (slow; tools/colab_constraints.py records it)
        dropped = unavailable_pins(candidates, str(py))
    unavailable, dropped = list(dropped), list(dropped)
    # this machine's torch may need a newer version of one of Colab's packages (torch 2.14.1: setuptools>=77.0.3)
    needs = [Requirement(r) for _, reqs in linked.values() for r in reqs]
    needs = [r for r in needs if r.marker is None or r.marker.evaluate({"extra": ""})]
    for pin in candidates:
        name, version = pin.split("==")
        clash = [str(r) for r in needs if canonicalize_name(r.name) == canonicalize_name(name)
                 and not r.specifier.contains(version, prereleases=True)]
        if clash:
            print(f"--- Colab's {pin} is held back here: this machine's torch needs {', '.join(clash)}")
            dropped.append(pin)
    usable = [ln for ln in candidates if ln not in dropped]
    # what is not at Colab's version here, for tests/test_colab_versions.py
    (BUILD / "colab-unavailable.txt").write_text("".join(f"{d}\n" for d in dropped), encoding="utf-8")
    print(f"--- Colab's versions that pip cannot install for Python {python_tag()} (pip's newest instead): "
          f"{', '.join(unavailable) or 'none'} ({time.perf_counter() - t1:.0f} s)")
    shipped = BUILD / "colab-shipped.txt"
    shipped.write_text("\n".join(usable) + "\n", encoding="utf-8")
    held = BUILD / "colab-held.txt"  # Colab's pins and the linked torch, which pip may not replace
    held.write_text("\n".join(usable + [f"{n}=={v}" for n, (v, _) in linked.items()]) + "\n", encoding="utf-8")
    _step(f"Colab's versions of {len(usable)} packages (constraints/colab.txt; torch aside)",
          [str(py), "-m", "pip", "install", "-q", "-r", str(shipped), "-c", str(held)], env=env)
    colab_cell = [str(py), str(ROOT / "tools" / "colab_install.py"), "install"]
    _step("the Colab cells, dry run", colab_cell + ["requirements.txt", "requirements-scale.txt", "--dry-run",
                                                    "--report", str(BUILD / "dry-run.json")], env=env, cwd=ROOT)
    _step("the Colab cell of every notebook", colab_cell + ["requirements.txt"], env=env, cwd=ROOT)
    _step("notebook 07's Ray/Milvus cell", colab_cell + ["requirements-scale.txt"], env=env, cwd=ROOT)
    _step("the test runner", colab_cell + ["nbval"], env=env, cwd=ROOT)
    (venv / ".installed").touch()
    print(f"Colab-like venv ready in {time.perf_counter() - t0:.0f} s: {venv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
