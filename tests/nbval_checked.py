"""nbval compares what the book relies on: each cell's checked lines, re-executed, against the committed ones.

A pytest plugin (loaded by the repository's conftest.py). nbval (run without ``--nbval-lax``) executes every
notebook cell and calls ``compare_outputs`` on it; here that comparison looks only at the cell's checked lines,
``✓ claim: numbers`` and ``✗ claim: numbers`` (:func:`helpers.notebook.check`), in stdout and in text results.
Each line first goes through nbval's own sanitizer, whose one rule file masks timings and float noise (:data:`RULES`,
``tests/checked_lines.cfg``, given to ``--nbval-sanitize-with`` unless another file is); everything else must be
equal at the printed precision. So a notebook whose committed ``✓`` lines a fresh run no longer prints fails,
naming the line.

Why not nbval's whole-output comparison: figures' sizes, pandas' HTML, progress widgets (recorded as text bars,
see tools/record_notebooks.py) and stderr warnings differ in shape between a fresh run and the recorded one, and
the recorded outputs have machine paths scrubbed. The checked lines are what the prose quotes and the lesson
relies on.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from nbval.plugin import IPyNbCell, get_sanitize_patterns

CHECK_MARKS = ("✓", "✗")
#: The one rule file: what may differ between two runs of a checked line (timings, float noise).
RULES = Path(__file__).with_name("checked_lines.cfg")


def pytest_configure(config: pytest.Config) -> None:
    if getattr(config.option, "nbval_sanitize_with", "absent") is None:
        config.option.nbval_sanitize_with = str(RULES)


def sanitize(line: str) -> str:
    """``line`` with :data:`RULES` applied, as nbval applies them (for comparisons made outside nbval)."""
    for regex, replace in get_sanitize_patterns(RULES.read_text(encoding="utf-8")):
        line = re.sub(regex, replace, line)
    return line


def checked_lines(outputs) -> list[str]:
    """The ``✓``/``✗`` lines among a cell's outputs (stdout streams and text results), in order."""
    lines: list[str] = []
    for out in outputs:
        if out.get("output_type") == "stream":
            text = out.get("text", "") if out.get("name") == "stdout" else ""
        else:
            text = out.get("data", {}).get("text/plain", "")
        text = "".join(text) if isinstance(text, list) else text
        lines += [line.rstrip() for line in text.splitlines() if line.startswith(CHECK_MARKS)]
    return lines


def differences(fresh: list[str], committed: list[str]) -> list[str]:
    """Report lines for each position where two lists of sanitized checked lines differ (empty: they agree)."""
    report = []
    for i in range(max(len(fresh), len(committed))):
        was = committed[i] if i < len(committed) else "(no line)"
        now = fresh[i] if i < len(fresh) else "(no line)"
        if was != now:
            report += [f"  committed: {was}", f"  this run:  {now}"]
    return report


def compare_checked_lines(self: IPyNbCell, test, ref, skip_compare=None) -> bool:
    """nbval's per-cell comparison, restricted to the checked lines (each sanitized by nbval's rule file)."""
    diff = differences([self.sanitize(line) for line in checked_lines(test)],
                       [self.sanitize(line) for line in checked_lines(ref)])
    self.comparison_traceback = []
    if diff:
        self.comparison_traceback = ["The checked lines differ from the committed outputs (after masking timings "
                                     "and float noise): run `make record` if the change is meant.", *diff]
    return not diff


IPyNbCell.compare_outputs = compare_checked_lines
