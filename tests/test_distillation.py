"""lectures_lib.distillation against Hinton et al. 2015 and Busbridge et al. 2025 (arXiv 2502.08606).

Published: the soft targets q_i = exp(z_i / T) / sum_j exp(z_j / T) (Hinton et al. 2015, Eq. 1); the laws'
forms (Busbridge et al. Eq. 1 and Eq. 8) and constants (Table 6); their findings that distillation beats
supervised learning only up to a token count that grows with the student's size, and that too strong a
teacher can make a worse student (the capacity gap). The toy experiment is checked for the direction of
its effects, not for numbers of its own.
"""

import time

import numpy as np
import pytest

from lectures_lib import distillation as dist

LAW, SUP = dist.BUSBRIDGE_2025, dist.BUSBRIDGE_2025_SUPERVISED


def test_table6_constants():  # Busbridge et al. 2025, App. F.3, Table 6
    assert (SUP.A, SUP.B, SUP.E, SUP.alpha, SUP.beta, SUP.gamma) == (3355, 18186, 1.220, 0.408, 0.431, 0.452)
    assert (LAW.A, LAW.B, LAW.alpha, LAW.beta, LAW.gamma) == (2243, 24181, 0.321, 0.637, 0.764)
    assert (LAW.c0, LAW.c1, LAW.f1, LAW.d1) == (2.549, 522.6, 0.090, 1.315)
    assert LAW.supervised is SUP


def test_supervised_law_is_eq_1():
    n, d = 1e9, 2e10
    assert SUP.loss(n, d) == pytest.approx(1.220 + (3355 / n**0.408 + 18186 / d**0.431) ** 0.452, rel=1e-14)


def test_distillation_law_is_eq_8():
    n, d, lt = 3e8, 5e10, 2.1
    ls_tilde = 1.220 + (3355 / n**0.408 + 18186 / d**0.431) ** 0.452
    expected = lt + lt**-2.549 * (1 + (lt / (ls_tilde * 1.315)) ** (1 / 0.090)) ** (-522.6 * 0.090) * (
        2243 / n**0.321 + 24181 / d**0.637) ** 0.764
    assert LAW.loss(n, d, lt) == pytest.approx(expected, rel=1e-13)
    assert LAW.gain(n, d, lt) == pytest.approx(ls_tilde - expected, rel=1e-12)


def test_a_student_never_beats_its_teacher_and_approaches_it_with_scale():
    lt = 2.0
    n, d = np.logspace(8, 13, 6), np.logspace(9, 14, 6)
    assert np.all(LAW.loss(n, d, lt) >= lt) and np.all(LAW.loss(n[:3], d[:3], lt) > lt)
    assert LAW.loss(1e15, 1e16, lt) - lt < 1e-3


def test_capacity_gap_a_stronger_teacher_can_make_a_worse_student():  # Busbridge et al., Sec. 4-5
    lts = np.linspace(1.5, 3.0, 301)
    student = LAW.loss(3e8, 1e11, lts)
    best = int(np.argmin(student))
    assert 0 < best < len(lts) - 1                      # a U: the best teacher is neither the weakest nor the strongest
    assert student[0] > student[best] + 0.1


def test_break_even_grows_with_student_size():  # abstract: "up to a compute level that scales with student size"
    teacher = SUP.loss(12.6e9, 512e9)                  # the largest model and token count of their study
    tokens = [LAW.break_even_tokens(n, teacher) for n in (1.43e8, 3e8, 1e9, 3e9)]
    assert np.all(np.diff(tokens) > 0)
    for n, d in zip((1.43e8, 3e8, 1e9, 3e9), tokens, strict=True):
        assert LAW.gain(n, 0.5 * d, teacher) > 0 > LAW.gain(n, 2 * d, teacher)
        assert abs(LAW.gain(n, d, teacher)) < 1e-9


def test_soft_targets_are_hinton_eq_1():
    z = np.array([[2.0, 1.0, -1.0], [0.0, 0.0, 0.0]])
    for t in (1.0, 4.0):
        expected = np.exp(z / t) / np.exp(z / t).sum(axis=1, keepdims=True)
        np.testing.assert_allclose(dist.soft_targets(z, t), expected, rtol=1e-14)
    assert np.ptp(dist.soft_targets(z[0], 1e6)) < 1e-5  # a high temperature flattens the distribution


def test_softmax_regression_recovers_a_well_specified_teacher():
    rng = np.random.default_rng(3)
    phi = rng.normal(size=(400, 3))
    true = np.vstack([rng.normal(size=(3, 4)), np.zeros((1, 4))])
    targets = dist.soft_targets(np.hstack([phi, np.ones((400, 1))]) @ true)
    fitted = dist.fit_softmax_regression(phi, targets, ridge=1e-9)
    x = np.hstack([phi, np.ones((400, 1))])
    np.testing.assert_allclose(dist.soft_targets(x @ fitted), targets, atol=1e-5)


def test_toy_soft_labels_help_and_the_help_fades_with_data():
    start = time.perf_counter()
    toy = dist.toy_distillation(student_features=(2, 8, 32), train_examples=(100, 1000), seeds=4)
    assert time.perf_counter() - start < 5
    assert np.all(toy.soft_excess < toy.hard_excess)            # soft labels help every student
    assert np.all(toy.gain[1] < toy.gain[0])                     # less with ten times the examples
    assert np.all(np.diff(toy.hard_excess[0]) < 0)               # bigger students are better
    assert 0 < toy.teacher_entropy < np.log(4)
    again = dist.toy_distillation(student_features=(2, 8, 32), train_examples=(100, 1000), seeds=4)
    np.testing.assert_array_equal(again.hard_excess, toy.hard_excess)  # seeded


@pytest.mark.parametrize("call, error, name", [
    (lambda: dist.SupervisedLaw(E=-1, A=1, B=1, alpha=1, beta=1, gamma=1), ValueError, "E"),
    (lambda: dist.DistillationLaw(1, 1, 1, 1, 1, 1, 1, 0.0, 1), ValueError, "f1"),
    (lambda: dist.DistillationLaw(1, 1, 1, 1, 1, 1, 1, 1, 1, supervised="x"), TypeError, "supervised"),
    (lambda: LAW.loss(1e9, 1e10, 0.0), ValueError, "teacher_loss"),
    (lambda: LAW.loss(-1e9, 1e10, 2.0), ValueError, "n_params"),
    (lambda: SUP.loss(1e9, np.nan), ValueError, "n_tokens"),
    (lambda: LAW.break_even_tokens(1e9, 2.0, low=1e12, high=1e10), ValueError, "low"),
    (lambda: LAW.break_even_tokens(1e9, 5.0), ValueError, "does not go from winning to losing"),
    (lambda: dist.soft_targets(1.0), ValueError, "logits"),
    (lambda: dist.soft_targets([1.0, 2.0], 0.0), ValueError, "temperature"),
    (lambda: dist.toy_distillation(student_features=(0,)), ValueError, "student_features"),
    (lambda: dist.toy_distillation(train_examples=(2.5,)), TypeError, "train_examples"),
    (lambda: dist.toy_distillation(n_classes=1), ValueError, "n_classes"),
    (lambda: dist.fit_softmax_regression(np.ones((3, 2)), np.ones((4, 2))), ValueError, "features"),
])
def test_bad_input_is_named(call, error, name):
    with pytest.raises(error, match=name):
        call()
