"""Questions of the exercise notebooks, their per-student variants and their visible checks.

This module is what a student installs. It holds no reference answer: those are in the instructor's
answer keys (:mod:`.key`), beside the exercise sources, which the grader loads from its ``--source`` folder.

**Question kinds.** How a student answers, and how the answer is read and checked:

============  =========================================  ===========================================
kind          the student                                 checked
============  =========================================  ===========================================
implement     writes a function                           on visible cases and hidden random inputs
derive        writes a closed-form result as a function   on visible cases and hidden random inputs
compute       gives a number from their own parameters    against the key, with their parameters
fit           fits a law to their own data                against the key's fit of the same data
choose        picks a letter                              against the key (options are per variant)
explain       writes text                                 by hand: "needs manual grading"
============  =========================================  ===========================================

**Variants.** Each question's parameters and data come from :meth:`Exercise.draw`, drawn with a
seed made of the exercise, the question and the student id (:func:`variant_seed`). The student copy sets
``STUDENT_ID`` once; the grader sets it to the identity it establishes itself and reruns the answer cells,
so a number copied from a classmate or from a chapter does not fit. An empty id is the *default variant*,
for self-study.

**Visible checks** (:meth:`Session.check`) print one line and never stop *Run All*:

* functions are checked on the visible cases, whose expected outputs ship in ``checks/<id>.json``;
* numbers and choices are checked against the default variant's answers (``checks/<id>.json`` too,
  written from the key by ``make release``); in a student's own variant the check can only say that the
  answer is well formed ("answered"): its value is checked when the notebook is graded;
* a text answer is recorded for the instructor.

With ``LECTURES_LIB_STRICT_CHECKS=1`` (``make test`` sets it for the notebooks) a wrong answer raises
``AssertionError`` instead, so a wrong solution in an instructor source fails the tests.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from .verdict import (
    ANSWERED,
    CORRECT,
    NEEDS_MANUAL,
    WRONG,
    Verdict,
    describe,
    encode_args,
    letters,
    read_answer,
    values_close,
    verdict,
)
from .verdict import NOT_ATTEMPTED as NOT_ATTEMPTED_STATUS

__all__ = ["KINDS", "Exercise", "NOT_ATTEMPTED", "Params", "Question", "Session", "Variant", "Verdict", "describe",
           "is_placeholder", "normalise_student_id", "round_sig", "strict_checks", "values_close", "variant_seed",
           "verdict"]

#: What a check prints for an answer still holding its placeholder (the verdict's status is "not attempted").
NOT_ATTEMPTED = "not attempted yet"
#: The environment variable that makes a wrong answer raise ``AssertionError`` in :meth:`Session.check`.
STRICT_ENV = "LECTURES_LIB_STRICT_CHECKS"
#: Question kind -> how its answer is read (see :func:`~.verdict.read_answer`).
KINDS = {"implement": "function", "derive": "function", "compute": "value", "fit": "value", "choose": "choice",
         "explain": "text"}
#: Longest student id, in characters.
MAX_STUDENT_ID = 100


def is_placeholder(answer: Any) -> bool:
    """True for the placeholders of a student copy: ``...`` (Ellipsis) and ``None``."""
    return answer is Ellipsis or answer is None


def strict_checks() -> bool:
    """True when checks must raise on a wrong answer (``LECTURES_LIB_STRICT_CHECKS=1``)."""
    return os.environ.get(STRICT_ENV, "") == "1"


# -- student ids and seeds ------------------------------------------------------------------------------------
def normalise_student_id(student_id: Any) -> str:
    """The student id as seeds use it: spaces collapsed, case folded (``" Ada.L "`` -> ``"ada.l"``).

    Raises ``TypeError`` for anything but a string and ``ValueError`` for an id over 100 characters.
    """
    if not isinstance(student_id, str):
        raise TypeError(f"student_id must be a string such as \"s1234567\" (or \"\" for the default variant), "
                        f"got {type(student_id).__name__}")
    key = " ".join(student_id.split()).casefold()
    if len(key) > MAX_STUDENT_ID:
        raise ValueError(f"student_id must have at most {MAX_STUDENT_ID} characters, got {len(key)}")
    return key


def variant_seed(exercise_id: str, qid: str, student_id: str) -> int:
    """The seed of one question's parameters for one student: 64 bits of SHA-256 of the three names."""
    text = "\x1f".join((exercise_id, qid, normalise_student_id(student_id)))
    return int.from_bytes(hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()[:8], "big")


