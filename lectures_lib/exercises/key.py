"""Answer keys: what the grader compares a student's answers with.

A key is instructor material. It lives beside its exercise source, as
``notebooks/exercises/source/<id>_key.py`` defining ``KEY = Key(...)``, and is never part of the
installed package: the grader loads it from its ``--source`` folder (:func:`load_key`), which an
instructor can keep in a private fork with new variants and new rubrics. This module holds only the
empty forms.

For each question, an :class:`Answer` gives

* ``reference``: for a function question, the reference function (called with the case's arguments);
  for a number, a fit or a choice, a function of the student's :class:`~.core.Variant` (whose
  ``variant.q4.loss`` are question 4's data) returning the expected value or the right letter;
* ``hidden_inputs``: for a function question, a function of a random generator returning argument tuples
  that the notebook never shows;
* ``forbidden``: dotted names of library functions that do the very thing the question asks for
  (``"lectures_lib.compute.training_flops"``; a method as ``"*.compute_optimal"``): an answer cell that
  uses one is flagged, and with ``if_forbidden="zero"`` scores 0;
* ``rubric``: for an explain question, what a full answer contains (the model answer is the solution
  region of the source's answer cell).

:func:`grade_here` is the hidden check at the end of every source: it judges the source's own answers
with the key, on hidden inputs too, and fails loudly under nbval when one is wrong.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .core import Exercise, Params, Question, Variant
from .verdict import CORRECT, NEEDS_MANUAL, Verdict, decode_args, encode_args, read_answer, verdict

#: File name of an exercise's key, beside its source notebook.
KEY_SUFFIX = "_key.py"
IF_FORBIDDEN = ("flag", "zero")


@dataclass(frozen=True)
class Answer:
    """The key to one question (see the module docstring)."""

    reference: Callable[..., Any] | None = None
    hidden_inputs: Callable[[np.random.Generator], Sequence[tuple]] | None = None
    forbidden: tuple[str, ...] = ()
    if_forbidden: str = "flag"
    rubric: str = ""

    def __post_init__(self) -> None:
        if self.if_forbidden not in IF_FORBIDDEN:
            raise ValueError(f"if_forbidden must be one of {IF_FORBIDDEN}, got {self.if_forbidden!r}")


@dataclass(frozen=True, eq=False)
class Key:
    """The answer key of one exercise: an :class:`Answer` for every question."""

    exercise: Exercise
    answers: Mapping[str, Answer] = field(default_factory=dict)

    def __post_init__(self) -> None:
        qids = [q.qid for q in self.exercise.questions]
        if sorted(self.answers) != sorted(qids):
            raise ValueError(f"the key of {self.exercise.exercise_id} must answer {qids}, it answers "
                             f"{sorted(self.answers)}")
        for question in self.exercise.questions:
            answer = self.answers[question.qid]
            if question.kind == "explain":
                if not answer.rubric or answer.reference is not None:
                    raise ValueError(f"{question.qid}: an explain question needs a rubric and no reference")
                continue
            if answer.reference is None:
                raise ValueError(f"{question.qid}: a {question.kind} question needs a reference")
            if (question.read_kind == "function") != (answer.hidden_inputs is not None):
                raise ValueError(f"{question.qid}: function questions, and only they, need hidden inputs")

    def __getitem__(self, qid: str) -> Answer:
        return self.answers[qid]

    def cases(self, qid: str, rng: np.random.Generator | None) -> tuple[list[list], int]:
        """A function question's cases, encoded: the visible ones, then (with ``rng``) hidden ones drawn now.
        Returns the cases and the number of visible ones; a question of another kind has none."""
        question = self.exercise[qid]
        if question.read_kind != "function":
            return [], 0
        visible = question.visible_cases_encoded()
        hidden = [encode_args(args) for args in self.answers[qid].hidden_inputs(rng)] if rng is not None else []
        return visible + hidden, len(visible)

    def expected(self, qid: str, variant: Variant, cases: Sequence[Sequence[Any]] = ()) -> Any:
        """What an answer to ``qid`` is compared with in ``variant`` (see :func:`~.verdict.verdict`)."""
        question, answer = self.exercise[qid], self.answers[qid]
        if question.read_kind == "function":
            return [np.asarray(answer.reference(*decode_args(case)), dtype=float) for case in cases]
        if question.read_kind == "text":
            return None
        return answer.reference(variant)

    def judge(self, qid: str, answer: Any, variant: Variant, rng: np.random.Generator | None = None) -> Verdict:
        """The verdict on a live answer in ``variant``, on hidden inputs too when ``rng`` is given."""
        question = self.exercise[qid]
        cases, n_visible = self.cases(qid, rng)
        record = read_answer(answer, question.read_kind, cases)
        return verdict(question, record, cases, n_visible, self.expected(qid, variant, cases))

    def public_checks(self) -> dict[str, Any]:
        """The table that ships with the package for the visible checks (see :func:`~.core.public_checks`):
        expected outputs of the visible cases, and the default variant's answers. Nothing else."""
        default = self.exercise.variant("")
        visible, answers = {}, {}
        for question in self.exercise.questions:
            if question.read_kind == "function":
                cases = question.visible_cases_encoded()
                visible[question.qid] = [np.asarray(e).tolist() for e in self.expected(question.qid, default, cases)]
            elif question.read_kind in ("value", "choice"):
                value = self.expected(question.qid, default)
                answers[question.qid] = value if isinstance(value, str) else np.asarray(value, dtype=float).tolist()
        return {"exercise": self.exercise.exercise_id, "visible": visible, "default": answers}


