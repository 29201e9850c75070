"""Answer key of exercise 5 (instructor material: the grader loads it with --source; never installed)."""

import numpy as np

from lectures_lib import moe
from lectures_lib.exercises.core import letter_of
from lectures_lib.exercises.ex05_mixture_of_experts import BYTES_PER_PARAM, EXERCISE, LAW
from lectures_lib.exercises.key import Answer, Key


def _gate_weights(logits, k):
    """Dense (tokens, experts) gates: softmax over each token's k largest logits, zero elsewhere."""
    logits = np.asarray(logits, dtype=float)
    index, weights = moe.top_k_route(logits, int(k))
    gates = np.zeros_like(logits)
    np.put_along_axis(gates, index, weights, axis=1)
    return gates


def _logit_cases(rng):
    cases = []
    for _ in range(6):
        tokens, experts = int(rng.integers(1, 40)), int(rng.integers(2, 17))
        cases.append((rng.standard_normal((tokens, experts)) * rng.uniform(0.5, 4), int(rng.integers(1, experts + 1))))
    return cases


def _balancing_loss(router_probs, alpha):
    probs = np.asarray(router_probs, dtype=float)
    return moe.load_balancing_loss(probs, probs.argmax(axis=1), alpha)


def _prob_cases(rng):
    cases = []
    for _ in range(6):
        tokens, experts = int(rng.integers(2, 60)), int(rng.integers(2, 33))
        logits = rng.standard_normal((tokens, experts)) * rng.uniform(0.3, 5)
        cases.append((moe.softmax(logits), float(rng.choice([1e-3, 1e-2, 0.1]))))
    return cases


def _partial_collapse_loss(alpha, n_experts, n_used, confidence):
    """Tokens spread evenly over n_used of n_experts experts, each token giving its expert probability
    ``confidence`` and the rest evenly to the other n_experts - 1: alpha N [q/m + (1 - 1/m)(1 - q)/(N - 1)]."""
    return alpha * n_experts * (confidence / n_used + (1 - 1 / n_used) * (1 - confidence) / (n_experts - 1))


def _collapse_cases(rng):
    cases = []
    for index in range(6):
        n = int(rng.integers(2, 300))
        m = rng.integers(1, n + 1, size=4) if index == 5 else int(rng.integers(1, n + 1))
        cases.append((float(rng.choice([1e-3, 1e-2, 0.1])), n, m, float(rng.uniform(1 / n, 1.0))))
    return cases


def _config(config):
    return moe.MoEConfig("student", **config)


def _design_letter(variant):
    q6 = variant.q6
    budget = q6.n_accelerators * q6.accelerator_gb * 1e9
    fits = [_config(q6[f"design_{name}"]) for name in "AB"
            if _config(q6[f"design_{name}"]).total_params * BYTES_PER_PARAM <= budget]
    assert len(fits) == 1
    return letter_of(q6.options, float(f"{2 * fits[0].active_params / 1e9:.3g}"))


def _optimal_tokens(variant):
    q8 = variant.q8
    share = moe.expansion_active_fraction(q8.expansion)
    return float(LAW.compute_optimal(q8.flops, share, q8.granularity)[1])


CONFIG_RULES = ("lectures_lib.moe.MoEConfig", "*.total_params", "*.active_params")

KEY = Key(EXERCISE, {
    "q1": Answer(_gate_weights, _logit_cases,
                 forbidden=("lectures_lib.moe.top_k_route", "lectures_lib.moe.moe_forward")),
    "q2": Answer(_balancing_loss, _prob_cases, forbidden=("lectures_lib.moe.load_balancing_loss",)),
    "q3": Answer(_partial_collapse_loss, _collapse_cases, forbidden=("lectures_lib.moe.load_balancing_loss",)),
    "q4": Answer(lambda v: float(_config(v.q4.config).total_params), forbidden=CONFIG_RULES),
    "q5": Answer(lambda v: float(_config(v.q4.config).active_params), forbidden=CONFIG_RULES),
    "q6": Answer(_design_letter, forbidden=CONFIG_RULES),
    "q7": Answer(rubric=(
        "One point for the diagnosis: the router has collapsed (or is collapsing) onto the few busy experts; the "
        "others receive almost no tokens, so they are stored and served but barely trained; the busy ones overflow "
        "their capacity, so a large share of assignments is dropped and passes the layer only through the residual "
        "connection. Half a point if only 'unbalanced' is said without the consequences (drops, wasted experts). "
        "One point for the cause and a cure, half each: cause, a rich-get-richer feedback (an expert that gets "
        "more tokens is trained more, scores better and is chosen more; nothing in the language-modelling loss "
        "asks for balance, and the balancing term, if any, is too weak: a Switch loss over alpha near its maximum "
        "N says so); cure, a balancing loss alpha N sum f_i P_i with a large enough alpha (about 0.01), or "
        "DeepSeek-V3's per-expert bias updated by gamma against the load, possibly with a larger capacity factor "
        "to limit drops meanwhile (which costs compute and memory and does not fix the imbalance). Raising the "
        "capacity factor alone earns no credit for the cure.")),
    "q8": Answer(_optimal_tokens, forbidden=("*.compute_optimal", "*.as_chinchilla_law",
                                             "lectures_lib.moe.expansion_active_fraction")),
})
