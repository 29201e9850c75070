"""Questions of the exercise notebooks and their visible checks.

A question is worth some points and is answered either by a value (a number or an array) or by a
function the student writes. Its reference answer is computed by ``lectures_lib`` itself.

A check in the student's notebook reads the answer as the grader reads it and asks the same
:func:`~.verdict.verdict` (see :mod:`.verdict`), on the visible cases. It prints one line and returns
``None``:

* the answer is still the placeholder (``...``, ``None``, or a function that raises
  ``NotImplementedError``): "Q1 (title): not attempted yet";
* the answer passes: "Q1 (title): correct";
* the answer is wrong: "Q1 (title): not yet: " and what is wrong (for a function, the visible input, the
  output and the expected output; for a value, its type, shape, sign or how far off it is in coarse words,
  never the answer), then the question's hint. Nothing is raised, so *Run All* goes on.

With the environment variable ``LECTURES_LIB_STRICT_CHECKS=1`` (``make test`` sets it for the notebooks), a
wrong answer raises ``AssertionError`` instead, so a wrong solution in an instructor source fails the tests.

``hidden_inputs`` draws fresh arguments for a function question. :meth:`Question.hidden_check` (in the
instructor sources only) checks them too and always raises when the answer is wrong; the grader draws its
own and compares outside the student's kernel.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .verdict import CORRECT, WRONG, Verdict, describe, encode_args, read_answer, values_close, verdict
from .verdict import NOT_ATTEMPTED as NOT_ATTEMPTED_STATUS

__all__ = ["Exercise", "NOT_ATTEMPTED", "NotAttempted", "Question", "Verdict", "describe", "is_placeholder",
           "make_checker", "strict_checks", "values_close", "verdict"]

#: What a check prints for an answer still holding its placeholder (the verdict's status is "not attempted").
NOT_ATTEMPTED = "not attempted yet"
#: The environment variable that makes a wrong answer raise ``AssertionError`` in :meth:`Question.check`.
STRICT_ENV = "LECTURES_LIB_STRICT_CHECKS"


class NotAttempted(Exception):
    """The answer is still the placeholder of the student copy (kept for code that catches it)."""


def is_placeholder(answer: Any) -> bool:
    """True for the placeholders of a student copy: ``...`` (Ellipsis) and ``None``."""
    return answer is Ellipsis or answer is None


def strict_checks() -> bool:
    """True when checks must raise on a wrong answer (``LECTURES_LIB_STRICT_CHECKS=1``)."""
    return os.environ.get(STRICT_ENV, "") == "1"


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

    @property
    def label(self) -> str:
        return f"{self.qid.upper()} ({self.title})"

    def visible_cases_encoded(self) -> list[list]:
        """The visible cases as the grader sends them to the kernel."""
        return [encode_args(args) for args in self.visible_cases] if self.kind == "function" else []

    def verdict(self, answer: Any, hidden_seed: int | None = None) -> Verdict:
        """The verdict on a live ``answer``: read as the grader reads it, on the visible cases (and, with
        ``hidden_seed``, on hidden inputs drawn with it), then judged by :func:`~.verdict.verdict`."""
        cases = self.visible_cases_encoded()
        n_visible = len(cases)
        if hidden_seed is not None and self.kind == "function" and self.hidden_inputs is not None:
            cases += [encode_args(args) for args in self.hidden_inputs(np.random.default_rng(hidden_seed))]
        return verdict(self, read_answer(answer, self.kind, cases), cases, n_visible)

    def message(self, result: Verdict) -> str:
        """The line a check prints for ``result``."""
        if result.status == CORRECT:
            return f"{self.label}: correct"
        if result.status == NOT_ATTEMPTED_STATUS:
            return f"{self.label}: {NOT_ATTEMPTED}"
        if result.status == WRONG:
            hint = f". Hint: {self.hint}" if self.hint else ""
            return f"{self.label}: not yet: " + "; ".join(result.messages) + hint
        return f"{self.label}: " + "; ".join(result.messages)

    # -- in the notebook -------------------------------------------------------------------------
    def check(self, answer: Any) -> None:
        """The visible check: print one line saying whether ``answer`` is correct, and why not.

        With ``LECTURES_LIB_STRICT_CHECKS=1`` a wrong answer raises ``AssertionError`` instead.
        """
        result = self.verdict(answer)
        text = self.message(result)
        if result.status == WRONG and strict_checks():
            raise AssertionError(text)
        print(text)

    def hidden_check(self, answer: Any, seed: int = 0) -> None:
        """Check an answer on the visible cases and on inputs drawn with ``seed`` (in the instructor sources
        only); a wrong answer always raises ``AssertionError``, whose message shows no hidden input."""
        result = self.verdict(answer, hidden_seed=seed)
        text = self.message(result)
        if result.status == WRONG:
            raise AssertionError(text)
        print(text + (", also on inputs not shown" if result.status == CORRECT and self.kind == "function" else ""))


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


def make_checker(exercise: Exercise) -> tuple[Callable[[str, Any], None], Callable[..., None]]:
    """The ``check(qid, answer)`` and ``hidden_check(qid, answer, seed=0)`` functions of an exercise module."""

    def check(qid: str, answer: Any) -> None:
        """Run the visible check of question ``qid`` on ``answer``: prints one line, returns None."""
        exercise[qid].check(answer)

    def hidden_check(qid: str, answer: Any, seed: int = 0) -> None:
        """Run question ``qid``'s check also on inputs the notebook does not show; raises when wrong."""
        exercise[qid].hidden_check(answer, seed)

    return check, hidden_check
