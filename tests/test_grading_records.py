"""Reading hostile submissions, identities, the gradebook, feedback and records read back: no kernels.

Every malformed file gives ``InvalidSubmission`` with a message in the grader's words (or is read
correctly); identities are kept as written but stored and shown safely; the gradebook is locked,
migrated, flags several files of one student and neutralises spreadsheet formulas; feedback is
bounded and escaped; a hostile record never makes scoring raise.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import re
import sqlite3
import unicodedata
from pathlib import Path

import nbformat
import pytest

from lectures_lib.exercises import EXERCISES
from lectures_lib.grading import gradebook as gb
from lectures_lib.grading import submission as sub
from lectures_lib.grading.gradebook import (
    STATUSES,
    Gradebook,
    GradeRecord,
    acquire_output_lock,
    counted_records,
    csv_cell,
    feedback_markdown,
    feedback_path,
)
from lectures_lib.grading.identity import display_name, file_name_text, load_roster, student_identity
from lectures_lib.grading.protocol import encode_args
from lectures_lib.grading.scoring import QuestionScore, score_exercise, score_question, validate_record
from lectures_lib.grading.submission import InvalidSubmission, read_submission

ROOT = Path(__file__).resolve().parents[1]
STUDENT_COPY = ROOT / "notebooks" / "exercises" / "00_power_laws.ipynb"
SOURCE_DIR = ROOT / "notebooks" / "exercises" / "source"
SOURCES = {p.stem: nbformat.read(p, as_version=4) for p in sorted(SOURCE_DIR.glob("*.ipynb"))}
EXERCISE = EXERCISES["00_power_laws"]
TITLES = {q.qid: q.title for q in EXERCISE.questions}
BASE = json.loads(STUDENT_COPY.read_text())

# the schema of the first gradebooks, before file_name escaping, student_field, flags and file_mtime
OLD_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    submissions_dir TEXT NOT NULL,
    exercise_filter TEXT,
    n_submissions INTEGER
);
CREATE TABLE IF NOT EXISTS grades (
    grade_id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs(run_id),
    student TEXT NOT NULL,
    exercise TEXT NOT NULL,
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    status TEXT NOT NULL,
    detail TEXT NOT NULL,
    points TEXT NOT NULL,
    max_points TEXT NOT NULL,
    total INTEGER NOT NULL,
    max_total INTEGER NOT NULL,
    seconds REAL NOT NULL,
    graded_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS grades_by_student ON grades (student, exercise, grade_id);
"""


def _notebook(edit=None, **answers) -> dict:
    """The student copy as JSON, with answers set (qid -> source) and then ``edit`` applied."""
    nb = copy.deepcopy(BASE)
    for cell in nb["cells"]:
        qid = cell.get("id", "").removesuffix("-answer")
        if cell.get("id", "").endswith("-answer") and qid in answers:
            cell["source"] = answers[qid]
    if edit:
        edit(nb)
    return nb


def _write(folder: Path, nb: object, name: str = "ada.ipynb") -> Path:
    path = folder / name
    path.write_text(nb if isinstance(nb, str) else json.dumps(nb))
    return path


def _cell(nb: dict, cell_id: str) -> dict:
    return next(c for c in nb["cells"] if c.get("id") == cell_id)


def _read(tmp_path: Path, nb: object, name: str = "ada.ipynb", **kwargs) -> sub.Submission:
    return read_submission(_write(tmp_path, nb, name), SOURCES, **kwargs)


def _invalid(tmp_path: Path, nb: object, name: str = "ada.ipynb") -> str:
    with pytest.raises(InvalidSubmission) as caught:
        _read(tmp_path, nb, name)
    return str(caught.value)


def _record(student="ada", **kwargs) -> GradeRecord:
    scores = tuple(QuestionScore(q.qid, q.points, q.points, "correct") for q in EXERCISE.questions)
    fields = dict(student=student, exercise="00_power_laws", file_name=f"{student}.ipynb", file_sha256="0" * 64,
                  status="graded", detail="", scores=scores, seconds=1.0)
    return GradeRecord(**{**fields, **kwargs})


# -- malformed files --------------------------------------------------------------------------------------


def test_the_student_copy_reads_cleanly(tmp_path):
    submission = _read(tmp_path, _notebook())
    assert submission.exercise_id == "00_power_laws" and list(submission.answers) == ["q1", "q2", "q3", "q4", "q5"]
    assert submission.flags == () and submission.unanswerable == {} and submission.integrity_problems == ()
    assert submission.file_name == "ada.ipynb" and submission.student == "ada" and submission.student_field == ""
    assert submission.file_mtime == pytest.approx(os.stat(tmp_path / "ada.ipynb").st_mtime)


