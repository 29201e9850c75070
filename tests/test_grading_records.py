"""Reading hostile submissions, identities, the gradebook, feedback and records read back: no kernels.

Every malformed file gives ``InvalidSubmission`` with a message in the grader's words (or is read
correctly); identities are kept as written but stored and shown safely (the ``STUDENT_ID`` cell is a claim
like the student field, which a roster overrules); the gradebook is locked, migrated, flags several files of
one student and neutralises spreadsheet formulas; feedback is bounded and escaped; a hostile record never
makes scoring raise, for any way an answer is read (a function, a value, a choice, a text).

The expected answers come from the answer key (``notebooks/exercises/source/00_power_laws_key.py``) in the
variant of the student a file is named after (``ada``), as the grader compares them.
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
import numpy as np
import pytest

from lectures_lib.exercises import EXERCISES
from lectures_lib.exercises.core import public_checks
from lectures_lib.exercises.key import load_key
from lectures_lib.exercises.verdict import read_answer
from lectures_lib.grading import gradebook as gb
from lectures_lib.grading import submission as sub
from lectures_lib.grading.grade import question_plan, variant_of
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
from lectures_lib.grading.release import make_student_copy
from lectures_lib.grading.scoring import QuestionScore, score_exercise, score_question, validate_record
from lectures_lib.grading.submission import InvalidSubmission, read_submission

ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIR = ROOT / "notebooks" / "exercises" / "source"
SOURCES = {p.stem: nbformat.read(p, as_version=4) for p in sorted(SOURCE_DIR.glob("*.ipynb"))}
EXERCISE = EXERCISES["00_power_laws"]
QUESTIONS = [q.qid for q in EXERCISE.questions]
TITLES = {q.qid: q.title for q in EXERCISE.questions}
KEY = load_key(SOURCE_DIR, "00_power_laws")
#: The variant of the student the files below are named after (ada.ipynb), in which the grader would score them.
ADA = variant_of(EXERCISE, "ada")
# The student copy as ``make release`` makes it from the source (the same as notebooks/exercises/, when that is
# up to date), so these tests follow the source
BASE = json.loads(nbformat.writes(make_student_copy(SOURCES["00_power_laws"], "00_power_laws")))

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
    assert submission.exercise_id == "00_power_laws" and list(submission.answers) == QUESTIONS
    assert QUESTIONS == ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8"]
    assert submission.flags == () and submission.unanswerable == {} and submission.integrity_problems == ()
    assert submission.file_name == "ada.ipynb" and submission.student == "ada" and submission.student_field == ""
    assert submission.file_mtime == pytest.approx(os.stat(tmp_path / "ada.ipynb").st_mtime)


def test_an_answer_source_that_is_null_costs_that_question_only(tmp_path):
    submission = _read(tmp_path, _notebook(lambda nb: _cell(nb, "q2-answer").update(source=None)))
    assert "q2" not in submission.answers and set(submission.answers) == set(QUESTIONS) - {"q2"}
    assert submission.unanswerable == {"q2": "the answer cell of Q2 cannot be read: its source is null, not text"}


def test_a_source_that_is_a_number_costs_that_question_only(tmp_path):
    submission = _read(tmp_path, _notebook(lambda nb: _cell(nb, "q3-answer").update(source=42)))
    assert submission.unanswerable == {"q3": "the answer cell of Q3 cannot be read: its source is a number, not text"}


def test_a_source_that_is_a_list_of_lines_is_joined(tmp_path):
    lines = ["compute_factor = (\n", "    (1 / (1 - ex.q3.loss_cut)) ** (1 / ex.q3.exponent)\n", ")"]
    submission = _read(tmp_path, _notebook(lambda nb: _cell(nb, "q3-answer").update(source=lines)))
    assert submission.answers["q3"] == "".join(lines) and submission.unanswerable == {}


def test_a_cell_without_cell_type(tmp_path):
    def drop_types(nb):
        del _cell(nb, "q1-answer")["cell_type"]
        del _cell(nb, "ex00-03")["cell_type"]  # a Markdown cell the grader does not use: ignored

    submission = _read(tmp_path, _notebook(drop_types))
    assert submission.unanswerable == {"q1": "the answer cell of Q1 has no cell type (the file was edited outside "
                                             "Jupyter)"}
    assert set(submission.answers) == set(QUESTIONS) - {"q1"}


def test_a_markdown_answer_cell_scores_zero_on_that_question_only(tmp_path):
    submission = _read(tmp_path, _notebook(lambda nb: _cell(nb, "q2-answer").update(cell_type="markdown")))
    reason = "the answer cell of Q2 is a Markdown cell, not code"
    assert submission.unanswerable == {"q2": reason} and "q2" not in submission.answers
    right_q3 = float(KEY.expected("q3", ADA))
    records = {"q3": {"shape": [], "data": [right_q3]}, "q2": {"missing": True},
               "q7": {"choice": KEY.expected("q7", ADA)}}
    plan = question_plan(KEY, ADA, None)  # the visible cases only
    scores = {s.qid: s for s in score_exercise(EXERCISE, records, plan, submission.unanswerable)}
    assert scores["q2"] == QuestionScore("q2", 0, 2, "not graded", (reason,))
    assert scores["q3"].points == 2 and scores["q7"].points == 2  # the others are scored on their records


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
    "q3": "print('thinking')\n%time compute_factor = (1 / (1 - ex.q3.loss_cut)) ** (1 / ex.q3.exponent)\n"
          "import sys\nsys.exit()",
    "q4": "flops, loss = ex.q4.flops, ex.q4.loss\nslope, intercept = np.polyfit(np.log(flops), np.log(loss), 1)\n"
          "fitted_exponent = -slope\nex.check('q4', fitted_exponent)",
    "q7": "ex.show_options('q7')\nprint(ex.params('q7'))\nexponent_choice = 'b'",
    "q8": 'extrapolation_risks = """The law has no floor: `L` keeps falling. **Two** reasons; # not a heading"""',
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
    # ``ex`` is a session now (``ex = start(...)``), which holds no answer; the name the notebook imports from
    # the exercises package is ``start``, and its module's globals are what an answer could reach for
    "training_flops = start.__globals__['EXERCISES']['00_power_laws']":
        "Q1: the answer uses start.__globals__, which the notebook does not use (the module holds the reference "
        "answers): please review",
    "table = vars(start)": "Q1: the answer calls vars() on start, the module that holds the reference answers: "
                           "please review",
    "from lectures_lib.exercises.core import public_checks\ntable = public_checks('00_power_laws')":
        "Q1: the answer imports lectures_lib.exercises.core (the module that holds the reference answers): "
        "please review",
    "%time from lectures_lib.exercises import ex00_power_laws as e":
        "Q1: the answer imports through an IPython magic or shell line: please review",
}