class Params(Mapping):
    """The parameters of one question in one variant, read as attributes (``params.exponent``) or keys.

    Arrays are read-only, so an answer cannot change the data it is checked against.
    """

    def __init__(self, qid: str, values: Mapping[str, Any]) -> None:
        frozen = {}
        for name, value in values.items():
            if isinstance(value, np.ndarray):
                value = value.copy()
                value.setflags(write=False)
            frozen[name] = value
        object.__setattr__(self, "_qid", qid)
        object.__setattr__(self, "_values", frozen)

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"{self._qid} has no parameter {name!r}; it has {sorted(self._values)}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("the parameters of a question are read-only")

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        def shown(value: Any) -> str:
            if isinstance(value, np.ndarray):
                return f"array of {value.size} values"
            if isinstance(value, float):
                return f"{value:.6g}"
            return repr(value)

        return f"{self._qid.upper()}: " + ", ".join(f"{k} = {shown(v)}" for k, v in self._values.items())


# -- questions and exercises ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Question:
    """One graded question, as the student sees it: no reference answer here (see :mod:`.key`).

    ``answer_name`` is the variable or function the student defines in the answer cell. ``visible_cases``
    are argument tuples of a function question, checked in the notebook. ``options`` is the number of
    options of a choose question.
    """

    qid: str
    title: str
    points: int
    kind: str
    answer_name: str
    visible_cases: Sequence[tuple] = field(default_factory=tuple)
    rtol: float = 1e-6
    atol: float = 0.0
    hint: str = ""
    options: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {sorted(KINDS)}, got {self.kind!r}")
        if self.points < 1:
            raise ValueError(f"points must be >= 1, got {self.points}")
        if (self.kind == "choose") != (self.options >= 2):
            raise ValueError(f"{self.qid}: a choose question needs options >= 2, and only it has options")
        if (self.read_kind == "function") != bool(self.visible_cases):
            raise ValueError(f"{self.qid}: function questions, and only they, need visible cases")

    @property
    def read_kind(self) -> str:
        """How the answer is read: "function", "value", "choice" or "text"."""
        return KINDS[self.kind]

    @property
    def label(self) -> str:
        return f"{self.qid.upper()} ({self.title})"

    def visible_cases_encoded(self) -> list[list]:
        """The visible cases as the grader sends them to the kernel."""
        return [encode_args(args) for args in self.visible_cases]

    def message(self, result: Verdict) -> str:
        """The line a check prints for ``result``."""
        if result.status == CORRECT:
            return f"{self.label}: correct"
        if result.status == NOT_ATTEMPTED_STATUS:
            return f"{self.label}: {NOT_ATTEMPTED}"
        if result.status == WRONG:
            hint = f". Hint: {self.hint}" if self.hint else ""
            return f"{self.label}: not yet: " + "; ".join(result.messages) + hint
        if result.status in (ANSWERED, NEEDS_MANUAL):
            return f"{self.label}: {result.status}: " + "; ".join(result.messages)
        return f"{self.label}: " + "; ".join(result.messages)