def test_an_answer_source_that_is_null_costs_that_question_only(tmp_path):
    submission = _read(tmp_path, _notebook(lambda nb: _cell(nb, "q2-answer").update(source=None)))
    assert "q2" not in submission.answers and set(submission.answers) == {"q1", "q3", "q4", "q5"}
    assert submission.unanswerable == {"q2": "the answer cell of Q2 cannot be read: its source is null, not text"}


def test_a_source_that_is_a_number_costs_that_question_only(tmp_path):
    submission = _read(tmp_path, _notebook(lambda nb: _cell(nb, "q3-answer").update(source=42)))
    assert submission.unanswerable == {"q3": "the answer cell of Q3 cannot be read: its source is a number, not text"}


def test_a_source_that_is_a_list_of_lines_is_joined(tmp_path):
    lines = ["compute_factor_to_halve_loss = (\n", "    2 ** 20\n", ")"]
    submission = _read(tmp_path, _notebook(lambda nb: _cell(nb, "q3-answer").update(source=lines)))
    assert submission.answers["q3"] == "".join(lines) and submission.unanswerable == {}


def test_a_cell_without_cell_type(tmp_path):
    def drop_types(nb):
        del _cell(nb, "q1-answer")["cell_type"]
        del _cell(nb, "ex00-03")["cell_type"]  # a Markdown cell the grader does not use: ignored

    submission = _read(tmp_path, _notebook(drop_types))
    assert submission.unanswerable == {"q1": "the answer cell of Q1 has no cell type (the file was edited outside "
                                             "Jupyter)"}
    assert set(submission.answers) == {"q2", "q3", "q4", "q5"}


def test_a_markdown_answer_cell_scores_zero_on_that_question_only(tmp_path):
    submission = _read(tmp_path, _notebook(lambda nb: _cell(nb, "q2-answer").update(cell_type="markdown")))
    reason = "the answer cell of Q2 is a Markdown cell, not code"
    assert submission.unanswerable == {"q2": reason} and "q2" not in submission.answers
    records = {"q3": {"shape": [], "data": [2.0 ** 20]}, "q2": {"missing": True}}
    plan = {q.qid: {"cases": [encode_args(a) for a in q.visible_cases], "n_visible": len(q.visible_cases)}
            for q in EXERCISE.questions}
    scores = {s.qid: s for s in score_exercise(EXERCISE, records, plan, submission.unanswerable)}
    assert scores["q2"] == QuestionScore("q2", 0, 2, "not graded", (reason,))
    assert scores["q3"].points == 2  # the others are scored on their records


def test_two_cells_with_one_answer_id_grade_the_last(tmp_path):
    def duplicate(nb):
        index = nb["cells"].index(_cell(nb, "q1-answer"))
        copy_ = copy.deepcopy(nb["cells"][index])
        copy_["source"] = "def training_flops(n, d):\n    return 6 * n * d"
        nb["cells"].insert(index + 2, copy_)

    submission = _read(tmp_path, _notebook(duplicate, q1="def training_flops(n, d):\n    return 0"))
    assert submission.answers["q1"] == "def training_flops(n, d):\n    return 6 * n * d"
    assert "two cells have the id q1-answer: the last one was graded" in submission.flags


