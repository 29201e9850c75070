"""The exercise format: variants, visible checks, the answer keys, and student copies released from the sources.

The keys live beside the sources (instructor material); the tests load them from there, as the grader does.
"""

import contextlib
import importlib.util
import io
import json
from pathlib import Path
from types import SimpleNamespace

import nbformat
import numpy as np
import pytest

from lectures_lib.exercises import EXERCISES, NOT_ATTEMPTED, start
from lectures_lib.exercises.core import (
    KINDS,
    STRICT_ENV,
    Session,
    draw_options,
    letter_of,
    normalise_student_id,
    public_checks,
    variant_seed,
)
from lectures_lib.exercises.key import Answer, Key, load_key, public_checks_text
from lectures_lib.exercises.verdict import describe
from lectures_lib.grading import ReleaseError, make_student_copy, release_all, stale_copies
from lectures_lib.grading.__main__ import main as grading_main
from lectures_lib.grading.library_use import forbidden_uses, library_aliases
from lectures_lib.grading.protocol import extraction_code, parse_record
from lectures_lib.grading.release import SOLUTION_TAG, solution_lines, strip_solutions
from lectures_lib.grading.scoring import score_question

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "notebooks" / "exercises" / "source"
COPIES = ROOT / "notebooks" / "exercises"
CHECKS = ROOT / "lectures_lib" / "exercises" / "checks"
KEYS = {eid: load_key(SOURCES, eid) for eid in EXERCISES}
EX00 = Session(EXERCISES["00_power_laws"])
STUDENTS = ["ada", "s1234567", "Grace Hopper", "zoé", "b0b", "x" * 100] + [f"student{i:03d}" for i in range(40)]


def _unimplemented(*args):
    raise NotImplementedError


@pytest.fixture
def lenient(monkeypatch):
    """Checks as in a student copy: a wrong answer prints, and nothing is raised."""
    monkeypatch.delenv(STRICT_ENV, raising=False)


def _printed(capsys, qid, answer, session=EX00):
    assert session.check(qid, answer) is None
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out  # one line, printed once
    return out.strip()


def _default(exercise_id, qid):
    return KEYS[exercise_id].expected(qid, EXERCISES[exercise_id].variant(""))


# -- visible checks, in the default variant -----------------------------------------------------------------
def test_correct_function_passes(capsys, lenient):
    assert _printed(capsys, "q1", lambda n, d: 6 * n * d) == "Q1 (training FLOPs): correct"
    q3 = _default("00_power_laws", "q3")
    assert _printed(capsys, "q3", np.float64(q3)) == "Q3 (the compute a smaller loss costs): correct"
    assert _printed(capsys, "q7", _default("00_power_laws", "q7").lower()) == \
        "Q7 (reading an exponent off two runs): correct"  # a letter in either case


def test_placeholders_are_not_attempted(capsys, lenient):
    for qid, answer in (("q1", _unimplemented), ("q1", ...), ("q3", ...), ("q3", None), ("q7", ""),
                        ("q7", ...), ("q8", ""), ("q8", "   "), ("q8", ...)):
        assert _printed(capsys, qid, answer).endswith(f": {NOT_ATTEMPTED}")


def test_wrong_function_says_what_is_wrong(capsys, lenient):
    text = _printed(capsys, "q1", lambda n, d: 2 * n * d)
    assert text.startswith("Q1 (training FLOPs): not yet: training_flops(1.75e+11, 3e+11) returned 1.05e+23, "
                           "expected 3.15e+23")
    assert "Hint: a forward pass" in text


def test_a_wrong_answer_raises_only_in_strict_mode(capsys, monkeypatch):
    monkeypatch.setenv(STRICT_ENV, "1")
    with pytest.raises(AssertionError, match=r"Q3 \(the compute a smaller loss costs\): not yet: "):
        EX00.check("q3", 1000.0)
    assert EX00.check("q3", ...) is None  # a placeholder still passes: student copies run under nbval
    assert capsys.readouterr().out.strip().endswith(NOT_ATTEMPTED)
    monkeypatch.setenv(STRICT_ENV, "0")
    assert EX00.check("q3", 1000.0) is None


