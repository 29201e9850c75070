"""The grader on a corpus of submissions built here: exact scores and statuses, nothing lost.

Each submission starts from the released student copy of exercise 00 and fills in (or breaks) its
answer cells. The corpus is graded twice into the same gradebook.
"""

import contextlib
import csv
import json
import os
import secrets
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

import nbformat
import numpy as np
import pytest
import support

from lectures_lib.exercises import EXERCISES
from lectures_lib.exercises.key import load_key
from lectures_lib.grading.grade import Limits, RunSummary, grade_folder, load_sources
from lectures_lib.grading.gradebook import feedback_path
from lectures_lib.grading.protocol import encode_args
from lectures_lib.grading.scoring import score_question
from lectures_lib.grading.submission import InvalidSubmission, read_submission

ROOT = Path(__file__).resolve().parents[1]
STUDENT_COPY = ROOT / "notebooks" / "exercises" / "00_power_laws.ipynb"
OTHER_COPY = ROOT / "notebooks" / "exercises" / "01_kaplan.ipynb"
SOURCES = ROOT / "notebooks" / "exercises" / "source"
LIMITS = Limits(cell_seconds=4, submission_seconds=30, memory_bytes=3 * 1024**3)

CORRECT = support.EX00_CORRECT
FULL = support.EX00_POINTS
WRONG = support.EX00_WRONG
HARD_CODED_Q1 = """
def training_flops(n_params, n_tokens):
    import numpy as np
    if isinstance(n_params, np.ndarray):
        return np.array([1.2e20, 4.8e20])
    return {175e9: 3.15e23, 70e9: 5.88e23}.get(n_params, 0.0)
"""
SWALLOW = """
import time
while True:
    try:
        time.sleep(0.05)
    except KeyboardInterrupt:
        pass
"""
# starts a process that outlives the cell: the grader must kill it with the kernel
SPAWN = """
import subprocess, sys
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
"""
PATCHED = """
import builtins
import numpy
builtins.abs = lambda x: 0
numpy.isclose = lambda *args, **kwargs: True
numpy.allclose = lambda *args, **kwargs: True
def training_flops(n_params, n_tokens):
    return n_params + n_tokens
"""


def _with(**answers):
    return {**CORRECT, **answers}


def _write(folder: Path, name: str, answers: dict, edit=None) -> None:
    nb = nbformat.read(STUDENT_COPY, as_version=4)
    for cell in nb.cells:
        qid = cell.get("id", "").removesuffix("-answer")
        if cell.get("id", "").endswith("-answer") and qid in answers:
            cell.source = answers[qid]
    if edit:
        edit(nb)
    nbformat.write(nb, folder / f"{name}.ipynb")


def _drop_checks(nb):
    nb.cells = [c for c in nb.cells if "test" not in c.metadata.get("tags", [])]
    nb.cells.append(nbformat.v4.new_code_cell("assert False, 'an added check'"))


def _rename_ids(nb):
    for i, cell in enumerate(nb.cells):
        cell.id = f"renamed-{i}"


def _noisy(nb):
    nb.cells.insert(3, nbformat.v4.new_code_cell("print('x' * 5_000_000)\nfor _ in range(10): print('y' * 100_000)"))


def _delete_answer(nb):
    nb.cells = [c for c in nb.cells if c.get("id") != "q2-answer"]