def public_checks_text(key: Key) -> str:
    """The JSON text of ``key``'s public check table, as ``make release`` writes it."""
    return json.dumps(key.public_checks(), indent=1, sort_keys=True) + "\n"


def key_path(source_dir: Path, exercise_id: str) -> Path:
    return Path(source_dir) / f"{exercise_id}{KEY_SUFFIX}"


def load_key(source_dir: Path, exercise_id: str) -> Key:
    """The ``KEY`` of ``<source_dir>/<exercise_id>_key.py``; raises ``FileNotFoundError`` or ``ValueError``."""
    path = key_path(source_dir, exercise_id)
    if not path.is_file():
        raise FileNotFoundError(f"no answer key for {exercise_id}: expected {path}")
    spec = importlib.util.spec_from_file_location(f"lectures_lib_answer_key_{exercise_id}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    key = getattr(module, "KEY", None)
    if not isinstance(key, Key) or key.exercise.exercise_id != exercise_id:
        raise ValueError(f"{path} must define KEY = Key(...) for the exercise {exercise_id}")
    return key


def _find_key(exercise_id: str, source_dir: Path | None) -> Key:
    folders = [Path(source_dir)] if source_dir is not None else [Path.cwd(), Path("notebooks/exercises/source")]
    for folder in folders:
        if key_path(folder, exercise_id).is_file():
            return load_key(folder, exercise_id)
    raise FileNotFoundError(f"no answer key {exercise_id}{KEY_SUFFIX} in {', '.join(map(str, folders))}")


def grade_here(exercise_id: str, namespace: Mapping[str, Any], student_id: str = "", seed: int = 0,
               source_dir: Path | None = None) -> None:
    """Judge every answer in ``namespace`` (an instructor source's globals) with the key, on hidden inputs
    drawn with ``seed`` too; print one line per question and raise ``AssertionError`` if any is not right."""
    key = _find_key(exercise_id, source_dir)
    variant = key.exercise.variant(student_id)
    rng = np.random.default_rng(seed)
    failures = []
    for question in key.exercise.questions:
        result = key.judge(question.qid, namespace.get(question.answer_name), variant, rng)
        ok = result.status == CORRECT or (result.status == NEEDS_MANUAL and question.kind == "explain")
        print(f"{question.label}: {'right' if ok else result.status}" +
              ("" if ok else ": " + "; ".join(result.messages)))
        if not ok:
            failures.append(question.qid)
    if failures:
        raise AssertionError(f"the key rejects the source's answers to {', '.join(failures)}")


__all__ = ["Answer", "Key", "Params", "Question", "grade_here", "key_path", "load_key", "public_checks_text"]
