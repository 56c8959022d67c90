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
import solutions  # noqa: E402 - from tools/, put on sys.path above

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
                         (lambda x: 1 / 0, "✗"), (lambda x: "forty-two", "✗"), (lambda x: "42", "✗"), (42, "✗")]:
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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_solution_block_parses_and_not_run_is_rare(path):
    """Blocks that are not executed (too slow for every test run) still have to be Python, and stay the exception."""
    markdown = solutions.solutions_path(path).read_text(encoding="utf-8")
    every, run = solutions.solution_blocks(markdown, runnable_only=False), solutions.solution_blocks(markdown)
    for n, code in every.items():
        ast.parse(code, filename=f"{path.name} exercise {n}")
    assert len(every) - len(run) <= 1, f"{path.name}: {sorted(set(every) - set(run))} are not run"


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

    vecs = np.maximum(np.random.default_rng(0).normal(size=(20, 16)), 0).astype(np.float32)   # post-ReLU
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    result = nb07.check_signs.evaluate(lambda v: np.where(v - v.mean(axis=0) > 0, 1.0, -1.0), vecs, 5)
    assert result.ok and "centred signs" in result.message and "8-bit" in result.message, result.line
    assert nb07.check_signs.evaluate(_starter, vecs, 5).status == "unanswered"
    for wrong, hint in [(lambda v: (v - v.mean(axis=0) > 0).astype(np.float32), "not 0 and 1"),
                        (lambda v: np.sign(v - v.mean(axis=0)), "a zero too"),
                        (lambda v: np.where(v > 0, 1.0, -1.0), "centre first"),
                        (lambda v: np.where(v - v.mean() > 0, 1.0, -1.0), "its own mean"),
                        (lambda v: np.where(v - v.mean(axis=0) < 0, 1.0, -1.0), "is not"),
                        (lambda v: v - v.mean(axis=0) > 0, "not 0 and 1"),
                        (lambda v: np.round(v * 127), "only the sign")]:
        result = nb07.check_signs.evaluate(wrong, vecs, 5)
        assert result.status == "wrong" and hint in result.message, result.line


def test_nb07_index_bytes():
    from helpers.exercises import nb07

    dims = {"image": 1280, "clip-image": 384}
    result = nb07.check_index_bytes.evaluate(lambda n, dim, bits: n * dim * bits / 8, dims)
    assert result.ok and "5.12 GB" in result.message, result.line   # 1280 x 4 bytes x a million
    assert nb07.check_index_bytes.evaluate(_starter, dims).status == "unanswered"
    for wrong, hint in [(lambda n, dim, bits: n * dim * bits, "8 of them"),
                        (lambda n, dim, bits: n * dim * 4, "float32"),
                        (lambda n, dim, bits: dim * bits / 8, "vectors ×")]:
        result = nb07.check_index_bytes.evaluate(wrong, dims)
        assert result.status == "wrong" and hint in result.message, result.line


# --- notebooks 01-04 and 06: the function checks (no notebook needed) ----------------------------------------

def _unit_rows(x):
    x = np.asarray(x, dtype=np.float64)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _assert_verdicts(check, right, wrongs, *context):
    result = check.evaluate(right, *context)
    assert result.ok, result.line
    assert check.evaluate(_starter, *context).status == "unanswered"
    for wrong, hint in wrongs:
        result = check.evaluate(wrong, *context)
        assert result.status == "wrong" and hint in result.message, (hint, result.line)


def test_nb01_function_checks():
    from helpers.exercises import nb01

    emb = {"model": np.random.default_rng(0).normal(size=(5, 8))}

    def mean_pairs(e):
        s = _unit_rows(e) @ _unit_rows(e).T
        return s[~np.eye(len(s), dtype=bool)].mean()

    _assert_verdicts(nb01.check_mean_pair_similarity, mean_pairs,
                     [(lambda e: (_unit_rows(e) @ _unit_rows(e).T).mean(), "diagonal"),
                      (lambda e: (e @ e.T)[~np.eye(len(e), dtype=bool)].mean(), "cosine, not dot")], emb)

    def top(q, corpus, k):
        return np.argsort(-(_unit_rows(corpus) @ (q / np.linalg.norm(q))), kind="stable")[:k]

    texts = [f"text {i}" for i in range(5)]
    _assert_verdicts(nb01.check_nearest, top,
                     [(lambda q, c, k: np.argsort(-(c @ q), kind="stable")[:k], "cosine, not dot"),
                      (lambda q, c, k: top(q, c, len(c))[::-1][:k], "high to low"),
                      (lambda q, c, k: top(q, c, k)[::-1], "wrong order")], emb["model"][0], emb["model"], texts)


class _AngleModel:
    """A stand-in text model: each sentence is a unit vector in 2-D at the angle given for it (degrees)."""

    name = "angles"

    def __init__(self, angles):
        self.angles = angles

    def encode(self, texts):
        return np.array([[np.cos(np.radians(self.angles[t])), np.sin(np.radians(self.angles[t]))] for t in texts])


