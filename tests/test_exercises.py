"""The exercise format: visible checks, hidden checks, and student copies released from the sources."""

import contextlib
import io
from pathlib import Path

import nbformat
import numpy as np
import pytest

from lectures_lib.exercises import EXERCISES, NOT_ATTEMPTED
from lectures_lib.exercises import ex00_power_laws as ex00
from lectures_lib.exercises.core import STRICT_ENV
from lectures_lib.exercises.verdict import describe
from lectures_lib.grading import ReleaseError, make_student_copy, release_all, stale_copies
from lectures_lib.grading.__main__ import main as grading_main
from lectures_lib.grading.protocol import extraction_code, parse_record
from lectures_lib.grading.release import SOLUTION_TAG, solution_lines, strip_solutions
from lectures_lib.grading.scoring import score_question

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "notebooks" / "exercises" / "source"
COPIES = ROOT / "notebooks" / "exercises"


def _unimplemented(*args):
    raise NotImplementedError


@pytest.fixture
def lenient(monkeypatch):
    """Checks as in a student copy: a wrong answer prints, and nothing is raised."""
    monkeypatch.delenv(STRICT_ENV, raising=False)


def _printed(capsys, qid, answer, exercise=ex00):
    assert exercise.check(qid, answer) is None
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out  # one line, printed once
    return out.strip()


# -- visible checks ---------------------------------------------------------------------------------
def test_correct_function_passes(capsys, lenient):
    assert _printed(capsys, "q1", lambda n, d: 6 * n * d) == "Q1 (training FLOPs): correct"
    assert _printed(capsys, "q3", np.float64(2.0**20)) == "Q3 (compute to halve the loss): correct"
    assert _printed(capsys, "q3", 2**20) == "Q3 (compute to halve the loss): correct"  # an int is a number


def test_placeholders_are_not_attempted(capsys, lenient):
    for qid, answer in (("q1", _unimplemented), ("q1", ...), ("q3", ...), ("q3", None)):
        assert _printed(capsys, qid, answer).endswith(f": {NOT_ATTEMPTED}")


def test_wrong_function_says_what_is_wrong(capsys, lenient):
    text = _printed(capsys, "q1", lambda n, d: 2 * n * d)
    assert text.startswith("Q1 (training FLOPs): not yet: training_flops(1.75e+11, 3e+11) returned 1.05e+23, "
                           "expected 3.15e+23")
    assert "Hint: a forward pass" in text


def test_a_wrong_answer_raises_only_in_strict_mode(capsys, monkeypatch):
    monkeypatch.setenv(STRICT_ENV, "1")
    with pytest.raises(AssertionError, match=r"Q3 \(compute to halve the loss\): not yet: "):
        ex00.check("q3", 1000.0)
    assert ex00.check("q3", ...) is None  # a placeholder still passes: student copies run under nbval
    assert capsys.readouterr().out.strip().endswith(NOT_ATTEMPTED)
    monkeypatch.setenv(STRICT_ENV, "0")
    assert ex00.check("q3", 1000.0) is None


REFERENCE_Q3 = 2.0**20


@pytest.mark.parametrize(("answer", "said"), [
    (1000.0, "compute_factor_to_halve_loss is 1000: off by more than a factor of 10"),
    (REFERENCE_Q3 * 3, "off by more than a factor of 2"),
    (REFERENCE_Q3 * 1.5, "off by more than 10%"),
    (REFERENCE_Q3 * 1.01, "close, but outside the tolerance of 0.0001%"),
    (REFERENCE_Q3 * 1.000002, "close, but outside the tolerance of 0.0001%"),
    (-REFERENCE_Q3, "the sign is wrong"),
    (float("nan"), "compute_factor_to_halve_loss is NaN"),
    (float("inf"), "compute_factor_to_halve_loss is infinite"),
    ([1.0, 2.0, 3.0], "compute_factor_to_halve_loss has 3 values, expected 1"),
    ("1048576", "compute_factor_to_halve_loss is a str, expected a number"),
    (True, "compute_factor_to_halve_loss is a bool, expected a number"),
    (np.array([True]), "compute_factor_to_halve_loss is a bool, expected a number"),
    ({"a": 1}, "compute_factor_to_halve_loss is a dict, expected a number"),
    (1j, "compute_factor_to_halve_loss is a complex, expected a number"),
])
def test_wrong_value_says_what_is_wrong_without_the_answer(capsys, lenient, answer, said):
    text = _printed(capsys, "q3", answer)
    assert text.startswith("Q3 (compute to halve the loss): not yet: ") and said in text, text
    if isinstance(answer, float):  # the student's own value is shown; nothing else may give the answer away
        text = text.replace(f"compute_factor_to_halve_loss is {answer:.6g}", "")
    for revealing in ("1.04858e+06", "1048576", "1.049e+06", "times the right answer", "expected value"):
        assert revealing not in text


