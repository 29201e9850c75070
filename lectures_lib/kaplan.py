"""The scaling laws of Kaplan et al. 2020, "Scaling Laws for Neural Language Models" (arXiv 2001.08361).

Conventions of that paper, which differ from Hoffmann et al. 2022:

* N counts **non-embedding** parameters only (Sec. 1.3, Eq. 2.1).
* Compute is in **PF-days** (1 PF-day = 8.64e19 FLOPs), not FLOPs.
* Loss is the cross-entropy in nats per token on WebText2, with a GPT-2 tokenizer.

The single-variable laws (Eq. 1.1-1.3) and the joint L(N, D) law (Eq. 1.5 with the Table 2 fit)
come from separate fits, so their constants differ; each constant set is kept apart below. Every
single-variable law, and every line of the compute-efficient frontier, is a :class:`~.power_laws.PowerLaw`;
every function takes its law as the keyword ``law``, whose default is the paper's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _validate as v
from ._validate import ArrayLike
from .compute import flops_to_pf_days, training_flops
from .power_laws import PowerLaw


@dataclass(frozen=True)
class KaplanJointLaw:
    """L(N, D) = [(N_c / N)**(alpha_n / alpha_d) + D_c / D]**alpha_d (Kaplan et al. 2020, Eq. 1.5 = 4.1).

    ``n_c`` is in non-embedding parameters, ``d_c`` in tokens; all four constants are positive.
    """

    alpha_n: float
    alpha_d: float
    n_c: float
    d_c: float

    def __post_init__(self) -> None:
        for name in ("alpha_n", "alpha_d", "n_c", "d_c"):
            v.positive(getattr(self, name), name)

    def loss(self, n_params: ArrayLike, n_tokens: ArrayLike) -> float | np.ndarray:
        """Loss in nats per token of ``n_params`` non-embedding parameters trained on ``n_tokens`` tokens."""
        n = v.positive(n_params, "n_params")
        d = v.positive(n_tokens, "n_tokens")
        inner = (self.n_c / n) ** (self.alpha_n / self.alpha_d) + self.d_c / d
        return v.scalar_or_array(inner**self.alpha_d)

    def converged_loss(self, n_params: ArrayLike) -> float | np.ndarray:
        """The limit of :meth:`loss` for unlimited data, (N_c / N)**alpha_n, in nats per token."""
        n = v.positive(n_params, "n_params")
        return v.scalar_or_array((self.n_c / n) ** self.alpha_n)


@dataclass(frozen=True)
class KaplanLearningCurveLaw:
    """L(N, S_min) = (N_c / N)**alpha_n + (S_c / S_min)**alpha_s (Kaplan et al. 2020, Eq. 1.6 = 5.6).

    The loss of a model of ``N`` non-embedding parameters after ``S_min`` steps, where S_min is the
    number of steps the run would need at a batch much larger than the critical one (Eq. 5.4). The
    first term is the converged loss of that size; the second is what is left to learn. ``n_c`` is in
    non-embedding parameters, ``s_c`` in steps; all four constants are positive.
    """

    alpha_n: float
    alpha_s: float
    n_c: float
    s_c: float

    def __post_init__(self) -> None:
        for name in ("alpha_n", "alpha_s", "n_c", "s_c"):
            v.positive(getattr(self, name), name)

    def loss(self, n_params: ArrayLike, min_steps: ArrayLike) -> float | np.ndarray:
        """Loss in nats per token of ``n_params`` non-embedding parameters after ``min_steps`` steps (S_min)."""
        n = v.positive(n_params, "n_params")
        s = v.positive(min_steps, "min_steps")
        return v.scalar_or_array((self.n_c / n) ** self.alpha_n + (self.s_c / s) ** self.alpha_s)

    def steps_term(self, min_steps: ArrayLike) -> float | np.ndarray:
        """The part of :meth:`loss` still to be learned after ``min_steps`` steps, (S_c / S_min)**alpha_s."""
        s = v.positive(min_steps, "min_steps")
        return v.scalar_or_array((self.s_c / s) ** self.alpha_s)


# -- Eq. 1.1-1.3 (also Table 5): single-variable laws L(X) = (X_c / X)**alpha_X ------------------------
#: L(N), N in non-embedding parameters: N_c = 8.8e13, alpha_N = 0.076 (Eq. 1.1).
KAPLAN_2020_LOSS_VS_PARAMS = PowerLaw.from_scale(8.8e13, 0.076)
#: L(D), D in tokens: D_c = 5.4e13, alpha_D = 0.095 (Eq. 1.2).
KAPLAN_2020_LOSS_VS_DATA = PowerLaw.from_scale(5.4e13, 0.095)
#: L(C_min), C_min in PF-days: C_c = 3.1e8, alpha_C = 0.050 (Eq. 1.3).
KAPLAN_2020_LOSS_VS_COMPUTE = PowerLaw.from_scale(3.1e8, 0.050)

#: Table 2 of Kaplan et al. 2020: the joint fit of L(N, D); use these when evaluating Eq. 1.5.
KAPLAN_2020_JOINT = KaplanJointLaw(alpha_n=0.076, alpha_d=0.103, n_c=6.4e13, d_c=1.8e13)

# -- App. A, Table 6 (exponents also Eq. 6.1-6.2): the compute-efficient frontier, C_min in PF-days ----
# An allocation that grows with compute is a PowerLaw with a negative exponent: X = coefficient * C**|exponent|.
#: N_opt = 1.3e9 C_min**0.73 non-embedding parameters.
KAPLAN_2020_OPTIMAL_PARAMS = PowerLaw(coefficient=1.3e9, exponent=-0.73)
#: D_opt = 2e10 C_min**0.27 tokens (one epoch).
KAPLAN_2020_OPTIMAL_TOKENS = PowerLaw(coefficient=2e10, exponent=-0.27)
#: B = 2.0e6 C_min**0.24 tokens per batch.
KAPLAN_2020_OPTIMAL_BATCH = PowerLaw(coefficient=2.0e6, exponent=-0.24)
#: S_min = 5.4e3 C_min**0.03 steps.
KAPLAN_2020_OPTIMAL_STEPS = PowerLaw(coefficient=5.4e3, exponent=-0.03)

#: Critical batch size B_crit(L) = B_star / L**(1/alpha_B) tokens, B_star = 2e8 and alpha_B = 0.21 (Eq. 1.4;
#: App. A prints B_star = 2.1e8).
CRITICAL_BATCH_ALPHA_B: float = 0.21
KAPLAN_2020_CRITICAL_BATCH = PowerLaw(coefficient=2e8, exponent=1.0 / CRITICAL_BATCH_ALPHA_B)

#: Data that keeps overfitting below about 0.02 nats: D = 5e3 N**0.74 tokens (Eq. 4.4).
KAPLAN_2020_OVERFITTING_TOKENS = PowerLaw(coefficient=5e3, exponent=-0.74)

#: Learning-curve exponent alpha_S (Eq. 1.6), used in the predicted compute exponent.
ALPHA_S: float = 0.76

#: Table 3 of Kaplan et al. 2020: the fit of L(N, S_min) (Eq. 1.6), alpha_N = 0.077, alpha_S = 0.76,
#: N_c = 6.5e13 non-embedding parameters, S_c = 2.1e3 steps.
KAPLAN_2020_LEARNING_CURVE = KaplanLearningCurveLaw(alpha_n=0.077, alpha_s=ALPHA_S, n_c=6.5e13, s_c=2.1e3)

# -- The range the laws were fitted on, and where the paper says they must break (Sec. 2.2-2.3, Sec. 6.3) ----
#: WebText2, the training set: 2.29e10 tokens (Sec. 2.3); the largest data set of the L(D) runs.
WEBTEXT2_TOKENS: float = 2.29e10
#: The largest model: 1.5e9 non-embedding parameters (Sec. 2.3).
KAPLAN_2020_LARGEST_MODEL_PARAMS: float = 1.5e9
#: The default training run: 2.5e5 steps of 512 sequences of 1,024 tokens (Sec. 2.2).
KAPLAN_2020_TRAINING_STEPS: float = 2.5e5
KAPLAN_2020_BATCH_TOKENS: float = 512 * 1024
#: The compute of the largest model's full run, in PF-days (computed: 6 N B S, about 14 PF-days); the laws
#: were fitted at and below it, so a larger budget is an extrapolation.
KAPLAN_2020_LARGEST_RUN_PF_DAYS: float = float(flops_to_pf_days(
    training_flops(KAPLAN_2020_LARGEST_MODEL_PARAMS, KAPLAN_2020_TRAINING_STEPS * KAPLAN_2020_BATCH_TOKENS)))
#: Eq. 6.8: the laws contradict each other near C* ~ 1e4 PF-days, where L* ~ 1.7 nats per token.
KAPLAN_2020_BREAKDOWN_PF_DAYS: float = 1e4
KAPLAN_2020_BREAKDOWN_LOSS: float = 1.7


def _evaluate(law: PowerLaw, x: ArrayLike, name: str) -> float | np.ndarray:
    v.law(law, PowerLaw)
    return law(v.positive(x, name))


def loss_vs_params(n_params: ArrayLike, *, law: PowerLaw = KAPLAN_2020_LOSS_VS_PARAMS) -> float | np.ndarray:
    """L(N) = (N_c / N)**alpha_N, in nats per token: models trained to convergence on ample data (Eq. 1.1).

    ``n_params`` counts non-embedding parameters.
    """
    return _evaluate(law, n_params, "n_params")


def loss_vs_data(n_tokens: ArrayLike, *, law: PowerLaw = KAPLAN_2020_LOSS_VS_DATA) -> float | np.ndarray:
    """L(D) = (D_c / D)**alpha_D, in nats per token (Eq. 1.2).

    For a large model trained on ``n_tokens`` tokens with early stopping.
    """
    return _evaluate(law, n_tokens, "n_tokens")


def loss_vs_compute(pf_days: ArrayLike, *, law: PowerLaw = KAPLAN_2020_LOSS_VS_COMPUTE) -> float | np.ndarray:
    """L(C_min) = (C_c / C_min)**alpha_C, in nats per token, with compute in PF-days (Eq. 1.3).

    C_min is the compute of a compute-efficient run (model size, batch and steps all chosen well).
    """
    return _evaluate(law, pf_days, "pf_days")


def loss(n_params: ArrayLike, n_tokens: ArrayLike, *, law: KaplanJointLaw = KAPLAN_2020_JOINT) -> float | np.ndarray:
    """Joint law L(N, D) of Eq. 1.5 with the Table 2 constants, in nats per token.

    ``n_params`` non-embedding parameters, ``n_tokens`` training tokens; the data term enters
    linearly inside the bracket, so overfitting grows smoothly as D / N**(alpha_N/alpha_D) shrinks.
    """
    return v.law(law, KaplanJointLaw).loss(n_params, n_tokens)


def compute_optimal_params(pf_days: ArrayLike, *, law: PowerLaw = KAPLAN_2020_OPTIMAL_PARAMS) -> float | np.ndarray:
    """Compute-efficient model size N_opt = 1.3e9 * C_min**0.73 non-embedding parameters (Table 6).

    ``pf_days`` is the training compute in PF-days.
    """
    return _evaluate(law, pf_days, "pf_days")


def compute_optimal_tokens(pf_days: ArrayLike, *, law: PowerLaw = KAPLAN_2020_OPTIMAL_TOKENS) -> float | np.ndarray:
    """Tokens processed on the compute-efficient frontier, D_opt = 2e10 * C_min**0.27 (Table 6), C_min in PF-days."""
    return _evaluate(law, pf_days, "pf_days")


def critical_batch_size(loss_nats: ArrayLike, *, law: PowerLaw = KAPLAN_2020_CRITICAL_BATCH) -> float | np.ndarray:
    """Critical batch size in tokens, B_crit(L) = 2e8 / L**(1/0.21) (Eq. 1.4), for a loss in nats per token."""
    return _evaluate(law, loss_nats, "loss_nats")


def minimum_steps(steps: ArrayLike, batch_tokens: ArrayLike, loss_nats: ArrayLike, *,
                  law: PowerLaw = KAPLAN_2020_CRITICAL_BATCH) -> float | np.ndarray:
    """S_min = S / (1 + B_crit(L) / B): the steps a run of ``steps`` steps at batch ``batch_tokens`` would need
    with a very large batch to reach the loss ``loss_nats`` (Eq. 5.4). At B = B_crit it is half of ``steps``."""
    s = v.positive(steps, "steps")
    b = v.positive(batch_tokens, "batch_tokens")
    b_crit = critical_batch_size(loss_nats, law=law)
    return v.scalar_or_array(s / (1.0 + b_crit / b))


def minimum_compute(compute: ArrayLike, batch_tokens: ArrayLike, loss_nats: ArrayLike, *,
                    law: PowerLaw = KAPLAN_2020_CRITICAL_BATCH) -> float | np.ndarray:
    """C_min = C / (1 + B / B_crit(L)): the compute a run that spent ``compute`` at batch ``batch_tokens`` would
    need with a very small batch to reach ``loss_nats`` (Eq. 5.5), in the unit of ``compute``. At B = B_crit it
    is half of ``compute``: a run at the critical batch size spends about 2 C_min."""
    c = v.positive(compute, "compute")
    b = v.positive(batch_tokens, "batch_tokens")
    b_crit = critical_batch_size(loss_nats, law=law)
    return v.scalar_or_array(c / (1.0 + b / b_crit))


def frontier_data_loss(pf_days: ArrayLike, *, law: PowerLaw = KAPLAN_2020_LOSS_VS_DATA) -> float | np.ndarray:
    """L(D) of Eq. 1.2 evaluated at the tokens D_opt(C_min) that the frontier (Table 6) trains on, in nats per token.

    No run can do better than the data it saw allows, so L(C_min) must stay above this curve; it falls
    more slowly than L(C_min), and the two cross (:func:`breakdown_point`; Sec. 6.3).
    """
    return _evaluate(law, compute_optimal_tokens(pf_days), "pf_days")


def breakdown_point() -> tuple[float, float]:
    """Where L(C_min) (Eq. 1.3) meets L(D) at the frontier's data (Eq. 1.2 at Table 6's D_opt): (PF-days, nats).

    Both are pure power laws in C_min, so the crossing is closed-form: about 1.1e4 PF-days and 1.67 nats,
    close to the paper's own estimate C* ~ 1e4 PF-days, L* ~ 1.7 (Eq. 6.8), which it derived with slightly
    different inputs. Beyond it the laws cannot all hold.
    """
    c_law, d_law, t_law = KAPLAN_2020_LOSS_VS_COMPUTE, KAPLAN_2020_LOSS_VS_DATA, KAPLAN_2020_OPTIMAL_TOKENS
    # ln L_C = ln c_C - a_C x and ln L_D(D_opt) = ln c_D - a_D (ln k_T - e_T x), with x = ln C and D_opt = k_T C**-e_T
    slope = c_law.exponent + t_law.exponent * d_law.exponent
    x = (np.log(c_law.coefficient) - np.log(d_law.coefficient) + d_law.exponent * np.log(t_law.coefficient)) / slope
    pf_days = float(np.exp(x))
    return pf_days, float(loss_vs_compute(pf_days))


def tokens_to_avoid_overfitting(n_params: ArrayLike, *, law: PowerLaw = KAPLAN_2020_OVERFITTING_TOKENS
                                ) -> float | np.ndarray:
    """Data that keeps the overfitting penalty below about 0.02 nats: D = 5e3 * N**0.74 tokens (Eq. 4.4)."""
    return _evaluate(law, n_params, "n_params")


def predicted_compute_exponent(alpha_n: float = KAPLAN_2020_LOSS_VS_PARAMS.exponent,
                               alpha_b: float = CRITICAL_BATCH_ALPHA_B, alpha_s: float = ALPHA_S) -> float:
    """alpha_C_min = 1 / (1/alpha_S + 1/alpha_B + 1/alpha_N), the theory behind Eq. 1.7-1.8.

    With the rounded exponents 0.76, 0.21 and 0.076 this is 0.0520; the paper quotes about
    0.054 (Eq. 6.4) and 0.052 (Eq. B.7), against 0.050 measured (Eq. 1.3).
    """
    a_n = float(v.positive(alpha_n, "alpha_n"))
    a_b = float(v.positive(alpha_b, "alpha_b"))
    a_s = float(v.positive(alpha_s, "alpha_s"))
    return 1.0 / (1.0 / a_s + 1.0 / a_b + 1.0 / a_n)