def test_honest_answers_are_not_flagged(tmp_path):
    submission = _read(tmp_path, _notebook(**HONEST))
    assert submission.flags == () and submission.integrity_problems == ()
    assert all(submission.answers[qid] == code for qid, code in HONEST.items())


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


def _student_id_cell(source: str, student: str | None = None):
    def edit(nb):
        _cell(nb, "student-id")["source"] = source
        if student is not None:
            nb["metadata"]["lectures_lib"]["student"] = student
    return edit


def test_the_student_id_cell_is_a_student_field_when_the_metadata_has_none(tmp_path):
    # a copy the student filled in: ``STUDENT_ID = "bob"`` in ada.ipynb claims bob, as a student field would
    claim = _read(tmp_path, _notebook(_student_id_cell('STUDENT_ID = "bob"  # my id')), "ada.ipynb")
    assert claim.student == "bob" and claim.student_field == "bob"
    assert _read(tmp_path, _notebook(_student_id_cell("STUDENT_ID='bob'"))).student == "bob"
    # the metadata field, when filled in (a personalised copy), is the student field
    personal = _read(tmp_path, _notebook(_student_id_cell('STUDENT_ID = "bob"', student="carol")))
    assert personal.student == "carol" and personal.student_field == "carol"
    # only a plain quoted literal is read: anything else leaves the file name
    for source in ('STUDENT_ID = ""', 'STUDENT_ID = f"bob"', 'STUDENT_ID = "bo\\"b"',
                   "STUDENT_ID = '" + "b" * 201 + "'", "# STUDENT_ID = 'bob'", "STUDENT = 'bob'",
                   "STUDENT_ID = 'bob", "STUDENT_ID = bob", "x = 1\n" * 2000):
        submission = _read(tmp_path, _notebook(_student_id_cell(source)), "ada.ipynb")
        assert submission.student == "ada", (source[:40], submission.student)
    # a second line cannot override the first, and a cell that is not the student-id cell is no claim
    assert _read(tmp_path, _notebook(_student_id_cell("STUDENT_ID = 'bob'\nSTUDENT_ID = 'eve'"))).student == "bob"
    moved = _notebook(lambda nb: _cell(nb, "ex00-02").update(source="STUDENT_ID = 'eve'"))
    assert _read(tmp_path, moved, "ada.ipynb").student == "ada"
    # what it claims is stored escaped like any student field
    odd = _read(tmp_path, json.dumps(_notebook(_student_id_cell('STUDENT_ID = "=HYPERLINK(1) \ud800"'))))
    assert odd.student_field == "=HYPERLINK(1) \\ud800"


