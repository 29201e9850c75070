"""The instructor's side of the exercises: releasing student copies and grading submissions."""

from .release import ReleaseError, make_student_copy, release_all, stale_copies

__all__ = ["ReleaseError", "make_student_copy", "release_all", "stale_copies"]
