"""What of notebook 07 runs on this machine: Ray Data and Milvus Lite, each with the reason when it does not.

    from mycollection.support import platform_support
    HERE = platform_support()
    print(HERE.summary())        # one paragraph in plain words
    if HERE.milvus_lite.runs: ...
    else: print(HERE.skip("milvus_lite"))   # one line, never a traceback

Both install from PyPI on Linux, macOS (Apple silicon) and Windows, Python 3.10 to 3.13 (README, "Windows and
macOS"; ``tools/check_wheels.py`` checks the wheels). Milvus Lite 3 is pure Python. Ray's Windows support is beta:
:meth:`PlatformSupport.start_ray` starts it and, if it fails, records why, so Ray's cells skip with that line.
Ray has no wheel for Intel Macs. Nothing here imports Ray or Milvus (that takes seconds): it asks only whether
their modules are installed.
"""
from __future__ import annotations

import importlib.util
import platform
import sys
from dataclasses import dataclass, replace

from .files import CollectionError

__all__ = ["Engine", "PlatformSupport", "platform_support"]


@dataclass(frozen=True)
class Engine:
    """One engine of notebook 07: whether it runs here, why not (plain words) or a caveat when it does."""

    name: str
    runs: bool
    why: str = ""  # why it cannot run here; "" when it runs
    note: str = ""  # a caveat when it runs


@dataclass(frozen=True)
class PlatformSupport:
    """What runs here: the system's name, Ray Data (sections 3-4) and Milvus Lite (section 5)."""

    system: str
    ray: Engine
    milvus_lite: Engine

    def summary(self) -> str:
        """Plain words for the notebook's first cell: what runs here and, for what does not, why."""
        engines = (self.ray, self.milvus_lite)
        if all(e.runs and not e.note for e in engines):
            return f"{self.system}: Ray Data and Milvus Lite both run here; every section of this notebook runs."
        parts = []
        for e in engines:
            if e.runs:
                parts.append(f"{e.name} runs here" + (f" ({e.note}; if it fails to start, its cells skip)"
                                                      if e.note else "") + ".")
            else:
                parts.append(f"{e.name} cannot run here: {e.why}. Its cells print one line and skip.")
        tail = ("Everything else runs" + (" (folder B is indexed by notebook 06's engine instead of Ray)."
                                          if not self.ray.runs else "."))
        return f"{self.system}: " + " ".join(parts) + " " + tail

    def skip(self, engine: str, instead: str = "") -> str:
        """The one line a cell prints when it skips because ``engine`` ("ray" or "milvus_lite") cannot run here."""
        e: Engine = getattr(self, engine)
        return f"Skipped: {e.name} cannot run here ({e.why})" + (f"; {instead}" if instead else "") + "."

    def start_ray(self, engine) -> PlatformSupport:
        """Start ``engine`` (a :class:`~mycollection.ray_engine.RayEngine`) where Ray can run; the record updated.

        If Ray cannot run here or fails to start, prints the one-line reason and returns a record whose
        ``ray.runs`` is False, so the Ray cells that follow skip.
        """
        out = self
        if self.ray.runs:
            try:
                engine.start()
            except CollectionError as exc:
                out = replace(self, ray=replace(self.ray, runs=False, why=str(exc).rstrip(".")))
        if not out.ray.runs:
            print(out.skip("ray"))
        return out


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a broken install, or a module without a spec
        return False


def _system() -> str:
    if sys.platform == "win32":
        return "Windows"
    if sys.platform == "darwin":
        return f"macOS ({'Apple silicon' if platform.machine() == 'arm64' else 'Intel'})"
    return "Linux" if sys.platform.startswith("linux") else sys.platform


def platform_support() -> PlatformSupport:
    """What of notebook 07 runs on this machine (only checks what is installed; starts and imports nothing)."""
    system = _system()
    if not (_installed("ray") and _installed("pyarrow")):
        why = "Ray Data is not installed"
        why += ("; Ray publishes no wheels for Intel Macs" if system == "macOS (Intel)" else
                ": pip install -r requirements-scale.txt")
        ray = Engine("Ray Data", False, why)
    else:
        ray = Engine("Ray Data", True, note="Ray's Windows support is beta" if system == "Windows" else "")
    if not (_installed("pymilvus") and _installed("milvus_lite")):
        milvus = Engine("Milvus Lite", False, "pymilvus and milvus-lite are not both installed: "
                                              "pip install -r requirements-scale.txt")
    else:
        milvus = Engine("Milvus Lite", True)
    return PlatformSupport(system, ray, milvus)