def test_value_of_wrong_type_is_a_failure_not_a_crash(capsys, lenient):
    assert "is not a function (its type is int)" in _printed(capsys, "q1", 42)
    assert "training_flops(1.75e+11, 3e+11) raised ZeroDivisionError, expected 3.15e+23" in \
        _printed(capsys, "q1", lambda n, d: 1 / 0)
    assert "returned a str, expected a number" in _printed(capsys, "q1", lambda n, d: "6nd")


def test_hidden_check_catches_a_hard_coded_answer(capsys, lenient):
    table = {(175e9, 300e9): 3.15e23, (70e9, 1.4e12): 5.88e23}

    def hard_coded(n, d):
        if isinstance(n, np.ndarray):
            return 6 * n * d
        return table.get((n, d), 0.0)

    assert _printed(capsys, "q1", hard_coded).endswith(": correct")
    with pytest.raises(AssertionError, match="fails on 5 of 6 checks with inputs not shown") as info:
        ex00.hidden_check("q1", hard_coded, seed=1)
    assert "not yet" in str(info.value)
    ex00.hidden_check("q1", lambda n, d: 6 * n * d, seed=1)
    assert capsys.readouterr().out.strip() == "Q1 (training FLOPs): correct, also on inputs not shown"


# -- one verdict: the notebook's check and the grader agree on the visible cases ---------------------------
def _grader_record(question, answer, cases):
    """The record the grader would read back from a kernel where the student's answer is defined."""
    nonce = "@@test:" + "0" * 8 + "@@"
    namespace = {} if answer is _MISSING else {question.answer_name: answer}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(extraction_code(nonce, question.kind, question.answer_name, cases), namespace)  # noqa: S102
    return parse_record(out.getvalue(), nonce)


_MISSING = object()


def _value_answers(question):
    right = question.expected()
    return {"correct": right, "numpy scalar": np.float64(right), "wrong": right * 37.0, "near miss":
            right * (1 + 3 * question.rtol), "close": right * 1.05, "negative": -right, "placeholder": ...,
            "None": None, "wrong type": [right, right], "string": str(right), "bool": True, "NaN": float("nan"),
            "inf": float("inf"), "a function": lambda: right, "a dict": {"x": right}, "missing": _MISSING}


def _function_answers(question):
    def near(*args):
        return np.asarray(question.expected(*args)) * (1 + 3 * question.rtol)

    def wrong_on_arrays(*args):
        return 0.0 if isinstance(args[0], np.ndarray) else question.expected(*args)

    def partly_unimplemented(*args):
        if isinstance(args[0], np.ndarray):
            raise NotImplementedError
        return question.expected(*args)

    return {"correct": question.reference, "wrong": lambda *args: np.asarray(question.expected(*args)) * 2,
            "near miss": near, "placeholder": _unimplemented, "Ellipsis": ..., "None": None,
            "wrong type": 42, "string": lambda *args: "1e23", "bool": lambda *args: True,
            "NaN": lambda *args: float("nan"), "raising function": lambda *args: 1 / 0,
            "returns None": lambda *args: None, "wrong on arrays": wrong_on_arrays,
            "partly unimplemented": partly_unimplemented, "a list": lambda *args: [1.0, 2.0, 3.0],
            "missing": _MISSING}


QUESTIONS = [(eid, q.qid) for eid, exercise in EXERCISES.items() for q in exercise.questions]


@pytest.mark.parametrize(("exercise_id", "qid"), QUESTIONS)
def test_the_check_and_the_grader_give_one_verdict(capsys, lenient, exercise_id, qid):
    question = EXERCISES[exercise_id][qid]
    cases = question.visible_cases_encoded()
    answers = _value_answers(question) if question.kind == "value" else _function_answers(question)
    statuses = set()
    for label, answer in answers.items():
        record = _grader_record(question, answer, cases)
        graded = score_question(question, record, cases, len(cases))
        if answer is _MISSING:  # a notebook cannot pass an undefined name to a check
            assert graded.verdict == "not attempted", graded
            continue
        mine = question.verdict(answer)
        assert (mine.status, mine.messages) == (graded.verdict, graded.feedback), label
        assert graded.points == (question.points if mine.status == "correct" else 0)
        question.check(answer)
        printed = capsys.readouterr().out.strip()
        assert printed.startswith(question.label + ": ")
        if mine.status == "correct":
            assert printed.endswith(": correct"), (label, printed)
        elif mine.status == "not attempted":
            assert printed.endswith(NOT_ATTEMPTED), (label, printed)
        else:
            assert ": not yet: " + "; ".join(mine.messages) in printed, (label, printed)
        statuses.add((label, mine.status))
    expected = {"correct": "correct", "near miss": "wrong", "wrong": "wrong", "placeholder": "not attempted",
                "string": "wrong", "NaN": "wrong", "wrong type": "wrong"}
    for label, status in expected.items():
        assert (label, status) in statuses, (label, sorted(statuses))
    if question.kind == "value":
        assert ("correct", "correct") in statuses and ("numpy scalar", "correct") in statuses
        reference = question.expected()
        for label in ("wrong", "near miss", "close", "negative", "NaN", "inf"):
            own = describe(float(np.asarray(answers[label])))  # the student's own value may be shown
            text = "; ".join(question.verdict(answers[label]).messages).replace(own, "<own>")
            for shown in {f"{reference:.6g}", f"{reference:.3g}", repr(float(reference))}:
                assert shown not in text, (label, text)
    else:
        assert ("raising function", "wrong") in statuses


