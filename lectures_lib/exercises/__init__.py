"""Exercise notebooks: their questions, reference answers, data and checks.

``EXERCISES`` maps an exercise id (the notebook's file stem) to its :class:`~.core.Exercise`.
"""

from __future__ import annotations

from . import ex00_power_laws, ex01_kaplan, ex02_chinchilla, ex03_chinchilla_trap
from .core import NOT_ATTEMPTED, Exercise, NotAttempted, Question

EXERCISES: dict[str, Exercise] = {
    "00_power_laws": ex00_power_laws.EXERCISE,
    "01_kaplan": ex01_kaplan.EXERCISE,
    "02_chinchilla": ex02_chinchilla.EXERCISE,
    "03_chinchilla_trap": ex03_chinchilla_trap.EXERCISE,
}

__all__ = ["EXERCISES", "Exercise", "NOT_ATTEMPTED", "NotAttempted", "Question"]
