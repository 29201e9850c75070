"""Why loss falls as a power law: Zipf-distributed facts, a memorising learner, and a model of limited capacity.

The toy model of Hutter 2021 ("Learning Curve Theory", arXiv 2102.04074): queries ask about facts
i = 1, 2, 3, ... drawn with probabilities theta_i proportional to i**-(1 + alpha) (alpha-Zipf). A learner that
memorises every fact it has seen answers a query wrongly only if its fact never appeared in the n training
samples, so its expected error is

    sum_i theta_i (1 - theta_i)**n  ~  n**-(alpha / (1 + alpha)),

a power law in the data with exponent beta = alpha / (1 + alpha) (Hutter's abstract). Facts of equal
frequency (uniform data) give no power law: the error stays near one and then collapses.

The quantization model of Michaud et al. 2023 (arXiv 2303.13506, Sec. 2) reads the facts as "quanta" of
skill learned in order of frequency. A model that can hold only the ``capacity`` most frequent quanta has,
with unlimited data, the error sum_{i > capacity} theta_i ~ capacity**-alpha: the parameter exponent is
alpha and the data exponent alpha / (1 + alpha).

Every fact population here is the first ``n_facts`` facts of an *infinite* Zipf population (normalised
with the Hurwitz zeta function); the facts beyond them form a tail that the functions count as never
learned. That is exact as long as the data rarely reach the tail (``n_samples * theta[-1]`` much below 1),
which :func:`tail_occupancy` measures.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from . import _validate as v
from ._validate import ArrayLike
from .power_laws import fit_power_law

__all__ = ["accuracy_by_frequency", "allocation_exponent", "capacity_error", "data_exponent",
           "error_by_rank_class", "expected_error", "fitted_exponent", "params_exponent", "samples_to_reach",
           "simulate_error", "tail_occupancy", "uniform_probabilities", "zipf_alpha_for_data_exponent",
           "zipf_probabilities"]

#: The largest population the functions accept (memory: one float per fact).
MAX_FACTS = 50_000_000


def _alpha(alpha: ArrayLike, name: str = "alpha") -> np.ndarray:
    return v.in_range(alpha, name, 0.0, 20.0, low_open=True)


def _facts(n_facts: object) -> int:
    return v.positive_int(n_facts, "n_facts", maximum=MAX_FACTS)


# ------------------------------------------------------------------------------------------------
# Populations of facts
# ------------------------------------------------------------------------------------------------
def zipf_probabilities(n_facts: int, alpha: float, offset: float = 0.0) -> np.ndarray:
    """theta_i = (i + offset)**-(1 + alpha) / zeta(1 + alpha, 1 + offset) for i = 1..n_facts.

    The probabilities of the ``n_facts`` most frequent facts of an infinite alpha-Zipf population (Hutter
    2021; Michaud et al. 2023 write p_k proportional to k**-(alpha + 1)); they sum to less than one, and the
    rest, ``1 - sum``, is the tail of rarer facts. ``offset`` >= 0 flattens the head, as in the
    (i + b)**power form of the lecture's figure.
    """
    count = _facts(n_facts)
    a = v.scalar(alpha, "alpha", _alpha)
    b = v.scalar(offset, "offset", v.non_negative)
    ranks = np.arange(1, count + 1, dtype=float)
    return (ranks + b) ** (-(1.0 + a)) / special.zeta(1.0 + a, 1.0 + b)


def uniform_probabilities(n_facts: int) -> np.ndarray:
    """``n_facts`` equally frequent facts, 1 / n_facts each, with no tail."""
    count = _facts(n_facts)
    return np.full(count, 1.0 / count)


def _probabilities(probabilities: ArrayLike) -> np.ndarray:
    theta = v.one_dimensional(v.positive(probabilities, "probabilities"), "probabilities", 1)
    total = float(theta.sum())
    if total > 1.0 + 1e-9:
        raise ValueError(f"probabilities must sum to at most 1 (the rest is the tail), got {total:.6g}")
    if np.any(np.diff(theta) > 1e-15 * theta[:-1]):
        raise ValueError("probabilities must be sorted from the most to the least frequent fact")
    return theta


def _capacity(capacity: object, n_facts: int) -> int:
    if capacity is None:
        return n_facts
    return min(v.positive_int(capacity, "capacity"), n_facts)


# ------------------------------------------------------------------------------------------------
# Exponents
# ------------------------------------------------------------------------------------------------
def data_exponent(alpha: ArrayLike) -> float | np.ndarray:
    """beta = alpha / (1 + alpha): the learning-curve exponent of alpha-Zipf data (Hutter 2021, abstract;
    Michaud et al. 2023's alpha_D)."""
    a = _alpha(alpha)
    return v.scalar_or_array(a / (1.0 + a))


def params_exponent(alpha: ArrayLike) -> float | np.ndarray:
    """alpha_N = alpha: the exponent of the error in the number of quanta a model holds (Michaud et al. 2023)."""
    return v.scalar_or_array(_alpha(alpha))


def allocation_exponent(alpha: ArrayLike) -> float | np.ndarray:
    """a = 1 / (alpha + 2): the exponent of the compute-optimal size, N_opt ~ C**a, implied by alpha_N = alpha
    and alpha_D = alpha / (1 + alpha) in a Chinchilla-form law (a = alpha_D / (alpha_N + alpha_D))."""
    a = _alpha(alpha)
    return v.scalar_or_array(1.0 / (a + 2.0))


def zipf_alpha_for_data_exponent(beta: ArrayLike) -> float | np.ndarray:
    """The Zipf alpha whose learning curve has exponent ``beta`` in (0, 1): alpha = beta / (1 - beta)."""
    b = v.in_range(beta, "beta", 0.0, 1.0, low_open=True)
    if (b >= 1).any():
        raise ValueError("beta must lie strictly between 0 and 1: alpha / (1 + alpha) never reaches 1")
    return v.scalar_or_array(b / (1.0 - b))


# ------------------------------------------------------------------------------------------------
# The memorising learner
# ------------------------------------------------------------------------------------------------
def expected_error(probabilities: ArrayLike, n_samples: ArrayLike, capacity: int | None = None
                   ) -> float | np.ndarray:
    """Expected error of the memorising learner after ``n_samples`` samples (any shape, >= 0).

    sum_{i <= capacity} theta_i (1 - theta_i)**n + (mass of the facts it cannot hold: those beyond
    ``capacity`` and the tail). With ``capacity`` None the learner holds every fact it has seen.
    """
    theta = _probabilities(probabilities)
    n = v.non_negative(n_samples, "n_samples")
    held = theta[:_capacity(capacity, theta.size)]
    unreachable = max(1.0 - float(held.sum()), 0.0)
    log_miss = np.log1p(-np.minimum(held, 1.0 - 1e-16))
    flat = n.reshape(-1)
    errors = np.array([float(np.sum(held * np.exp(count * log_miss))) for count in flat]) + unreachable
    return v.scalar_or_array(errors.reshape(n.shape))


def simulate_error(probabilities: ArrayLike, n_samples: ArrayLike, seed: int = 0, capacity: int | None = None
                   ) -> np.ndarray:
    """One simulated learning curve: the error after each of ``n_samples`` (increasing whole numbers).

    Samples are drawn i.i.d. from ``probabilities`` (plus the tail as one more outcome) in batches, one
    multinomial draw per interval between checkpoints, so the cost grows with the number of facts and
    checkpoints, not with the number of samples. The learner knows a fact once it has seen it, and holds
    at most the ``capacity`` most frequent facts. The error is the probability mass of the facts it does
    not know. ``seed`` makes the curve repeatable.
    """
    theta = _probabilities(probabilities)
    n = v.one_dimensional(v.non_negative(n_samples, "n_samples"), "n_samples", 1)
    if np.any(n != np.round(n)) or np.any(np.diff(n) <= 0):
        raise ValueError("n_samples must be increasing whole numbers")
    holdable = _capacity(capacity, theta.size)
    rng = np.random.default_rng(v.seed(seed))
    outcomes = np.append(theta, max(1.0 - float(theta.sum()), 0.0))
    outcomes /= outcomes.sum()
    seen = np.zeros(theta.size, dtype=bool)
    errors = np.empty(n.size)
    drawn = 0
    for k, target in enumerate(n.astype(np.int64)):
        counts = rng.multinomial(int(target) - drawn, outcomes)
        seen |= counts[:-1] > 0
        drawn = int(target)
        errors[k] = 1.0 - float(np.sum(theta[:holdable][seen[:holdable]]))  # pairwise sum: same in any thread
    return errors


def tail_occupancy(probabilities: ArrayLike, n_samples: ArrayLike) -> float | np.ndarray:
    """Expected number of samples, out of ``n_samples``, that fall beyond the listed facts.

    The functions here count every tail fact as unknown; the count says how much that can matter (the
    error it adds is at most this number divided by ``n_samples`` times the rarest listed probability)."""
    theta = _probabilities(probabilities)
    n = v.non_negative(n_samples, "n_samples")
    return v.scalar_or_array(n * max(1.0 - float(theta.sum()), 0.0))


def samples_to_reach(rank: ArrayLike, alpha: float, offset: float = 0.0) -> float | np.ndarray:
    """Samples after which the fact of ``rank`` (>= 1) is expected once: 1 / theta_rank of the infinite
    alpha-Zipf population of :func:`zipf_probabilities`. A useful scale for data: after n samples the
    learner knows roughly the facts up to the rank with samples_to_reach(rank) = n."""
    r = v.in_range(rank, "rank", 1.0, float(MAX_FACTS))
    a = v.scalar(alpha, "alpha", _alpha)
    b = v.scalar(offset, "offset", v.non_negative)
    return v.scalar_or_array((r + b) ** (1.0 + a) * special.zeta(1.0 + a, 1.0 + b))


def capacity_error(capacity: ArrayLike, alpha: float, offset: float = 0.0) -> float | np.ndarray:
    """Error with unlimited data of a model holding the ``capacity`` most frequent facts of an infinite
    alpha-Zipf population: zeta(1 + alpha, capacity + 1 + offset) / zeta(1 + alpha, 1 + offset), which falls
    as capacity**-alpha (Michaud et al. 2023's alpha_N = alpha). ``capacity`` >= 0, any shape."""
    k = v.non_negative(capacity, "capacity")
    a = v.scalar(alpha, "alpha", _alpha)
    b = v.scalar(offset, "offset", v.non_negative)
    return v.scalar_or_array(special.zeta(1.0 + a, k + 1.0 + b) / special.zeta(1.0 + a, 1.0 + b))


def accuracy_by_frequency(probabilities: ArrayLike, n_samples: float, class_edges: ArrayLike,
                          capacity: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Expected accuracy on each frequency class after ``n_samples`` samples.

    A fact's class is its expected number of occurrences in the training data, n * theta_i, binned by the
    increasing ``class_edges`` (class j holds [edges[j], edges[j+1])). A fact is known with probability
    1 - (1 - theta_i)**n if it is among the ``capacity`` most frequent, else never. The accuracy of a class
    is the share of its queries answered right. Returns ``(lower_edges, accuracy)`` for the classes that
    hold at least one listed fact.
    """
    theta = _probabilities(probabilities)
    n = v.scalar(n_samples, "n_samples")
    edges = v.one_dimensional(v.positive(class_edges, "class_edges"), "class_edges", 2)
    if np.any(np.diff(edges) <= 0):
        raise ValueError("class_edges must be strictly increasing")
    holdable = _capacity(capacity, theta.size)
    known = -np.expm1(n * np.log1p(-np.minimum(theta, 1.0 - 1e-16)))
    known[holdable:] = 0.0
    classes = np.searchsorted(edges, n * theta, side="right") - 1
    inside = (classes >= 0) & (classes < edges.size - 1)
    mass = np.bincount(classes[inside], weights=theta[inside], minlength=edges.size - 1)
    right = np.bincount(classes[inside], weights=(theta * known)[inside], minlength=edges.size - 1)
    filled = mass > 0
    return edges[:-1][filled], right[filled] / mass[filled]


def error_by_rank_class(probabilities: ArrayLike, n_samples: ArrayLike, rank_edges: ArrayLike) -> np.ndarray:
    """Expected error of the memorising learner within classes of facts, after each of ``n_samples``.

    Class j holds the facts of rank ``rank_edges[j]`` to ``rank_edges[j+1] - 1`` (whole numbers from 1 to
    n_facts + 1, increasing). Returns an array of shape (classes, len(n_samples)): the share of each class's
    queries the learner still gets wrong, from 1 with no data down to 0 once every fact of the class is seen.
    """
    theta = _probabilities(probabilities)
    n = v.one_dimensional(v.non_negative(n_samples, "n_samples"), "n_samples", 1)
    edges = v.one_dimensional(v.in_range(rank_edges, "rank_edges", 1, theta.size + 1), "rank_edges", 2)
    if np.any(edges != np.round(edges)) or np.any(np.diff(edges) <= 0):
        raise ValueError("rank_edges must be increasing whole numbers")
    log_miss = np.log1p(-np.minimum(theta, 1.0 - 1e-16))
    starts = edges.astype(np.int64) - 1
    rows = []
    for low, high in zip(starts[:-1], starts[1:], strict=True):
        part, miss = theta[low:high], log_miss[low:high]
        rows.append(np.array([np.sum(np.exp(count * miss) * part) for count in n]) / part.sum())
    return np.array(rows)


def fitted_exponent(n_samples: ArrayLike, error: ArrayLike) -> float:
    """The exponent of a straight-line fit of log error on log n (:func:`lectures_lib.power_laws.fit_power_law`)."""
    return fit_power_law(n_samples, error).exponent