def test_an_expression_in_the_student_id_cell_is_no_claim(tmp_path):
    for source in ('STUDENT_ID = "b" + "ob"', 'STUDENT_ID = "eve" if False else "bob"', "STUDENT_ID = 'b'.upper()"):
        submission = _read(tmp_path, _notebook(_student_id_cell(source)), "ada.ipynb")
        assert submission.student == "ada", (source, submission.student)


def test_with_a_roster_the_file_name_overrules_the_student_id_cell(tmp_path):
    (tmp_path / "roster.csv").write_text("student_id\nada\nbob\n")
    roster = load_roster(tmp_path / "roster.csv")
    # bob hands in ada's notebook, its STUDENT_ID cell still hers: bob's file, and flagged
    copied = _read(tmp_path, _notebook(_student_id_cell('STUDENT_ID = "ada"')), "bob.ipynb", roster=roster)
    assert copied.student == "bob"
    assert copied.flags == ("the file name says bob but the notebook says ada: check who handed it in",)
    own = _read(tmp_path, _notebook(_student_id_cell('STUDENT_ID = "ada"')), "ada.ipynb", roster=roster)
    assert own.student == "ada" and own.flags == ()


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
    assert all(r["flags"].startswith("'=") and r["total"] == "18" and r["q1"] == "2" for r in rows)
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


# one question per way an answer is read, and what the grader's plan compares it with for ada
Q1, Q3, Q7, Q8 = EXERCISE["q1"], EXERCISE["q3"], EXERCISE["q7"], EXERCISE["q8"]
Q1_CASES = [encode_args(a) for a in Q1.visible_cases]
N = len(Q1_CASES)
Q1_EXPECTED = KEY.expected("q1", ADA, Q1_CASES)
Q3_EXPECTED = float(KEY.expected("q3", ADA))
Q7_EXPECTED = KEY.expected("q7", ADA)
#: read kind -> (question, cases, n_visible, expected)
READ_AS = {"function": (Q1, Q1_CASES, N, Q1_EXPECTED), "value": (Q3, [], 0, Q3_EXPECTED),
           "choice": (Q7, [], 0, Q7_EXPECTED), "text": (Q8, [], 0, None)}
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
    "choice a number": {"choice": 1}, "choice a list": {"choice": ["B"]}, "choice too long": {"choice": "B" * 11},
    "choice and text": {"choice": "B", "text": "B"}, "text null": {"text": None}, "text a list": {"text": ["x"]},
    "text too long": {"text": "x" * 20_001}, "text and extra": {"text": "x", "extra": 1},
}
#: Records well formed for one way of reading an answer, and so malformed for the others.
ONLY_FOR = {"function": {"outputs": [GOOD_OUTPUT] * N}, "value": {"shape": [], "data": [1.0]},
            "choice": {"choice": "B"}, "text": {"text": "some words"}}


@pytest.mark.parametrize("name", list(HOSTILE_RECORDS))
@pytest.mark.parametrize("read_as", list(READ_AS))
def test_hostile_records_are_not_graded_and_never_raise(name, read_as):
    question, cases, n_visible, expected = READ_AS[read_as]
    record = HOSTILE_RECORDS[name]
    assert question.read_kind == read_as
    assert validate_record(record, question.read_kind, len(cases)) is None
    score = score_question(question, record, cases, n_visible, expected)
    assert (score.points, score.verdict, score.feedback) == (0, "not graded", ("the answer could not be read back",))


@pytest.mark.parametrize("read_as", list(READ_AS))
def test_a_record_for_another_kind_of_answer_is_not_graded(read_as):
    question, cases, n_visible, expected = READ_AS[read_as]
    for other, record in ONLY_FOR.items():
        assert (validate_record(record, read_as, len(cases)) is None) == (other != read_as), (read_as, other)
        if other != read_as:
            assert score_question(question, record, cases, n_visible, expected).verdict == "not graded"


def test_a_deeply_nested_record_never_raises():
    record: object = [1.0]
    for _ in range(100_000):
        record = [record]
    assert validate_record({"shape": [1], "data": record}, "value", 0) is None
    assert score_question(Q3, {"shape": [1], "data": record}, [], 0, Q3_EXPECTED).verdict == "not graded"


