"""Exercise notebooks: their questions, their per-student parameters and their visible checks.

``EXERCISES`` maps an exercise id (the notebook's file stem) to its :class:`~.core.Exercise`. A notebook
starts with ``ex = start("00_power_laws", STUDENT_ID)``. The reference answers are not here: they are in
the instructor's answer keys beside the sources (see :mod:`.key`).
"""

from __future__ import annotations

from . import (
    ex00_power_laws,
    ex01_kaplan,
    ex02_chinchilla,
    ex03_chinchilla_trap,
    ex04_test_time_compute,
    ex05_mixture_of_experts,
    ex06_quantization,
    ex07_why_power_laws,
    ex08_whats_next,
)
from .core import NOT_ATTEMPTED, Exercise, Question, Session

EXERCISES: dict[str, Exercise] = {
    "00_power_laws": ex00_power_laws.EXERCISE,
    "01_kaplan": ex01_kaplan.EXERCISE,
    "02_chinchilla": ex02_chinchilla.EXERCISE,
    "03_chinchilla_trap": ex03_chinchilla_trap.EXERCISE,
    "04_test_time_compute": ex04_test_time_compute.EXERCISE,
    "05_mixture_of_experts": ex05_mixture_of_experts.EXERCISE,
    "06_quantization": ex06_quantization.EXERCISE,
    "07_why_power_laws": ex07_why_power_laws.EXERCISE,
    "08_whats_next": ex08_whats_next.EXERCISE,
}


def start(exercise_id: str, student_id: str = "") -> Session:
    """Open exercise ``exercise_id`` for ``student_id`` ("" for the default variant) and say which variant it is."""
    if exercise_id not in EXERCISES:
        raise ValueError(f"exercise_id must be one of {sorted(EXERCISES)}, got {exercise_id!r}")
    session = Session(EXERCISES[exercise_id], student_id)
    print(session.describe())
    return session


__all__ = ["EXERCISES", "Exercise", "NOT_ATTEMPTED", "Question", "Session", "start"]
