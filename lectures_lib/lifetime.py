"""Training for the cost of a model's whole life: training plus inference.

Training costs about 6 N D_train FLOPs and serving costs about 2 N FLOPs per token, so a model that
will serve D_inf tokens costs 6 N D_train + 2 N D_inf over its life. Sardana et al. 2024, "Beyond
Chinchilla-Optimal: Accounting for Inference in Language Model Scaling Laws" (arXiv 2401.00448,
Sec. 2, Eq. 3) minimise that total at a fixed target loss under a Chinchilla law; De Vries 2023
("Go smol or go home") asks how much extra training a smaller model needs to match the
compute-optimal loss.

Every function that needs a law takes it as the keyword ``law``; its default is the law Sardana et al.
use, :data:`SARDANA_2024`.
"""

from __future__ import annotations

import numpy as np

from . import _validate as v
from ._validate import ArrayLike
from .chinchilla import ChinchillaLaw
from .compute import INFERENCE_FLOPS_PER_PARAM_TOKEN, TRAINING_FLOPS_PER_PARAM_TOKEN

#: The law Sardana et al. 2024 use (Hoffmann et al.'s A, B, E with alpha = 0.336, beta = 0.283,
#: following De Vries 2023).
SARDANA_2024 = ChinchillaLaw(E=1.69, A=406.4, B=410.7, alpha=0.336, beta=0.283)


def lifetime_flops(n_params: ArrayLike, train_tokens: ArrayLike, inference_tokens: ArrayLike) -> float | np.ndarray:
    """Total FLOPs over a model's life: 6 N D_train for training plus 2 N D_inf for serving.

    ``inference_tokens`` counts every token processed or generated after training (prompts and
    outputs); it may be 0. Sardana et al. 2024, Eq. 3.
    """
    n = v.positive(n_params, "n_params")
    d = v.positive(train_tokens, "train_tokens")
    d_inf = v.non_negative(inference_tokens, "inference_tokens")
    return v.scalar_or_array(TRAINING_FLOPS_PER_PARAM_TOKEN * n * d + INFERENCE_FLOPS_PER_PARAM_TOKEN * n * d_inf)


def break_even_inference_tokens(train_tokens: ArrayLike) -> float | np.ndarray:
    """Inference tokens after which serving has cost as much as training: 3 D_train (N cancels)."""
    d = v.positive(train_tokens, "train_tokens")
    return v.scalar_or_array(TRAINING_FLOPS_PER_PARAM_TOKEN / INFERENCE_FLOPS_PER_PARAM_TOKEN * d)


def _reducible(law: ChinchillaLaw, target_loss: ArrayLike) -> np.ndarray:
    v.law(law, ChinchillaLaw)
    ell = v.finite(target_loss, "target_loss")
    if (ell <= law.E).any():
        raise ValueError(
            f"target_loss must be above the law's irreducible loss E = {law.E:g}: no finite model reaches "
            f"{ell.min():g}"
        )
    return ell - law.E