REFERENCE_Q3 = _default("00_power_laws", "q3")


@pytest.mark.parametrize(("answer", "said"), [
    (REFERENCE_Q3 * 37, "compute_factor is "),
    (REFERENCE_Q3 * 37, ": off by more than a factor of 10"),
    (REFERENCE_Q3 * 3, "off by more than a factor of 2"),
    (REFERENCE_Q3 * 1.5, "off by more than 10%"),
    (REFERENCE_Q3 * 1.05, "off by more than 1%, more than rounding explains: check the method"),
    (REFERENCE_Q3 * 1.005, "close, but outside the tolerance of 0.01%"),
    (-REFERENCE_Q3, "the sign is wrong"),
    (float("nan"), "compute_factor is NaN"),
    (float("inf"), "compute_factor is infinite"),
    ([1.0, 2.0, 3.0], "compute_factor has 3 values, expected 1"),
    (str(REFERENCE_Q3), "compute_factor is a str, expected a number"),
    (True, "compute_factor is a bool, expected a number"),
    (np.array([True]), "compute_factor is a bool, expected a number"),
    ({"a": 1}, "compute_factor is a dict, expected a number"),
    (1j, "compute_factor is a complex, expected a number"),
])
def test_wrong_value_says_what_is_wrong_without_the_answer(capsys, lenient, answer, said):
    text = _printed(capsys, "q3", answer)
    assert text.startswith("Q3 (the compute a smaller loss costs): not yet: ") and said in text, text
    if isinstance(answer, float):  # the student's own value is shown; nothing else may give the answer away
        text = text.replace(f"compute_factor is {answer:.6g}", "")
    for revealing in (f"{REFERENCE_Q3:.6g}", f"{REFERENCE_Q3:.3g}", "times the right answer", "expected value"):
        assert revealing not in text


def test_choices_and_texts(capsys, lenient):
    right = _default("00_power_laws", "q7")
    wrong = next(letter for letter in "ABCD" if letter != right)
    assert _printed(capsys, "q7", f" ({right}) ").endswith(": correct")
    assert _printed(capsys, "q7", wrong).endswith(f"not yet: option {wrong} is not the right one. Hint: on log-log "
                                                  "axes a power law is a straight line; its slope uses one logarithm "
                                                  "throughout")
    assert "exponent_choice must be one of the letters A, B, C, D" in _printed(capsys, "q7", "E")
    assert "exponent_choice must be one of the letters A, B, C, D" in _printed(capsys, "q7", "AB")
    assert 'exponent_choice is an int, expected a letter in quotes, like "B"' in _printed(capsys, "q7", 2)
    assert _printed(capsys, "q8", "one two three") == ("Q8 (why the extrapolation could fail): needs manual grading: "
                                                       "3 words recorded for your instructor, who grades this answer "
                                                       "by hand")
    assert "extrapolation_risks is an int, expected text in quotes" in _printed(capsys, "q8", 3)


def test_value_of_wrong_type_is_a_failure_not_a_crash(capsys, lenient):
    assert "is not a function (its type is int)" in _printed(capsys, "q1", 42)
    assert "training_flops(1.75e+11, 3e+11) raised ZeroDivisionError, expected 3.15e+23" in \
        _printed(capsys, "q1", lambda n, d: 1 / 0)
    assert "returned a str, expected a number" in _printed(capsys, "q1", lambda n, d: "6nd")


def test_unknown_question():
    with pytest.raises(KeyError, match="q9"):
        EX00.check("q9", 1.0)
    with pytest.raises(AttributeError, match="q9"):
        EX00.q9  # noqa: B018


# -- variants ------------------------------------------------------------------------------------------------
def test_student_ids_and_seeds():
    assert normalise_student_id("  Ada   Lovelace ") == "ada lovelace"
    assert variant_seed("00_power_laws", "q3", " ADA ") == variant_seed("00_power_laws", "q3", "ada")
    assert variant_seed("00_power_laws", "q3", "ada") != variant_seed("00_power_laws", "q4", "ada")
    assert variant_seed("00_power_laws", "q3", "ada") != variant_seed("01_kaplan", "q3", "ada")
    with pytest.raises(TypeError, match="student_id must be a string"):
        normalise_student_id(1234)
    with pytest.raises(ValueError, match="at most 100 characters"):
        normalise_student_id("x" * 101)
    with pytest.raises(ValueError, match="exercise_id must be one of"):
        start("99_nothing")


