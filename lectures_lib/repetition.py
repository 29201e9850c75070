"""Running out of data: what repeated tokens are worth, and the compute optimum when unique data are limited.

Muennighoff et al. 2023, "Scaling Data-Constrained Language Models" (arXiv 2305.16264; JMLR 26, 2025),
replace the tokens D and the parameters N of a Chinchilla law by effective amounts (their Eq. 5 and 6):

    D' = U_D + U_D R*_D (1 - exp(-R_D / R*_D)),    R_D = epochs - 1 repetitions of U_D unique tokens,
    N' = U_N + U_N R*_N (1 - exp(-R_N / R*_N)),    R_N = max(N / U_N - 1, 0),

where U_N = min(N_opt(U_D), N) is the compute-optimal size for the unique tokens (their Eq. 7). Repeated
tokens lose value smoothly: a few epochs are worth almost as much as fresh data, and D' can never exceed
(1 + R*_D) U_D. The constants are the paper's App. A fit on C4 (the same values appear in the authors'
code, github.com/huggingface/datablations).
"""

from __future__ import annotations

import numpy as np

from . import _validate as v
from ._validate import ArrayLike
from .chinchilla import ChinchillaLaw
from .compute import training_tokens

__all__ = ["MUENNIGHOFF_2023_C4", "MUENNIGHOFF_2023_R_D", "MUENNIGHOFF_2023_R_N", "data_constrained_loss",
           "data_constrained_optimum", "effective_params", "effective_tokens", "effective_tokens_ceiling",
           "repeated_token_value", "unique_params"]

#: R*_D, the decay constant of repeated data (Muennighoff et al. 2023, App. A: "R_D^* = 15.387756").
MUENNIGHOFF_2023_R_D: float = 15.387756
#: R*_N, the decay constant of excess parameters (Muennighoff et al. 2023, App. A: "R_N^* = 5.309743").
MUENNIGHOFF_2023_R_N: float = 5.309743
#: The single-epoch law fitted on C4 that the decay constants were fitted on top of (Muennighoff et al.
#: 2023, Sec. 3 and App. A, printed as E = 1.87, A = 521, B = 1488, alpha = beta = 0.35); unrounded from the
#: authors' code: log A = 6.255414, log B = 7.3049974, log E = 0.6254804, alpha = beta = 0.3526596.
MUENNIGHOFF_2023_C4 = ChinchillaLaw(E=float(np.exp(0.6254804)), A=float(np.exp(6.255414)),
                                    B=float(np.exp(7.3049974)), alpha=0.3526596, beta=0.3526596)


def _epochs(epochs: ArrayLike) -> np.ndarray:
    e = v.finite(epochs, "epochs")
    if (e < 1).any():
        raise ValueError(f"epochs must be >= 1 (one pass over the unique tokens or more), got {e[e < 1].flat[0]:g}")
    return e


def effective_tokens(unique_tokens: ArrayLike, epochs: ArrayLike, *, r_star: float = MUENNIGHOFF_2023_R_D
                     ) -> float | np.ndarray:
    """D' = U_D + U_D R* (1 - exp(-R_D / R*)) with R_D = epochs - 1 (Muennighoff et al. 2023, Eq. 5).

    ``unique_tokens`` > 0 and ``epochs`` >= 1 (fractional epochs allowed) broadcast against each other.
    """
    u = v.positive(unique_tokens, "unique_tokens")
    repeats = _epochs(epochs) - 1.0
    r = v.scalar(r_star, "r_star")
    return v.scalar_or_array(u + u * r * -np.expm1(-repeats / r))


def repeated_token_value(epochs: ArrayLike, *, r_star: float = MUENNIGHOFF_2023_R_D) -> float | np.ndarray:
    """D' / (epochs U_D): the value of ``epochs`` passes over the data as a share of as many fresh tokens."""
    e = _epochs(epochs)
    return v.scalar_or_array(np.asarray(effective_tokens(1.0, e, r_star=r_star)) / e)


def effective_tokens_ceiling(unique_tokens: ArrayLike, *, r_star: float = MUENNIGHOFF_2023_R_D
                             ) -> float | np.ndarray:
    """(1 + R*) U_D: what infinitely many epochs over ``unique_tokens`` are worth."""
    u = v.positive(unique_tokens, "unique_tokens")
    return v.scalar_or_array((1.0 + v.scalar(r_star, "r_star")) * u)