def test_well_formed_records_are_scored():
    assert score_question(Q3, {"shape": [], "data": [2 ** 20]}, [], 0, 2.0 ** 20).points == 2  # an int is a number
    assert score_question(Q3, {"shape": [], "data": [Q3_EXPECTED]}, [], 0, Q3_EXPECTED).points == 2
    nan = validate_record({"shape": [], "data": [float("nan")]}, "value", 0)  # a value (a wrong one), not malformed
    assert nan is not None and nan["shape"] == [] and nan["data"][0] != nan["data"][0]
    assert score_question(Q3, {"shape": [], "data": [float("nan")]}, [], 0, Q3_EXPECTED).verdict == "wrong"
    assert score_question(Q3, {"shape": [], "data": [float("inf")]}, [], 0, Q3_EXPECTED).verdict == "wrong"
    right = [{"shape": list(np.shape(e)), "data": np.ravel(e).astype(float).tolist()} for e in Q1_EXPECTED]
    assert score_question(Q1, {"outputs": right}, Q1_CASES, N, Q1_EXPECTED).points == 2
    assert score_question(Q1, {"timeout": True}, Q1_CASES, N, Q1_EXPECTED).verdict == "not graded"
    assert score_question(Q1, None, Q1_CASES, N, Q1_EXPECTED).verdict == "not graded"
    # a number or a choice without the key's answer is never scored right (the grader always passes it)
    assert score_question(Q3, {"shape": [], "data": [Q3_EXPECTED]}, [], 0).verdict == "not graded"
    assert score_question(Q7, {"choice": Q7_EXPECTED}, [], 0).verdict == "not graded"


def test_a_number_is_right_only_in_its_own_variant():
    # the same records, scored with the plans of ada, bob and the default variant (whose answers ship in the
    # public check table): each student's own numbers are right for them only
    variants = {name: variant_of(EXERCISE, name) for name in ("ada", "bob", "")}
    plans = {name: question_plan(KEY, variant, None) for name, variant in variants.items()}
    table = public_checks("00_power_laws")["default"]
    for qid in ("q3", "q4", "q5", "q7"):
        question = EXERCISE[qid]
        values = {name: KEY.expected(qid, variant) for name, variant in variants.items()}
        assert values[""] == (table[qid] if qid == "q7" else pytest.approx(table[qid], rel=1e-12))
        for mine, value in values.items():
            record = {"choice": value} if qid == "q7" else {"shape": [], "data": [float(value)]}
            for theirs, plan in plans.items():
                score = score_question(question, record, [], 0, plan[qid]["expected"])
                right = mine == theirs or (qid == "q7" and value == values[theirs])
                assert score.verdict == ("correct" if right else "wrong"), (qid, mine, theirs, score)


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
    feedback = score_question(Q1, {"outputs": outputs}, Q1_CASES, N, Q1_EXPECTED).feedback
    assert feedback[0] == said
    assert "secret" not in " ".join(feedback) and "<" not in " ".join(feedback)


def test_value_and_function_wording():
    assert score_question(Q3, {"unreadable": "str"}, [], 0, Q3_EXPECTED).feedback == (
        "compute_factor is a str, expected a number",)
    assert score_question(Q3, {"unreadable": "x" * 41}, [], 0, Q3_EXPECTED).feedback == (
        "compute_factor is not a number",)
    assert score_question(Q3, {"missing": True}, [], 0, Q3_EXPECTED).feedback == (
        "not attempted: compute_factor is not defined",)
    assert score_question(Q1, {"not_callable": "int"}, Q1_CASES, N, Q1_EXPECTED).feedback == (
        "training_flops is not a function (its type is int)",)
    assert score_question(Q1, {"not_callable": "<evil>"}, Q1_CASES, N, Q1_EXPECTED).feedback == (
        "training_flops is not a function",)
    # the feedback on a wrong number never shows the expected one
    wrong = score_question(Q3, {"shape": [], "data": [Q3_EXPECTED * 1.5]}, [], 0, Q3_EXPECTED)
    assert wrong.verdict == "wrong" and f"{Q3_EXPECTED:.6g}" not in " ".join(wrong.feedback), wrong.feedback


