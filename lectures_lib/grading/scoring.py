"""Scoring the answers read from a kernel, in the grader's own process.

Each question is worth its points when its answer is right in the student's own variant: a number or a
choice is compared with the answer key's value for that variant; a function must pass its visible cases
(shown in the notebook) and hidden ones drawn at grading time; a text scores 0 and "needs manual grading".
Feedback may show a visible case's input, output and expected value, never a hidden one's.

The records read back from a student's kernel are hostile input. :func:`validate_record` accepts only
the shapes below and returns a clean copy, or ``None``; anything else is "the answer could not be read
back" (0 points, not graded). :func:`score_question` never raises, whatever the record holds.

The verdict itself (correct, wrong, not attempted, not graded, and the feedback lines) is
:func:`lectures_lib.exercises.verdict.verdict`, the function the notebook's check calls on the same record
for the visible cases, so a check and the gradebook cannot disagree on them. Feedback is written in fixed
words: "returned a str, expected a number", "raised ValueError", "is not defined", "is not a function",
"off by more than a factor of 10". A type or exception name from the kernel is shown only when it is a
plain identifier of at most 40 characters; an exception's message never is.

Records (JSON objects), by how the answer is read:

* any answer: ``{"missing": true}``, ``{"placeholder": true}``, ``{"timeout": true}``,
  ``{"memory": true}``;
* a choice: ``{"choice": "B"}`` (at most 10 characters) or ``{"unreadable": "TypeName"}``;
* a text: ``{"text": "..."}`` (at most 20,000 characters) or ``{"unreadable": "TypeName"}``;
* a value: ``{"shape": [int, ...], "data": [number, ...]}`` (``len(data)`` is the product of the shape)
  or ``{"unreadable": "TypeName"}``;
* a function: ``{"not_callable": "TypeName"}`` or ``{"outputs": [output, ...]}``, one output per case,
  each a value record, ``{"not_attempted": true}`` or ``{"error": "ExceptionName"}`` (text after a
  colon, the message, is dropped).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..exercises.core import Exercise, Question
from ..exercises.verdict import NEEDS_MANUAL, line, plain_name, verdict

#: Largest array read back from a kernel, in elements, and its largest number of dimensions.
MAX_ELEMENTS = 1_000_000
MAX_NDIM = 8
NOT_READ_BACK = "the answer could not be read back"
#: Longest choice and text read back, in characters (what ``read_answer`` sends at most).
MAX_CHOICE = 10
MAX_TEXT = 20_000
_FLAGS = ("missing", "placeholder", "timeout", "memory")


@dataclass(frozen=True)
class QuestionScore:
    qid: str
    points: int
    max_points: int
    verdict: str  # correct, wrong, not attempted, not graded, needs manual grading
    feedback: tuple[str, ...] = ()
    answer_text: str = ""  # an explain answer, for the instructor's manual-grading sheet (not in the gradebook)


def _number(x: Any) -> bool:
    return type(x) in (int, float)  # not bool, not a string, not a nested list


def _value(record: dict[str, Any]) -> dict[str, Any] | None:
    """A clean value record, or None."""
    if set(record) == {"shape", "data"}:
        shape, data = record["shape"], record["data"]
        if not isinstance(shape, list) or not isinstance(data, list) or len(shape) > MAX_NDIM:
            return None
        if not all(type(d) is int and 0 <= d <= MAX_ELEMENTS for d in shape):
            return None
        if math.prod(shape) != len(data) or len(data) > MAX_ELEMENTS or not all(_number(x) for x in data):
            return None
        try:
            floats = [float(x) for x in data]  # an int too large for a float raises OverflowError
        except OverflowError:
            return None
        return {"shape": list(shape), "data": floats}
    if set(record) == {"unreadable"} and isinstance(record["unreadable"], str):
        return {"unreadable": plain_name(record["unreadable"])}
    return None


def _flag(record: dict[str, Any]) -> dict[str, Any] | None:
    if len(record) == 1:
        (key, value), = record.items()
        if key in _FLAGS and value is True:
            return {key: True}
    return None


def _output(output: Any) -> dict[str, Any] | None:
    if not isinstance(output, dict):
        return None
    if set(output) == {"not_attempted"}:
        return {"not_attempted": True} if output["not_attempted"] is True else None
    if set(output) == {"error"}:
        if not isinstance(output["error"], str):
            return None
        return {"error": plain_name(output["error"].split(":", 1)[0].strip())}
    if set(output) == {"placeholder"}:
        return {"placeholder": True} if output["placeholder"] is True else None
    return _value(output)


def _string(record: dict[str, Any], kind: str, limit: int) -> dict[str, Any] | None:
    if set(record) == {kind} and isinstance(record[kind], str) and len(record[kind]) <= limit:
        return {kind: record[kind]}
    if set(record) == {"unreadable"} and isinstance(record["unreadable"], str):
        return {"unreadable": plain_name(record["unreadable"])}
    return None


def validate_record(record: Any, kind: str, n_cases: int) -> dict[str, Any] | None:
    """A clean copy of a record read back from a kernel for an answer read as ``kind`` ("value",
    "function", "choice" or "text") with ``n_cases`` cases, or None when it is not exactly one of the shapes
    this module accepts.

    Type and exception names that are not plain identifiers become None (shown as "a value", "an
    exception"); exception messages are dropped; numbers become floats. Never raises.
    """
    try:
        if not isinstance(record, dict):
            return None
        flagged = _flag(record)
        if flagged is not None:
            return flagged
        if kind == "value":
            return _value(record)
        if kind == "choice":
            return _string(record, "choice", MAX_CHOICE)
        if kind == "text":
            return _string(record, "text", MAX_TEXT)
        if kind != "function":
            return None
        if set(record) == {"not_callable"} and isinstance(record["not_callable"], str):
            return {"not_callable": plain_name(record["not_callable"])}
        if set(record) != {"outputs"} or not isinstance(record["outputs"], list):
            return None
        if len(record["outputs"]) != n_cases:
            return None
        outputs = [_output(o) for o in record["outputs"]]
        return None if any(o is None for o in outputs) else {"outputs": outputs}
    except Exception:  # RecursionError, MemoryError: nothing read back counts
        return None


def _not_read(question: Question) -> QuestionScore:
    return QuestionScore(question.qid, 0, question.points, "not graded", (NOT_READ_BACK,))


def score_question(question: Question, record: Any, cases: list[list], n_visible: int, expected: Any = None
                   ) -> QuestionScore:
    """Score one question from the record read in the kernel; ``cases`` as sent (visible first) and
    ``expected`` from the answer key (see :func:`~lectures_lib.exercises.verdict.verdict`).

    Never raises: a record that is not one of the accepted shapes scores 0, "not graded".
    """
    try:
        return _score(question, record, cases, n_visible, expected)
    except Exception:
        return _not_read(question)


def _score(question: Question, raw: Any, cases: list[list], n_visible: int, expected: Any) -> QuestionScore:
    record = None if raw is None else validate_record(raw, question.read_kind, len(cases))
    if raw is not None and record is None:
        return _not_read(question)
    if question.read_kind in ("value", "choice") and expected is None:
        raise ValueError("the grader needs the expected answer")
    result = verdict(question, record, cases, n_visible, expected)
    points = question.points if result.status == "correct" else 0
    text = record.get("text", "") if result.status == NEEDS_MANUAL and record is not None else ""
    return QuestionScore(question.qid, points, question.points, result.status, result.messages, text)


def unanswerable_score(question: Question, reason: str) -> QuestionScore:
    """0 points for a question whose answer cell could not be graded (``Submission.unanswerable``)."""
    return QuestionScore(question.qid, 0, question.points, "not graded", (line(str(reason)),))


def score_exercise(exercise: Exercise, records: dict[str, Any], plan: dict[str, dict],
                   unanswerable: dict[str, str] | None = None) -> list[QuestionScore]:
    """Scores of every question of ``exercise``; ``plan`` is the per-question job (``cases``, ``n_visible``
    and the key's ``expected``), of which only the cases are sent to the worker.

    A question in ``unanswerable`` (question id -> reason, from the submission) scores 0 with that
    reason, whatever its record says.
    """
    records = records if isinstance(records, dict) else {}
    unanswerable = unanswerable or {}
    return [
        unanswerable_score(q, unanswerable[q.qid]) if q.qid in unanswerable else
        score_question(q, records.get(q.qid), plan[q.qid]["cases"], plan[q.qid]["n_visible"],
                       plan[q.qid]["expected"])
        for q in exercise.questions
    ]
