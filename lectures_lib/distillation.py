"""Distillation: a student learns from a teacher's output distribution instead of from hard labels.

Hinton, Vinyals and Dean 2015, "Distilling the Knowledge in a Neural Network" (arXiv 1503.02531): the
student is trained on the teacher's softened probabilities (:func:`soft_targets`). Busbridge et al. 2025,
"Distillation Scaling Laws" (arXiv 2502.08606, ICML 2025) fit the student's cross-entropy as a function
of the teacher's cross-entropy and the student's size and tokens (:class:`DistillationLaw`, their Eq. 8,
constants of their Table 6).

:func:`toy_distillation` is a small, seeded numpy experiment of the same idea: a teacher distribution on
two-dimensional inputs, and softmax-regression students of growing size fitted either to labels sampled
from the teacher (hard) or to the teacher's probabilities (soft).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import _validate as v
from ._numerics import softmax
from ._validate import ArrayLike


def soft_targets(logits: ArrayLike, temperature: float = 1.0) -> np.ndarray:
    """Softmax of ``logits / temperature`` over the last axis (Hinton et al. 2015, Eq. 1).

    A temperature above 1 softens the distribution and shows the student how the teacher ranks the
    wrong answers; 1 gives the teacher's own probabilities. The shared :func:`lectures_lib._numerics.softmax`
    under Hinton's name.
    """
    return softmax(logits, axis=-1, temperature=temperature)


# ------------------------------------------------------------------------------------------------
# Busbridge et al. 2025: the supervised law (Eq. 1) and the distillation law (Eq. 8), Table 6 constants
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SupervisedLaw:
    """L(N, D) = E + (A / N**alpha + B / D**beta)**gamma: cross-entropy of a model of N non-embedding
    parameters trained on D tokens with hard labels (Busbridge et al. 2025, Eq. 1)."""

    E: float
    A: float
    B: float
    alpha: float
    beta: float
    gamma: float

    def __post_init__(self) -> None:
        for name in ("E", "A", "B", "alpha", "beta", "gamma"):
            v.positive(getattr(self, name), name)

    def loss(self, n_params: ArrayLike, n_tokens: ArrayLike) -> float | np.ndarray:
        """Cross-entropy (nats per token) of ``n_params`` parameters trained on ``n_tokens`` tokens."""
        n = v.positive(n_params, "n_params")
        d = v.positive(n_tokens, "n_tokens")
        return v.scalar_or_array(self.E + (self.A / n**self.alpha + self.B / d**self.beta) ** self.gamma)


#: Busbridge et al. 2025, Table 6 (App. F.3), supervised law fitted on 73 runs: A 3355, B 18186, E 1.220,
#: alpha 0.408, beta 0.431, gamma 0.452 [V-P].
BUSBRIDGE_2025_SUPERVISED = SupervisedLaw(E=1.220, A=3355.0, B=18186.0, alpha=0.408, beta=0.431, gamma=0.452)


@dataclass(frozen=True)
class DistillationLaw:
    """The student's cross-entropy after distillation from a teacher of cross-entropy L_T
    (Busbridge et al. 2025, Eq. 8):

    L_S = L_T + L_T**-c0 (1 + (L_T / (L~_S d1))**(1/f1))**(-c1 f1) (A / N_S**alpha + B / D_S**beta)**gamma,

    where L~_S is the loss the same student reaches with hard labels (``supervised``, their Eq. 1). The
    teacher enters only through L_T; the middle factor switches the law from one power of L_T to another
    near L_T = d1 L~_S (the "capacity gap"). Pure distillation (their lambda = 1, tau = 1).
    """

    A: float
    B: float
    alpha: float
    beta: float
    gamma: float
    c0: float
    c1: float
    f1: float
    d1: float
    supervised: SupervisedLaw = BUSBRIDGE_2025_SUPERVISED

    def __post_init__(self) -> None:
        for name in ("A", "B", "alpha", "beta", "gamma", "c0", "c1", "f1", "d1"):
            v.positive(getattr(self, name), name)
        v.law(self.supervised, SupervisedLaw, "supervised")

    def loss(self, n_params: ArrayLike, n_tokens: ArrayLike, teacher_loss: ArrayLike) -> float | np.ndarray:
        """Student cross-entropy for ``n_params`` student parameters distilled on ``n_tokens`` tokens from a
        teacher whose cross-entropy is ``teacher_loss`` (nats per token). Arrays broadcast."""
        n = v.positive(n_params, "n_params")
        d = v.positive(n_tokens, "n_tokens")
        lt = v.positive(teacher_loss, "teacher_loss")
        alone = np.asarray(self.supervised.loss(n, d))
        switch = (1 + (lt / (alone * self.d1)) ** (1 / self.f1)) ** (-self.c1 * self.f1)
        student = (self.A / n**self.alpha + self.B / d**self.beta) ** self.gamma
        return v.scalar_or_array(lt + lt ** (-self.c0) * switch * student)

    def gain(self, n_params: ArrayLike, n_tokens: ArrayLike, teacher_loss: ArrayLike) -> float | np.ndarray:
        """Supervised minus distilled loss of the same student on the same tokens (positive: distillation wins,
        with the teacher's own cost not counted)."""
        supervised = np.asarray(self.supervised.loss(n_params, n_tokens))
        return v.scalar_or_array(supervised - np.asarray(self.loss(n_params, n_tokens, teacher_loss)))

    def break_even_tokens(self, n_params: float, teacher_loss: float, low: float = 1e8, high: float = 1e15) -> float:
        """Student tokens beyond which supervised training beats distillation from a teacher of ``teacher_loss``
        (the root of :meth:`gain` in D, found by bisection in log D between ``low`` and ``high``).

        Raises ``ValueError`` when the gain does not change sign in that range."""
        n = v.scalar(n_params, "n_params")
        lt = v.scalar(teacher_loss, "teacher_loss")
        lo, hi = np.log(v.scalar(low, "low")), np.log(v.scalar(high, "high"))
        if not lo < hi:
            raise ValueError("low must be smaller than high")
        g_lo, g_hi = self.gain(n, np.exp(lo), lt), self.gain(n, np.exp(hi), lt)
        if not (g_lo > 0 > g_hi):
            raise ValueError(f"distillation does not go from winning to losing between {np.exp(lo):.3g} and "
                             f"{np.exp(hi):.3g} tokens for this student and teacher")
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if self.gain(n, np.exp(mid), lt) > 0:
                lo = mid
            else:
                hi = mid
            if hi - lo < 1e-12:
                break
        return float(np.exp(0.5 * (lo + hi)))


#: Busbridge et al. 2025, Table 6 (App. F.3), distillation law fitted on 697 runs: A' 2243, B' 24181,
#: alpha' 0.321, beta' 0.637, gamma' 0.764, c0 2.549, c1 522.6, f1 0.090, d1 1.315 [V-P].
BUSBRIDGE_2025 = DistillationLaw(A=2243.0, B=24181.0, alpha=0.321, beta=0.637, gamma=0.764, c0=2.549, c1=522.6,
                                 f1=0.090, d1=1.315)


# ------------------------------------------------------------------------------------------------
# A toy experiment: hard labels against soft labels, for students of growing size
# ------------------------------------------------------------------------------------------------
#: The toy's teacher: random Fourier features on [-1, 1]^2 (count, frequency scale) and the scale of its
#: output weights; the students use features of the same kind, fewer of them.
TOY_TEACHER_FEATURES: int = 256
TOY_FREQUENCY_SCALE: float = 1.5
TOY_TEACHER_WEIGHT_SCALE: float = 3.0
TOY_RIDGE: float = 1e-3
TOY_TEST_POINTS: int = 2000


@dataclass(frozen=True)
class ToyDistillation:
    """Results of :func:`toy_distillation`: for each student size (``student_features``) and each training set
    size (``train_examples``), the mean excess cross-entropy over the teacher, KL(teacher || student) in nats,
    of students fitted to hard labels and to soft labels (arrays of shape (examples, sizes)), averaged over
    ``seeds`` draws; ``teacher_entropy`` is the floor no student can beat (nats)."""

    student_features: np.ndarray
    train_examples: np.ndarray
    hard_excess: np.ndarray
    soft_excess: np.ndarray
    teacher_entropy: float
    seeds: int

    @property
    def gain(self) -> np.ndarray:
        """Hard minus soft excess loss (positive: the soft labels helped)."""
        return self.hard_excess - self.soft_excess


def _features(x: np.ndarray, frequencies: np.ndarray, phases: np.ndarray) -> np.ndarray:
    return np.sqrt(2.0 / frequencies.shape[1]) * np.cos(x @ frequencies + phases)


def fit_softmax_regression(features: np.ndarray, targets: np.ndarray, ridge: float = TOY_RIDGE,
                           iterations: int = 50) -> np.ndarray:
    """Weights (features + 1 bias row, classes) minimising the mean cross-entropy to ``targets`` (rows of
    probabilities: one-hot for hard labels, the teacher's for soft) plus ``ridge``/2 |W|^2, by Newton's method.
    The objective is convex, so hard and soft labels are fitted to the same precision."""
    phi = v.finite(features, "features")
    y = v.non_negative(targets, "targets")
    if phi.ndim != 2 or y.ndim != 2 or phi.shape[0] != y.shape[0]:
        raise ValueError("features must be (examples, features) and targets (examples, classes), same examples")
    lam = v.scalar(ridge, "ridge")
    iterations = v.positive_int(iterations, "iterations")
    n, k = y.shape
    x = np.hstack([phi, np.ones((n, 1))])
    p = x.shape[1]
    w = np.zeros((p, k))
    for _ in range(iterations):
        q = soft_targets(x @ w)
        grad = x.T @ (q - y) / n + lam * w
        hessian = np.empty((k, p, k, p))
        for a in range(k):
            for b in range(a, k):
                weights = q[:, a] * ((a == b) - q[:, b])
                block = (x * weights[:, None]).T @ x / n
                hessian[a, :, b, :] = block
                hessian[b, :, a, :] = block.T
        hessian = hessian.reshape(k * p, k * p) + lam * np.eye(k * p)
        step = np.linalg.solve(hessian, grad.T.reshape(-1)).reshape(k, p).T
        w = w - step
        if np.abs(step).max() < 1e-10:
            break
    return w


def toy_distillation(student_features: Sequence[int] = (2, 4, 8, 16, 32, 64), train_examples: Sequence[int] = (200,),
                     n_classes: int = 4, seeds: int = 8, seed: int = 0) -> ToyDistillation:
    """Students fitted to hard or soft labels of one teacher, on toy data (seeded, a second or two).

    For each of ``seeds`` draws: a teacher p_T(y | x) over ``n_classes`` classes on x uniform in [-1, 1]^2
    (softmax of a random-feature model with :data:`TOY_TEACHER_FEATURES` features); training inputs;
    hard labels sampled from p_T; and for each size m, a student with m random features of its own,
    fitted once to the hard labels and once to the teacher's probabilities. Each student is scored by
    KL(p_T || q) on :data:`TOY_TEST_POINTS` fresh inputs, exactly (no label noise in the score). The same
    inputs, features and labels serve every student of a draw, so hard and soft differ only in the targets.
    """
    sizes = np.array([v.positive_int(m, "student_features")
                      for m in student_features])
    examples = np.array([v.positive_int(e, "train_examples")
                         for e in train_examples])
    if sizes.size == 0 or examples.size == 0:
        raise ValueError("student_features and train_examples need at least one value each")
    k = v.positive_int(n_classes, "n_classes")
    if k < 2:
        raise ValueError(f"n_classes must be at least 2, got {k}")
    draws = v.positive_int(seeds, "seeds")
    rng_root = np.random.default_rng(v.seed(seed))
    hard = np.zeros((examples.size, sizes.size))
    soft = np.zeros_like(hard)
    entropy = 0.0
    for _ in range(draws):
        rng = np.random.default_rng(rng_root.integers(2**63))
        freq = rng.normal(0.0, TOY_FREQUENCY_SCALE, (2, TOY_TEACHER_FEATURES))
        phase = rng.uniform(0.0, 2 * np.pi, TOY_TEACHER_FEATURES)
        w_teacher = rng.normal(0.0, TOY_TEACHER_WEIGHT_SCALE, (TOY_TEACHER_FEATURES, k))
        x_test = rng.uniform(-1.0, 1.0, (TOY_TEST_POINTS, 2))
        p_test = soft_targets(_features(x_test, freq, phase) @ w_teacher)
        entropy += float(-np.mean(np.sum(p_test * np.log(p_test), axis=1))) / draws
        x_all = rng.uniform(-1.0, 1.0, (int(examples.max()), 2))
        p_all = soft_targets(_features(x_all, freq, phase) @ w_teacher)
        labels = (rng.random(len(x_all))[:, None] > np.cumsum(p_all, axis=1)).sum(axis=1).clip(max=k - 1)
        student_freqs = [(rng.normal(0.0, TOY_FREQUENCY_SCALE, (2, m)), rng.uniform(0.0, 2 * np.pi, m))
                         for m in sizes]
        for i, n in enumerate(examples):
            for j, (f_s, ph_s) in enumerate(student_freqs):
                phi = _features(x_all[:n], f_s, ph_s)
                test = np.hstack([_features(x_test, f_s, ph_s), np.ones((TOY_TEST_POINTS, 1))])
                for targets, out in ((np.eye(k)[labels[:n]], hard), (p_all[:n], soft)):
                    q = soft_targets(test @ fit_softmax_regression(phi, targets))
                    out[i, j] += float(np.mean(np.sum(p_test * (np.log(p_test) - np.log(q)), axis=1))) / draws
    return ToyDistillation(sizes, examples, hard, soft, entropy, draws)