def test_a_choice_is_one_of_the_letters():
    right = Q7_EXPECTED
    other = next(letter for letter in "ABCD" if letter != right)
    for written in (right, right.lower(), f"({right})", f"{right}."):
        assert score_question(Q7, {"choice": written}, [], 0, right) == QuestionScore("q7", 2, 2, "correct"), written
    assert score_question(Q7, {"choice": other}, [], 0, right).feedback == (f"option {other} is not the right one",)
    for bad in ("E", "AB", "", "1", "<b>"):
        score = score_question(Q7, {"choice": bad}, [], 0, right)
        assert (score.points, score.verdict, score.feedback) == (
            0, "wrong", ("exponent_choice must be one of the letters A, B, C, D",)), bad
    assert score_question(Q7, {"unreadable": "float"}, [], 0, right).feedback == (
        'exponent_choice is a float, expected a letter in quotes, like "B"',)
    assert score_question(Q7, {"placeholder": True}, [], 0, right).verdict == "not attempted"


def test_a_text_scores_zero_and_needs_manual_grading():
    text = "No floor: the true loss stays higher.\n`code` **bold** <script>x</script>"
    score = score_question(Q8, {"text": text}, [], 0)
    assert (score.qid, score.points, score.max_points, score.verdict) == ("q8", 0, 2, "needs manual grading")
    assert score.answer_text == text  # for the manual-grading sheet only
    assert score.feedback == ("10 words recorded for your instructor, who grades this answer by hand",)
    longest = score_question(Q8, {"text": "x" * 20_000}, [], 0)  # the most a kernel sends
    assert longest.verdict == "needs manual grading" and len(longest.answer_text) == 20_000
    assert score_question(Q8, {"placeholder": True}, [], 0).verdict == "not attempted"  # "" or ...
    assert score_question(Q8, {"missing": True}, [], 0).verdict == "not attempted"
    assert score_question(Q8, {"unreadable": "float"}, [], 0).feedback == (
        "extrapolation_risks is a float, expected text in quotes",)
    # the text is not in the student's feedback file, and not in the gradebook (only its verdict and points)
    feedback = feedback_markdown(_record(scores=(score,)), TITLES)
    assert "No floor" not in feedback and "needs manual grading" in feedback


def test_the_kernel_reads_a_text_and_a_choice_bounded():
    # read_answer is the code the grader runs in the student's kernel to read an answer
    assert read_answer("", "text", []) == read_answer("  \n", "text", []) == {"placeholder": True}
    assert read_answer(..., "text", []) == read_answer(None, "choice", []) == {"placeholder": True}
    assert read_answer("x" * 50_000, "text", []) == {"text": "x" * 20_000}
    assert read_answer(" B ", "choice", []) == {"choice": "B"}
    assert read_answer("B" * 50, "choice", []) == {"choice": "B" * 10}
    assert read_answer(2, "choice", []) == {"unreadable": "int"} and read_answer(b"x", "text", []) == {
        "unreadable": "bytes"}
    for answer, kind in (("x" * 50_000, "text"), ("B" * 50, "choice")):
        assert validate_record(read_answer(answer, kind, []), kind, 0) is not None  # what it sends is accepted


# -- found by an independent red-team run -------------------------------------------------------------------
# (adapted to the exercise format with answer keys: nothing in the package holds an answer of a student's own
# variant, but the routes an answer could try are still flagged for review)
REACHES_THE_REFERENCE = [
    'def training_flops(n, d):\n    return ex.check.__func__.__globals__["public_checks"]("00_power_laws")["visible"]',
    'import runpy\nk = runpy.run_path("/course/source/00_power_laws_key.py")["KEY"]\n'
    'compute_factor = k.expected("q3", ex.variant)',
    'e = ex.show_options.__globals__["public_checks"]',
    'import sys as s\nm = s.modules["lectures_lib.exercises.core"]',
    '_x = !true\nfrom lectures_lib.exercises.core import public_checks as P',
    'def training_flops(n, d):\n    return ex.check.__closure__[0].cell_contents["q1"].expected(n, d)',
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


def test_the_manual_sheet_says_when_it_cut_a_text():
    from lectures_lib.grading.manual import MAX_TEXT_CHARS, fenced

    short = fenced("two sentences. ``` inside")
    assert short.startswith("````text\n") and short.endswith("\n````") and "Cut at" not in short
    long = fenced("w" * (MAX_TEXT_CHARS + 500))
    assert long.count("w") == MAX_TEXT_CHARS
    assert long.endswith(f"*Cut at {MAX_TEXT_CHARS:,} of its {MAX_TEXT_CHARS + 500:,} characters: the notebook "
                         "holds the rest.*")