def unique_params(unique_tokens: ArrayLike, n_params: ArrayLike | None = None, *,
                  law: ChinchillaLaw = MUENNIGHOFF_2023_C4) -> float | np.ndarray:
    """U_N = min(N_opt(U_D), N): the compute-optimal size under ``law`` for a run of ``unique_tokens`` tokens
    (Muennighoff et al. 2023, Eq. 7: ((U_D G)**(beta / alpha)) G, which is
    :meth:`~lectures_lib.chinchilla.ChinchillaLaw.params_for_tokens`), capped at ``n_params`` if given."""
    v.law(law, ChinchillaLaw)
    u = v.positive(unique_tokens, "unique_tokens")  # validated here so that an error names unique_tokens
    n_opt = np.asarray(law.params_for_tokens(u))
    if n_params is None:
        return v.scalar_or_array(n_opt)
    return v.scalar_or_array(np.minimum(n_opt, v.positive(n_params, "n_params")))


def effective_params(n_params: ArrayLike, unique_tokens: ArrayLike, *, law: ChinchillaLaw = MUENNIGHOFF_2023_C4,
                     r_star: float = MUENNIGHOFF_2023_R_N) -> float | np.ndarray:
    """N' = U_N + U_N R*_N (1 - exp(-R_N / R*_N)) with R_N = max(N / U_N - 1, 0) (Muennighoff et al. 2023,
    Eq. 6): parameters beyond the compute-optimal size for the unique data are worth less and less."""
    n = v.positive(n_params, "n_params")
    base = np.asarray(unique_params(unique_tokens, n, law=law))
    r = v.scalar(r_star, "r_star")
    excess = np.maximum(n / base - 1.0, 0.0)
    return v.scalar_or_array(base + base * r * -np.expm1(-excess / r))


def data_constrained_loss(n_params: ArrayLike, n_tokens: ArrayLike, unique_tokens: ArrayLike, *,
                          law: ChinchillaLaw = MUENNIGHOFF_2023_C4, r_d_star: float = MUENNIGHOFF_2023_R_D,
                          r_n_star: float = MUENNIGHOFF_2023_R_N) -> float | np.ndarray:
    """L = E + A / N'**alpha + B / D'**beta for a model of ``n_params`` trained on ``n_tokens`` tokens drawn
    from ``unique_tokens`` unique ones (Muennighoff et al. 2023, Eq. 6). Fewer tokens than the unique ones
    means one partial pass: U_D = min(unique, tokens)."""
    v.law(law, ChinchillaLaw)
    n = v.positive(n_params, "n_params")
    d = v.positive(n_tokens, "n_tokens")
    u = np.minimum(v.positive(unique_tokens, "unique_tokens"), d)
    d_eff = np.asarray(effective_tokens(u, d / u, r_star=r_d_star))
    n_eff = np.asarray(effective_params(n, u, law=law, r_star=r_n_star))
    return v.scalar_or_array(law.E + law.A * n_eff ** (-law.alpha) + law.B * d_eff ** (-law.beta))


def data_constrained_optimum(flops: ArrayLike, unique_tokens: ArrayLike, *, law: ChinchillaLaw = MUENNIGHOFF_2023_C4,
                             r_d_star: float = MUENNIGHOFF_2023_R_D, r_n_star: float = MUENNIGHOFF_2023_R_N,
                             points: int = 4001) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(n_params, n_tokens, loss)`` of the lowest data-constrained loss for ``flops`` FLOPs (C = 6 N D) with
    ``unique_tokens`` unique tokens, by a search over log N (``points`` sizes from 10**-4 to 10**2 times
    the unconstrained optimum, refined by a parabola through the best three). Broadcasts its inputs."""
    v.law(law, ChinchillaLaw)
    c, u = np.broadcast_arrays(v.positive(flops, "flops"), v.positive(unique_tokens, "unique_tokens"))
    count = v.positive_int(points, "points")
    if count < 101:
        raise ValueError(f"points must be at least 101, got {count}")
    n_free, _ = law.compute_optimal(c)
    log_grid = np.linspace(np.log(1e-4), np.log(1e2), count)
    log_n = np.log(np.asarray(n_free))[..., None] + log_grid
    n = np.exp(log_n)
    losses = np.asarray(data_constrained_loss(n, training_tokens(c[..., None], n), u[..., None], law=law,
                                              r_d_star=r_d_star, r_n_star=r_n_star))
    best = np.clip(np.argmin(losses, axis=-1), 1, count - 2)
    take = np.take_along_axis
    y = [take(losses, (best + k)[..., None], axis=-1)[..., 0] for k in (-1, 0, 1)]
    step = log_grid[1] - log_grid[0]
    curvature = y[0] - 2 * y[1] + y[2]
    shift = np.where(curvature > 0, 0.5 * (y[0] - y[2]) / np.where(curvature > 0, curvature, 1.0), 0.0)
    n_best = np.exp(take(log_n, best[..., None], axis=-1)[..., 0] + shift * step)
    d_best = np.asarray(training_tokens(c, n_best))
    loss = np.asarray(data_constrained_loss(n_best, d_best, u, law=law, r_d_star=r_d_star, r_n_star=r_n_star))
    return v.scalar_or_array(n_best), v.scalar_or_array(d_best), v.scalar_or_array(loss)