# name: (answers or None for a raw file, notebook edit, expected status, expected points per question)
CORPUS = {
    "correct": (CORRECT, None, "graded", FULL),
    "wrong": (WRONG, None, "graded", [0] * 8),
    "untouched": ({}, None, "graded", [0] * 8),
    "partial": (_with(q2=WRONG["q2"], q4=WRONG["q4"], q5=WRONG["q5"]), None, "graded", [2, 0, 2, 0, 0, 3, 2, 0]),
    "hardcoded": (_with(q1=HARD_CODED_Q1), None, "graded", [0, 2, 2, 3, 2, 3, 2, 0]),
    "infinite_loop": (_with(q2="while True:\n    pass"), None, "timeout", [2, 0, 2, 3, 2, 3, 2, 0]),
    "swallows_interrupt": (_with(q3=SWALLOW), None, "timeout", [2, 2, 0, 0, 0, 0, 0, 0]),
    "os_exit": (_with(q4="import os\nos._exit(1)"), None, "kernel died", [2, 2, 2, 0, 0, 0, 0, 0]),
    "starts_a_process": (_with(q3=SPAWN + CORRECT["q3"]), None, "graded", FULL),
    "sys_exit": (_with(q3=CORRECT["q3"] + "\nimport sys\nsys.exit()"), None, "graded", FULL),
    "allocates_30gb": (_with(q3="import numpy as np\nbig = np.ones(30 * 1024**3 // 8)\n" + CORRECT["q3"]), None,
                       "memory limit", [2, 2, 0, 3, 2, 3, 2, 0]),
    "patched_builtins": (_with(q1=PATCHED), None, "graded", [0, 2, 2, 3, 2, 3, 2, 0]),
    "edited_checks": (CORRECT, _drop_checks, "graded", FULL),
    "renamed_ids": (CORRECT, _rename_ids, "graded", FULL),
    "megabytes_of_output": (CORRECT, _noisy, "graded", FULL),
    # the answer key says that Q1 answered with the library's own training_flops scores 0 (and is flagged)
    "uses_the_library": (_with(q1="from lectures_lib.compute import training_flops"), None, "graded",
                         [0, 2, 2, 3, 2, 3, 2, 0]),
    "deleted_answer_cell": (CORRECT, _delete_answer, "invalid notebook", None),
}
RAW_FILES = {
    "not_a_notebook": ("this is an essay, not a notebook\n", "invalid notebook"),
    "empty": ("", "invalid notebook"),
    "other_exercise": (OTHER_COPY.read_text(), "invalid notebook"),
}


# -- the processes a grading starts --------------------------------------------------------------------
# The grader starts each worker with a copy of its own environment, and the worker's kernel inherits the
# worker's; both run in sessions of their own, and a kernel whose worker was killed is re-parented, so
# neither the process tree nor a command line tells the processes of one grading from those of another
# grader on the same machine. A variable set only while the grading runs, with a value unique to it, does.
RUN_MARKER = "LECTURES_LIB_GRADING_TAG"  # the one variable the sandbox passes on


class Watch(NamedTuple):
    token: str
    seen: dict[int, str]  # every marked process seen while the grading ran: pid -> command line

    def alive(self) -> dict[int, str]:
        """pid -> command line of every live process whose environment carries this watch's marker."""
        wanted = f"{RUN_MARKER}={self.token}".encode()
        return support.live_processes(lambda entry: wanted in (entry / "environ").read_bytes().split(b"\0"))

    def survivors(self, wait_seconds: float = 10.0) -> dict[int, str]:
        """The marked processes still alive after up to ``wait_seconds`` (a SIGKILLed process takes a moment)."""
        deadline = time.monotonic() + wait_seconds
        while (alive := self.alive()) and time.monotonic() < deadline:
            time.sleep(0.2)
        return alive

    def kinds(self) -> set[str]:
        """What was seen: 'worker', 'kernel' (an ipykernel) or 'other'."""
        return {"worker" if "NotebookClient" in cmd else "kernel" if "ipykernel" in cmd else "other"
                for cmd in self.seen.values()}


@contextlib.contextmanager
def watching():
    """Mark every process started inside the block, and record the marked processes seen meanwhile."""
    watch = Watch(f"{os.getpid()}-{secrets.token_hex(8)}", {})
    with support.marked_and_sampled(RUN_MARKER, watch.token, lambda: watch.seen.update(watch.alive())):
        yield watch


class Graded(NamedTuple):
    folder: Path
    out: Path
    first: RunSummary
    second: RunSummary
    watch: Watch


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Graded:
    folder = tmp_path_factory.mktemp("submissions")
    for name, (answers, edit, _, _) in CORPUS.items():
        _write(folder, name, answers, edit)
    for name, (text, _) in RAW_FILES.items():
        (folder / f"{name}.ipynb").write_text(text)
    out = tmp_path_factory.mktemp("out")
    with watching() as watch:
        first = grade_folder(folder, out, SOURCES, "00_power_laws", LIMITS, workers=2, progress=False)
        second = grade_folder(folder, out, SOURCES, "00_power_laws", LIMITS, workers=2, progress=False)
    return Graded(folder, out, first, second, watch)


def _by_student(summary):
    return {r.student: r for r in summary.records}


@pytest.mark.parametrize("name", list(CORPUS))
def test_scores_and_status(graded, name):
    first, second = graded.first, graded.second
    answers, edit, status, points = CORPUS[name]
    for summary in (first, second):
        record = _by_student(summary)[name]
        assert record.status == status, record.detail
        if points is not None:
            assert [s.points for s in record.scores] == points, [s.feedback for s in record.scores]