@dataclass(frozen=True, eq=False)  # compared and hashed by identity (the parameter cache keys on it)
class Exercise:
    """The questions of one exercise notebook, in order, and how each question's parameters are drawn.

    ``parameters`` maps a question id to the function that draws its parameters and data from the variant's
    generator (a dict); a question without any has no entry. :meth:`draw` calls it.
    """

    exercise_id: str
    title: str
    questions: tuple[Question, ...]
    parameters: Mapping[str, Callable[[np.random.Generator], dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        qids = [q.qid for q in self.questions]
        if set(self.parameters) - set(qids):
            raise ValueError(f"{self.exercise_id}: parameters for questions it does not have: "
                             f"{sorted(set(self.parameters) - set(qids))}")
        if len(set(qids)) != len(qids):
            raise ValueError(f"{self.exercise_id}: question ids must be unique, got {qids}")

    def __getitem__(self, qid: str) -> Question:
        for question in self.questions:
            if question.qid == qid:
                return question
        raise KeyError(f"{self.exercise_id} has no question {qid!r}; it has {[q.qid for q in self.questions]}")

    @property
    def max_points(self) -> int:
        return sum(q.points for q in self.questions)

    def draw(self, qid: str, rng: np.random.Generator) -> dict[str, Any]:
        """The parameters and data of question ``qid`` in the variant drawn by ``rng`` ({} if it has none)."""
        return self.parameters[qid](rng) if qid in self.parameters else {}

    def variant(self, student_id: str = "") -> Variant:
        return Variant(self, normalise_student_id(student_id))


@dataclass(frozen=True)
class Variant:
    """One student's version of an exercise (``student_id`` "" is the default variant, for self-study)."""

    exercise: Exercise
    student_id: str

    @property
    def is_default(self) -> bool:
        return self.student_id == ""

    def params(self, qid: str) -> Params:
        """The parameters of question ``qid`` in this variant (also read as ``variant.q3``)."""
        self.exercise[qid]  # an unknown question raises KeyError naming the known ones
        return _params(self.exercise, qid, self.student_id)

    def __getattr__(self, qid: str) -> Params:
        if qid.startswith("_") or qid in ("exercise", "student_id"):
            raise AttributeError(qid)
        try:
            return self.params(qid)
        except KeyError as error:
            raise AttributeError(str(error)) from None


@lru_cache(maxsize=512)
def _params(exercise: Exercise, qid: str, student_id: str) -> Params:
    rng = np.random.default_rng(variant_seed(exercise.exercise_id, qid, student_id))
    return Params(qid, exercise.draw(qid, rng))


# -- the public check tables ----------------------------------------------------------------------------------
def checks_path(exercise_id: str):
    """Where the public check table of an exercise ships: ``lectures_lib/exercises/checks/<id>.json``."""
    return resources.files(__package__).joinpath("checks", f"{exercise_id}.json")


@lru_cache(maxsize=16)
def public_checks(exercise_id: str) -> dict[str, Any]:
    """The table the visible checks compare with: per function question the expected outputs of its visible
    cases (``visible``), and per number or choice question the default variant's answer (``default``)."""
    return json.loads(checks_path(exercise_id).read_text(encoding="utf-8"))


def expected_for_check(question: Question, table: Mapping[str, Any], default_variant: bool) -> Any:
    """What a visible check compares an answer with (None: not checkable in this variant)."""
    if question.read_kind == "function":
        return table["visible"][question.qid]
    if question.read_kind in ("value", "choice") and default_variant:
        return table["default"][question.qid]
    return None


# -- the student's session ------------------------------------------------------------------------------------
class Session:
    """An exercise as one student works on it: their parameters (``session.q3.exponent``) and the checks.

    Made by :func:`start` in the notebook's first cells.
    """

    def __init__(self, exercise: Exercise, student_id: str = "") -> None:
        self.exercise = exercise
        self.variant = exercise.variant(student_id)

    def __getattr__(self, qid: str) -> Params:
        if qid.startswith("_") or qid in ("exercise", "variant"):
            raise AttributeError(qid)
        try:
            return self.variant.params(qid)
        except KeyError as error:
            raise AttributeError(str(error)) from None

    def params(self, qid: str) -> Params:
        return self.variant.params(qid)

    def show_options(self, qid: str, unit: str = "") -> None:
        """Print the options of choose question ``qid`` in this variant, one per line ("A. 0.0712")."""
        question = self.exercise[qid]
        if question.kind != "choose":
            raise ValueError(f"qid must be a choose question, got {qid!r} ({question.kind})")
        print(options_text(self.params(qid).options, lambda v: f"{v:.3g}{unit}" if isinstance(v, float) else str(v)))

    def describe(self) -> str:
        """One line saying which variant this is."""
        if self.variant.is_default:
            return (f"{self.exercise.title}: the default variant, for self-study. The checks know its answers. "
                    "To be graded, set STUDENT_ID to your id and run the notebook again.")
        return (f"{self.exercise.title}: the variant of student {self.variant.student_id!r}. The checks test your "
                "functions now; your numbers are checked when the notebook is graded (practise with "
                "STUDENT_ID = \"\" to have them checked here).")

    def verdict(self, qid: str, answer: Any) -> Verdict:
        """The visible check's verdict on ``answer`` (see the module docstring)."""
        question = self.exercise[qid]
        cases = question.visible_cases_encoded()
        expected = expected_for_check(question, public_checks(self.exercise.exercise_id), self.variant.is_default)
        return verdict(question, read_answer(answer, question.read_kind, cases), cases, len(cases), expected)

    def check(self, qid: str, answer: Any) -> None:
        """Print one line saying whether ``answer`` is correct and, if not, what is wrong; return None.

        With ``LECTURES_LIB_STRICT_CHECKS=1`` a wrong answer raises ``AssertionError`` instead.
        """
        question = self.exercise[qid]
        result = self.verdict(qid, answer)
        text = question.message(result)
        if result.status == WRONG and strict_checks():
            raise AssertionError(text)
        used = library_functions_used(answer) if question.read_kind == "function" else []
        if used:
            text += (f" (note: it uses {', '.join(used)}; where a question asks you to write a formula the library "
                     "already has, the grader flags an answer that calls the library's version, or scores it 0)")
        print(text)

    def __repr__(self) -> str:
        return self.describe()


def _library_function(obj: Any) -> str | None:
    """``module.name`` of a function of the course library outside its exercise code, else None."""
    module = getattr(obj, "__module__", None)
    if callable(obj) and isinstance(module, str) and module.startswith("lectures_lib.") \
            and not module.startswith("lectures_lib.exercises"):
        return f"{module}.{getattr(obj, '__qualname__', getattr(obj, '__name__', '?'))}"
    return None


def library_functions_used(answer: Any) -> list[str]:
    """The course library's functions a student's function is, or calls by name (``training_flops`` imported
    from the library, or ``compute.training_flops``): a hint for the visible check, which does not know the
    answer key's rules. Code that builds names at run time escapes it."""
    own = _library_function(getattr(answer, "__func__", answer))
    if own is not None:
        return [own]
    code, names = getattr(answer, "__code__", None), getattr(answer, "__globals__", None)
    if code is None or not isinstance(names, dict):
        return []
    used = []
    for name in code.co_names:
        value = names.get(name)
        found = _library_function(value)
        if found is None and getattr(value, "__name__", "").startswith("lectures_lib"):  # a module: its attributes
            found = next((f for f in (_library_function(getattr(value, attr, None)) for attr in code.co_names)
                          if f is not None), None)
        if found is not None and found not in used:
            used.append(found)
    return used


def options_text(options: Sequence[Any], formatter: Callable[[Any], str] = str) -> str:
    """Options of a choose question as lines "A. ...", in order."""
    return "\n".join(f"{letter}. {formatter(option)}" for letter, option in zip(letters(len(options)), options,
                                                                                 strict=True))


def round_sig(value: float, digits: int = 2) -> float:
    """``value`` rounded to ``digits`` significant digits, as a float (how drawn parameters are shown: a
    student reads 3.4e+10, not 33,871,502,216.4)."""
    return float(f"{value:.{digits}g}")


def draw_options(rng: np.random.Generator, right: float, slips: Sequence[float], n_options: int = 4,
                 min_ratio: float = 1.15) -> list[float]:
    """The options of a choose question: ``right`` and ``n_options - 1`` of the ``slips`` (what common errors
    give), drawn at random among those at least ``min_ratio`` apart from the others, shown to 3 significant
    digits and shuffled. Drawing the slips, rather than always showing the same ones, keeps the right option
    from always sitting at the same rank. Raises ``ValueError`` when too few slips are far enough apart."""
    chosen = [float(right)]
    for index in rng.permutation(len(slips)):
        value = float(slips[index])
        if len(chosen) == n_options:
            break
        if np.isfinite(value) and value > 0 and all(max(value / c, c / value) >= min_ratio for c in chosen):
            chosen.append(value)
    if len(chosen) < n_options:
        raise ValueError(f"slips must give {n_options - 1} options apart from the right one, got {len(chosen) - 1}")
    shown = [round_sig(value, 3) for value in chosen]
    return [shown[i] for i in rng.permutation(n_options)]


def letter_of(options: Sequence[Any], right: Any, rtol: float = 1e-9) -> str:
    """The letter of the option equal to ``right`` (numbers compared with ``rtol``); exactly one must match."""
    matches = [i for i, option in enumerate(options)
               if (option == right if isinstance(right, str) else values_close(option, right, rtol, 0.0))]
    if len(matches) != 1:
        raise ValueError(f"exactly one option must equal the right answer, {len(matches)} do")
    return letters(len(options))[matches[0]]
