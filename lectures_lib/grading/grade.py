"""Grade a folder of submitted notebooks into the gradebook.

For every file: read it (:mod:`.submission`), establish the student (file name, roster), draw the hidden
inputs, rebuild the notebook from the instructor source with the student's answer cells, ``STUDENT_ID``
set to that student and the grader's read-back cells, run it in a sandbox of its own (:mod:`.sandbox`,
:mod:`.worker`) under a wall-clock limit, score the answers read back against the answer key in that
student's variant (:mod:`.scoring`, :mod:`lectures_lib.exercises.key`) and record a row with a status.
Two submissions run at a time.

The answer keys are read from the sources folder (``--source``), never from the installed package, so an
instructor can keep them, with new variants, in a private fork.

A broken or hostile submission never stops the batch: :func:`grade_one` turns any failure of the
grader itself into a row with the status ``grader error``, and :func:`grade_folder` writes each row
before the next is taken, so every file ends with exactly one row.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import nbformat
import numpy as np

from ..exercises import EXERCISES
from ..exercises.core import MAX_STUDENT_ID, Exercise, Variant
from ..exercises.key import Key, load_key
from .gradebook import Gradebook, GradeRecord, counted_records, feedback_markdown, feedback_path
from .identity import Roster, file_name_text
from .library_use import apply_library_rules
from .manual import write_manual_sheets
from .protocol import extraction_code, parse_record
from .release import HIDDEN_TAG, SOLUTION_TAG, TEST_TAG
from .sandbox import Report, SandboxUnavailable, run_in_sandbox, sandbox_problem
from .scoring import QuestionScore, score_exercise
from .submission import (
    InvalidSubmission,
    Submission,
    file_mtime,
    file_sha256,
    question_of,
    read_submission,
    student_from_filename,
)

DEFAULT_SOURCES = Path("notebooks/exercises/source")


@dataclass(frozen=True)
class Limits:
    """Time and memory limits of one submission."""

    cell_seconds: int = 20
    submission_seconds: int = 120
    memory_bytes: int = 4 * 1024**3


@dataclass(frozen=True)
class RunSummary:
    run_id: int
    records: tuple[GradeRecord, ...]
    seconds: float
    csv_path: Path
    db_path: Path


#: The tag of the cell that sets ``STUDENT_ID``; the grader rewrites it for the student it identified.
STUDENT_ID_TAG = "student-id"


@dataclass(frozen=True)
class Course:
    """The instructor sources and their answer keys, by exercise id."""

    sources: dict[str, nbformat.NotebookNode]
    keys: dict[str, Key]


def load_sources(source_dir: Path) -> dict[str, nbformat.NotebookNode]:
    sources = {p.stem: nbformat.read(p, as_version=4) for p in sorted(source_dir.glob("*.ipynb"))}
    unknown = set(sources) - set(EXERCISES)
    if unknown:
        raise ValueError(f"sources without an exercise module in lectures_lib.exercises: {sorted(unknown)}")
    return sources


def load_course(source_dir: Path) -> Course:
    """The sources of ``source_dir`` and the answer key beside each (``<id>_key.py``)."""
    sources = load_sources(source_dir)
    keys = {}
    for exercise_id in sources:
        key = load_key(source_dir, exercise_id)
        if key.exercise is not EXERCISES[exercise_id]:
            raise ValueError(f"the key of {exercise_id} must use lectures_lib.exercises' own EXERCISE")
        keys[exercise_id] = key
    return Course(sources, keys)


def variant_of(exercise: Exercise, student: str) -> Variant:
    """The variant the grader uses for ``student`` (the identity it established, never what the notebook
    says): the id with its spaces collapsed, cut to the longest id a seed takes."""
    return exercise.variant(" ".join(str(student).split()).casefold()[:MAX_STUDENT_ID])


def question_plan(key: Key, variant: Variant, rng: np.random.Generator) -> dict[str, dict]:
    """Per question: what the worker reads, the cases (visible first, then hidden, drawn now) and what the
    answer is compared with in ``variant`` (kept in the grader: only the cases reach the kernel)."""
    plan = {}
    for q in key.exercise.questions:
        cases, n_visible = key.cases(q.qid, rng)
        plan[q.qid] = {"kind": q.read_kind, "name": q.answer_name, "cases": cases, "n_visible": n_visible,
                       "expected": key.expected(q.qid, variant, cases)}
    return plan


def student_id_source(student_id: str) -> str:
    """The ``STUDENT_ID`` cell as the grader runs it."""
    return f"STUDENT_ID = {student_id!r}  # set by the grader"


def build_cells(source: nbformat.NotebookNode, answers: dict[str, str], plan: dict[str, dict], nonce: str,
                student_id: str = "") -> list[dict[str, str]]:
    """The notebook the sandbox runs, as ``{"role", "source"}`` cells: the source's given cells (its
    ``STUDENT_ID`` cell set to ``student_id``), the student's answer cells, and after each answer the code
    that reads it back. Check cells are left out."""
    cells = []
    for cell in source.cells:
        tags = cell.metadata.get("tags", [])
        if cell.cell_type != "code" or TEST_TAG in tags or HIDDEN_TAG in tags:
            continue
        if SOLUTION_TAG in tags:
            qid = question_of(cell.id)
            cells.append({"role": f"answer:{qid}", "source": answers.get(qid, "")})
            question = plan.get(qid)
            if question is not None:
                code = extraction_code(nonce, question["kind"], question["name"], question["cases"])
                cells.append({"role": f"extract:{qid}", "source": code})
        elif STUDENT_ID_TAG in tags:
            cells.append({"role": "given", "source": student_id_source(student_id)})
        else:
            cells.append({"role": "given", "source": cell.source})
    return cells


def interpret(report: Report, cells: list[dict[str, str]], nonce: str) -> dict:
    """The run as events and answer records, from the sandbox's validated report."""
    result: dict = {"events": [], "records": {}, "finished": report.ended}
    for line in report.lines:
        if line["type"] == "event":
            result["events"].append({"kind": line["kind"], "detail": line["detail"][:200]})
        if line["type"] != "cell" or not 0 <= line["index"] < len(cells):
            continue
        role = cells[line["index"]]["role"]
        if line["timed_out"]:
            result["events"].append({"kind": "timeout", "cell": role})
        elif "MemoryError" in line["errors"]:
            result["events"].append({"kind": "memory", "cell": role})
        if role.startswith("extract:"):
            qid = role.split(":", 1)[1]
            record = parse_record(line.get("stream", ""), nonce)
            if record is None and line["timed_out"]:
                record = {"timeout": True}
            elif record is None and "MemoryError" in line["errors"]:
                record = {"memory": True}
            elif record is None:
                result["events"].append({"kind": "integrity", "cell": role,
                                         "detail": f"the answer to {qid.upper()} could not be read back from the "
                                                   "kernel (its output was changed)"})
            if record is not None:
                result["records"][qid] = record
    if report.problems:
        result["events"].append({"kind": "grader error", "detail": "; ".join(sorted(set(report.problems)))})
    elif not report.ended and not report.killed_by_clock:
        result["events"].append({"kind": "kernel died", "detail": "the sandbox stopped before the end"})
    return result


