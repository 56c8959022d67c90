"""Which requirements have a binary wheel on PyPI for Windows, macOS and Linux, Python 3.10 to 3.13?

    python tools/check_wheels.py                 # table of requirements.txt + requirements-scale.txt (+ dev's own)
    python tools/check_wheels.py --deps          # also every dependency they pull in on each platform
    python tools/check_wheels.py --json out.json --jobs 8

For each platform and Python it asks pip itself (``pip install --dry-run --no-deps --only-binary :all:
--platform ... --python-version ... --report``) which wheel it would install from PyPI. pip reads each
wheel's metadata from PyPI (PEP 658) and downloads no wheel, so a check of torch takes seconds, not
gigabytes. pip runs isolated (``--isolated``: no pip.conf, no PIP_* variables, hence no local find-links or
indexes) against ``--index-url`` (default: PyPI). Environment markers (``; sys_platform != "win32"``) are
evaluated for the target platform: a requirement that does not apply there shows ``-``.

Prints a table (package x platform/Python: the version pip picks, or MISSING) and exits 1 when a
requirement of requirements.txt or requirements-scale.txt lacks a wheel where the README says the
notebooks run (every platform and Python below except those in ``UNSUPPORTED``).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's helpers, installed or not
from helpers.colab import read_requirements  # noqa: E402 - after the sys.path line above

PYPI = "https://pypi.org/simple"
PYTHONS = ("3.10", "3.11", "3.12", "3.13")
GLIBC = 28  # manylinux_2_28 and older: RHEL/Alma/Rocky 8, Debian 10+, Ubuntu 18.10+ (Colab's 22.04 included)


@dataclass(frozen=True)
class Platform:
    """A target machine: its name in the table, pip's --platform tags and its environment-marker values."""

    name: str
    tags: tuple[str, ...]
    sys_platform: str
    system: str
    machine: str


PLATFORMS = (
    Platform("Windows x64", ("win_amd64",), "win32", "Windows", "AMD64"),
    # pip also expands each macosx_* tag to the older ones; universal2 wheels match both Macs.
    Platform("macOS arm64", tuple(f"macosx_{v}_0_arm64" for v in (15, 14, 13, 12, 11)), "darwin", "Darwin", "arm64"),
    Platform("macOS x86_64", tuple(f"macosx_{v}_0_x86_64" for v in (14, 13, 12, 11))
             + tuple(f"macosx_10_{v}_x86_64" for v in range(16, 8, -1)), "darwin", "Darwin", "x86_64"),
    Platform("Linux x86_64", tuple(f"manylinux_2_{v}_x86_64" for v in range(GLIBC, 4, -1))
             + ("manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"), "linux", "Linux", "x86_64"),
)
#: Where the README says the notebooks do NOT run (README, "Windows and macOS"), and why; everywhere else in
#: PLATFORMS x PYTHONS every requirement of MAIN_FILES must have a wheel.
UNSUPPORTED: dict[str, str] = {
    "macOS x86_64": "torch's last Intel-Mac wheels are 2.2.2 (Python 3.10-3.12), which transformers 5 refuses "
                    "(it needs torch >= 2.6), and ray>=2.51 has no Intel-Mac wheel",
}
SUPPORTED = [(p.name, v) for p in PLATFORMS for v in PYTHONS if p.name not in UNSUPPORTED]
MAIN_FILES = ("requirements.txt", "requirements-scale.txt")
DEV_FILE = "requirements-dev.txt"


def merge(reqs: Iterable[Requirement]) -> dict[str, Requirement]:
    """``{canonical name: requirement}``, one per distribution (a repeated one keeps its first line)."""
    out: dict[str, Requirement] = {}
    for r in reqs:
        out.setdefault(canonicalize_name(r.name), r)
    return out


def environment(platform: Platform, python: str) -> dict[str, str]:
    """Environment-marker values of ``platform`` running CPython ``python`` (pip would use this machine's)."""
    return {"sys_platform": platform.sys_platform, "platform_system": platform.system,
            "platform_machine": platform.machine, "os_name": "nt" if platform.system == "Windows" else "posix",
            "python_version": python, "python_full_version": f"{python}.0", "implementation_name": "cpython",
            "platform_python_implementation": "CPython", "implementation_version": f"{python}.0", "extra": ""}


def applies(req: Requirement, env: dict[str, str], extras: Iterable[str] = ("",)) -> bool:
    return req.marker is None or any(req.marker.evaluate({**env, "extra": e}) for e in extras)


def bare(req: Requirement) -> str:
    """The requirement without its marker (already evaluated for the target; pip would evaluate it for this machine)."""
    extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
    return f"{req.name}{extras}{req.specifier}"


def pip_base(platform: Platform, python: str, index_url: str) -> list[str]:
    abi = "cp" + python.replace(".", "")
    cmd = [sys.executable, "-m", "pip", "install", "--isolated", "--disable-pip-version-check", "-q", "--dry-run",
           "--ignore-installed", "--no-deps", "--only-binary", ":all:", "--implementation", "cp",
           "--python-version", python, "--abi", abi, "--index-url", index_url]
    if os.environ.get("PIP_CERT"):  # --isolated drops PIP_CERT; a proxy's CA bundle is still needed
        cmd += ["--cert", os.environ["PIP_CERT"]]
    for tag in platform.tags:
        cmd += ["--platform", tag]
    return cmd


NO_MATCH = re.compile(r"(?:No matching distribution found for|Cannot install) ([A-Za-z0-9._-]+)")