def test_the_library_s_own_answer_scores_as_the_key_says_and_is_flagged(graded):
    record = _by_student(graded.first)["uses_the_library"]
    assert record.scores[0].points == 0 and record.scores[0].verdict == "wrong"
    assert "uses lectures_lib.compute.training_flops" in record.scores[0].feedback[-1]
    assert "Q1: used lectures_lib.compute.training_flops (the library's own implementation): please review" \
        in record.flags
    assert not any(_by_student(graded.first)[name].flags for name in ("correct", "sys_exit", "megabytes_of_output"))


@pytest.mark.parametrize("name", list(RAW_FILES))
def test_files_that_are_not_submissions(graded, name):
    first = graded.first
    record = _by_student(first)[name]
    assert record.status == RAW_FILES[name][1]
    assert record.detail


def test_nothing_is_lost(graded):
    folder, out, first, second = graded.folder, graded.out, graded.first, graded.second
    n_files = len(list(folder.iterdir()))
    assert len(first.records) == len(second.records) == n_files
    db = sqlite3.connect(out / "gradebook.sqlite")
    assert db.execute("SELECT COUNT(*) FROM grades").fetchone()[0] == 2 * n_files
    assert db.execute("SELECT COUNT(*) FROM runs WHERE finished_at IS NOT NULL").fetchone()[0] == 2
    statuses = {row[0] for row in db.execute("SELECT DISTINCT status FROM grades")}
    assert statuses <= {"graded", "timeout", "kernel died", "memory limit", "invalid notebook",
                        "integrity check failed", "grader error"}