def status_of(result: dict, killed: bool, submission: Submission) -> tuple[str, str]:
    """The status of a run and a one-line detail, in the grader's own words."""
    events = result.get("events", [])
    kinds = [e.get("kind") for e in events]
    notes = list(submission.notes)
    if "grader error" in kinds:
        details = [e.get("detail", "") for e in events if e.get("kind") == "grader error"]
        return "grader error", "; ".join(details + notes)
    if "integrity" in kinds:
        details = [e.get("detail", "") for e in events if e.get("kind") == "integrity"]
        return "integrity check failed", "; ".join(d for d in details + notes if d)
    if "memory" in kinds:
        cells = sorted({e["cell"] for e in events if e.get("kind") == "memory"})
        return "memory limit", "; ".join([f"ran out of memory in {', '.join(cells)}", *notes])
    if "kernel died" in kinds or (not result.get("finished") and not killed):
        return "kernel died", "; ".join(["the kernel stopped before the end of the notebook", *notes])
    if killed or "timeout" in kinds:
        cells = sorted({e["cell"] for e in events if e.get("kind") == "timeout" and "cell" in e})
        where = f" (cells: {', '.join(cells)})" if cells else ""
        return "timeout", "; ".join([f"time limit reached{where}", *notes])
    return "graded", "; ".join(notes)


