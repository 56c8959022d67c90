"""mycollection.support: what notebook 07 says, and skips, where Ray Data or Milvus Lite cannot run."""
from __future__ import annotations

import importlib.util
import sys

import pytest

from mycollection import support
from mycollection.files import CollectionError
from mycollection.support import platform_support


def without(monkeypatch, *modules):
    """find_spec answers None for ``modules``, as if they were not installed."""
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name in modules else real(name, *a))


def test_here_both_run_and_nothing_skips():
    pytest.importorskip("ray")
    pytest.importorskip("milvus_lite")
    here = platform_support()
    assert here.ray.runs and here.milvus_lite.runs
    assert here.summary().endswith("Ray Data and Milvus Lite both run here; every section of this notebook runs.")


def test_windows_without_milvus_lite_says_so_in_plain_words(monkeypatch):
    monkeypatch.setattr(sys, "platform", "win32")
    without(monkeypatch, "milvus_lite")
    here = platform_support()
    assert here.system == "Windows" and not here.milvus_lite.runs
    text = here.summary()
    assert text.startswith("Windows: ")
    assert "Milvus Lite cannot run here: pymilvus and milvus-lite are not both installed: pip install -r " \
           "requirements-scale.txt. Its cells print one line and skip." in text
    if here.ray.runs:
        assert "Ray Data runs here (Ray's Windows support is beta; if it fails to start, its cells skip)." in text
    line = here.skip("milvus_lite")
    assert line == ("Skipped: Milvus Lite cannot run here (pymilvus and milvus-lite are not both installed: "
                    "pip install -r requirements-scale.txt).")
    assert "\n" not in line


def test_an_intel_mac_without_ray_indexes_folder_b_without_it(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(support.platform, "machine", lambda: "x86_64")
    without(monkeypatch, "ray")
    here = platform_support()
    assert here.system == "macOS (Intel)" and not here.ray.runs
    assert "Ray Data cannot run here: Ray Data is not installed; Ray publishes no wheels for Intel Macs." \
        in here.summary()
    assert "folder B is indexed by notebook 06's engine instead of Ray" in here.summary()
    assert here.skip("ray", "no timings") == ("Skipped: Ray Data cannot run here (Ray Data is not installed; Ray "
                                              "publishes no wheels for Intel Macs); no timings.")


class FailingEngine:
    def start(self):
        raise CollectionError("could not start a local Ray: timed out. On a busy machine try again.")


class StartedEngine:
    started = False

    def start(self):
        self.started = True


def test_start_ray_failing_prints_one_line_and_later_cells_skip(monkeypatch, capsys):
    monkeypatch.setattr(sys, "platform", "win32")
    here = support.PlatformSupport("Windows", support.Engine("Ray Data", True, note="beta"),
                                   support.Engine("Milvus Lite", True))
    after = here.start_ray(FailingEngine())
    assert not after.ray.runs and after.milvus_lite.runs
    out = capsys.readouterr().out
    assert out == ("Skipped: Ray Data cannot run here (could not start a local Ray: timed out. On a busy machine "
                   "try again).\n")
    engine = StartedEngine()
    assert here.start_ray(engine) is here and engine.started and capsys.readouterr().out == ""
    engine = StartedEngine()
    assert after.start_ray(engine) is after and not engine.started   # Ray cannot run: not even tried
