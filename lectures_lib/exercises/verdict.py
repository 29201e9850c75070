"""One verdict on an answer, the same in the student's notebook and in the grader.

An answer is first *read*: :func:`read_answer` turns the student's value, or the student's function
evaluated on a list of cases, into a small JSON-able record. The grader runs the very same code in the
student's kernel (:mod:`lectures_lib.grading.protocol` embeds its source) and reads the record back;
the notebook's check calls it directly on the live answer with the visible cases. :func:`verdict` then
decides, from the record alone, whether the answer is correct, wrong, not attempted or not graded, and
says why in fixed words. The check and the grader call it with the same record for the visible cases, so
they cannot disagree on them.

Records, by how an answer is read (the grader checks a record read back from a kernel against these
shapes before it calls :func:`verdict`):

* any answer: ``{"missing": true}``, ``{"placeholder": true}`` (``...``, ``None``, or a blank string for a
  choice or a text), and, from the grader only, ``{"timeout": true}``, ``{"memory": true}``;
* a choice: ``{"choice": "B"}`` (at most 10 characters) or ``{"unreadable": "TypeName"}``;
* a text: ``{"text": "..."}`` (at most 20,000 characters, and at most 60,000 once written as JSON: a
  longer text is cut) or ``{"unreadable": "TypeName"}``;
* a value: ``{"shape": [int, ...], "data": [number, ...]}`` or ``{"unreadable": "TypeName"}`` (a string,
  a bool, a complex number or anything else that is not a real number or a numeric array);
* a function: ``{"not_callable": "TypeName"}`` or ``{"outputs": [output, ...]}``, one output per case,
  each a value record, ``{"placeholder": true}`` (it returned ``None``), ``{"not_attempted": true}`` (it
  raised ``NotImplementedError``) or ``{"error": "ExceptionName"}``.

Feedback never shows the expected value of a value question (only what is wrong with the answer: its type,
its shape, NaN, its sign, how far off in coarse words), nor the input or expected output of a case that is
not visible. A visible function case shows its input, the output and the expected output.

This module imports nothing from ``lectures_lib.grading``, which the sandbox hides from student code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

CORRECT = "correct"
WRONG = "wrong"
NOT_ATTEMPTED = "not attempted"
NOT_GRADED = "not graded"
#: A text answer: recorded for the instructor, who grades it by hand.
NEEDS_MANUAL = "needs manual grading"
#: In the notebook only: a well-formed answer whose value only the grader can check (a student's own variant).
ANSWERED = "answered"
#: Longest feedback line, in characters.
MAX_LINE = 300
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")


@dataclass(frozen=True)
class Verdict:
    """The status of an answer (:data:`CORRECT`, :data:`WRONG`, :data:`NOT_ATTEMPTED`, :data:`NOT_GRADED`)
    and why, one line per problem."""

    status: str
    messages: tuple[str, ...] = ()


# -- reading an answer (this function's source also runs in the student's kernel) ---------------------------
def read_answer(answer, kind, cases):
    """The record of ``answer`` read as ``kind`` ("value", "function", "choice" or "text"), evaluating a function
    on ``cases`` (encoded as by :func:`encode_args`). Never raises an ``Exception``.

    The grader runs this function's source in the student's kernel, so it uses only names it imports itself.
    """
    import numpy

    def encode(value):
        if value is Ellipsis or value is None:
            return {"placeholder": True}
        if isinstance(value, (str, bytes, bool, numpy.bool_)):
            return {"unreadable": type(value).__name__}
        try:
            array = numpy.asarray(value)
            kinds = {"b": "bool", "U": "str", "S": "bytes", "c": "complex"}
            if array.dtype.kind in kinds:
                return {"unreadable": kinds[array.dtype.kind]}
            if array.dtype.kind == "O":
                for item in array.ravel().tolist():
                    if isinstance(item, (str, bytes, bool, numpy.bool_, complex)):
                        return {"unreadable": type(item).__name__}
            elif array.dtype.kind not in "iuf":
                return {"unreadable": type(value).__name__}
            array = numpy.asarray(array, dtype=float)
        except Exception:
            return {"unreadable": type(value).__name__}
        return {"shape": list(array.shape), "data": array.ravel().tolist()}

    def decode(arg):
        if isinstance(arg, dict) and "ndarray" in arg:
            return numpy.asarray(arg["ndarray"], dtype=float)
        return arg

    if answer is Ellipsis or answer is None:
        return {"placeholder": True}
    if kind == "value":
        return encode(answer)
    if kind in ("choice", "text"):
        if not isinstance(answer, str):
            return {"unreadable": type(answer).__name__}
        if not answer.strip():
            return {"placeholder": True}
        if kind == "choice":
            return {"choice": answer.strip()[:10]}
        import json

        text = answer[:20000]
        while len(json.dumps(text)) > 60000:  # the read-back line stays short whatever the characters
            text = text[: len(text) // 2]
        return {"text": text}
    if not callable(answer):
        return {"not_callable": type(answer).__name__}
    outputs = []
    for case in cases:
        try:
            outputs.append(encode(answer(*[decode(arg) for arg in case])))
        except NotImplementedError:
            outputs.append({"not_attempted": True})
        except Exception as error:
            outputs.append({"error": type(error).__name__})
    return {"outputs": outputs}


def encode_args(args: Sequence[Any]) -> list:
    """Arguments of one function case as JSON (arrays become ``{"ndarray": [...]}``)."""
    encoded: list = []
    for arg in args:
        if isinstance(arg, np.ndarray):
            encoded.append({"ndarray": arg.tolist()})
        elif isinstance(arg, (np.integer, int)) and not isinstance(arg, bool):
            encoded.append(int(arg))
        else:
            encoded.append(float(arg))
    return encoded


def decode_args(encoded: Sequence[Any]) -> tuple:
    """The inverse of :func:`encode_args` (as the student's function receives them)."""
    return tuple(np.asarray(a["ndarray"], dtype=float) if isinstance(a, dict) else a for a in encoded)


# -- words ---------------------------------------------------------------------------------------------------
def plain_name(name: Any) -> str | None:
    """``name`` if it is a plain identifier of at most 40 ASCII characters, else None."""
    return name if isinstance(name, str) and _IDENTIFIER.fullmatch(name) else None


def article(word: str) -> str:
    """"an" before a word that starts with a vowel ("an int", "an ndarray"), else "a" ("a str")."""
    return "an" if word[:1].lower() in "aeiou" or word == "ndarray" else "a"


def describe(value: Any) -> str:
    """A number or an array as feedback shows it (6 significant digits)."""
    if isinstance(value, np.ndarray):
        return np.array2string(value, precision=6)
    if isinstance(value, float):
        return f"{value:.6g}"
    return repr(value)


def line(text: str) -> str:
    """One feedback line: whitespace collapsed, at most :data:`MAX_LINE` characters."""
    text = " ".join(text.split())
    return text if len(text) <= MAX_LINE else text[: MAX_LINE - 1] + "…"


def values_close(got: Any, expected: Any, rtol: float, atol: float) -> bool:
    try:
        got_array = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    expected_array = np.asarray(expected, dtype=float)
    if got_array.shape != expected_array.shape:
        return False
    return bool(np.allclose(got_array, expected_array, rtol=rtol, atol=atol, equal_nan=False))


def _array(record: dict[str, Any]) -> np.ndarray | None:
    if "data" not in record or "shape" not in record:
        return None
    return np.asarray(record["data"], dtype=float).reshape(record["shape"])


def _shown(value: np.ndarray) -> str:
    return describe(value.item() if value.ndim == 0 else value)


def _count(n: int) -> str:
    return f"{n} value" if n == 1 else f"{n} values"


def _percent(rtol: float) -> str:
    return f"{rtol * 100:.3g}%"


def value_problem(name: str, got: np.ndarray, want: np.ndarray, rtol: float) -> str:
    """What is wrong with the value ``got`` of ``name``, without revealing ``want`` (nor a ratio to it)."""
    if got.size != want.size:
        return f"{name} has {_count(got.size)}, expected {want.size}"
    if got.shape != want.shape:
        expected = "a single number" if want.ndim == 0 else f"shape {want.shape}"
        return f"{name} has shape {got.shape}, expected {expected}"
    shown = f"{name} is {_shown(got)}"
    if np.isnan(got).any():
        return f"{name} is NaN" if got.size == 1 else f"{name} contains NaN"
    if np.isinf(got).any():
        return f"{name} is infinite" if got.size == 1 else f"{name} contains an infinite value"
    g, w = got.ravel(), want.ravel()
    if np.any(np.sign(g) * np.sign(w) < 0):
        return f"{shown}: the sign is wrong"
    if np.any(w == 0):
        return f"{shown}: not the expected value"
    g, w = np.abs(g), np.abs(w)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = float(np.max(np.where(g == 0, np.inf, np.maximum(g / w, w / g))))
        relative = float(np.max(np.abs(g - w) / w))
    if factor > 10:
        return f"{shown}: off by more than a factor of 10"
    if factor > 2:
        return f"{shown}: off by more than a factor of 2"
    if relative > 0.1:
        return f"{shown}: off by more than 10%"
    near = max(10 * rtol, 0.01)
    if relative > near:  # more than rounding: "close" would send the student after digits, not the method
        return f"{shown}: off by more than {_percent(near)}, more than rounding explains: check the method"
    return f"{shown}: close, but outside the tolerance of {_percent(rtol)}"


def _output_problem(output: dict[str, Any]) -> str:
    """What a function did on one case, in fixed words."""
    if "error" in output:
        error = output["error"]
        name = plain_name(error.split(":", 1)[0].strip()) if isinstance(error, str) else None
        return f"raised {name}" if name else "raised an exception"
    if "not_attempted" in output:
        return "raised NotImplementedError"
    if "unreadable" in output:
        name = plain_name(output["unreadable"])
        if not name:
            return "returned a value that is not a number"
        return f"returned {article(name)} {name}, expected a number"
    if "placeholder" in output:
        return "returned None"
    value = _array(output)
    return "returned " + ("nothing" if value is None else _shown(value))


# -- the verdict -----------------------------------------------------------------------------------------------
def letters(n_options: int) -> str:
    """The option letters of a multiple-choice question with ``n_options`` options: "ABCD" for 4."""
    return "ABCDEFGH"[:n_options]


def verdict(question: Any, record: dict[str, Any] | None, cases: Sequence[Sequence[Any]], n_visible: int,
            expected: Any = None) -> Verdict:
    """The verdict on an answer from its record (see the module docstring).

    ``question`` has ``answer_name``, ``read_kind`` ("value", "function", "choice" or "text"), ``rtol``,
    ``atol`` and ``options`` (a :class:`~.core.Question`). ``expected`` is what the answer is compared with:
    for a function, one expected output per case (``cases`` are the encoded arguments the record's outputs
    answer, the first ``n_visible`` visible, the others only counted in the feedback); for a value, the
    expected number or array; for a choice, the right letter. ``expected`` None for a value or a choice means
    the value cannot be checked here (a student's own variant in the notebook): a well-formed answer is then
    :data:`ANSWERED`. A text answer is never judged by code: it :data:`NEEDS_MANUAL` grading.

    ``record`` None means nothing was read back. A record that is not one of the accepted shapes raises (the
    grader validates what it reads back first).
    """
    name = question.answer_name
    kind = question.read_kind
    if record is None:
        return Verdict(NOT_GRADED, ("not graded: the notebook stopped before this answer could be read",))
    if record.get("timeout"):
        return Verdict(NOT_GRADED, ("not graded: reading this answer took longer than the time limit",))
    if record.get("memory"):
        return Verdict(NOT_GRADED, ("not graded: reading this answer ran out of memory",))
    if record.get("missing"):
        return Verdict(NOT_ATTEMPTED, (f"not attempted: {name} is not defined",))
    if record.get("placeholder"):
        return Verdict(NOT_ATTEMPTED, ("not attempted",))
    if "unreadable" in record and kind != "function":
        type_name = plain_name(record["unreadable"])
        wanted = {"value": "a number", "choice": "a letter in quotes, like \"B\"", "text": "text in quotes"}[kind]
        return Verdict(WRONG, (line(f"{name} is {article(type_name)} {type_name}, expected {wanted}" if type_name else
                                    f"{name} is not {wanted}"),))
    if kind == "text":
        words = len(str(record["text"]).split())
        return Verdict(NEEDS_MANUAL, (f"{words} words recorded for your instructor, who grades this answer by hand",))
    if kind == "choice":
        choice = str(record["choice"]).upper().strip("() .")
        valid = letters(question.options)
        if len(choice) != 1 or choice not in valid:
            return Verdict(WRONG, (f"{name} must be one of the letters {', '.join(valid)}",))
        if expected is None:
            return Verdict(ANSWERED, (f"option {choice} recorded; it is checked when your notebook is graded",))
        return Verdict(CORRECT) if choice == expected else Verdict(WRONG, (f"option {choice} is not the right one",))
    if kind == "value":
        value = _array(record)
        if value is None:
            raise ValueError("not a value record")
        if expected is None:
            shape = "a number" if value.ndim == 0 else f"an array of shape {value.shape}"
            if not np.all(np.isfinite(value)):
                return Verdict(WRONG, (line(value_problem(name, value, value, question.rtol)),))
            return Verdict(ANSWERED, (f"{shape} recorded; its value is checked when your notebook is graded",))
        expected = np.asarray(expected, dtype=float)
        if values_close(value, expected, question.rtol, question.atol):
            return Verdict(CORRECT)
        return Verdict(WRONG, (line(value_problem(name, value, expected, question.rtol)),))
    if "not_callable" in record:
        type_name = plain_name(record["not_callable"])
        return Verdict(WRONG, (f"{name} is not a function" + (f" (its type is {type_name})" if type_name else ""),))
    outputs = record["outputs"]
    if not cases or len(outputs) != len(cases) or expected is None or len(expected) != len(cases):
        raise ValueError("the outputs do not match the cases")
    if all(output.get("not_attempted") for output in outputs):
        return Verdict(NOT_ATTEMPTED, ("not attempted",))
    messages = []
    hidden_failures = 0
    for index, (encoded, output, want) in enumerate(zip(cases, outputs, expected, strict=True)):
        value = _array(output)
        if value is not None and values_close(value, want, question.rtol, question.atol):
            continue
        if index >= n_visible:
            hidden_failures += 1
            continue
        shown = ", ".join(describe(a) for a in decode_args(encoded))
        problem = _output_problem(output)
        if "unreadable" not in output:  # "returned a str, expected a number" says what was expected already
            want = np.asarray(want, dtype=float)
            problem += f", expected {_shown(want)}"
        messages.append(line(f"{name}({shown}) {problem}"))
    if hidden_failures:
        messages.append(f"fails on {hidden_failures} of {len(cases) - n_visible} checks with inputs not shown")
    return Verdict(WRONG, tuple(messages)) if messages else Verdict(CORRECT)