@dataclass(frozen=True)
class Isolation:
    """How submissions are run: in a bubblewrap sandbox hiding the ``private`` folders, or (unsafe) not."""

    sandboxed: bool
    private: tuple[Path, ...]
    roster: Roster | None = None


def _safe_student(path: Path) -> str:
    try:
        return student_from_filename(path)
    except Exception:  # the identity of a file the grader cannot even name
        return "unknown"


def _unread(path: Path, expected: str | None, status: str, detail: str, started: float) -> GradeRecord:
    """The row of a file that never reached a kernel: named by its file name, its escaped raw name kept."""
    try:  # a pipe would block a reader forever: only a regular file (not through a link) is hashed
        sha = file_sha256(path) if stat.S_ISREG(os.lstat(path).st_mode) else ""
    except Exception:
        sha = ""
    try:
        name = file_name_text(path.name)
    except Exception:
        name = "unknown"
    return GradeRecord(_safe_student(path), expected or "unknown", name, sha, status, detail, (),
                       time.monotonic() - started, file_mtime=file_mtime(path))


def grader_error(path: Path, expected: str | None, error: BaseException, started: float) -> GradeRecord:
    """The row of a file on which the grader itself failed: its status says so and the batch goes on."""
    return _unread(path, expected, "grader error",
                   f"the grader failed on this file ({type(error).__name__}); the batch went on", started)


def grade_one(path: Path, course: Course, limits: Limits, rng_seed: int, expected: str | None,
              isolation: Isolation) -> GradeRecord:
    """Grade one file. Never raises: every outcome, a failure of the grader included, is a record."""
    started = time.monotonic()
    try:
        return _grade_one(path, course, limits, rng_seed, expected, isolation, started)
    except Exception as error:
        return grader_error(path, expected, error, started)


def _grade_one(path: Path, course: Course, limits: Limits, rng_seed: int, expected: str | None,
               isolation: Isolation, started: float) -> GradeRecord:
    try:
        submission = read_submission(path, course.sources, expected, isolation.roster)
    except InvalidSubmission as error:
        return _unread(path, expected, "invalid notebook", str(error), started)
    except OSError as error:
        return _unread(path, expected, "invalid notebook", f"cannot read the file ({type(error).__name__})", started)
    exercise = EXERCISES[submission.exercise_id]
    key = course.keys[submission.exercise_id]
    variant = variant_of(exercise, submission.student)
    plan = question_plan(key, variant, np.random.default_rng(rng_seed))
    nonce = "@@grader:" + secrets.token_hex(16) + "@@"
    source = course.sources[submission.exercise_id]
    cells = build_cells(source, submission.answers, plan, nonce, variant.student_id)
    job = {"cells": cells, "cell_timeout": limits.cell_seconds, "memory_limit_bytes": limits.memory_bytes}
    report = run_in_sandbox(job, wall_seconds=limits.submission_seconds, private=list(isolation.private),
                            sandboxed=isolation.sandboxed)
    result = interpret(report, cells, nonce)
    scores = score_exercise(exercise, result["records"], plan, submission.unanswerable)
    scores, library_flags = apply_library_rules(key, scores, submission.answers, source)
    status, detail = status_of(result, report.killed_by_clock, submission)
    return GradeRecord(submission.student, submission.exercise_id, submission.file_name, submission.sha256, status,
                       detail, tuple(scores), time.monotonic() - started, flags=(*submission.flags, *library_flags),
                       file_mtime=submission.file_mtime, student_field=submission.student_field)