def test_json_nested_100000_levels(tmp_path):
    message = _invalid(tmp_path, "[" * 100_000 + "]" * 100_000)
    assert message == "the file is not a notebook: its JSON is nested too deeply to read"
    deep_metadata = json.dumps(_notebook())[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    assert "nested too deeply" in _invalid(tmp_path, deep_metadata)


def test_a_file_larger_than_the_limit_is_refused_before_parsing(tmp_path):
    path = tmp_path / "huge.ipynb"
    with path.open("wb") as handle:
        handle.truncate(sub.MAX_FILE_BYTES + 1)  # sparse: nothing is written, and nothing may be read
    with pytest.raises(InvalidSubmission, match=r"more than the 20 MB a notebook may have: not read"):
        read_submission(path, SOURCES)


@pytest.mark.parametrize(("version", "message"), [
    (3, "notebook format 3 (an old Jupyter format): save it again with Jupyter 4 or later"),
    (2, "notebook format 2 (an old IPython format): save it again with Jupyter 4 or later"),
    (5, "notebook format 5 is not a format this grader reads (it reads format 4)"),
    ("4", "the notebook's format number (nbformat) is a string, not an integer"),
    (4.0, "the notebook's format number (nbformat) is a number, not an integer"),
    (True, "the notebook's format number (nbformat) is true or false, not an integer"),
    (None, "the notebook's format number (nbformat) is null, not an integer"),
])
def test_notebook_format(tmp_path, version, message):
    assert _invalid(tmp_path, _notebook(lambda nb: nb.update(nbformat=version))) == message


def test_a_notebook_without_a_format_number(tmp_path):
    assert "no format number (nbformat)" in _invalid(tmp_path, _notebook(lambda nb: nb.pop("nbformat")))


HOSTILE_FILES = {
    "list": "[]", "string": '"x"', "null": "null", "number": "1e999", "cells a string": '{"nbformat": 4, "cells": "x"}',
    "cells of numbers": '{"nbformat": 4, "cells": [1, 2, 3]}', "huge integer": "1" * 10_000,
    "not utf-8": b"\xff\xfe{\x00", "nul bytes": "\x00" * 100,
    "metadata a list": json.dumps(_notebook(lambda nb: nb.update(metadata=[]))),
    "lectures_lib a string": json.dumps(_notebook(lambda nb: nb["metadata"].update(lectures_lib="x"))),
    "exercise a list": json.dumps(_notebook(lambda nb: nb["metadata"]["lectures_lib"].update(exercise=[1]))),
    "ids are lists": json.dumps(_notebook(lambda nb: [c.update(id=[c["id"]]) for c in nb["cells"]])),
    "tags a string": json.dumps(_notebook(lambda nb: [c["metadata"].update(tags="solution") for c in nb["cells"]])),
    "cell metadata null": json.dumps(_notebook(lambda nb: [c.update(metadata=None) for c in nb["cells"]])),
    "answer cell a list": json.dumps(_notebook(
        lambda nb: nb["cells"].__setitem__(nb["cells"].index(_cell(nb, "q1-answer")), ["q1-answer"]))),
    "source a list of numbers": json.dumps(_notebook(lambda nb: _cell(nb, "q4-answer").update(source=[1, 2]))),
    "source an object": json.dumps(_notebook(lambda nb: _cell(nb, "q4-answer").update(source={"a": "b"}))),
    "deeply nested answer": json.dumps(_notebook(q1="x = " + "(" * 10_000 + ")" * 10_000)),
}


@pytest.mark.parametrize("name", list(HOSTILE_FILES))
def test_hostile_files_never_raise_anything_else(tmp_path, name):
    content = HOSTILE_FILES[name]
    path = tmp_path / "x.ipynb"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    try:
        submission = read_submission(path, SOURCES)
    except InvalidSubmission as error:
        assert str(error) and "Traceback" not in str(error)
    else:
        assert submission.exercise_id == "00_power_laws"


def test_a_link_a_pipe_and_a_folder_are_not_read(tmp_path):
    target = _write(tmp_path, _notebook(), "real.ipynb")
    (tmp_path / "link.ipynb").symlink_to(target)
    with pytest.raises(InvalidSubmission, match="symbolic link"):
        read_submission(tmp_path / "link.ipynb", SOURCES)
    os.mkfifo(tmp_path / "pipe.ipynb")
    with pytest.raises(InvalidSubmission, match="not a regular file"):
        read_submission(tmp_path / "pipe.ipynb", SOURCES)  # does not block: nothing writes to the pipe
    (tmp_path / "dir.ipynb").mkdir()
    with pytest.raises(InvalidSubmission):
        read_submission(tmp_path / "dir.ipynb", SOURCES)


# -- suspicious code is a flag, not a zero ------------------------------------------------------------------


HONEST = {
    "q3": "print('thinking')\n%time compute_factor_to_halve_loss = 2 ** 20\nimport sys\nsys.exit()",
    "q4": "flops, loss = ex.dataset()\nslope, intercept = np.polyfit(np.log(flops), np.log(loss), 1)\n"
          "fitted_exponent = -slope\nex.check('q4', fitted_exponent)",
}
SUSPICIOUS = {
    "from lectures_lib.exercises import ex00_power_laws as e":
        "Q1: the answer imports lectures_lib.exercises (the module that holds the reference answers): please review",
    "import lectures_lib.grading.release":
        "Q1: the answer imports lectures_lib.grading.release (the module that holds the reference answers): "
        "please review",
    "from lectures_lib import exercises":
        "Q1: the answer imports lectures_lib.exercises (the module that holds the reference answers): please review",
    "from lectures_lib.compute import training_flops":
        "Q1: the answer imports lectures_lib.compute from the course library: please review",
    "import sys\nm = sys.modules['lectures_lib.exercises.ex00_power_laws']":
        "Q1: the answer reads sys.modules (it can reach the module that holds the reference answers): please review",
    "import importlib": "Q1: the answer imports importlib (it can load the module that holds the reference "
                        "answers): please review",
    "m = __import__('lectures_lib')": "Q1: the answer uses __import__ (it can load the module that holds the "
                                       "reference answers): please review",
    "e = globals()['ex']": "Q1: the answer calls globals() (it can reach the module that holds the reference "
                           "answers): please review",
    "training_flops = ex.EXERCISE['q1'].reference":
        "Q1: the answer uses ex.EXERCISE, which the notebook does not use (the module holds the reference "
        "answers): please review",
    "fitted = ex._reference_fit()": "Q1: the answer uses ex._reference_fit, which the notebook does not use (the "
                                    "module holds the reference answers): please review",
    "%time from lectures_lib.exercises import ex00_power_laws as e":
        "Q1: the answer imports through an IPython magic or shell line: please review",
}


def test_honest_answers_are_not_flagged(tmp_path):
    submission = _read(tmp_path, _notebook(**HONEST))
    assert submission.flags == () and submission.integrity_problems == ()
    assert submission.answers["q4"] == HONEST["q4"]


@pytest.mark.parametrize("code", list(SUSPICIOUS))
def test_suspicious_answers_are_flagged_and_kept(tmp_path, code):
    submission = _read(tmp_path, _notebook(q1=code))
    assert submission.flags == (SUSPICIOUS[code],)
    assert submission.answers["q1"] == code and submission.integrity_problems == ()


# -- identity -------------------------------------------------------------------------------------------------


def test_the_student_field_is_kept_as_written(tmp_path):
    def named(name):
        return _notebook(lambda nb: nb["metadata"]["lectures_lib"].update(student=name))

    zoe_diaeresis = _read(tmp_path, named(unicodedata.normalize("NFD", " Zoë ")))
    assert zoe_diaeresis.student == "Zoë" and zoe_diaeresis.student_field == unicodedata.normalize("NFD", " Zoë ")
    assert _read(tmp_path, named("Zoé")).student == "Zoé"  # another student: nothing is accent-folded
    assert _read(tmp_path, named("张伟")).student == "张伟"
    assert _read(tmp_path, named("  "), "Grace Hopper (1).ipynb").student == "Grace Hopper (1)"


def test_a_lone_surrogate_goes_everywhere_escaped(tmp_path):
    text = json.dumps(_notebook(lambda nb: nb["metadata"]["lectures_lib"].update(student="A\ud800")))
    assert "\\ud800" in text
    submission = _read(tmp_path, text)
    assert submission.student == "A\\ud800" and submission.student_field == "A\\ud800"
    _store_everywhere(tmp_path, _record(submission.student, student_field=submission.student_field))
    # a surrogate that reaches the gradebook raw is escaped there too
    _store_everywhere(tmp_path / "raw", _record("B\udfff", student_field="\ud800", file_name="\udcff.ipynb"))


def _store_everywhere(folder: Path, record: GradeRecord) -> None:
    """The record goes through SQLite, CSV, Markdown and a feedback file name without an error."""
    book = Gradebook(folder / "gradebook.sqlite")
    try:
        book.add(book.start_run(folder, None, 1), record)
        assert book.export_csv(folder / "grades.csv") == 1
        path = feedback_path(folder, record.student, record.exercise)
        path.write_text(feedback_markdown(record, TITLES), encoding="utf-8")
        assert path.parent == folder
        row = book.latest()[0]
        assert row["student"] == record.student.encode("utf-8", "backslashreplace").decode()
    finally:
        book.close()


@pytest.mark.parametrize("student", ["a\x00b", "\r\n=cmd", "\u202eevil", "x" * 400, "<b>*x*</b>", "张伟"])
def test_odd_identities_go_everywhere(tmp_path, student):
    _store_everywhere(tmp_path, _record(student, student_field=student, file_name=student + ".ipynb"))


def test_a_file_name_that_is_not_utf8(tmp_path):
    name = os.fsdecode(b"Zo\xeb.ipynb")  # Latin-1 bytes, as unzip leaves them
    (tmp_path / name).write_text(json.dumps(_notebook()))
    submission = read_submission(tmp_path / name, SOURCES)
    assert submission.file_name == "Zo\\xeb.ipynb" and submission.student == "Zo\\xeb"
    assert file_name_text(b"Zo\xc3\xab.ipynb") == "Zoë.ipynb"
    _store_everywhere(tmp_path, _record(submission.student, file_name=submission.file_name))


def test_overlong_names_are_kept_whole_but_shown_bounded(tmp_path):
    first, second = "x" * 299 + "a", "x" * 299 + "b"
    assert display_name(first) != display_name(second) and len(display_name(first)) < 100
    paths = {feedback_path(tmp_path, name, "00_power_laws") for name in (first, second)}
    assert len(paths) == 2 and all(len(p.name.encode()) < 150 for p in paths)
    book = Gradebook(tmp_path / "gradebook.sqlite")
    book.add(book.start_run(tmp_path, None, 1), _record(first, student_field=first))
    assert book.latest()[0]["student"] == first and book.latest()[0]["student_field"] == first
    book.close()
    text = feedback_markdown(_record(first), TITLES)
    assert first not in text and display_name(first) in text


def test_feedback_file_names_never_collide_nor_escape(tmp_path):
    students = ["ada", "Ada", "ADA", "a/da", "a_da", "a da", "../../etc/passwd", ".hidden", "Zoë", "Zoé",
                unicodedata.normalize("NFD", "Zoé"), "张伟", "", "a" * 500, "a" * 499 + "b", "\ud800", "\\ud800",
                "a\x00b", "con", "x" * 40 + "é" * 200]
    paths = [feedback_path(tmp_path, s, "00_power_laws") for s in students]
    names = [p.name for p in paths]
    assert len({n.casefold() for n in names}) == len(students)  # distinct even on a case-insensitive disk
    for path in paths:
        assert path.parent == tmp_path and "/" not in path.name and "\\" not in path.name
        assert not path.name.startswith(".") and len(path.name.encode("utf-8")) < 150
        path.write_text("ok")  # every one is a valid file name
    assert feedback_path(tmp_path, "ada", "00_power_laws") == paths[0]  # stable


def test_student_identity_rules():
    assert student_identity("  Ada Lovelace ", "x.ipynb") == "Ada Lovelace"
    assert student_identity(None, "download_12.ipynb") == student_identity("", "download_12.ipynb") == "download_12"
    assert student_identity(None, ".ipynb") == ".ipynb" and student_identity(None, " ") == "unknown"


# -- roster -----------------------------------------------------------------------------------------------


def test_roster_matches_ids_and_emails_without_folding(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("\ufeffStudent_ID,name,email\ns001,Zoë Martin,Zoe.Martin@Example.org\ns002,Zoé Petit,\n"
                    f"{unicodedata.normalize('NFD', 'zoë')},Zoë,\n", encoding="utf-8")
    roster = load_roster(path)
    assert roster.match("s001", "whatever.ipynb") == ("s001", "student field is the student_id")
    assert roster.match(None, "zoe.martin@example.ORG.ipynb") == ("s001", "file name is the email of s001")
    assert roster.match("", "s002.ipynb")[0] == "s002"
    assert roster.match("zoë", "x.ipynb")[0] == "zoë"  # NFC on both sides
    assert roster.match("zoe", "x.ipynb") == (None, "not on the roster")  # no accent folding
    assert roster.match("S001", "x.ipynb") == (None, "not on the roster")  # ids are exact


def test_read_submission_with_a_roster(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("student_id,email\ns001,ada@example.org\n")
    roster = load_roster(path)
    matched = _read(tmp_path, _notebook(lambda nb: nb["metadata"]["lectures_lib"].update(student="ADA@example.org")),
                    roster=roster)
    assert matched.student == "s001" and matched.student_field == "ADA@example.org" and matched.flags == ()
    unmatched = _read(tmp_path, _notebook(), "grace.ipynb", roster=roster)
    assert unmatched.student == "grace" and unmatched.flags == ("not on the roster",)


@pytest.mark.parametrize(("text", "problem"), [
    ("student_id\ns1\ns1\n", "student_id 's1' twice"),
    ("name,email\nAda,ada@example.org\n", "no student_id column"),
    ("student_id,email\ns1,a@x.org\ns2,A@x.org\n", "email 'A@x.org' twice"),
    ("student_id,name\n,Ada\n", "no student_id on line 2"),
    ("", "empty"),
])
def test_a_bad_roster_is_refused(tmp_path, text, problem):
    (tmp_path / "roster.csv").write_text(text)
    with pytest.raises(ValueError, match=problem):
        load_roster(tmp_path / "roster.csv")


# -- gradebook --------------------------------------------------------------------------------------------


def test_one_grader_per_output_folder(tmp_path):
    first = Gradebook(tmp_path / "gradebook.sqlite")
    with pytest.raises(RuntimeError, match=r"another grader is writing to .* \(lock .*\.grader\.lock"):
        Gradebook(tmp_path / "gradebook.sqlite")
    with pytest.raises(RuntimeError, match="another grader"), acquire_output_lock(tmp_path):
        pass
    reader = Gradebook(tmp_path / "gradebook.sqlite", lock=False)  # reading needs no lock
    reader.close()
    first.close()
    second = Gradebook(tmp_path / "gradebook.sqlite")  # free again once closed
    second.close()
    with acquire_output_lock(tmp_path), pytest.raises(RuntimeError, match="another grader"):
        Gradebook(tmp_path / "gradebook.sqlite")


def test_an_old_gradebook_is_migrated(tmp_path):
    path = tmp_path / "gradebook.sqlite"
    db = sqlite3.connect(path)
    db.executescript(OLD_SCHEMA)
    db.execute("INSERT INTO runs (started_at, submissions_dir) VALUES ('2024-01-01', 'in')")
    db.execute("INSERT INTO grades (run_id, student, exercise, file_name, file_sha256, status, detail, points, "
               "max_points, total, max_total, seconds, graded_at) VALUES (1, 'old', '00_power_laws', 'old.ipynb', "
               "'', 'graded', '', '{\"q1\": 2}', '{\"q1\": 2}', 2, 2, 1.0, '2024-01-01')")
    db.commit()
    db.close()
    book = Gradebook(path)
    columns = {row[1] for row in book.db.execute("PRAGMA table_info(grades)")}
    assert {"student_field", "flags", "file_mtime"} <= columns
    book.add(book.start_run(tmp_path, None, 1), _record("new", flags=("look",), file_mtime=5.0))
    rows = {row["student"]: row for row in book.latest()}
    assert rows["old"]["flags"] == "[]" and rows["old"]["file_mtime"] is None
    assert json.loads(rows["new"]["flags"]) == ["look"] and rows["new"]["file_mtime"] == 5.0
    assert book.export_csv(tmp_path / "grades.csv") == 2
    book.close()


def test_grader_error_is_a_status(tmp_path):
    assert "grader error" in STATUSES
    book = Gradebook(tmp_path / "gradebook.sqlite")
    book.add(book.start_run(tmp_path, None, 1), _record(status="grader error", detail="the grader failed (KeyError)"))
    with pytest.raises(ValueError, match="status"):
        book.add(1, _record(status="made up"))
    assert book.latest()[0]["status"] == "grader error"
    book.close()


def test_several_files_of_one_student_all_count_once(tmp_path):
    book = Gradebook(tmp_path / "gradebook.sqlite")
    run = book.start_run(tmp_path, None, 4)
    book.add(run, _record("ada", file_name="b.ipynb", file_mtime=200.0, detail="b"))
    book.add(run, _record("ada", file_name="a.ipynb", file_mtime=300.0, detail="a"))  # latest mtime
    book.add(run, _record("ada", file_name="c.ipynb", file_mtime=100.0, detail="c"))
    book.add(run, _record("grace"))
    flags = {f: json.loads(s) for f, s in book.db.execute("SELECT file_name, flags FROM grades WHERE student='ada'")}
    message = "3 files from this student for this exercise: the latest (by modification time, then by name) counts"
    assert flags == {"a.ipynb": [message], "b.ipynb": [message], "c.ipynb": [message]}
    assert book.db.execute("SELECT flags FROM grades WHERE student='grace'").fetchone()[0] == "[]"
    assert {r["student"]: r["detail"] for r in book.latest()} == {"ada": "a", "grace": ""}
    # equal times: the last name counts; a later run counts whatever its files' times
    run2 = book.start_run(tmp_path, None, 2)
    book.add(run2, _record("ada", file_name="x.ipynb", file_mtime=1.0, detail="x"))
    book.add(run2, _record("ada", file_name="y.ipynb", file_mtime=1.0, detail="y"))
    assert {r["student"]: r["detail"] for r in book.latest()} == {"ada": "y", "grace": ""}
    book.export_csv(tmp_path / "grades.csv")
    with (tmp_path / "grades.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["student"], r["file_name"]) for r in rows] == [("ada", "y.ipynb"), ("grace", "grace.ipynb")]
    assert rows[0]["flags"] == message.replace("3", "2", 1)
    book.close()
    records = [_record("ada", file_name="b.ipynb", file_mtime=200.0), _record("grace"),
               _record("ada", file_name="a.ipynb", file_mtime=300.0),
               _record("ada", file_name="c.ipynb", file_mtime=300.0)]
    assert [r.file_name for r in counted_records(records)] == ["c.ipynb", "grace.ipynb"]


def test_csv_neutralises_formulas(tmp_path):
    book = Gradebook(tmp_path / "gradebook.sqlite")
    run = book.start_run(tmp_path, None, 6)
    hostile = ["=HYPERLINK(\"http://evil\")", "+1+1", "-2", "@SUM(A1)", "\tx", "\rx"]
    for name in hostile:
        book.add(run, _record(name, flags=("=cmd|' /C calc'!A0",)))
    book.export_csv(tmp_path / "grades.csv")
    with (tmp_path / "grades.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(r["student"] for r in rows) == sorted("'" + name for name in hostile)
    assert all(r["flags"].startswith("'=") and r["total"] == "12" and r["q1"] == "2" for r in rows)
    assert csv_cell(-3) == -3 and csv_cell("ada") == "ada" and csv_cell("a=b") == "a=b"
    book.close()


# -- feedback -------------------------------------------------------------------------------------------------


def test_feedback_escapes_and_bounds_student_text():
    name = "**bold** [link](http://evil) <script>x</script>\n# Heading | `code` " + "z" * 200
    text = feedback_markdown(_record(name, file_name="<img src=x>.ipynb"), TITLES)
    student_line = next(line for line in text.splitlines() if line.startswith("- Student: "))
    for markup in ("<", ">", "*", "[", "]", "(", ")", "`", "|", "#"):  # none left unescaped in a student's text
        assert not re.search(r"(?<!\\)" + re.escape(markup), student_line.removeprefix("- Student: ")), markup
    assert "**bold**" not in text and "](http" not in text and "<img" not in text.replace("\\<img", "")
    assert "\n# Heading" not in text and "\\*\\*bold\\*\\*" in student_line and "\\<script\\>" in student_line
    assert "z" * 100 not in student_line and "…" in student_line


def test_feedback_is_cut_at_its_size_limit():
    scores = tuple(QuestionScore(f"q{i}", 0, 1, "wrong", ("training_flops(1, 2) returned 3, expected 12 " * 10,))
                   for i in range(500))
    text = feedback_markdown(_record(scores=scores), {})
    assert len(text.encode("utf-8")) <= gb.MAX_FEEDBACK_BYTES
    assert text.rstrip().endswith("*This feedback was cut here: it was longer than 20 kB.*")
    short = feedback_markdown(_record(), TITLES)
    assert "cut here" not in short and "| Q1 training FLOPs | 2 / 2 | correct |" in short


# -- records read back from the kernel --------------------------------------------------------------------


Q1, Q3 = EXERCISE["q1"], EXERCISE["q3"]  # a function question and a value question
Q1_CASES = [encode_args(a) for a in Q1.visible_cases]
N = len(Q1_CASES)
GOOD_OUTPUT = {"shape": [], "data": [0.0]}
HOSTILE_RECORDS = {
    "a list": [], "a string": "x", "a number": 3, "an empty object": {},
    "data a string": {"shape": [], "data": "abc"}, "numbers as strings": {"shape": [1], "data": ["1.0"]},
    "negative shape": {"shape": [-1], "data": []}, "huge shape": {"shape": [10**12], "data": [1.0]},
    "shape of floats": {"shape": [1.0], "data": [1.0]}, "shape NaN": {"shape": [float("nan")], "data": [1.0]},
    "shape and data disagree": {"shape": [2, 2], "data": [1.0, 2.0, 3.0]}, "booleans": {"shape": [1], "data": [True]},
    "nested data": {"shape": [1], "data": [[1.0]]}, "a dict in data": {"shape": [1], "data": [{"a": 1}]},
    "an int too large": {"shape": [1], "data": [10**400]}, "shape too deep": {"shape": [1] * 20, "data": [1.0]},
    "extra key": {"shape": [], "data": [1.0], "x": 1}, "missing is 1": {"missing": 1},
    "outputs a string": {"outputs": "x"}, "outputs too short": {"outputs": []},
    "outputs of lists": {"outputs": [[1]] * N},
    "output data a dict": {"outputs": [{"shape": [], "data": {"a": 1}}] * N},
    "error not text": {"outputs": [{"error": 1}] * N}, "not_callable a list": {"not_callable": ["x"]},
    "unreadable a number": {"unreadable": 3},
}


@pytest.mark.parametrize("name", list(HOSTILE_RECORDS))
@pytest.mark.parametrize("question", [Q1, Q3], ids=["function", "value"])
def test_hostile_records_are_not_graded_and_never_raise(name, question):
    record = HOSTILE_RECORDS[name]
    cases, n_visible = (Q1_CASES, N) if question is Q1 else ([], 0)
    assert validate_record(record, question.kind, len(cases)) is None
    score = score_question(question, record, cases, n_visible)
    assert (score.points, score.verdict, score.feedback) == (0, "not graded", ("the answer could not be read back",))


def test_a_deeply_nested_record_never_raises():
    record: object = [1.0]
    for _ in range(100_000):
        record = [record]
    assert validate_record({"shape": [1], "data": record}, "value", 0) is None
    assert score_question(Q3, {"shape": [1], "data": record}, [], 0).verdict == "not graded"


def test_well_formed_records_are_scored():
    assert score_question(Q3, {"shape": [], "data": [2 ** 20]}, [], 0).points == 2  # an int is a number
    nan = validate_record({"shape": [], "data": [float("nan")]}, "value", 0)  # a value (a wrong one), not malformed
    assert nan is not None and nan["shape"] == [] and nan["data"][0] != nan["data"][0]
    assert score_question(Q3, {"shape": [], "data": [float("nan")]}, [], 0).verdict == "wrong"
    assert score_question(Q3, {"shape": [], "data": [float("inf")]}, [], 0).verdict == "wrong"
    right = [{"shape": list(Q1.expected(*a).shape) if hasattr(Q1.expected(*a), "shape") else [],
              "data": list(map(float, __import__("numpy").ravel(Q1.expected(*a))))} for a in Q1.visible_cases]
    assert score_question(Q1, {"outputs": right}, Q1_CASES, N).points == 2
    assert score_question(Q1, {"timeout": True}, Q1_CASES, N).verdict == "not graded"
    assert score_question(Q1, None, Q1_CASES, N).verdict == "not graded"


CALL = "training_flops(1.75e+11, 3e+11)"


@pytest.mark.parametrize(("output", "said"), [
    ({"error": "ValueError: secret <b>message</b>"}, CALL + " raised ValueError, expected 3.15e+23"),
    ({"error": "Evil<script>: x"}, CALL + " raised an exception, expected 3.15e+23"),
    ({"error": "E" * 41}, CALL + " raised an exception, expected 3.15e+23"),
    ({"unreadable": "str"}, CALL + " returned a str, expected a number"),
    ({"unreadable": "Not a type name!"}, CALL + " returned a value that is not a number"),
    ({"shape": [], "data": [1.0]}, CALL + " returned 1, expected 3.15e+23"),
])
def test_feedback_in_the_graders_words(output, said):
    outputs = [output] + [GOOD_OUTPUT] * (N - 1)
    feedback = score_question(Q1, {"outputs": outputs}, Q1_CASES, N).feedback
    assert feedback[0] == said
    assert "secret" not in " ".join(feedback) and "<" not in " ".join(feedback)


def test_value_and_function_wording():
    assert score_question(Q3, {"unreadable": "str"}, [], 0).feedback == (
        "compute_factor_to_halve_loss is a str, expected a number",)
    assert score_question(Q3, {"unreadable": "x" * 41}, [], 0).feedback == (
        "compute_factor_to_halve_loss is a value that is not a number",)
    assert score_question(Q3, {"missing": True}, [], 0).feedback == (
        "not attempted: compute_factor_to_halve_loss is not defined",)
    assert score_question(Q1, {"not_callable": "int"}, Q1_CASES, N).feedback == (
        "training_flops is not a function (its type is int)",)
    assert score_question(Q1, {"not_callable": "<evil>"}, Q1_CASES, N).feedback == ("training_flops is not a function",)


# -- found by an independent red-team run -------------------------------------------------------------------
REACHES_THE_REFERENCE = [
    'def training_flops(n, d):\n    return ex.check.__closure__[0].cell_contents["q1"].expected(n, d)',
    'm = ex\ncompute_factor_to_halve_loss = m.EXERCISE["q3"].expected()',
    'e = ex.dataset.__globals__["EXERCISE"]',
    'import sys as s\nm = s.modules["lectures_lib.exercises.ex00_power_laws"]',
    '_x = !true\nfrom lectures_lib.exercises.ex00_power_laws import EXERCISE as E',
]


@pytest.mark.parametrize("code", REACHES_THE_REFERENCE)
def test_renamed_and_introspective_routes_to_the_reference_are_flagged(tmp_path, code):
    flags = _read(tmp_path, _notebook(q1=code)).flags
    assert flags and all("please review" in flag for flag in flags), flags


def test_a_notebook_with_millions_of_cells_is_refused_before_they_are_read(tmp_path):
    path = tmp_path / "cells.ipynb"
    path.write_text('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [' + ",".join(["0"] * 100_000)
                    + "]}")
    with pytest.raises(InvalidSubmission, match="cells"):
        read_submission(path, SOURCES)


def test_links_and_strikethrough_in_student_text_are_neutralised():
    from lectures_lib.grading.identity import markdown_text

    text = markdown_text("https://evil.example/login www.evil.example ~~x~~")
    assert "://" not in text and "www." not in text and "~~" not in text


def test_feedback_items_are_set_as_code():
    record = _record("ada", scores=(QuestionScore("q1", 0, 2, "wrong", ("training_flops raised __BOLD__",)),))
    text = feedback_markdown(record, {"q1": "t"})
    assert "- `training_flops raised __BOLD__`" in text


def test_with_a_roster_the_file_name_decides_and_a_conflicting_student_field_is_flagged(tmp_path):
    roster_path = tmp_path / "roster.csv"
    roster_path.write_text("student_id,name\nalice,Alice\nmallory,Mallory\n")
    roster = load_roster(roster_path)
    nb = _notebook()
    nb["metadata"]["lectures_lib"]["student"] = "alice"  # a classmate's notebook claiming to be Alice's
    submission = _read(tmp_path, nb, name="mallory.ipynb", roster=roster)
    assert submission.student == "mallory"
    assert any("mallory" in flag and "alice" in flag for flag in submission.flags), submission.flags