def test_parameters_are_read_only_and_stable():
    session = Session(EXERCISES["00_power_laws"], "ada")
    with pytest.raises(ValueError):
        session.q4.loss[0] = 0.0
    with pytest.raises(AttributeError, match="read-only"):
        session.q3.exponent = 0.1
    with pytest.raises(AttributeError, match="has no parameter 'alpha'"):
        session.q3.alpha  # noqa: B018
    assert session.q3.exponent == Session(EXERCISES["00_power_laws"], " ADA ").q3.exponent


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_every_number_differs_between_students(exercise_id):
    """A number copied from a classmate, or from the default variant the worked solutions show, does not fit."""
    key, exercise = KEYS[exercise_id], EXERCISES[exercise_id]
    numeric = [q for q in exercise.questions if q.read_kind == "value"]
    assert numeric, "every exercise has numbers drawn per student"
    for question in numeric:
        values = np.array([np.ravel(key.expected(question.qid, exercise.variant(s)))[0] for s in ["", *STUDENTS]])
        close = np.isclose(values[:, None], values[None, :], rtol=2 * question.rtol, atol=question.atol)
        assert not close[0, 1:].any(), (question.qid, "a student's answer is the default variant's")
        pairs = (close.sum() - len(values)) // 2
        assert pairs <= 0.01 * len(values) * (len(values) - 1) / 2, (question.qid, f"{pairs} pairs share an answer")
    for question in (q for q in exercise.questions if q.read_kind == "choice"):
        letters = [key.expected(question.qid, exercise.variant(s)) for s in ["", *STUDENTS]]
        assert len(set(letters)) >= 3, (question.qid, "the right letter hardly moves between variants")


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_the_public_table_is_the_key_s_default_variant(exercise_id):
    table = public_checks(exercise_id)
    assert public_checks_text(KEYS[exercise_id]) == (CHECKS / f"{exercise_id}.json").read_text()
    exercise = EXERCISES[exercise_id]
    assert set(table["default"]) == {q.qid for q in exercise.questions if q.read_kind in ("value", "choice")}
    assert set(table["visible"]) == {q.qid for q in exercise.questions if q.read_kind == "function"}


def test_in_a_student_s_variant_numbers_are_only_answered(capsys, lenient):
    session = Session(EXERCISES["00_power_laws"], "ada")
    right = KEYS["00_power_laws"].expected("q3", session.variant)
    assert _printed(capsys, "q3", right, session) == ("Q3 (the compute a smaller loss costs): answered: a number "
                                                      "recorded; its value is checked when your notebook is graded")
    assert _printed(capsys, "q3", right * 5, session).endswith("when your notebook is graded")  # no oracle
    assert "is NaN" in _printed(capsys, "q3", float("nan"), session)
    assert _printed(capsys, "q7", "b", session).endswith("option B recorded; it is checked when your notebook is "
                                                          "graded")
    assert _printed(capsys, "q1", lambda n, d: 6 * n * d, session).endswith(": correct")  # functions: same cases


# -- kinds ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_every_exercise_asks_for_understanding(exercise_id):
    exercise, key = EXERCISES[exercise_id], KEYS[exercise_id]
    kinds = [q.kind for q in exercise.questions]
    assert set(kinds) <= set(KINDS) and len(kinds) >= 6
    assert "derive" in kinds and ({"choose", "explain"} & set(kinds)), kinds
    for question in exercise.questions:
        assert 2 <= question.points <= 3 and question.hint or question.kind == "explain", question.qid
        if question.kind == "explain":
            assert len(key[question.qid].rubric.split()) >= 30, question.qid
        if question.kind == "choose":
            options = exercise.variant("").params(question.qid).options
            assert len(options) == question.options and len(set(options)) == len(options)


