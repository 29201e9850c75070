"""Answer key of exercise 1 (instructor material: the grader loads it with --source; never installed)."""

import numpy as np

from lectures_lib import compute, kaplan
from lectures_lib.exercises.core import letter_of
from lectures_lib.exercises.ex01_kaplan import CHINCHILLA_TOKENS_PER_PARAM, EXERCISE
from lectures_lib.exercises.key import Answer, Key
from lectures_lib.power_laws import fit_power_law

JOINT = kaplan.KAPLAN_2020_JOINT
FRONTIER = kaplan.KAPLAN_2020_OPTIMAL_PARAMS


def _sizes_and_tokens(rng):
    n = 10 ** rng.uniform(6, 12, size=5)
    d = 10 ** rng.uniform(7, 13, size=5)
    return [(float(a), float(b)) for a, b in zip(n, d, strict=True)] + [(n, d)]


def _sizes_and_fractions(rng):
    n = 10 ** rng.uniform(6, 12, size=5)
    fraction = rng.uniform(0.01, 1.0, size=5)
    return [(float(a), float(f)) for a, f in zip(n, fraction, strict=True)] + [(n, float(fraction[0]))]


def _factors(rng):
    factors = rng.uniform(1.2, 20.0, size=5)
    return [(float(f),) for f in factors] + [(factors,)]


def _tokens_for_data_share(n_params, fraction):
    """D at which D_c / D = fraction * (N_c / N)**(alpha_N / alpha_D)."""
    return JOINT.d_c / fraction * (n_params / JOINT.n_c) ** (JOINT.alpha_n / JOINT.alpha_d)


def _budget_for_gap(factor):
    """PF-days at which Kaplan's N_opt is `factor` times the size of the 20-tokens-per-parameter rule.

    Kaplan: N = k C**0.73 (C in PF-days). The rule: C_flops = 6 N (20 N), so N = sqrt(PF_DAY / 120) C**0.5.
    """
    rule = np.sqrt(compute.PF_DAY_FLOPS / (compute.TRAINING_FLOPS_PER_PARAM_TOKEN * CHINCHILLA_TOKENS_PER_PARAM))
    return (factor * rule / FRONTIER.coefficient) ** (1.0 / (-FRONTIER.exponent - 0.5))


def _run(variant):
    q3 = variant.q3
    n_params = compute.transformer_params(q3.n_layers, q3.d_model)
    return n_params, q3.batch_tokens * q3.steps


def _run_pf_days(variant):
    return compute.flops_to_pf_days(compute.training_flops(*_run(variant)))


def _critical_batch(variant):
    return kaplan.critical_batch_size(kaplan.loss(*_run(variant)))


def _frontier_exponent(variant):
    """Best size per budget (argmin over the sizes tried), then the log-log least-squares slope."""
    q5 = variant.q5
    best = q5.sizes[np.arange(q5.sizes.shape[0]), np.argmin(q5.loss, axis=1)]
    return -fit_power_law(q5.pf_days, best).exponent


def _kaplan_letter(variant):
    q6 = variant.q6
    right = kaplan.compute_optimal_params(compute.flops_to_pf_days(q6.flops))
    return letter_of(q6.options, float(f"{right:.3g}"))


KEY = Key(EXERCISE, {
    "q1": Answer(kaplan.loss, _sizes_and_tokens,
                 forbidden=("lectures_lib.kaplan.loss", "lectures_lib.kaplan.KaplanJointLaw.loss")),
    "q2": Answer(_tokens_for_data_share, _sizes_and_fractions),
    "q3": Answer(_run_pf_days, forbidden=("lectures_lib.compute.training_flops",
                                          "lectures_lib.compute.flops_to_pf_days",
                                          "lectures_lib.compute.transformer_params")),
    "q4": Answer(_critical_batch, forbidden=("lectures_lib.kaplan.critical_batch_size",)),
    "q5": Answer(_frontier_exponent, forbidden=("lectures_lib.chinchilla.allocation_exponent",)),
    "q6": Answer(_kaplan_letter, forbidden=("lectures_lib.kaplan.compute_optimal_params",)),
    "q7": Answer(_budget_for_gap, _factors),
    "q8": Answer(rubric=(
        "Three points, one per part. (a) A checkpoint taken partway through a long cosine schedule has not yet had "
        "the final decay of the learning rate, which lowers the loss, so it reads higher than a run of that length "
        "whose schedule ends there; the gap is largest far from the end of the schedule and vanishes at its end. "
        "(b) The fitted frontier is a line through the optima of many budgets. A constant offset would move no "
        "optimum; this gap depends on where each run sits in the schedule, so at every budget it pushes the optimum "
        "toward the smaller models (read after more tokens), but by an amount that differs between budgets, which "
        "changes the slope and not only the level. If small budgets, whose runs are all read early, are pushed "
        "further than large ones, the line is too steep and its extrapolation recommends models that are too big. "
        "The direction rests on that condition (it depends on how the gap varies with tokens): an answer that states "
        "it is complete. Also accept the learning-curve version: fitting L(N, S) to inflated early checkpoints "
        "distorts the fitted step exponent, and with it the share of compute given to N. An answer that only says "
        "'short runs look worse, so big models win', without the across-budgets argument, earns at most half a "
        "point. (c) Porian et al. (2024) reproduced Kaplan's setup and found careful learning-rate decay not "
        "essential; correcting the output layer's FLOPs, the warmup and the per-scale optimiser tuning closed the "
        "gap. Also accept Pearce and Song (2024): leaving embeddings out of N at small scale explains much of it.")),
})
