"""Sheets for the questions graded by hand: one Markdown file per exercise with explain questions.

Each sheet gives, per explain question, its rubric (from the answer key), the model answer (the solution
region of the source's answer cell), and then every student's text from the files that count. A student's
text is hostile input: it is cut to :data:`MAX_TEXT_CHARS` (and the sheet says so), its control characters
are dropped, and it is set in a fenced block longer than any run of backticks in it, so it shows as text and
never as markup.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from ..exercises import EXERCISES
from .gradebook import GradeRecord, counted_records
from .identity import markdown_text
from .release import SOLUTION_TAG
from .solutions import worked_solution

MAX_TEXT_CHARS = 6000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def fenced(text: str) -> str:
    """``text`` as a fenced block that nothing inside can close, and a line saying so when it was cut."""
    cut = len(text) > MAX_TEXT_CHARS
    note = (f"\n\n*Cut at {MAX_TEXT_CHARS:,} of its {len(text):,} characters: the notebook holds the rest.*"
            if cut else "")
    text = _CONTROL.sub("", text[:MAX_TEXT_CHARS])
    longest = max((len(run) for run in re.findall(r"`+|~+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text.strip()}\n{fence}{note}"


def model_answer(source, qid: str) -> str:
    for cell in source.cells:
        if cell.get("id") == f"{qid}-answer" and SOLUTION_TAG in cell.metadata.get("tags", []):
            return worked_solution(cell.source)
    return ""


def manual_sheet(exercise_id: str, records: list[GradeRecord], course) -> str | None:
    """The sheet of one exercise, or None when it has no explain question."""
    exercise = EXERCISES[exercise_id]
    questions = [q for q in exercise.questions if q.kind == "explain"]
    if not questions:
        return None
    mine = sorted((r for r in records if r.exercise == exercise_id), key=lambda r: (r.student, r.file_name))
    lines = [f"# Graded by hand: {exercise.title} ({exercise_id})", "",
             "Enter the points in the gradebook yourself; the grader scored these questions 0 and marked them "
             "`needs manual grading`."]
    for question in questions:
        lines += ["", f"## {question.label}, {question.points} points", "", "**Rubric.** "
                  + course.keys[exercise_id][question.qid].rubric, "", "**Model answer.**", "",
                  fenced(model_answer(course.sources[exercise_id], question.qid))]
        for record in mine:
            score = next((s for s in record.scores if s.qid == question.qid), None)
            text = score.answer_text if score is not None else ""
            lines += ["", f"### {markdown_text(record.student)} ({markdown_text(record.file_name)})", ""]
            verdict = markdown_text(score.verdict if score is not None else "not graded")
            lines.append(fenced(text) if text.strip() else f"*No text: {verdict}.*")
    return "\n".join(lines) + "\n"


def write_manual_sheets(folder: Path, records: list[GradeRecord], course) -> None:
    """Write ``<folder>/<exercise>.md`` for every exercise of ``records`` with explain questions."""
    counted = counted_records(records)
    for exercise_id in sorted({r.exercise for r in counted if r.exercise in course.keys}):
        text = manual_sheet(exercise_id, counted, course)
        if text is None:
            continue
        with contextlib.suppress(OSError):  # the gradebook has the rows: a refused sheet loses no grade
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{exercise_id}.md").write_text(text, encoding="utf-8", errors="backslashreplace")