def test_a_key_must_answer_every_question_in_its_kind():
    exercise = EXERCISES["00_power_laws"]
    answers = dict(KEYS["00_power_laws"].answers)
    with pytest.raises(ValueError, match="must answer"):
        Key(exercise, {k: v for k, v in answers.items() if k != "q3"})
    with pytest.raises(ValueError, match="needs a rubric"):
        Key(exercise, {**answers, "q8": Answer()})
    with pytest.raises(ValueError, match="hidden inputs"):
        Key(exercise, {**answers, "q1": Answer(lambda n, d: 6 * n * d)})
    with pytest.raises(ValueError, match="if_forbidden"):
        Answer(lambda: 1, if_forbidden="halve")


def test_draw_options_keeps_the_right_one_and_spreads_the_rest():
    rng = np.random.default_rng(0)
    options = draw_options(rng, 1.0, [0.5, 2.0, 1.05, 4.0, 0.25])
    assert len(options) == 4 and 1.0 in options and 1.05 not in options  # a slip too close to the right one
    with pytest.raises(ValueError, match="slips must give 3 options"):
        draw_options(rng, 1.0, [1.01, 0.99, 2.0])


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_the_right_option_moves_between_variants(exercise_id):
    """Neither the letter nor the rank of the right value among the options gives it away."""
    exercise, key = EXERCISES[exercise_id], KEYS[exercise_id]
    for question in (q for q in exercise.questions if q.kind == "choose"):
        ranks, letters = set(), set()
        for student in ["", *STUDENTS]:
            variant = exercise.variant(student)
            letter = key.expected(question.qid, variant)
            options = variant.params(question.qid).options
            ranks.add(sorted(options).index(options["ABCD".index(letter)]))
            letters.add(letter)
        assert len(ranks) >= 2 and letters == set("ABCD"), (question.qid, ranks, letters)


def test_the_check_notes_an_answer_that_is_the_library_s_own(capsys, lenient):
    namespace = {}  # as in a notebook, where the import is global
    exec("from lectures_lib import compute\ndef wrapped(n, d):\n    return compute.training_flops(n, d)", namespace)
    for answer in (namespace["compute"].training_flops, namespace["wrapped"]):
        text = _printed(capsys, "q1", answer)
        assert text.startswith("Q1 (training FLOPs): correct (note: it uses lectures_lib.compute.training_flops;")
    assert "note" not in _printed(capsys, "q1", lambda n, d: 6 * n * d)


def test_letter_of_needs_exactly_one_match():
    assert letter_of([0.1, 0.2, 0.3], 0.2) == "B"
    with pytest.raises(ValueError, match="exactly one option"):
        letter_of([0.1, 0.1, 0.3], 0.1)
    with pytest.raises(ValueError, match="exactly one option"):
        letter_of([0.1, 0.2], 0.5)


# -- instructor material stays out of the package ---------------------------------------------------------------
def test_the_package_holds_no_answer_key():
    package = ROOT / "lectures_lib"
    assert not list(package.rglob("*_key.py"))
    for path in (package / "exercises").glob("*.py"):
        text = path.read_text()
        assert "reference=" not in text and "rubric=" not in text.replace('rubric="..."', ""), path.name
    assert importlib.util.find_spec("lectures_lib.exercises.ex00_power_laws_key") is None
    for exercise_id, table in ((e, public_checks(e)) for e in EXERCISES):
        assert set(table) == {"exercise", "visible", "default"}, exercise_id


# -- one verdict: the notebook's check and the grader agree on the visible cases ---------------------------
_MISSING = object()


def _grader_record(question, answer, cases):
    """The record the grader would read back from a kernel where the student's answer is defined."""
    nonce = "@@test:" + "0" * 8 + "@@"
    namespace = {} if answer is _MISSING else {question.answer_name: answer}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(extraction_code(nonce, question.read_kind, question.answer_name, cases), namespace)  # noqa: S102
    return parse_record(out.getvalue(), nonce)


