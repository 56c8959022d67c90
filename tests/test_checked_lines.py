"""The re-execution test: a fresh run's checked lines must equal the committed ones, timings and float noise masked."""
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbval_checked import checked_lines, differences, sanitize

ROOT = Path(__file__).resolve().parents[1]


def test_the_rule_masks_timings_and_float_noise_only():
    line = "✓ re-indexing: 0 new, 122 cached in 0.02 s (the first run: 5.4 s); 31.1 photos/s, 0.384 ms; diff 4.2e-07"
    assert sanitize(line) == ("✓ re-indexing: 0 new, 122 cached in <time> s (the first run: <time> s); "
                              "<time> photos/s, <time> ms; diff <tiny>")
    kept = "✓ text alone wins: P@1 0.928 vs 0.855, 3 of 3 sources, 184,320 -> 46,080 bytes, rank #4 of 30"
    assert sanitize(kept) == kept, "a number that is not a timing or float noise is compared as printed"


def test_checked_lines_come_from_stdout_and_results_not_stderr():
    outputs = [nbformat.v4.new_output("stream", name="stdout", text="table\n✓ a: 0.1\n"),
               nbformat.v4.new_output("stream", name="stderr", text="✓ not a claim\n"),
               nbformat.v4.new_output("execute_result", data={"text/plain": "✗ b: 2"}, execution_count=1)]
    assert checked_lines(outputs) == ["✓ a: 0.1", "✗ b: 2"]
    assert differences(["✓ a: 0.1"], ["✓ a: 0.1"]) == []
    assert differences(["✓ a: 0.2"], ["✓ a: 0.1"]) == ["  committed: ✓ a: 0.1", "  this run:  ✓ a: 0.2"]
    assert differences([], ["✓ a: 0.1"]) == ["  committed: ✓ a: 0.1", "  this run:  (no line)"]


CASES = [  # what is committed under a cell that prints "✓ the claim: 0.741, in 2.5 s", and whether nbval passes it
    ("✓ the claim: 0.741, in 2.5 s", True),       # the same line
    ("✓ the claim: 0.741, in 9.1 s", True),       # another timing: masked
    ("✓ the claim: 0.742, in 2.5 s", False),      # a hand-edited number
    ("✗ the claim: 0.741, in 2.5 s", False),      # another verdict
]


@pytest.mark.slow
def test_nbval_fails_when_a_committed_checked_line_is_not_what_a_fresh_run_prints(tmp_path):
    cells = []
    for i, (committed, _) in enumerate(CASES, start=1):
        cell = nbformat.v4.new_code_cell("print('table 1.000')\nprint('✓ the claim: 0.741, in 2.5 s')",
                                         execution_count=i)
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"table 9.999\n{committed}\n")]
        cells.append(cell)
    path = tmp_path / "claims.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tests")}
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "nbval_checked", "--nbval", "-rA",
                             "-p", "no:cacheprovider", "-c", str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path),
                             str(path)], env=env, capture_output=True, text=True, timeout=300)
    for i, (committed, passes) in enumerate(CASES):
        verdict = "PASSED" if passes else "FAILED"
        assert re.search(rf"^{verdict} \S*claims\.ipynb::Cell {i}\b", result.stdout, re.M), (committed,
                                                                                                result.stdout[-3000:])
        if not passes:
            assert f"committed: {sanitize(committed)}" in result.stdout, result.stdout[-3000:]
    assert "table" not in result.stdout.split("short test summary")[0].split("committed:")[-1], \
        "lines that are not checked claims are not compared"
