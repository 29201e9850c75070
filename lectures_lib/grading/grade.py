"""Grade a folder of submitted notebooks into the gradebook.

For every file: read it (:mod:`.submission`), draw the hidden inputs, run it in a worker process of
its own (:mod:`.worker`) under a wall-clock limit that kills the worker's and the kernel's process
groups, score the answers read back (:mod:`.scoring`) and record a row with a status. Two
submissions run at a time. A broken submission never stops the batch: every file ends with a row.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import nbformat
import numpy as np

from ..exercises import EXERCISES
from ..exercises.core import Exercise
from .gradebook import Gradebook, GradeRecord, feedback_markdown, feedback_path
from .protocol import encode_args
from .scoring import QuestionScore, score_exercise
from .submission import InvalidSubmission, Submission, file_sha256, read_submission, student_from_filename

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


def load_sources(source_dir: Path) -> dict[str, nbformat.NotebookNode]:
    sources = {p.stem: nbformat.read(p, as_version=4) for p in sorted(source_dir.glob("*.ipynb"))}
    unknown = set(sources) - set(EXERCISES)
    if unknown:
        raise ValueError(f"sources without an exercise module in lectures_lib.exercises: {sorted(unknown)}")
    return sources


def question_plan(exercise: Exercise, rng: np.random.Generator) -> dict[str, dict]:
    """Per question: what the worker reads and the cases (visible first, then hidden, drawn now)."""
    plan = {}
    for q in exercise.questions:
        if q.kind == "function":
            visible = [encode_args(args) for args in q.visible_cases]
            hidden = [encode_args(args) for args in q.hidden_inputs(rng)] if q.hidden_inputs else []
            plan[q.qid] = {"kind": "function", "name": q.answer_name, "cases": visible + hidden,
                           "n_visible": len(visible)}
        else:
            plan[q.qid] = {"kind": "value", "name": q.answer_name, "cases": [], "n_visible": 0}
    return plan


def _kill_group(pid: int | None) -> None:
    if not pid:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        os.killpg(os.getpgid(pid), signal.SIGKILL)


def run_worker(submission: Submission, source_path: Path, plan: dict[str, dict], limits: Limits,
               workdir: Path) -> tuple[dict, bool]:
    """Run the worker on one submission; return its result and whether the wall clock killed it."""
    result_path = workdir / "result.json"
    job = {
        "source": str(source_path.resolve()),
        "answers": submission.answers,
        "questions": plan,
        "nonce": "@@grader:" + secrets.token_hex(16) + "@@",
        "cell_timeout": limits.cell_seconds,
        "memory_limit_bytes": limits.memory_bytes,
        "result": str(result_path),
    }
    job_path = workdir / "job.json"
    job_path.write_text(json.dumps(job))
    log_path = workdir / "worker.log"
    # two submissions run at once: one BLAS thread per kernel keeps them from fighting over the cores
    env = {**os.environ, **{name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}}
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "lectures_lib.grading.worker", str(job_path)],
                                   cwd=workdir, start_new_session=True, stdout=log, stderr=log, env=env)
    killed = False
    try:
        process.wait(timeout=limits.submission_seconds)
    except subprocess.TimeoutExpired:
        killed = True
    result = {}
    if result_path.is_file():
        try:
            result = json.loads(result_path.read_text())
        except ValueError:
            result = {}
    # the kernel runs in a session of its own: kill it and anything it started, then the worker
    _kill_group(result.get("kernel_pid"))
    _kill_group(process.pid)
    process.wait()
    if process.returncode not in (0, -signal.SIGKILL) and not result.get("finished"):
        lines = [line for line in log_path.read_text(errors="replace").splitlines() if line.strip()]
        result.setdefault("events", []).append(
            {"kind": "kernel died", "detail": "the grader's worker failed: " + (lines[-1] if lines else "no output")})
    return result, killed


def status_of(result: dict, killed: bool, submission: Submission) -> tuple[str, str]:
    """The status of a run and a one-line detail."""
    events = result.get("events", [])
    kinds = [e.get("kind") for e in events]
    notes = list(submission.notes)
    if "integrity" in kinds or submission.integrity_problems:
        details = list(submission.integrity_problems) + [e.get("detail", "") for e in events
                                                         if e.get("kind") == "integrity"]
        return "integrity check failed", "; ".join(d for d in details + notes if d)
    if "memory" in kinds:
        cells = sorted({e["cell"] for e in events if e.get("kind") == "memory"})
        return "memory limit", "; ".join([f"ran out of memory in {', '.join(cells)}", *notes])
    if "kernel died" in kinds or (not result.get("finished") and not killed):
        details = [e["detail"] for e in events if e.get("kind") == "kernel died" and e.get("detail")]
        return "kernel died", "; ".join(["the kernel stopped before the end of the notebook", *details, *notes])
    if killed or "timeout" in kinds:
        cells = sorted({e["cell"] for e in events if e.get("kind") == "timeout"})
        where = f" (cells: {', '.join(cells)})" if cells else ""
        return "timeout", "; ".join([f"time limit reached{where}", *notes])
    return "graded", "; ".join(notes)


def grade_one(path: Path, sources: dict[str, nbformat.NotebookNode], source_dir: Path, limits: Limits,
              rng_seed: int, expected: str | None) -> GradeRecord:
    """Grade one file. Never raises: every outcome is a record with a status."""
    started = time.monotonic()
    try:
        submission = read_submission(path, sources, expected)
    except InvalidSubmission as error:
        return GradeRecord(student_from_filename(path), expected or "unknown", path.name, file_sha256(path),
                           "invalid notebook", str(error), (), time.monotonic() - started)
    except OSError as error:
        return GradeRecord(student_from_filename(path), expected or "unknown", path.name, "",
                           "invalid notebook", f"cannot read the file: {error}", (), time.monotonic() - started)
    exercise = EXERCISES[submission.exercise_id]
    plan = question_plan(exercise, np.random.default_rng(rng_seed))
    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        result, killed = run_worker(submission, source_dir / f"{submission.exercise_id}.ipynb", plan, limits,
                                    Path(tmp))
    scores = tuple(score_exercise(exercise, result.get("records", {}), plan))
    status, detail = status_of(result, killed, submission)
    return GradeRecord(submission.student, submission.exercise_id, path.name, submission.sha256, status, detail,
                       scores, time.monotonic() - started)


def zero_scores(exercise_id: str) -> tuple[QuestionScore, ...]:
    """Zero scores for every question of an exercise (for records that could not run)."""
    exercise = EXERCISES[exercise_id]
    return tuple(QuestionScore(q.qid, 0, q.points, "not graded") for q in exercise.questions)


def grade_folder(submissions: Path, out: Path, source_dir: Path = DEFAULT_SOURCES, exercise: str | None = None,
                 limits: Limits = Limits(), workers: int = 2, progress: bool = True) -> RunSummary:
    """Grade every ``*.ipynb`` (and any other file) in ``submissions`` and write ``out``'s gradebook."""
    if not submissions.is_dir():
        raise ValueError(f"submissions must be a folder, got {submissions}")
    sources = load_sources(source_dir)
    if exercise is not None and exercise not in sources:
        raise ValueError(f"exercise must be one of {sorted(sources)}, got {exercise!r}")
    files = sorted(p for p in submissions.iterdir() if p.is_file() and not p.name.startswith("."))
    out.mkdir(parents=True, exist_ok=True)
    (out / "feedback").mkdir(exist_ok=True)
    book = Gradebook(out / "gradebook.sqlite")
    run_id = book.start_run(submissions, exercise, len(files))
    seed = secrets.randbits(63)
    started = time.monotonic()
    records: list[GradeRecord] = []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(files), unit="submission", desc="grading")
    try:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = [pool.submit(grade_one, f, sources, source_dir, limits, seed, exercise) for f in files]
            for future in futures:
                record = future.result()
                if not record.scores and record.exercise in EXERCISES:
                    record = replace(record, scores=zero_scores(record.exercise))
                book.add(run_id, record)
                titles = {q.qid: q.title for q in EXERCISES[record.exercise].questions} \
                    if record.exercise in EXERCISES else {}
                feedback_path(out / "feedback", record.student, record.exercise).write_text(
                    feedback_markdown(record, titles))
                records.append(record)
                if bar is not None:
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()
        book.finish_run(run_id)
    csv_path = out / "grades.csv"
    book.export_csv(csv_path)
    book.close()
    return RunSummary(run_id, tuple(records), time.monotonic() - started, csv_path, out / "gradebook.sqlite")
