"""Questions of the exercise notebooks and their visible checks.

A question is worth some points and is answered either by a value (a number or an array) or by a
function the student writes. Its reference answer is computed by ``lectures_lib`` itself.

Visible checks run in the student's notebook and behave in one of three ways:

* the answer is still the placeholder (``...``, ``None``, or a function that raises
  ``NotImplementedError``): print "not attempted yet" and return, so *Run All* goes on;
* the answer passes: print "correct";
* the answer is wrong: raise ``AssertionError`` with a message that says what is wrong
  (for a function, the input and the output; for a value, how far off it is, not the answer).

``hidden_inputs`` draws fresh arguments for a function question, for checks the student does not
see; the grader evaluates the student's function on them and compares with the reference outside
the student's kernel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

NOT_ATTEMPTED = "not attempted yet"


class NotAttempted(Exception):
    """The answer is still the placeholder of the student copy."""


def is_placeholder(answer: Any) -> bool:
    """True for the placeholders of a student copy: ``...`` (Ellipsis) and ``None``."""
    return answer is Ellipsis or answer is None


def values_close(got: Any, expected: Any, rtol: float, atol: float) -> bool:
    try:
        got_array = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    expected_array = np.asarray(expected, dtype=float)
    if got_array.shape != expected_array.shape:
        return False
    return bool(np.allclose(got_array, expected_array, rtol=rtol, atol=atol, equal_nan=False))


def describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return np.array2string(value, precision=6)
    if isinstance(value, float):
        return f"{value:.6g}"
    return repr(value)


def _call(fn: Callable[..., Any], args: tuple) -> Any:
    try:
        return fn(*args)
    except NotImplementedError as error:
        raise NotAttempted from error


@dataclass(frozen=True)
class Question:
    """One graded question of an exercise notebook.

    ``answer_name`` is the variable or function the student defines in the answer cell.
    ``reference`` returns the expected value (a value question) or is the reference function (a
    function question). ``visible_cases`` are argument tuples checked in the notebook.
    """

    qid: str
    title: str
    points: int
    answer_name: str
    reference: Callable[..., Any]
    kind: str = "value"  # "value" or "function"
    visible_cases: Sequence[tuple] = field(default_factory=tuple)
    hidden_inputs: Callable[[np.random.Generator], Sequence[tuple]] | None = None
    rtol: float = 1e-6
    atol: float = 0.0
    hint: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("value", "function"):
            raise ValueError(f"kind must be 'value' or 'function', got {self.kind!r}")
        if self.points < 1:
            raise ValueError(f"points must be >= 1, got {self.points}")

    # -- evaluation, shared by the visible checks and the grader -------------------------------
    def expected(self, *args: Any) -> Any:
        """The reference answer (for a function question: the reference output for ``args``)."""
        return self.reference(*args)

    def failures(self, answer: Any, cases: Sequence[tuple] | None = None) -> list[str]:
        """Why ``answer`` is wrong, one message per failed case; empty when it passes.

        Raises :class:`NotAttempted` when the answer is still the placeholder.
        """
        if is_placeholder(answer):
            raise NotAttempted
        if self.kind == "value":
            expected = self.expected()
            if values_close(answer, expected, self.rtol, self.atol):
                return []
            message = f"{self.answer_name} = {describe(answer)} is not the expected value"
            try:
                ratio = float(np.asarray(answer, dtype=float).ravel()[0] / np.asarray(expected, dtype=float).ravel()[0])
                message += f" (it is {ratio:.3g} times the right answer)"
            except (TypeError, ValueError, IndexError, ZeroDivisionError, FloatingPointError):
                pass
            return [message + (f". Hint: {self.hint}" if self.hint else "")]
        if not callable(answer):
            return [f"{self.answer_name} must be a function, got {type(answer).__name__}"]
        problems = []
        for args in self.visible_cases if cases is None else cases:
            got = _call(answer, args)
            want = self.expected(*args)
            if not values_close(got, want, self.rtol, self.atol):
                shown = ", ".join(describe(a) for a in args)
                problems.append(f"{self.answer_name}({shown}) returned {describe(got)}, expected {describe(want)}")
        if problems and self.hint:
            problems.append(f"Hint: {self.hint}")
        return problems

    # -- in the notebook -------------------------------------------------------------------------
    def check(self, answer: Any) -> str:
        """The visible check: print and return the status, or raise ``AssertionError`` when wrong."""
        label = f"{self.qid.upper()} ({self.title})"
        try:
            problems = self.failures(answer)
        except NotAttempted:
            status = f"{label}: {NOT_ATTEMPTED}"
            print(status)
            return NOT_ATTEMPTED
        if problems:
            raise AssertionError(f"{label}: " + "; ".join(problems))
        print(f"{label}: correct")
        return "correct"

    def hidden_check(self, answer: Any, seed: int = 0) -> str:
        """Check a function answer on inputs drawn with ``seed`` (a value answer: same as :meth:`check`)."""
        if self.kind == "value" or self.hidden_inputs is None:
            return self.check(answer)
        cases = self.hidden_inputs(np.random.default_rng(seed))
        try:
            problems = self.failures(answer, cases)
        except NotAttempted:
            return NOT_ATTEMPTED
        if problems:
            raise AssertionError(f"{self.qid.upper()}: fails on inputs not shown in the notebook")
        return "correct"


@dataclass(frozen=True)
class Exercise:
    """The questions of one exercise notebook, in order."""

    exercise_id: str
    title: str
    questions: tuple[Question, ...]

    def __getitem__(self, qid: str) -> Question:
        for question in self.questions:
            if question.qid == qid:
                return question
        raise KeyError(f"{self.exercise_id} has no question {qid!r}; it has {[q.qid for q in self.questions]}")

    @property
    def max_points(self) -> int:
        return sum(q.points for q in self.questions)


def make_checker(exercise: Exercise) -> tuple[Callable[[str, Any], str], Callable[..., str]]:
    """The ``check(qid, answer)`` and ``hidden_check(qid, answer, seed=0)`` functions of an exercise module."""

    def check(qid: str, answer: Any) -> str:
        """Run the visible check of question ``qid`` on ``answer``."""
        return exercise[qid].check(answer)

    def hidden_check(qid: str, answer: Any, seed: int = 0) -> str:
        """Run question ``qid``'s check on inputs the notebook does not show."""
        return exercise[qid].hidden_check(answer, seed)

    return check, hidden_check
