"""Exercises that check themselves: ``✓`` when the answer is right, ``✗`` with a hint when not.

A notebook's exercise cell holds a starter the learner replaces, then one call to that exercise's check::

    def centre(e):
        raise NotImplementedError   # your code here

    nb05.check_centre(centre, food_emb, cap_emb)

which prints exactly one line::

    ✓ exercise 4 (closing the gap): <numbers computed with your answer>
    ✗ exercise 4 (closing the gap): <a hint; never the answer>
    … exercise 4 (closing the gap): not answered yet

A starter is "not answered" when the answer is ``...`` (Ellipsis) or a function that raises
``NotImplementedError``; that never stops the notebook. Checks test behaviour: a function is called on
inputs the learner did not see, a number is compared (within a tolerance) with a value the check
recomputes from the run's own data. Under ``EMBEDDINGS_STRICT_CHECKS=1`` (the tests) a ``✗`` raises
:class:`ExerciseFailed` after printing, as a failed claim does; an unanswered exercise never raises.

One module per notebook (``helpers.exercises.nb05``) holds its checks, each written as a *judge*::

    @exercise(4, "closing the gap")
    def check_centre(centre, food_emb, cap_emb) -> str:
        out = attempt(centre, unseen_matrix)       # the learner's code, on an input they did not see
        if ...: raise Wrong("subtract the mean over the rows (axis=0), one mean vector per modality")
        return "numbers to show on the ✓ line"

Claims (:func:`helpers.notebook.check`) state what a lesson shows; exercises judge a learner's answer.
"""
from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..notebook import STRICT_ENV

__all__ = ["Exercise", "ExerciseFailed", "Result", "Wrong", "as_array", "as_number", "attempt", "exercise"]

Status = Literal["right", "wrong", "unanswered"]
MARK = {"right": "✓", "wrong": "✗", "unanswered": "…"}


class Wrong(Exception):
    """Raised by a judge with the hint to print (a hint says what to look at, never the answer)."""


class _NotAnswered(Exception):
    """The starter is still there (``...`` or ``raise NotImplementedError``)."""


class ExerciseFailed(AssertionError):
    """A wrong answer under ``EMBEDDINGS_STRICT_CHECKS=1``: the tests run the solutions, which must be right."""


@dataclass(frozen=True)
class Result:
    """The verdict on one answer: ``status`` and the text after the colon (numbers, hint or "not answered yet")."""

    number: int
    title: str
    status: Status
    message: str

    @property
    def ok(self) -> bool:
        return self.status == "right"

    @property
    def line(self) -> str:
        return f"{MARK[self.status]} exercise {self.number} ({self.title}): {self.message}"


def attempt(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call the learner's function: a starter counts as not answered, an exception as a wrong answer (with its text)."""
    if fn is Ellipsis:
        raise _NotAnswered
    if not callable(fn):
        raise Wrong(f"expected a function, got {type(fn).__name__}: define it with `def` and pass its name")
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise _NotAnswered from None
    except Exception as exc:  # noqa: BLE001 - the learner's bug, whatever it is: name it, do not crash the notebook
        raise Wrong(f"your function raised {type(exc).__name__}: {exc}") from None


def as_number(answer: Any, what: str) -> float:
    """The answer as a float, or a hint that says what kind of value was expected."""
    if answer is Ellipsis:
        raise _NotAnswered
    if isinstance(answer, (bool, np.bool_, str, bytes)) or (not np.isscalar(answer) and np.ndim(answer) != 0):
        raise Wrong(f"expected one number ({what}), got {type(answer).__name__}")
    try:
        value = float(answer)
    except (TypeError, ValueError):
        raise Wrong(f"expected one number ({what}), got {answer!r}") from None
    if not np.isfinite(value):
        raise Wrong(f"expected a finite number ({what}), got {value}")
    return value


def as_array(answer: Any, shape: tuple[int, ...], what: str) -> np.ndarray:
    """The answer as a float array of ``shape``, or a hint naming the shape that was expected."""
    try:
        arr = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        raise Wrong(f"expected an array ({what}), got {type(answer).__name__}") from None
    if arr.shape != shape:
        raise Wrong(f"expected shape {shape} ({what}), got {arr.shape}")
    if not np.isfinite(arr).all():
        raise Wrong(f"your array holds NaN or infinite values ({what})")
    return arr


class Exercise:
    """One checked exercise: call it in the notebook (prints one line), or ``evaluate`` it in a test (no printing)."""

    def __init__(self, number: int, title: str, judge: Callable[..., str]):
        self.number, self.title, self.judge = number, title, judge
        functools.update_wrapper(self, judge)

    def evaluate(self, answer: Any, *context: Any, **kwargs: Any) -> Result:
        """Judge ``answer`` (the learner's value or function) against the notebook's ``context``."""
        try:
            if answer is Ellipsis:
                raise _NotAnswered
            message, status = self.judge(answer, *context, **kwargs), "right"
        except _NotAnswered:
            message, status = "not answered yet", "unanswered"
        except Wrong as hint:
            message, status = str(hint), "wrong"
        return Result(self.number, self.title, status, message)

    def __call__(self, answer: Any, *context: Any, **kwargs: Any) -> None:
        result = self.evaluate(answer, *context, **kwargs)
        print(result.line)
        if result.status == "wrong" and os.environ.get(STRICT_ENV) == "1":
            raise ExerciseFailed(result.line)

    def __repr__(self) -> str:
        return f"<exercise {self.number}: {self.title}>"


def exercise(number: int, title: str) -> Callable[[Callable[..., str]], Exercise]:
    """Decorator: a judge ``(answer, *context) -> numbers shown on ✓`` (raising :class:`Wrong` with a hint) becomes
    an :class:`Exercise`."""
    def wrap(judge: Callable[..., str]) -> Exercise:
        return Exercise(number, title, judge)
    return wrap