def test_nb01_negation_verdict_depends_on_the_value_and_the_held_out_sentences():
    from helpers.exercises import nb01

    sentence, negated = "The cat sleeps on the sofa.", "The cat is not sleeping on the sofa."
    held_out = {sentence: 0, nb01.HELD_OUT_PARAPHRASE[sentence]: 30, nb01.HELD_OUT_UNRELATED: 90}
    verdicts = []
    for angle, words in [(20, "above a paraphrase"), (40, "nearer a paraphrase"), (80, "nearer an unrelated")]:
        model = _AngleModel({**held_out, negated: angle})
        result = nb01.check_negation_similarity.evaluate(float(np.cos(np.radians(angle))), model, sentence, negated)
        assert result.ok and words in result.message, result.line
        verdicts.append(result.message.split(",", 1)[1])
    assert len(set(verdicts)) == 3
    model = _AngleModel({"It rains.": 0, "It does not rain.": 20, nb01.HELD_OUT_UNRELATED: 90})   # no paraphrase held
    assert "like a paraphrase" in nb01.check_negation_similarity.evaluate(
        float(np.cos(np.radians(20))), model, "It rains.", "It does not rain.").message


def test_nb02_function_checks():
    from helpers.exercises import nb02

    rng = np.random.default_rng(1)
    emb, is_cat = _unit_rows(rng.normal(size=(8, 6)) + 0.3), np.array([1, 1, 1, 0, 0, 0, 0, 0], dtype=bool)

    def within_between(e, cat):
        s = _unit_rows(e) @ _unit_rows(e).T
        cc = s[np.ix_(cat, cat)]
        return cc[~np.eye(cat.sum(), dtype=bool)].mean(), s[np.ix_(cat, ~cat)].mean()

    def with_diagonal(e, cat):
        s = _unit_rows(e) @ _unit_rows(e).T
        return s[np.ix_(cat, cat)].mean(), s[np.ix_(cat, ~cat)].mean()

    _assert_verdicts(nb02.check_within_between, within_between, [(with_diagonal, "diagonal")],
                     {"features": emb}, is_cat)
    _assert_verdicts(nb02.check_concept_vector, lambda e: _unit_rows(_unit_rows(e).mean(axis=0)[None])[0],
                     [(lambda e: e.mean(axis=0), "normalise the mean"),
                      (lambda e: _unit_rows(e[:1])[0], "average")], emb, is_cat)


def test_nb03_function_checks():
    from helpers.evaluation import precision_at_k
    from helpers.exercises import nb03

    rng = np.random.default_rng(2)
    blocks = {"text": rng.normal(size=(6, 5)) + 1, "image": rng.normal(size=(6, 3))}
    labels = ["x", "x", "y", "y", "z", "z"]
    sims = {name: _unit_rows(b) @ _unit_rows(b).T for name, b in blocks.items()}

    def with_self(sim, lab, k):
        return np.mean([np.mean([lab[j] == lab[i] for j in np.argsort(-sim[i])[:k]]) for i in range(len(lab))])

    _assert_verdicts(nb03.check_precision_at_k, precision_at_k, [(with_self, "itself")], sims, labels)
    _assert_verdicts(nb03.check_centre_block, lambda b: _unit_rows(b - b.mean(axis=0)),
                     [(lambda b: _unit_rows(b), "subtract the mean"),
                      (lambda b: b.__isub__(b.mean(axis=0)), "do not change")],
                     blocks)

    def equal_mix(bl):
        return np.concatenate([_unit_rows(b) for b in bl.values()], axis=1) / np.sqrt(len(bl))

    _assert_verdicts(nb03.check_equal_mix, equal_mix,
                     [(lambda bl: np.concatenate(list(bl.values()), axis=1), "normalise each block"),
                      (lambda bl: equal_mix(bl) * np.sqrt(len(bl)), "square root")], blocks)