def _record_row(book: Gradebook, run_id: int, path: Path, future, exercise: str | None) -> GradeRecord:
    """Take one file's record and commit its row before the next file is taken; a row always results."""
    try:
        record = future.result()
    except Exception as error:  # grade_one never raises; if it ever did, the file still gets a row
        record = grader_error(path, exercise, error, time.monotonic())
    if not record.scores and record.exercise in EXERCISES:
        record = replace(record, scores=zero_scores(record.exercise))
    try:
        book.add(run_id, record)
    except Exception as error:  # a row the database refused: record that the grader failed on it
        record = replace(grader_error(path, exercise, error, time.monotonic()), student="unknown",
                         scores=record.scores)
        book.add(run_id, record)
    return record


def _write_feedback(folder: Path, records: list[GradeRecord]) -> None:
    """One Markdown file per student and exercise, for the file that counts when there are several."""
    for record in counted_records(records):
        titles = {q.qid: q.title for q in EXERCISES[record.exercise].questions} \
            if record.exercise in EXERCISES else {}
        with contextlib.suppress(OSError):  # the row is written: a refused feedback file loses no grade
            feedback_path(folder, record.student, record.exercise).write_text(
                feedback_markdown(record, titles), encoding="utf-8", errors="backslashreplace")


def zero_scores(exercise_id: str) -> tuple[QuestionScore, ...]:
    """Zero scores for every question of an exercise (for records that could not run)."""
    exercise = EXERCISES[exercise_id]
    return tuple(QuestionScore(q.qid, 0, q.points, "not graded") for q in exercise.questions)


def grade_folder(submissions: Path, out: Path, source_dir: Path = DEFAULT_SOURCES, exercise: str | None = None,
                 limits: Limits = Limits(), workers: int = 2, progress: bool = True, *,
                 unsafe_no_sandbox: bool = False, roster: Roster | None = None) -> RunSummary:
    """Grade every file in ``submissions`` and write ``out``'s gradebook, one row per file.

    Each submission runs in a bubblewrap sandbox; without one the grader refuses (``SandboxUnavailable``)
    unless ``unsafe_no_sandbox`` is set, in which case student code runs with the grader's rights. With
    a ``roster``, students are matched to its ids (see :mod:`.identity`). A second grader writing to the
    same ``out`` at the same time is refused (``RuntimeError``) before anything is written.
    """
    if not submissions.is_dir():
        raise ValueError(f"submissions must be a folder, got {submissions}")
    problem = None if unsafe_no_sandbox else sandbox_problem()
    if problem is not None:
        raise SandboxUnavailable(f"cannot grade safely: {problem}. To grade anyway, with student code running "
                                 "with your rights, pass --unsafe-no-sandbox.")
    isolation = Isolation(not unsafe_no_sandbox, (submissions.resolve(), out.resolve(), source_dir.resolve()),
                          roster)
    course = load_course(source_dir)
    if exercise is not None and exercise not in course.sources:
        raise ValueError(f"exercise must be one of {sorted(course.sources)}, got {exercise!r}")
    # every entry but a folder gets a row: hidden files, links, pipes and sockets too (reading refuses the odd ones)
    files = sorted(p for p in submissions.iterdir() if p.is_symlink() or not p.is_dir())
    out.mkdir(parents=True, exist_ok=True)
    (out / "feedback").mkdir(exist_ok=True)
    book = Gradebook(out / "gradebook.sqlite")  # takes the output folder's lock, or refuses
    records: list[GradeRecord] = []
    bar = None
    try:
        run_id = book.start_run(submissions, exercise, len(files))
        seed = secrets.randbits(63)
        started = time.monotonic()
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(files), unit="submission", desc="grading")
        try:
            with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
                futures = [(f, pool.submit(grade_one, f, course, limits, seed, exercise, isolation))
                           for f in files]
                for path, future in futures:
                    records.append(_record_row(book, run_id, path, future, exercise))
                    if bar is not None:
                        bar.update(1)
        finally:
            if bar is not None:
                bar.close()
            book.finish_run(run_id)
        _write_feedback(out / "feedback", records)
        write_manual_sheets(out / "manual", records, course)
        csv_path = out / "grades.csv"
        book.export_csv(csv_path)
    finally:
        book.close()
    return RunSummary(run_id, tuple(records), time.monotonic() - started, csv_path, out / "gradebook.sqlite")