def _answers(key, question):
    """Answers of every sort for one question of the default variant, by label."""
    common = {"placeholder": ..., "missing": _MISSING, "wrong type": {"a": 1}}
    if question.read_kind == "value":
        right = np.asarray(key.expected(question.qid, key.exercise.variant("")), dtype=float)
        return {**common, "correct": right, "wrong": right * 37.0, "near miss": right * (1 + 3 * question.rtol),
                "negative": -right, "NaN": right * np.nan, "string": "1.0"}
    if question.read_kind == "choice":
        right = key.expected(question.qid, key.exercise.variant(""))
        return {**common, "correct": right, "wrong": next(x for x in "ABCD" if x != right), "string": "Z",
                "near miss": right + right, "NaN": float("nan")}
    if question.read_kind == "text":
        return {**common, "correct": "some words", "string": "a text", "blank": "  "}
    reference = key[question.qid].reference

    def scaled(factor):
        return lambda *args: np.asarray(reference(*args), dtype=float) * factor

    return {**common, "correct": reference, "wrong": scaled(2.0), "near miss": scaled(1 + 3 * question.rtol),
            "NaN": scaled(np.nan), "raising function": lambda *args: 1 / 0, "string": lambda *args: "x",
            "returns None": lambda *args: None, "partly unimplemented": _unimplemented}


QUESTIONS = [(eid, q.qid) for eid, exercise in EXERCISES.items() for q in exercise.questions]


@pytest.mark.parametrize(("exercise_id", "qid"), QUESTIONS)
def test_the_check_and_the_grader_give_one_verdict(capsys, lenient, exercise_id, qid):
    key, question = KEYS[exercise_id], EXERCISES[exercise_id][qid]
    session = Session(EXERCISES[exercise_id])
    cases = question.visible_cases_encoded()
    expected = key.expected(qid, session.variant, cases)
    statuses = {}
    for label, answer in _answers(key, question).items():
        record = _grader_record(question, answer, cases)
        graded = score_question(question, record, cases, len(cases), expected)
        if answer is _MISSING:  # a notebook cannot pass an undefined name to a check
            assert graded.verdict == "not attempted", graded
            continue
        mine = session.verdict(qid, answer)
        assert (mine.status, mine.messages) == (graded.verdict, graded.feedback), label
        assert graded.points == (question.points if mine.status == "correct" else 0)
        session.check(qid, answer)
        printed = capsys.readouterr().out.strip()
        assert printed.startswith(question.label + ": ")
        statuses[label] = mine.status
    want = {"placeholder": "not attempted", "wrong type": "wrong"}
    if question.read_kind == "text":
        want.update({"correct": "needs manual grading", "blank": "not attempted"})
    else:
        want.update({"correct": "correct", "wrong": "wrong", "near miss": "wrong", "NaN": "wrong", "string": "wrong"})
    assert {label: statuses[label] for label in want} == want
    if question.read_kind == "value":  # feedback on a wrong number never gives the right one away
        right = float(np.ravel(expected)[0])
        for label in ("wrong", "near miss", "negative"):
            own = describe(float(np.ravel(_answers(key, question)[label])[0]))
            text = "; ".join(session.verdict(qid, _answers(key, question)[label]).messages).replace(own, "<own>")
            for shown in {f"{right:.6g}", f"{right:.3g}", repr(right)}:
                assert shown not in text, (label, text)


# -- the answer keys, checked against published numbers and independent calculations -------------------------
def test_exercise_0_against_published_numbers():
    key = KEYS["00_power_laws"]
    # Brown et al. 2020, arXiv 2005.14165, Table D.1: GPT-3 175B trained on 300B tokens used 3.14e23 FLOPs
    assert key["q1"].reference(175e9, 300e9) == pytest.approx(3.14e23, rel=5e-3)
    # ... and Table 2.1: 96 layers of width 12288 make 175B parameters (the 0.6B of embeddings are left out)
    assert key["q2"].reference(96, 12288) == pytest.approx(175e9, rel=1e-2)