def test_every_question_has_a_reference_and_visible_cases():
    for exercise in EXERCISES.values():
        assert exercise.max_points >= 4
        assert len(exercise.questions) >= 4
        for question in exercise.questions:
            if question.kind == "function":
                assert question.visible_cases and question.hidden_inputs is not None
                for args in question.visible_cases:
                    assert np.all(np.isfinite(question.expected(*args)))
            else:
                assert np.isfinite(question.expected())


# -- the reference answers, checked independently ------------------------------------------------------
def _reference(exercise_id, qid, *args):
    question = next(q for q in EXERCISES[exercise_id].questions if q.qid == qid)
    return question.expected(*args)


def test_reference_answers_match_published_numbers():
    # Brown et al. 2020, arXiv 2005.14165: Table D.1, GPT-3 175B used 3.14e23 FLOPs = 3.64e3 PF-days ...
    assert _reference("00_power_laws", "q1", 175e9, 300e9) == pytest.approx(3.14e23, rel=5e-3)
    assert _reference("01_kaplan", "q2") == pytest.approx(3.64e3, rel=5e-3)
    # ... and Table 2.1, 96 layers of width 12288 make 175B parameters (the 0.6B of embeddings are left out)
    assert _reference("00_power_laws", "q2", 96, 12288) == pytest.approx(175e9, rel=1e-2)
    # Sardana et al. 2024, arXiv 2401.00448, App. B.1 Table 2, 1e13 inference tokens: the quality of a 30B
    # Chinchilla model costs least with 13.6B parameters, and the 70B one's optimum saves 12% of the FLOPs
    assert float(f"{_reference('03_chinchilla_trap', 'q3'):.3g}") == 13.6e9
    assert round(float(_reference("03_chinchilla_trap", "q5")), 2) == 0.12


def test_reference_answers_by_independent_calculation():
    # q3 of exercise 0: k such that (k C)**-0.05 is half of C**-0.05, checked on Kaplan's L(C_min) (Eq. 1.3)
    from lectures_lib import kaplan

    k = _reference("00_power_laws", "q3")
    assert kaplan.loss_vs_compute(k * 10.0) == pytest.approx(kaplan.loss_vs_compute(10.0) / 2, rel=1e-9)
    # q3 of exercise 1: derived from Kaplan et al. 2020, Table 6 constants written here, at GPT-3's budget
    pf_days = 6 * 175e9 * 300e9 / 8.64e19
    assert _reference("01_kaplan", "q3") == pytest.approx(1.3e9 * pf_days**0.73, rel=1e-9)
    # q2 of exercise 2: the compute-optimal size at 1e21 FLOPs under Hoffmann et al. 2022, Eq. 10, by search
    sizes = np.logspace(8, 11, 300_001)
    loss = 1.69 + 406.4 / sizes**0.34 + 410.7 / (1e21 / (6 * sizes)) ** 0.28
    assert _reference("02_chinchilla", "q2") == pytest.approx(sizes[np.argmin(loss)], rel=1e-4)
    # q2 of exercise 3: serving 2 N D_inf equals training 6 N D for Chinchilla's 1.4T tokens
    assert 2 * _reference("03_chinchilla_trap", "q2") == pytest.approx(6 * 1.4e12, rel=1e-12)


def test_unknown_question():
    with pytest.raises(KeyError, match="q9"):
        ex00.check("q9", 1.0)


# -- release ----------------------------------------------------------------------------------------
def test_student_copies_are_up_to_date():
    stale = stale_copies(release_all(SOURCES, COPIES))
    assert not stale, f"run `make release`: {stale}"
    assert grading_main(["release", "--check"]) == 0


