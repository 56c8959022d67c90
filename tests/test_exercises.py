"""Checked exercises: the mechanism (helpers.exercises), every notebook's starters and solutions, wrong answers.

The slow test executes each notebook with its solutions (tools/solutions.py): every shipped starter cell must
print "not answered yet" in place, and its solved copy right after it a ✓ line. nbval runs the shipped notebook.
"""
import ast
import os
import re
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from helpers.exercises import Exercise, ExerciseFailed, Wrong, as_number, attempt, exercise

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import solutions  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CHECKED = [p for p in NOTEBOOKS if any(solutions.exercise_number(c) for c in nbformat.read(p, as_version=4).cells)]
LINE = re.compile(r"^([✓✗…]) exercise (\d+) \(.+?\): ", re.M)


# --- the mechanism -------------------------------------------------------------------------------------------

@exercise(9, "double")
def _double_check(fn) -> str:
    out = as_number(attempt(fn, 21), "twice the input")
    if out != 42:
        raise Wrong("multiply the input by 2")
    return "doubles 21"


def _starter(x):
    raise NotImplementedError


def test_a_check_prints_one_line_per_verdict(capsys, monkeypatch):
    monkeypatch.delenv("EMBEDDINGS_STRICT_CHECKS", raising=False)
    for answer, mark in [(lambda x: 2 * x, "✓"), (lambda x: x + 2, "✗"), (_starter, "…"), (..., "…"),
                         (lambda x: 1 / 0, "✗"), (lambda x: "forty-two", "✗"), (42, "✗")]:
        assert _double_check(answer) is None   # nothing shown under the line
        lines = capsys.readouterr().out.splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"{mark} exercise 9 (double): "), lines
    assert isinstance(_double_check, Exercise)


def test_the_hint_names_the_learners_error_and_unanswered_never_fails(monkeypatch, capsys):
    assert _double_check.evaluate(lambda x: 1 / 0).message == "your function raised ZeroDivisionError: division by zero"
    assert _double_check.evaluate(_starter).message == "not answered yet"
    monkeypatch.setenv("EMBEDDINGS_STRICT_CHECKS", "1")
    _double_check(_starter)   # strict mode: an untouched starter is not a failure
    _double_check(lambda x: 2 * x)
    with pytest.raises(ExerciseFailed, match="multiply the input by 2"):
        _double_check(lambda x: x + 2)
    assert capsys.readouterr().out.count("exercise 9") == 3


# --- every notebook's starters and solutions (fast: nothing runs) --------------------------------------------

@pytest.mark.parametrize("path", CHECKED, ids=lambda p: p.name)
def test_starters_are_unanswered_and_every_exercise_has_a_solution(path):
    nb = nbformat.read(path, as_version=4)
    numbers = [n for c in nb.cells if (n := solutions.exercise_number(c))]
    assert len(numbers) >= 3 and len(set(numbers)) == len(numbers), f"{path.name}: {numbers}"
    blocks = solutions.solution_blocks(solutions.solutions_path(path).read_text(encoding="utf-8"))
    assert set(numbers) <= set(blocks), f"{path.name}: no solution for {set(numbers) - set(blocks)}"
    for cell in nb.cells:
        if (n := solutions.exercise_number(cell)) is None:
            continue
        learner, call = solutions.split_starter(cell.source)
        assert re.match(r"nb\d\d\.check_\w+\(", call), f"{path.name} exercise {n}: ends with {call!r}"
        assert "raise NotImplementedError" in learner or re.search(r"^\w+ = \.\.\.", learner, re.M), (
            f"{path.name} exercise {n}: a starter leaves `...` or `raise NotImplementedError` to replace")
        ast.parse(blocks[n] + "\n" + call)


# --- executing the solutions (slow) ---------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("path", CHECKED, ids=lambda p: p.name)
def test_solutions_pass_and_shipped_starters_are_not_answered(path):
    nb = solutions.execute(solutions.solved(path), path.parent)
    starters = LINE.findall(solutions.output_text(nb, "exercise-"))
    solved = LINE.findall(solutions.output_text(nb, "solution-"))
    n = sorted({solutions.exercise_number(c) for c in nb.cells} - {None})
    assert starters == [("…", str(k)) for k in n], starters
    assert solved == [("✓", str(k)) for k in n], solved
    assert len(solved) >= 3