def test_exercise_0_by_independent_calculation():
    exercise, key = EXERCISES["00_power_laws"], KEYS["00_power_laws"]
    for student in STUDENTS[:10]:
        v = exercise.variant(student)
        # Q3: the factor k with (k C)**-alpha = (1 - cut) C**-alpha, checked on a law with a = 7 and C = 1e20
        k = key.expected("q3", v)
        assert 7 * (k * 1e20) ** -v.q3.exponent == pytest.approx((1 - v.q3.loss_cut) * 7 * 1e20 ** -v.q3.exponent)
        # Q4: the least-squares slope of log L on log C, computed from its normal equations
        x, y = np.log(v.q4.flops), np.log(v.q4.loss)
        slope = np.sum((x - x.mean()) * (y - y.mean())) / np.sum((x - x.mean()) ** 2)
        assert key.expected("q4", v) == pytest.approx(-slope, rel=1e-9)
        # Q7: the right option is the slope through the two printed runs
        q7 = v.q7
        right = np.log(q7.small_loss / q7.big_loss) / np.log(q7.big_flops / q7.small_flops)
        assert q7.options["ABCD".index(key.expected("q7", v))] == pytest.approx(right, rel=5e-3)
    # Q6: the inverse of the law, checked by putting the compute back into it
    compute = key["q6"].reference(np.array([2.0, 3.0]), 40.0, 0.06)
    assert 40.0 * compute ** -0.06 == pytest.approx([2.0, 3.0], rel=1e-12)


def _fake(**questions):
    """A stand-in for a variant whose question parameters are given here (``q3={...}``)."""
    return SimpleNamespace(**{qid: SimpleNamespace(**values) for qid, values in questions.items()})


def test_exercise_1_against_published_numbers():
    key = KEYS["01_kaplan"]
    # Kaplan et al. 2020, arXiv 2001.08361, Eq. 1.5 and Table 2: alpha_N 0.076, alpha_D 0.103, N_c 6.4e13, D_c 1.8e13
    for n, d in ((1e8, 1e9), (1.5e9, 2.3e10), (1e11, 1e12)):
        written_here = ((6.4e13 / n) ** (0.076 / 0.103) + 1.8e13 / d) ** 0.103
        assert key["q1"].reference(n, d) == pytest.approx(written_here, rel=1e-9)
    # Brown et al. 2020, Table D.1: GPT-3 (96 layers of width 12288, 300B tokens) used 3.64e3 PF-days
    gpt3 = _fake(q3={"n_layers": 96, "d_model": 12288, "batch_tokens": 3.2e6, "steps": 300e9 / 3.2e6})
    assert key["q3"].reference(gpt3) == pytest.approx(3.64e3, rel=5e-3)
    # q2: at the tokens it returns, the data term D_c / D is the asked fraction of the model term (N_c / N)**(a_N/a_D)
    d = key["q2"].reference(1e9, 0.25)
    assert 1.8e13 / d == pytest.approx(0.25 * (6.4e13 / 1e9) ** (0.076 / 0.103), rel=1e-9)
    # q7: at the budget it returns, Kaplan's N_opt = 1.3e9 C**0.73 is `factor` times the size trained on 20 D/N
    c = key["q7"].reference(4.0)
    assert 1.3e9 * c**0.73 == pytest.approx(4.0 * np.sqrt(c * 8.64e19 / 120), rel=1e-9)


def test_exercise_2_against_published_numbers():
    key = KEYS["02_chinchilla"]
    # Hoffmann et al. 2022, Eq. 10 constants written here (E 1.69, A 406.4, B 410.7, alpha 0.34, beta 0.28)
    assert key["q1"].reference(70e9, 1.4e12, 1.69, 406.4, 410.7, 0.34, 0.28) == pytest.approx(
        1.69 + 406.4 / 70e9**0.34 + 410.7 / 1.4e12**0.28, rel=1e-12)
    # q2: the ratio D_opt / N_opt, against a brute-force search along the IsoFLOP line at Gopher's 5.76e23 FLOPs
    sizes = np.logspace(9, 12, 600_001)
    loss = 406.4 / sizes**0.34 + 410.7 / (5.76e23 / (6 * sizes)) ** 0.28
    best = sizes[np.argmin(loss)]
    assert key["q2"].reference(5.76e23, 406.4, 410.7, 0.34, 0.28) == pytest.approx(5.76e23 / (6 * best**2),
                                                                                   rel=1e-3)
    # Besiroglu et al. 2024 (arXiv 2404.10102): their refit gives about 20 tokens per parameter at that scale
    assert 15 < key["q2"].reference(5.76e23, 482.01, 2085.43, 0.3478, 0.3658) < 22