def resolve(reqs: Sequence[Requirement], platform: Platform, python: str,
            index_url: str) -> tuple[dict[str, dict], str]:
    """``({name: report item}, "")`` from one pip call on ``reqs`` (no dependencies), ``({}, pip's error)`` if any of
    them has no wheel there."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        cmd = pip_base(platform, python, index_url) + ["--target", str(Path(tmp) / "t"), "--report", str(report)]
        proc = subprocess.run(cmd + [bare(r) for r in reqs], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            return {}, proc.stderr.strip()
        items = json.loads(report.read_text(encoding="utf-8"))["install"]
    return {canonicalize_name(it["metadata"]["name"]): it for it in items}, ""


def resolve_all(reqs: dict[str, Requirement], platform: Platform, python: str, index_url: str) -> dict[str, dict]:
    """``{name: report item}`` for each requirement that has a wheel: one pip call for all of them, again without
    each one pip names as having none, and one call per requirement if pip's error names none."""
    todo = dict(reqs)
    while todo:
        items, err = resolve(list(todo.values()), platform, python, index_url)
        if not err:
            return items
        named = {canonicalize_name(m) for m in NO_MATCH.findall(err)} & set(todo)
        if not named:
            break
        todo = {n: r for n, r in todo.items() if n not in named}
    else:
        return {}
    out: dict[str, dict] = {}
    for req in todo.values():
        items, err = resolve([req], platform, python, index_url)
        if err and not NO_MATCH.search(err):
            raise RuntimeError(f"pip failed on {req} for {platform.name} / Python {python}:\n{err[-2000:]}")
        out.update(items)
    return out


def check_one(platform: Platform, python: str, reqs: dict[str, Requirement], index_url: str,
              deps: bool) -> dict[str, str]:
    """``{name: version | "MISSING" | "-"}`` for one platform and Python; with ``deps``, dependencies too."""
    env = environment(platform, python)
    found: dict[str, str] = {n: "-" for n, r in reqs.items() if not applies(r, env)}
    todo = {n: r for n, r in reqs.items() if n not in found}
    while todo:
        items = resolve_all(todo, platform, python, index_url)
        nxt: dict[str, Requirement] = {}
        for name, req in todo.items():
            item = items.get(name)
            found[name] = item["metadata"]["version"] if item else "MISSING"
            if not (deps and item):
                continue
            for line in item["metadata"].get("requires_dist", []):
                dep = Requirement(line)
                key = canonicalize_name(dep.name)
                if key not in found and key not in todo and applies(dep, env, ("", *req.extras)):
                    nxt.setdefault(key, Requirement(str(dep).split(";")[0]))
        todo = nxt
    return found


def table(rows: list[str], results: dict[tuple[str, str], dict[str, str]], title: str) -> str:
    """A text table: one row per package, one column per platform and Python."""
    width = max([len(r) for r in rows] + [len(title)])
    group = len(PYTHONS) * 10 - 3
    lines = [" " * width + "".join(f" | {p.name:<{group}}" for p in PLATFORMS),
             f"{title:<{width}}" + "".join(f" | {v:<7}" for _ in PLATFORMS for v in PYTHONS)]
    lines.append("-" * len(lines[1]))
    for r in rows:
        lines.append(f"{r:<{width}}" + "".join(f" | {results[(p.name, v)].get(r, '?'):<7}"
                                               for p in PLATFORMS for v in PYTHONS))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python tools/check_wheels.py", description=__doc__.splitlines()[0])
    ap.add_argument("--deps", action="store_true", help="also check every dependency (markers for each target)")
    ap.add_argument("--jobs", type=int, default=8, help="pip processes at once (default 8)")
    ap.add_argument("--index-url", default=PYPI, help=f"package index to ask (default {PYPI})")
    ap.add_argument("--json", type=Path, help="write {platform: {python: {package: version}}} here")
    args = ap.parse_args(argv)

    main_reqs = merge(read_requirements(ROOT / f for f in MAIN_FILES))
    dev_reqs = {n: r for n, r in merge(read_requirements([ROOT / DEV_FILE])).items() if n not in main_reqs}
    reqs = {**main_reqs, **dev_reqs}
    t0 = time.perf_counter()
    combos = [(p, v) for p in PLATFORMS for v in PYTHONS]
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        done = list(pool.map(lambda c: check_one(c[0], c[1], reqs, args.index_url, args.deps), combos))
    results = {(p.name, v): r for (p, v), r in zip(combos, done)}
    print(f"Binary wheels on {args.index_url} (the version pip would install; MISSING: none; -: not required "
          f"there), {len(combos)} pip targets in {time.perf_counter() - t0:.0f} s\n")
    print(table(list(main_reqs), results, "requirements"))
    print()
    print(table(list(dev_reqs), results, "dev's own"))
    if args.deps:
        extra = sorted({n for r in results.values() for n, v in r.items() if v == "MISSING" and n not in reqs})
        print("\nDependencies without a wheel somewhere: " + (", ".join(
            f"{n} ({', '.join(f'{p} {v}' for (p, v), r in results.items() if r.get(n) == 'MISSING')})"
            for n in extra) or "none"))
    if args.json:
        out: dict[str, dict[str, dict[str, str]]] = {}
        for (p, v), r in results.items():
            out.setdefault(p, {})[v] = r
        args.json.write_text(json.dumps(out, indent=1, sort_keys=True), encoding="utf-8")
    missing = [(n, p, v) for (p, v) in SUPPORTED for n in main_reqs if results[(p, v)].get(n) == "MISSING"]
    for p, why in UNSUPPORTED.items():
        print(f"\nNot supported (README): {p}: {why}.")
    if missing:
        print("\nFAIL: no wheel where the README says the notebooks run: "
              + "; ".join(f"{n} on {p} / Python {v}" for n, p, v in missing))
        return 1
    print(f"\nOK: every requirement of {' and '.join(MAIN_FILES)} has a wheel on every supported platform and Python"
          " (or does not apply there).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