def test_every_source_has_a_student_copy_and_an_exercise_module():
    sources = sorted(p.stem for p in SOURCES.glob("*.ipynb"))
    assert sources == sorted(p.stem for p in COPIES.glob("*.ipynb"))
    assert sources == sorted(EXERCISES)


@pytest.mark.parametrize("source", sorted(SOURCES.glob("*.ipynb")), ids=lambda p: p.stem)
def test_student_copy_contains_no_solution(source):
    copy_text = (COPIES / source.name).read_text()
    student = nbformat.reads(copy_text, as_version=4)
    cell_lines = {line.strip() for cell in student.cells for line in cell.source.splitlines()}
    assert "BEGIN SOLUTION" not in copy_text and "END SOLUTION" not in copy_text
    for line in solution_lines(nbformat.read(source, as_version=4)):
        assert line not in cell_lines, f"solution line in the student copy: {line!r}"
    assert all(not cell.get("outputs") for cell in student.cells if cell.cell_type == "code")
    assert "hidden-test" not in copy_text


@pytest.mark.parametrize("source", sorted(SOURCES.glob("*.ipynb")), ids=lambda p: p.stem)
def test_answer_cells_keep_their_ids(source):
    nb = nbformat.read(source, as_version=4)
    student = nbformat.read(COPIES / source.name, as_version=4)
    answers = [c.id for c in nb.cells if SOLUTION_TAG in c.metadata.get("tags", [])]
    assert student.metadata["lectures_lib"]["answer_cells"] == answers
    assert student.metadata["lectures_lib"]["exercise"] == source.stem
    assert set(answers) <= {c.id for c in student.cells}


def _notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def _cell(source, tags=(), cid=None):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = list(tags)
    if cid:
        cell.id = cid
    return cell


def test_stub_replaces_the_region_at_its_indentation():
    source = "def f(x):\n    # BEGIN SOLUTION\n    return 2 * x\n    # END SOLUTION\n"
    new, removed = strip_solutions(source)
    assert new == 'def f(x):\n    raise NotImplementedError("write your answer here")'
    assert removed == ["    return 2 * x"]
    new, _ = strip_solutions("# BEGIN SOLUTION: y = ...\ny = 3\n# END SOLUTION")
    assert new == "y = ..."


@pytest.mark.parametrize("source, message", [
    ("# BEGIN SOLUTION\nx = 1\n", "never closed"),
    ("x = 1\n# END SOLUTION\n", "without a BEGIN"),
    ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION\n", "inside another"),
])
def test_malformed_regions_are_refused(source, message):
    with pytest.raises(ReleaseError, match=message):
        strip_solutions(source)


def test_release_refuses_a_leaking_solution():
    # the solution line also stands in an untagged cell, so the copy would reveal it
    nb = _notebook(
        _cell("answer = 6 * n_params * n_tokens", cid="leak"),
        _cell("# BEGIN SOLUTION: answer = ...\nanswer = 6 * n_params * n_tokens\n# END SOLUTION",
              tags=[SOLUTION_TAG], cid="q1-answer"),
    )
    # a line that appears outside the region in the source is public, so it is not a leak ...
    make_student_copy(nb, "demo")
    # ... but a marker left in an untagged cell is refused
    nb.cells.append(_cell("# END SOLUTION", cid="stray"))
    with pytest.raises(ReleaseError, match="not tagged"):
        make_student_copy(nb, "demo")


def test_release_refuses_answer_cells_without_ids_or_regions():
    with pytest.raises(ReleaseError, match="no BEGIN/END"):
        make_student_copy(_notebook(_cell("x = 1", tags=[SOLUTION_TAG], cid="q1")), "demo")
    with pytest.raises(ReleaseError, match="no cell is tagged"):
        make_student_copy(_notebook(_cell("x = 1")), "demo")
    with pytest.raises(ReleaseError, match="own stable cell id"):
        make_student_copy(_notebook(
            _cell("# BEGIN SOLUTION\nx = 1\n# END SOLUTION", tags=[SOLUTION_TAG], cid="same"),
            _cell("# BEGIN SOLUTION\ny = 1\n# END SOLUTION", tags=[SOLUTION_TAG], cid="same"),
        ), "demo")


def test_release_command_reports_stale_copies(tmp_path, capsys):
    target = tmp_path / "copies"
    assert grading_main(["release", "--source", str(SOURCES), "--target", str(target)]) == 0
    assert grading_main(["release", "--check", "--source", str(SOURCES), "--target", str(target)]) == 0
    first = sorted(target.glob("*.ipynb"))[0]
    first.write_text(first.read_text().replace("Question 1", "Question one"))
    assert grading_main(["release", "--check", "--source", str(SOURCES), "--target", str(target)]) == 1
    assert "out of date" in capsys.readouterr().err