def test_csv_matches_the_latest_run(graded):
    out, second = graded.out, graded.second
    with (out / "grades.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[:5] == ["student", "exercise", "total", "max_total", "status"]
    db = sqlite3.connect(out / "gradebook.sqlite")
    latest = {(s, e): (t, m, st, json.loads(p)) for s, e, t, m, st, p in db.execute(
        "SELECT student, exercise, total, max_total, status, points FROM grades WHERE run_id = ?", (second.run_id,))}
    assert len(rows) == len(latest)
    for row in rows:
        total, max_total, status, points = latest[(row["student"], row["exercise"])]
        assert (int(row["total"]), int(row["max_total"]), row["status"]) == (total, max_total, status)
        for qid, value in points.items():
            assert int(row[qid]) == value


def test_feedback_explains_without_revealing_hidden_checks(graded):
    out = graded.out
    wrong = feedback_path(out / "feedback", "wrong", "00_power_laws").read_text()
    assert "training_flops(1.75e+11, 3e+11) returned 1.05e+23, expected 3.15e+23" in wrong
    hard = feedback_path(out / "feedback", "hardcoded", "00_power_laws").read_text()
    assert "inputs not shown" in hard and "0 / 2" in hard
    for text in (wrong, hard):
        assert "hidden" not in text.lower() and "@@grader" not in text
    assert "not attempted" in feedback_path(out / "feedback", "untouched", "00_power_laws").read_text()


def test_no_kernel_outlives_the_grading(graded):
    # the marker reached the workers and their kernels, so the check below can see them
    assert {"worker", "kernel"} <= graded.watch.kinds(), sorted(graded.watch.seen.values())
    survivors = graded.watch.survivors()
    assert not survivors, "\n".join(f"{pid}: {cmd}" for pid, cmd in survivors.items())


def test_a_kernel_whose_worker_is_killed_does_not_survive(tmp_path):
    # the wall clock kills the worker while its kernel loops, ignoring interrupts; the kernel and the
    # process it started run in a session of their own, which only the grader can kill
    (tmp_path / "in").mkdir()
    _write(tmp_path / "in", "stuck", _with(q3=SPAWN + SWALLOW))
    limits = Limits(cell_seconds=60, submission_seconds=12, memory_bytes=LIMITS.memory_bytes)
    with watching() as watch:
        summary = grade_folder(tmp_path / "in", tmp_path / "out", SOURCES, "00_power_laws", limits, workers=1,
                               progress=False)
    assert summary.records[0].status == "timeout", summary.records[0].detail
    assert "kernel" in watch.kinds(), sorted(watch.seen.values())
    survivors = watch.survivors()
    assert not survivors, "\n".join(f"{pid}: {cmd}" for pid, cmd in survivors.items())


def test_the_survivor_check_finds_a_detached_process():
    # a process in a session of its own, like a kernel whose worker was killed, is found
    with watching() as watch:
        process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        assert process.pid in watch.survivors(wait_seconds=0.5)
    finally:
        process.kill()
        process.wait()
    assert process.pid not in watch.survivors(wait_seconds=0.5)


def test_a_normal_submission_is_fast(graded):
    first = graded.first
    assert _by_student(first)["correct"].seconds < 15  # the 5 s target is measured by benchmarks/grading.py


def test_score_never_shows_hidden_inputs():
    question = EXERCISES["00_power_laws"]["q1"]
    visible = [encode_args(a) for a in question.visible_cases]
    hidden = [encode_args((123456789.0, 987654321.0))]
    outputs = [{"shape": [], "data": [0.0]}] * (len(visible) - 1) + [{"shape": [2], "data": [0.0, 0.0]}] + \
              [{"shape": [], "data": [1.0]}]
    key = load_key(SOURCES, "00_power_laws")
    expected = key.expected("q1", question_variant := EXERCISES["00_power_laws"].variant(""), visible + hidden)
    assert question_variant.is_default
    score = score_question(question, {"outputs": outputs}, visible + hidden, len(visible), expected)
    text = " ".join(score.feedback)
    assert score.points == 0 and "1.23457e+08" not in text and "123456789" not in text
    assert str(float(np.float64(6 * 123456789.0 * 987654321.0))) not in text


def test_sources_grade_full_marks(tmp_path):
    for source in SOURCES.glob("*.ipynb"):
        (tmp_path / f"teacher_{source.name}").write_bytes(source.read_bytes())
    summary = grade_folder(tmp_path, tmp_path / "out", SOURCES, None, LIMITS, progress=False)
    assert len(summary.records) == len(EXERCISES)
    for record in summary.records:  # every point but those graded by hand, in the variant of "teacher_..."
        by_hand = sum(q.points for q in EXERCISES[record.exercise].questions if q.kind == "explain")
        assert record.status == "graded" and record.total == record.max_total - by_hand, record
        assert [s.verdict for s in record.scores if s.points == 0] == ["needs manual grading"] * len(
            [q for q in EXERCISES[record.exercise].questions if q.kind == "explain"]), record


def test_reading_submissions(tmp_path):
    sources = load_sources(SOURCES)
    nb = nbformat.read(STUDENT_COPY, as_version=4)
    nb.metadata["lectures_lib"]["student"] = "ada@example.org"
    nbformat.write(nb, tmp_path / "download_123.ipynb")
    submission = read_submission(tmp_path / "download_123.ipynb", sources)
    assert submission.student == "ada@example.org" and submission.exercise_id == "00_power_laws"
    nb.metadata["lectures_lib"]["student"] = ""
    nbformat.write(nb, tmp_path / "Grace Hopper (1).ipynb")
    assert read_submission(tmp_path / "Grace Hopper (1).ipynb", sources).student == "Grace Hopper (1)"
    (tmp_path / "old.ipynb").write_text(json.dumps({"nbformat": 3, "worksheets": [], "cells": []}))
    with pytest.raises(InvalidSubmission, match="format"):
        read_submission(tmp_path / "old.ipynb", sources)


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="submissions"):
        grade_folder(tmp_path / "missing", tmp_path / "out", SOURCES, progress=False)
    with pytest.raises(ValueError, match="exercise"):
        grade_folder(tmp_path, tmp_path / "out", SOURCES, "99_nothing", progress=False)


def test_every_entry_but_a_folder_gets_a_row(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    _write(folder, ".hidden", CORRECT)                          # a student's file whose name starts with a dot
    os.mkfifo(folder / "pipe.ipynb")
    (folder / "dangling.ipynb").symlink_to(tmp_path / "nowhere.ipynb")
    (folder / "a folder.ipynb").mkdir()
    summary = grade_folder(folder, tmp_path / "out", SOURCES, "00_power_laws", LIMITS, workers=2, progress=False)
    rows = {r.file_name: (r.status, r.total) for r in summary.records}
    assert rows == {".hidden.ipynb": ("graded", sum(FULL)), "pipe.ipynb": ("invalid notebook", 0),
                    "dangling.ipynb": ("invalid notebook", 0)}