def test_nb04_function_checks():
    from helpers.exercises import nb04
    from helpers.similarity import top_k, validate_weights

    rng = np.random.default_rng(3)
    per_block = {"text": rng.uniform(-1, 1, 12), "photo": rng.uniform(-1, 1, 12)}
    weights = {"text": 0.7, "photo": 0.3}

    def top(pb, w, q, exclude=True):
        s = sum(v / sum(w.values()) * pb[m] for m, v in w.items())
        return set(top_k(s, 5, exclude=q if exclude else None)[0].tolist())

    def pull(pb, w, q):
        return {m: 5 - len(top(pb, w, q) & top(pb, {**w, m: 0.0}, q)) for m in w}

    kept = (lambda pb, w, q: {m: 5 - n for m, n in pull(pb, w, q).items()}, "not those that stay")
    alone = (lambda pb, w, q: {m: 5 - len(top(pb, w, q) & top(pb, {m: 1.0}, q)) for m in w}, "by that block alone")
    with_query = (lambda pb, w, q: {m: 5 - len(top(pb, w, q, False) & top(pb, {**w, m: 0.0}, q, False)) for m in w},
                  "the query left out")
    _assert_verdicts(nb04.check_block_pull, pull, [kept, alone, with_query], per_block, {"these": weights}, 0)
    verdict = nb04.check_block_pull.evaluate(pull, per_block, {"these": weights}, 0)
    assert verdict.message.startswith("these: text ") and "photo" in verdict.message, verdict.message

    rng = np.random.default_rng(5)
    cat = {"text": np.repeat(np.eye(3), 4, axis=0) + rng.normal(scale=0.3, size=(12, 3)),
           "photo": rng.normal(size=(12, 4))}
    cat_labels = list(np.repeat(list("abc"), 4))
    queries = {"first": 0, "second": 5}

    def one_step_early(bl, lab, q):
        edge = nb04._photo_edge(bl, lab, q)
        return None if edge is None else edge - 0.1

    _assert_verdicts(nb04.check_photo_edge, nb04._photo_edge,
                     [(one_step_early, "first weight"), (lambda bl, lab, q: None, "as a number")],
                     cat, cat_labels, queries)
    verdict = nb04.check_photo_edge.evaluate(nb04._photo_edge, cat, cat_labels, queries)
    assert verdict.message.startswith("first: ") and "second: " in verdict.message, verdict.message

    def no_validation(w):
        total = sum(w.values()) or 1.0
        return {k: v / total for k, v in w.items()}

    def silent(w):
        if min(w.values()) < 0 or sum(w.values()) == 0:
            raise ValueError("bad weights")
        return validate_weights(w)

    _assert_verdicts(nb04.check_fractions, validate_weights,
                     [(no_validation, "must raise ValueError"), (lambda w: dict(w), "divided by the sum"),
                      (silent, "say what to fix")], weights)


def test_nb06_function_checks():
    from helpers.ann import exact_top_k, recall_at_k
    from helpers.duplicates import near_duplicates
    from helpers.exercises import nb06

    vecs = _unit_rows(np.random.default_rng(4).normal(size=(10, 4)))

    def all_ordered_pairs(v, t):
        s = v @ v.T
        return [(i, j) for i in range(len(v)) for j in range(len(v)) if i != j and s[i, j] >= t]

    _assert_verdicts(nb06.check_pairs_above, lambda v, t: [(i, j) for i, j, _ in near_duplicates(v, t)],
                     [(lambda v, t: [(i, j) for i in range(len(v)) for j in range(len(v)) if (v @ v.T)[i, j] >= t],
                       "itself"), (all_ordered_pairs, "i < j")], vecs, 0.5)
    pool = _unit_rows(np.random.default_rng(5).normal(size=(300, 8)))
    queries = np.random.default_rng(6).normal(size=(4, 8))
    _assert_verdicts(nb06.check_exact_search, exact_top_k,
                     [(lambda b, q, k: exact_top_k(b, q, k)[:, ::-1], "wrong order"),
                      (lambda b, q, k: np.argsort(q @ b.T, axis=1)[:, :k], "smallest"),
                      (lambda b, q, k: np.argsort(-(b @ q.T), axis=1)[:, :k], "expected shape"),
                      (lambda b, q, k: exact_top_k(b, q, k + 1)[:, 1:], "queries @ base.T")], pool, queries)
    assert "share of the top 10 equal to helpers.ann.exact_top_k: 1.000" in \
        nb06.check_exact_search.evaluate(exact_top_k, pool, queries).message
    exact = np.array([[0, 1, 2], [3, 4, 5]])
    _assert_verdicts(nb06.check_recall_at_k, recall_at_k, [(lambda a, e: np.mean(a == e), "order")],
                     exact[:, ::-1], exact)


@pytest.mark.slow
def test_nb01_and_nb02_numbers_from_a_model(photos):
    from PIL import Image, ImageOps

    from helpers.exercises import nb01, nb02
    from helpers.models import load_image_encoder, load_text_encoder

    text = load_text_encoder()
    sentence, negated = "The cat is sleeping on the sofa.", "The cat is not sleeping on the sofa."
    a, b = _unit_rows(text.encode([sentence, negated]))
    cos = float(a @ b)
    check = nb01.check_negation_similarity
    assert check.evaluate(cos, text, sentence, negated).ok
    assert "distance" in check.evaluate(1 - cos, text, sentence, negated).message
    assert "percentage" in check.evaluate(100 * cos, text, sentence, negated).message
    assert check.evaluate(..., text, sentence, negated).status == "unanswered"

    image = load_image_encoder()
    photo = Image.open(photos[1][0]).convert("RGB")
    a, b = _unit_rows(image.encode([photo, ImageOps.mirror(photo)], progress=False))
    cos = float(a @ b)
    assert nb02.check_mirror_similarity.evaluate(cos, image, photo).ok
    assert "distance" in nb02.check_mirror_similarity.evaluate(1 - cos, image, photo).message
    assert nb02.check_mirror_similarity.evaluate(cos - 0.05, image, photo).status == "wrong"