def test_exercise_3_against_published_numbers():
    key = KEYS["03_chinchilla_trap"]
    # Sardana et al. 2024, arXiv 2401.00448, App. B.1 Table 2: with 1e13 inference tokens, the lifetime-optimal
    # model of the 70B Chinchilla model's quality saves 12% of its lifetime FLOPs
    from lectures_lib.lifetime import SARDANA_2024

    seventy = _fake(q5={"n_params": 70e9, "n_tokens": float(SARDANA_2024.tokens_for_params(70e9)),
                        "inference_tokens": 1e13})
    assert round(float(key["q5"].reference(seventy)), 2) == 0.12
    # q1: 6 N D for training and 2 N per token served (Kaplan et al. 2020, Sec. 2.1), written here
    assert key["q1"].reference(7e9, 2e12, 1e13) == 6 * 7e9 * 2e12 + 2 * 7e9 * 1e13
    # q3: the model k times the size, on the tokens returned, reaches the starting model's loss
    law = SARDANA_2024
    for k in (0.5, 0.8, 1.5):
        d = key["q3"].reference(30e9, 1e12, k, law.A, law.B, law.alpha, law.beta)
        assert float(law.loss(k * 30e9, d)) == pytest.approx(float(law.loss(30e9, 1e12)), rel=1e-12)


def test_exercise_3_real_runs_question():
    """Q8 fits Gadre et al.'s Eq. 4 to 16 real runs under 1B parameters and predicts the 6.9B model: the
    discussion's claims, checked on the released runs."""
    from lectures_lib.data import load_gadre_2024

    exercise, key = EXERCISES["03_chinchilla_trap"], KEYS["03_chinchilla_trap"]
    runs = load_gadre_2024("c4_val")
    assert round(runs.n_params.max() / runs.where(runs.n_params < 1e9).n_params.max()) == 17  # "17 times larger"
    below = above = 0
    for student in STUDENTS:
        variant = exercise.variant(student)
        assert variant.q8.n_params.max() < 1e9 and variant.q8.n_params.size == 16
        predicted = key.expected("q8", variant)
        below += predicted < variant.q8.measured_loss
        above += predicted > variant.q8.measured_loss
        assert 1.5 < predicted < 3.5
    assert below >= 5 and above >= 5  # "from well below to well above the measured loss"
    # Gadre et al. 2024, Sec. 4: their own fitting set predicts the RedPajama 6.9B model within 0.7%
    assert runs.loss[runs.name == "rpj-open_lm_7b-1.0"][0] == pytest.approx(2.4250, abs=1e-4)


# -- library use ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("code", "broken"), [
    ("from lectures_lib.compute import training_flops", True),
    ("from lectures_lib.compute import training_flops as tf\ndef training_flops(n, d):\n    return tf(n, d)", True),
    ("import lectures_lib.compute as c\ndef training_flops(n, d):\n    return c.training_flops(n, d)", True),
    ("import lectures_lib\ndef training_flops(n, d):\n    return lectures_lib.compute.training_flops(n, d)", True),
    ("from lectures_lib import compute\nf = compute.training_flops\ng = f\ndef training_flops(n, d):\n"
     "    return g(n, d)", True),
    ("%time x = 1\nfrom lectures_lib import compute\ntraining_flops = compute.training_flops", True),
    ("def training_flops(n, d):\n    return 6 * n * d", False),
    ("from lectures_lib import compute\ndef training_flops(n, d):\n    return compute.training_tokens(n, d)", False),
    ("this is not ( python", False),
])
def test_library_use_is_found_through_imports_and_aliases(code, broken):
    assert bool(forbidden_uses(code, [], ["lectures_lib.compute.training_flops"])) is broken


