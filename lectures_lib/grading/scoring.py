"""Scoring the answers read from a kernel, in the grader's own process.

Each question is worth its points when every case passes: a value question has one case; a function
question has its visible cases (shown in the notebook) and hidden ones drawn at grading time.
Feedback may show a visible case's input, output and expected value, never a hidden one's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..exercises.core import Exercise, Question, describe, values_close
from .protocol import decode_args, decode_value


@dataclass(frozen=True)
class QuestionScore:
    qid: str
    points: int
    max_points: int
    verdict: str  # correct, wrong, not attempted, not graded
    feedback: tuple[str, ...] = ()


def _value_of(record: dict[str, Any]) -> np.ndarray | None:
    if "data" in record and "shape" in record:
        try:
            return decode_value(record)
        except (TypeError, ValueError):
            return None
    return None


def _show(record: dict[str, Any]) -> str:
    if "error" in record:
        return f"raised {record['error']}"
    if "unreadable" in record:
        return f"returned a {record['unreadable']}, not a number"
    value = _value_of(record)
    return "returned " + (describe(value.item() if value.ndim == 0 else value) if value is not None else "nothing")


def _unanswered(record: dict[str, Any] | None) -> str | None:
    if record is None:
        return "not graded: the notebook stopped before this answer could be read"
    if record.get("timeout"):
        return "not graded: reading this answer took longer than the time limit"
    if record.get("memory"):
        return "not graded: reading this answer ran out of memory"
    if record.get("missing"):
        return "not attempted: the answer is not defined"
    if record.get("placeholder"):
        return "not attempted"
    return None


def score_question(
    question: Question, record: dict[str, Any] | None, cases: list[list], n_visible: int
) -> QuestionScore:
    """Score one question from the record read in the kernel; ``cases`` as sent (visible first)."""
    reason = _unanswered(record)
    if reason is not None:
        verdict = "not attempted" if reason.startswith("not attempted") else "not graded"
        return QuestionScore(question.qid, 0, question.points, verdict, (reason,))
    assert record is not None
    if question.kind == "value":
        value = _value_of(record)
        if value is not None and values_close(value, question.expected(), question.rtol, question.atol):
            return QuestionScore(question.qid, question.points, question.points, "correct")
        shown = _show(record).replace("returned", "is", 1)
        return QuestionScore(question.qid, 0, question.points, "wrong",
                             (f"{question.answer_name} {shown}: not the expected value",))
    if "not_callable" in record:
        return QuestionScore(question.qid, 0, question.points, "wrong",
                             (f"{question.answer_name} must be a function, got {record['not_callable']}",))
    outputs = record.get("outputs", [])
    if len(outputs) != len(cases):
        return QuestionScore(question.qid, 0, question.points, "not graded", ("the answer could not be read back",))
    if all(o.get("not_attempted") for o in outputs):
        return QuestionScore(question.qid, 0, question.points, "not attempted", ("not attempted",))
    feedback = []
    hidden_failures = 0
    for index, (encoded, output) in enumerate(zip(cases, outputs, strict=True)):
        args = decode_args(encoded)
        value = _value_of(output)
        if value is not None and values_close(value, question.expected(*args), question.rtol, question.atol):
            continue
        if index < n_visible:
            shown = ", ".join(describe(a) for a in args)
            feedback.append(f"{question.answer_name}({shown}) {_show(output)}, expected "
                            f"{describe(question.expected(*args))}")
        else:
            hidden_failures += 1
    if hidden_failures:
        feedback.append(f"fails on {hidden_failures} of {len(cases) - n_visible} checks with inputs not shown")
    if feedback:
        return QuestionScore(question.qid, 0, question.points, "wrong", tuple(feedback))
    return QuestionScore(question.qid, question.points, question.points, "correct")


def score_exercise(exercise: Exercise, records: dict[str, Any], plan: dict[str, dict]) -> list[QuestionScore]:
    """Scores of every question of ``exercise``; ``plan`` is the per-question job sent to the worker."""
    return [
        score_question(q, records.get(q.qid), plan[q.qid]["cases"], plan[q.qid]["n_visible"])
        for q in exercise.questions
    ]
