"""Checked exercises: the mechanism (helpers.exercises), every notebook's starters and solutions, wrong answers.

The slow test executes each notebook with its solutions (tools/solutions.py): every shipped starter cell must
print "not answered yet" in place, and its solved copy right after it a ✓ line. nbval runs the shipped notebook.
"""
import ast
import re
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from helpers.exercises import Exercise, ExerciseFailed, Wrong, as_number, attempt, exercise

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import solutions

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CHECKED = [p for p in NOTEBOOKS if any(solutions.exercise_number(c) for c in nbformat.read(p, as_version=4).cells)]
LINE = re.compile(r"^([✓✗…]) exercise (\d+) \(.+?\): ", re.MULTILINE)


# --- the mechanism -------------------------------------------------------------------------------------------

@exercise(9, "double")
def _double_check(fn) -> str:
    out = as_number(attempt(fn, 21), "twice the input")
    if out != 42:
        raise Wrong("multiply the input by 2")
    return "doubles 21"


def _starter(*args):
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
        assert "raise NotImplementedError" in learner or re.search(r"^\w+ = \.\.\.", learner, re.MULTILINE), (
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


# --- notebook 05: each check accepts the right answer and rejects typical wrong ones --------------------------

@pytest.fixture(scope="module")
def nb05_context():
    """The bridge (the offline text-image model) and real vectors in its space. The photos' vectors are those of
    their captions here (same space, no image model to run): the checks recompute from whatever they are given."""
    from helpers import data
    from helpers.availability import IMAGENET_BRIDGE
    from helpers.models import load_clip

    bridge = load_clip(IMAGENET_BRIDGE)
    food = data.records("food")
    food_emb = bridge.encode_text([f"a photo of {r.label}" for r in food])
    pet_emb = bridge.encode_text(["a cat asleep", "a tabby cat", "a dog on a lawn", "a puppy", "a husky in snow"])
    return {"model": bridge, "food": food, "food_emb": food_emb, "cap_emb": bridge.encode_text([r.name for r in food]),
            "pet_emb": pet_emb, "truth": np.array([0, 0, 1, 1, 1]), "templates": ["{}", "a photo of a {}."]}


def _verdicts(check, answers, *context):
    return [check.evaluate(a, *context).status for a in answers]


@pytest.mark.slow
def test_nb05_label_vectors(nb05_context):
    from helpers.exercises import nb05

    c = nb05_context
    ctx = (c["model"], c["pet_emb"], c["truth"], c["templates"])

    def right(model, labels, templates):
        emb = np.stack([model.encode_text([t.format(x) for t in templates]).mean(axis=0) for x in labels])
        return emb / np.linalg.norm(emb, axis=1, keepdims=True)

    def not_renormalised(model, labels, templates):
        return np.stack([model.encode_text([t.format(x) for t in templates]).mean(axis=0) for x in labels])

    def first_template(model, labels, templates):
        return model.encode_text([templates[0].format(x) for x in labels])

    def per_template(model, labels, templates):   # one row per template, not per label
        return right(model, [labels[0]], templates).repeat(len(templates), axis=0)

    assert _verdicts(nb05.check_label_vectors, [right, _starter, ...], *ctx) == ["right", "unanswered", "unanswered"]
    for wrong, hint in [(not_renormalised, "re-normalise"), (first_template, "every template"),
                        (per_template, "expected shape")]:
        result = nb05.check_label_vectors.evaluate(wrong, *ctx)
        assert result.status == "wrong" and hint in result.message, (wrong.__name__, result.line)


@pytest.mark.slow
def test_nb05_negation_rank(nb05_context):
    from helpers.exercises import nb05

    c = nb05_context
    scores = c["model"].encode_text([nb05.NEGATION_QUERY])[0] @ c["food_emb"].T
    order = list(np.argsort(-scores))
    rank = order.index([r.name for r in c["food"]].index(nb05.CHOCOLATE_CAKE)) + 1
    ctx = (c["model"], c["food"], c["food_emb"])
    assert nb05.check_negation.evaluate(rank, *ctx).ok
    assert nb05.check_negation.evaluate(np.int64(rank), *ctx).ok
    assert "from 1" in nb05.check_negation.evaluate(rank - 1, *ctx).message
    if len(c["food"]) + 1 - rank != rank:
        assert "high to low" in nb05.check_negation.evaluate(len(c["food"]) + 1 - rank, *ctx).message
    assert _verdicts(nb05.check_negation, ["3", [rank], float("nan"), ...], *ctx) == ["wrong"] * 3 + ["unanswered"]


@pytest.mark.slow
def test_nb05_centre(nb05_context):
    from helpers.exercises import nb05

    c = nb05_context
    ctx = (c["food_emb"], c["cap_emb"])

    def right(e):
        e = e - e.mean(axis=0)
        return e / np.linalg.norm(e, axis=1, keepdims=True)

    def in_place(e):
        e -= e.mean(axis=0)
        e /= np.linalg.norm(e, axis=1, keepdims=True)
        return e

    def row_means(e):
        e = e - e.mean(axis=1, keepdims=True)
        return e / np.linalg.norm(e, axis=1, keepdims=True)

    before = c["food_emb"].copy()
    result = nb05.check_centre.evaluate(right, *ctx)
    assert result.ok and "->" in result.message, result.line
    assert np.array_equal(c["food_emb"], before)   # the check never changes the notebook's arrays
    assert _verdicts(nb05.check_centre, [_starter, ...], *ctx) == ["unanswered"] * 2
    for wrong, hint in [(in_place, "do not change"), (row_means, "axis=0"),
                        (lambda e: e - e.mean(axis=0), "length 1"), (lambda e: e[:2], "shape")]:
        result = nb05.check_centre.evaluate(wrong, *ctx)
        assert result.status == "wrong" and hint in result.message, result.line


@pytest.mark.slow
def test_nb05_food_accuracy(nb05_context):
    from helpers.exercises import nb05

    c = nb05_context
    dishes = list(dict.fromkeys(r.label.split(" (")[0] for r in c["food"]))
    truth = [dishes.index(r.label.split(" (")[0]) for r in c["food"]]
    right = np.mean(c["model"].zero_shot(c["food_emb"], dishes).argmax(axis=1) == truth)
    ctx = (c["model"], c["food"], c["food_emb"])
    assert nb05.check_food_accuracy.evaluate(right, *ctx).ok
    n = len(c["food"])
    assert "not a count" in nb05.check_food_accuracy.evaluate(right * n + 2, *ctx).message
    for wrong in (right + 1 / n, 1 - right if abs(1 - 2 * right) > 1e-6 else right / 2, True):
        assert nb05.check_food_accuracy.evaluate(wrong, *ctx).status == "wrong", wrong


# --- notebook 07: the cost model, binary codes, memory (no model needed) --------------------------------------

def test_nb07_embedding_cost():
    from helpers.exercises import nb07

    rates = {"this machine (measured)": 3.1, "10 such machines, Ray (ideal)": 31.0, "a GPU (upper bound)": 40.0}
    result = nb07.check_embedding_cost.evaluate(lambda rate, n, eur: n / rate / 3600 * eur, rates)
    assert result.ok and "EUR" in result.message and "10 such" not in result.message, result.line
    assert nb07.check_embedding_cost.evaluate(_starter, rates).status == "unanswered"
    for wrong, hint in [(lambda rate, n, eur: n / rate * eur, "seconds to hours"),
                        (lambda rate, n, eur: n / rate / 3600, "price per hour"),
                        (lambda rate, n, eur: n * rate / 3600 * eur, "photos / rate"),
                        (lambda rate, n: n / rate / 3600 * 2, "raised TypeError")]:
        result = nb07.check_embedding_cost.evaluate(wrong, rates)
        assert result.status == "wrong" and hint in result.message, result.line


def test_nb07_signs():
    from helpers.exercises import nb07

    vecs = np.random.default_rng(0).normal(size=(20, 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    result = nb07.check_signs.evaluate(lambda v: np.where(v > 0, 1.0, -1.0), vecs, 5)
    assert result.ok and "binary" in result.message and "int8" in result.message, result.line
    assert nb07.check_signs.evaluate(_starter, vecs, 5).status == "unanswered"
    for wrong, hint in [(lambda v: (v > 0).astype(np.float32), "not 0 and 1"), (np.sign, "a zero too"),
                        (lambda v: np.where(v < 0, 1.0, -1.0), "is not"), (lambda v: v > 0, "not 0 and 1"),
                        (lambda v: np.round(v * 127), "only the sign")]:
        result = nb07.check_signs.evaluate(wrong, vecs, 5)
        assert result.status == "wrong" and hint in result.message, result.line


def test_nb07_index_bytes():
    from helpers.exercises import nb07

    dims = {"image": 1280, "clip-image": 384}
    result = nb07.check_index_bytes.evaluate(lambda n, dim, bits: n * dim * bits / 8, dims)
    assert result.ok and "5.12 GB" in result.message, result.line   # 1280 x 4 bytes x a million
    assert nb07.check_index_bytes.evaluate(_starter, dims).status == "unanswered"
    for wrong, hint in [(lambda n, dim, bits: n * dim * bits, "8 of them"), (lambda n, dim, bits: n * dim * 4, "float32"),
                        (lambda n, dim, bits: dim * bits / 8, "vectors ×")]:
        result = nb07.check_index_bytes.evaluate(wrong, dims)
        assert result.status == "wrong" and hint in result.message, result.line