def _size_and_data(law: ChinchillaLaw, reducible: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """N and D whose two penalties are u and 1 - u of the reducible loss (the curve of constant loss)."""
    n = (law.A / (u * reducible)) ** (1.0 / law.alpha)
    d = (law.B / ((1.0 - u) * reducible)) ** (1.0 / law.beta)
    return n, d


def equal_loss_models(target_loss: float, shares: ArrayLike, *, law: ChinchillaLaw = SARDANA_2024
                      ) -> tuple[np.ndarray, np.ndarray]:
    """``(n_params, n_tokens)`` of the models reaching ``target_loss``, one per share u in (0, 1) of the
    reducible loss that is due to model size: A N**-alpha = u (L - E), B D**-beta = (1 - u) (L - E)."""
    reducible = _reducible(law, target_loss)
    u = v.in_range(shares, "shares", 0.0, 1.0, low_open=True)
    if (u >= 1).any():
        raise ValueError("shares must lie strictly between 0 and 1")
    return _size_and_data(law, reducible, u)


def lifetime_optimal(target_loss: ArrayLike, inference_tokens: ArrayLike, *, law: ChinchillaLaw = SARDANA_2024
                     ) -> tuple[float | np.ndarray, float | np.ndarray]:
    """``(n_params, train_tokens)`` reaching ``target_loss`` with the fewest lifetime FLOPs.

    Minimises 6 N D + 2 N D_inf subject to L(N, D) = target_loss (Sardana et al. 2024, Eq. 3).
    Writing u for the share of the reducible loss due to model size, the optimum satisfies
    3 D(u) [(alpha/beta) u/(1 - u) - 1] = D_inf, whose left side rises from 0 to infinity on
    (beta/(alpha+beta), 1); it is solved by bisection, vectorised over ``inference_tokens`` (and
    ``target_loss``, which broadcast). With no inference this is the Chinchilla optimum.
    """
    reducible = _reducible(law, target_loss)
    d_inf = v.non_negative(inference_tokens, "inference_tokens")
    reducible, d_inf = np.broadcast_arrays(reducible, d_inf)
    ratio = law.alpha / law.beta
    low = np.full(d_inf.shape, law.beta / (law.alpha + law.beta))
    high = np.ones(d_inf.shape)

    def excess(u: np.ndarray) -> np.ndarray:
        _, d = _size_and_data(law, reducible, u)
        return 3.0 * d * (ratio * u / (1.0 - u) - 1.0) - d_inf

    for _ in range(200):  # halves the bracket to machine precision in u
        mid = 0.5 * (low + high)
        positive = excess(mid) > 0
        high = np.where(positive, mid, high)
        low = np.where(positive, low, mid)
        if np.all(high - low <= 4 * np.finfo(float).eps * high):
            break
    n, d = _size_and_data(law, reducible, 0.5 * (low + high))
    return v.scalar_or_array(n), v.scalar_or_array(d)


def lifetime_savings(n_params: ArrayLike, inference_tokens: ArrayLike, *, law: ChinchillaLaw = SARDANA_2024
                     ) -> float | np.ndarray:
    """Fraction of lifetime FLOPs saved by the inference-aware optimum over the compute-optimal model
    of ``n_params`` parameters (trained on its compute-optimal tokens), at the same loss."""
    v.law(law, ChinchillaLaw)
    n = v.positive(n_params, "n_params")
    d = law.tokens_for_params(n)
    target = law.loss(n, d)
    d_inf = v.non_negative(inference_tokens, "inference_tokens")
    n_star, d_star = lifetime_optimal(target, d_inf, law=law)
    return v.scalar_or_array(1.0 - np.asarray(lifetime_flops(n_star, d_star, d_inf)) / lifetime_flops(n, d, d_inf))


def compute_optimal_equivalent(n_params: ArrayLike, n_tokens: ArrayLike, *, law: ChinchillaLaw = SARDANA_2024
                               ) -> tuple[float | np.ndarray, float | np.ndarray, float | np.ndarray]:
    """Compare a trained model with the compute-optimal run that reaches the same predicted loss.

    Returns ``(equivalent_flops, size_fraction, overhead)``: the budget of that compute-optimal run,
    the model's size as a fraction of that run's size, and the extra training compute the model
    spent, 6 N D / equivalent_flops - 1 (0 for a compute-optimal model).
    """
    v.law(law, ChinchillaLaw)
    n = v.positive(n_params, "n_params")
    d = v.positive(n_tokens, "n_tokens")
    equivalent = np.asarray(law.flops_for_loss(law.loss(n, d)))
    size_fraction = n / np.asarray(law.compute_optimal(equivalent)[0])
    overhead = TRAINING_FLOPS_PER_PARAM_TOKEN * n * d / equivalent - 1.0
    return v.scalar_or_array(equivalent), v.scalar_or_array(size_fraction), v.scalar_or_array(overhead)


def critical_size_fraction(*, law: ChinchillaLaw = SARDANA_2024) -> float:
    """The smallest model, as a fraction of the compute-optimal size, that can reach the compute-optimal
    loss at all (with unlimited data): (1 + alpha/beta)**(-1/alpha). Independent of the budget."""
    v.law(law, ChinchillaLaw)
    return float((1.0 + law.alpha / law.beta) ** (-1.0 / law.alpha))


def size_overhead(size_fraction: ArrayLike, *, law: ChinchillaLaw = SARDANA_2024) -> float | np.ndarray:
    """Extra training compute, as a fraction of the compute-optimal budget, needed to reach the
    compute-optimal loss with a model ``size_fraction`` times the compute-optimal size.

    With k = size_fraction, the tokens needed grow by [1 + (beta/alpha)(1 - k**-alpha)]**(-1/beta), so
    the compute grows by k times that (De Vries 2023). The result does not depend on the budget. At or
    below :func:`critical_size_fraction` no amount of training suffices and the overhead is infinite.
    Accepts 0 < size_fraction <= 1.
    """
    v.law(law, ChinchillaLaw)
    k = v.in_range(size_fraction, "size_fraction", 0.0, 1.0, low_open=True)
    bracket = 1.0 + (law.beta / law.alpha) * (1.0 - k ** (-law.alpha))
    with np.errstate(divide="ignore", invalid="ignore"):
        overhead = np.where(bracket > 0, k * np.abs(bracket) ** (-1.0 / law.beta) - 1.0, np.inf)
    return v.scalar_or_array(overhead)


def option_costs(inference_tokens: ArrayLike, n_params: float, *, api_dollars_per_million_tokens: float,
                 training_dollars_per_exaflop: float, serving_dollars_per_exaflop: float, finetune_tokens: float,
                 pretrain_tokens: float) -> dict[str, float | np.ndarray]:
    """Dollar cost of serving ``inference_tokens`` tokens three ways, under stated assumptions.

    * ``"use an API"``: the tokens at ``api_dollars_per_million_tokens``;
    * ``"fine-tune an open model"``: 6 N D_ft training FLOPs plus 2 N serving FLOPs per token;
    * ``"pre-train your own"``: 6 N D_pre training FLOPs plus the same serving.

    Compute is priced per 1e18 FLOPs actually delivered, separately for training and for serving
    (token-by-token generation uses accelerators less efficiently, so its FLOPs cost more). These are
    teaching assumptions, not market prices: vary them.
    """
    d_inf = v.non_negative(inference_tokens, "inference_tokens")
    n = float(v.positive(n_params, "n_params"))
    api = float(v.non_negative(api_dollars_per_million_tokens, "api_dollars_per_million_tokens"))
    train_price = float(v.positive(training_dollars_per_exaflop, "training_dollars_per_exaflop")) / 1e18
    serve_price = float(v.positive(serving_dollars_per_exaflop, "serving_dollars_per_exaflop")) / 1e18
    d_ft = float(v.non_negative(finetune_tokens, "finetune_tokens"))
    d_pre = float(v.positive(pretrain_tokens, "pretrain_tokens"))
    serving = INFERENCE_FLOPS_PER_PARAM_TOKEN * n * d_inf * serve_price
    return {
        "use an API": v.scalar_or_array(api * d_inf / 1e6),
        "fine-tune an open model": v.scalar_or_array(TRAINING_FLOPS_PER_PARAM_TOKEN * n * d_ft * train_price + serving),
        "pre-train your own": v.scalar_or_array(TRAINING_FLOPS_PER_PARAM_TOKEN * n * d_pre * train_price + serving),
    }


def payback_inference_tokens(n_params: ArrayLike, n_tokens: ArrayLike, *, law: ChinchillaLaw = SARDANA_2024
                             ) -> float | np.ndarray:
    """Inference tokens after which a model trained past the optimum has cost fewer lifetime FLOPs than the
    compute-optimal model of the same predicted loss (the break-even usage of training longer).

    With N_eq, C_eq the size and budget of that compute-optimal model (:func:`compute_optimal_equivalent`),
    the extra training 6 N D - C_eq is repaid at 2 (N_eq - N) FLOPs per inference token, so the break-even
    is (6 N D - C_eq) / (2 (N_eq - N)). It is 0 for a compute-optimal model and infinite for a model larger
    than N_eq (trained on too few tokens: it pays more per token too).
    """
    v.law(law, ChinchillaLaw)
    n = v.positive(n_params, "n_params")
    d = v.positive(n_tokens, "n_tokens")
    equivalent, fraction, _ = compute_optimal_equivalent(n, d, law=law)
    extra = TRAINING_FLOPS_PER_PARAM_TOKEN * n * d - np.asarray(equivalent)
    smaller_by = n / np.asarray(fraction) - n  # N_eq - N
    with np.errstate(divide="ignore", invalid="ignore"):
        tokens = extra / (INFERENCE_FLOPS_PER_PARAM_TOKEN * smaller_by)
    near_optimal = np.abs(np.asarray(fraction) - 1.0) < 1e-9
    tokens = np.where(near_optimal, 0.0, np.where(smaller_by > 0, np.maximum(tokens, 0.0), np.inf))
    return v.scalar_or_array(tokens)


# ------------------------------------------------------------------------------------------------
# The second cost of serving: memory (weights and KV cache) and memory bandwidth
# ------------------------------------------------------------------------------------------------
def weight_bytes(n_params: ArrayLike, bytes_per_param: float = 2.0) -> float | np.ndarray:
    """Bytes of memory the weights take: N times ``bytes_per_param`` (2 for bf16, 1 for 8-bit, 0.5 for 4-bit)."""
    n = v.positive(n_params, "n_params")
    width = v.positive(bytes_per_param, "bytes_per_param")
    return v.scalar_or_array(n * width)


def kv_cache_bytes_per_token(n_layers: ArrayLike, n_kv_heads: ArrayLike, head_dim: ArrayLike,
                             bytes_per_value: float = 2.0) -> float | np.ndarray:
    """Bytes the KV cache holds per token of context: 2 (a key and a value) x layers x KV heads x head size
    x bytes per value. With grouped-query attention, ``n_kv_heads`` is the number of key/value heads,
    not of query heads."""
    layers = v.positive(n_layers, "n_layers")
    heads = v.positive(n_kv_heads, "n_kv_heads")
    size = v.positive(head_dim, "head_dim")
    width = v.positive(bytes_per_value, "bytes_per_value")
    return v.scalar_or_array(2.0 * layers * heads * size * width)


def decode_step(n_params: ArrayLike, batch_size: ArrayLike, context_tokens: ArrayLike,
                kv_bytes_per_token: ArrayLike, bytes_per_param: float = 2.0
                ) -> tuple[float | np.ndarray, float | np.ndarray]:
    """``(flops, bytes_read)`` of one decoding step that generates one token for each of ``batch_size``
    sequences holding ``context_tokens`` tokens of context each.

    Each step multiplies every weight once per sequence (2 N FLOPs per token; the attention scores over the
    context are left out) and must read every weight and every sequence's KV cache from memory once. Their
    ratio, FLOPs per byte, says whether the step is limited by arithmetic or by memory bandwidth.
    """
    n = v.positive(n_params, "n_params")
    batch = v.positive(batch_size, "batch_size")
    context = v.non_negative(context_tokens, "context_tokens")
    kv = v.non_negative(kv_bytes_per_token, "kv_bytes_per_token")
    flops = INFERENCE_FLOPS_PER_PARAM_TOKEN * n * batch
    read = np.asarray(weight_bytes(n, bytes_per_param)) + batch * context * kv
    return v.scalar_or_array(flops), v.scalar_or_array(read)


def markdown_table(header: list[str] | tuple[str, ...], rows: list) -> str:
    """A Markdown table (for ``IPython.display.Markdown``) with one line per item of ``rows``, whose cells
    are already formatted. The first column is left-aligned, the others (numbers) right-aligned."""
    if not isinstance(header, (list, tuple)) or not header:
        raise TypeError("header must be a non-empty list of column names")
    lines = ["| " + " | ".join(str(h) for h in header) + " |",
             "|" + "|".join([":---"] + ["---:"] * (len(header) - 1)) + "|"]
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"rows must have {len(header)} cells each, got {len(row)}: {row!r}")
        lines.append("| " + " | ".join(str(cell) for cell in row) + " |")
    return "\n".join(lines)