def test_library_use_rules_for_methods_and_reexports():
    assert forbidden_uses("n = law.compute_optimal(1e21)", [], ["*.compute_optimal"]) == ["*.compute_optimal"]
    given = [__import__("ast").parse("from lectures_lib import chinchilla as ch")]
    assert library_aliases(given) == {"ch": "lectures_lib.chinchilla"}
    assert forbidden_uses("x = ch.fit", given, ["lectures_lib.chinchilla.fit"]) == ["lectures_lib.chinchilla.fit"]


# -- release ----------------------------------------------------------------------------------------
def test_student_copies_are_up_to_date():
    stale = stale_copies(release_all(SOURCES, COPIES))
    assert not stale, f"run `make release`: {stale}"
    assert grading_main(["release", "--check"]) == 0


def test_every_source_has_a_student_copy_an_exercise_module_a_key_and_a_check_table():
    sources = sorted(p.stem for p in SOURCES.glob("*.ipynb"))
    assert sources == sorted(p.stem for p in COPIES.glob("*.ipynb"))
    assert sources == sorted(EXERCISES)
    assert sources == sorted(p.name.removesuffix("_key.py") for p in SOURCES.glob("*_key.py"))
    assert sources == sorted(p.stem for p in CHECKS.glob("*.json"))


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


def test_discussions_go_to_the_solution_page_not_the_copy():
    from lectures_lib.grading.solutions import solution_page

    title = nbformat.v4.new_markdown_cell("# Exercises: demo")
    answer = _cell("# BEGIN SOLUTION: y = ...\ny = 3\n# END SOLUTION", tags=[SOLUTION_TAG], cid="q1-answer")
    discussion = nbformat.v4.new_markdown_cell("Three, because DISCUSSION-TEXT.", metadata={"tags": ["discussion"]})
    check = _cell('ex.check("q1", y)', tags=["test"], cid="q1-check")
    nb = _notebook(title, answer, discussion, check)
    student = make_student_copy(nb, "demo")
    assert "DISCUSSION-TEXT" not in nbformat.writes(student)
    page = solution_page(nb, "demo")
    fold = page[page.index(":::{admonition} Worked solution"):]
    assert fold.index("y = 3") < fold.index("DISCUSSION-TEXT") < fold.index("\n:::")
    with pytest.raises(ReleaseError, match="must follow an answer cell"):
        solution_page(_notebook(title, discussion), "demo")


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


def test_release_command_reports_stale_copies_and_check_tables(tmp_path, capsys):
    folders = ["--source", str(SOURCES), "--target", str(tmp_path / "copies"), "--solutions",
               str(tmp_path / "solutions"), "--checks", str(tmp_path / "checks")]
    assert grading_main(["release", *folders]) == 0
    assert grading_main(["release", "--check", *folders]) == 0
    first = sorted((tmp_path / "copies").glob("*.ipynb"))[0]
    first.write_text(first.read_text().replace("Question 1", "Question one"))
    assert grading_main(["release", "--check", *folders]) == 1
    assert "out of date" in capsys.readouterr().err
    first.write_text(first.read_text().replace("Question one", "Question 1"))
    table = tmp_path / "checks" / "00_power_laws.json"
    changed = json.loads(table.read_text())
    changed["default"]["q3"] *= 2  # a default answer that no longer matches the key
    table.write_text(json.dumps(changed))
    assert grading_main(["release", "--check", *folders]) == 1
    assert "00_power_laws.json" in capsys.readouterr().err


def test_personalised_copies_carry_the_student_id(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,name\ns001,Ada\ns002,Bob\n")
    assert grading_main(["personalise", "--roster", str(roster), "--out", str(tmp_path / "out")]) == 0
    copies = sorted((tmp_path / "out").glob("*/*.ipynb"))
    assert len(copies) == 2 * len(EXERCISES)
    for path in copies:
        nb = nbformat.read(path, as_version=4)
        student = nb.metadata["lectures_lib"]["student"]
        assert student in ("s001", "s002") and path.parent.name.startswith(student)
        cell = next(c for c in nb.cells if c.id == "student-id")
        assert cell.source.startswith(f"STUDENT_ID = {student!r}")
        assert "BEGIN SOLUTION" not in path.read_text()
