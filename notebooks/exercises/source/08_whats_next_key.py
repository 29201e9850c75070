"""Answer key of exercise 8 (instructor material: the grader loads it with --source; never installed)."""

import numpy as np

from lectures_lib import compute
from lectures_lib.exercises.core import letter_of
from lectures_lib.exercises.ex08_whats_next import CHINCHILLA_RATIO, EXERCISE, LAW
from lectures_lib.exercises.key import Answer, Key


def _shares(rng):
    n = 10 ** rng.uniform(8, 12, size=4)
    layers = rng.integers(4, 128, size=4)
    ctx = 10 ** rng.uniform(2, 6.5, size=4)
    d_attn = rng.choice([512, 1024, 4096, 8192, 16384], size=4)
    cases = [(float(a), int(b), float(c), int(d)) for a, b, c, d in zip(n, layers, ctx, d_attn, strict=True)]
    return [*cases, (n, layers.astype(float), ctx, d_attn.astype(float))]


def _context_for_share(n_params, n_layers, d_attn, share):
    """share = A / (2N + A) with A = 2 n_layer n_ctx d_attn, solved for n_ctx."""
    return share / (1 - share) * n_params / (n_layers * d_attn)


def _share_cases(rng):
    n = 10 ** rng.uniform(8, 12, size=4)
    layers = rng.integers(4, 128, size=4)
    d_attn = rng.choice([512, 1024, 4096, 8192, 16384], size=4)
    share = rng.uniform(0.02, 0.98, size=4)
    cases = [(float(a), int(b), int(c), float(s)) for a, b, c, s in zip(n, layers, d_attn, share, strict=True)]
    return [*cases, (float(n[0]), int(layers[0]), int(d_attn[0]), rng.uniform(0.05, 0.95, size=3))]


def _context_per_sequence(variant):
    q3 = variant.q3
    kv_per_token = 2 * q3.n_layers * q3.n_kv_heads * q3.head_dim * q3.bytes_per_value
    return (q3.memory_bytes - q3.n_params * q3.bytes_per_param) / (q3.batch * kv_per_token)


def _years_after_anchor(variant):
    q4 = variant.q4
    return float(np.log(q4.target_flops / q4.anchor_flops) / np.log(q4.growth_per_year))


def _ratio_letter(variant):
    q5 = variant.q5
    tokens = q5.flops / (6 * q5.n_params)
    return letter_of(q5.options, float(f"{tokens / q5.n_params / CHINCHILLA_RATIO:.3g}"))


def _supervised(n, d):
    s = LAW.supervised
    return s.E + (s.A / n**s.alpha + s.B / d**s.beta) ** s.gamma


def _distilled(n, d, teacher_loss):
    alone = _supervised(n, d)
    switch = (1 + (teacher_loss / (alone * LAW.d1)) ** (1 / LAW.f1)) ** (-LAW.c1 * LAW.f1)
    return teacher_loss + teacher_loss ** (-LAW.c0) * switch * (LAW.A / n**LAW.alpha + LAW.B / d**LAW.beta) ** LAW.gamma


def _break_even_tokens(variant):
    """Bisection in log D on supervised minus distilled loss, between 1e9 and 1e14 tokens (the parameters are drawn so
    that the sign changes once there)."""
    q6 = variant.q6
    teacher_loss = _supervised(q6.teacher_params, q6.teacher_tokens)
    low, high = np.log(1e9), np.log(1e14)
    for _ in range(200):
        mid = 0.5 * (low + high)
        if _supervised(q6.student_params, np.exp(mid)) > _distilled(q6.student_params, np.exp(mid), teacher_loss):
            low = mid
        else:
            high = mid
    return float(np.exp(0.5 * (low + high)))


KEY = Key(EXERCISE, {
    "q1": Answer(compute.attention_share, _shares,
                 forbidden=("lectures_lib.compute.attention_share", "lectures_lib.compute.forward_flops_per_token",
                            "lectures_lib.compute.attention_flops_per_token")),
    "q2": Answer(_context_for_share, _share_cases,
                 forbidden=("lectures_lib.compute.context_for_attention_share",
                            "lectures_lib.compute.attention_share")),
    "q3": Answer(_context_per_sequence, forbidden=("lectures_lib.lifetime.kv_cache_bytes_per_token",
                                                   "*.kv_cache_bytes_per_token")),
    "q4": Answer(_years_after_anchor, forbidden=("lectures_lib.trends.year_for_flops",
                                                 "lectures_lib.trends.trend_flops")),
    "q5": Answer(_ratio_letter, forbidden=("lectures_lib.compute.training_tokens",)),
    "q6": Answer(_break_even_tokens, forbidden=("*.break_even_tokens", "*.gain", "*.loss")),
    "q7": Answer(rubric=(
        "One point for what holds: at a fixed training budget C = 6ND, more parameters means fewer tokens, and the "
        "loss depends on the split (a law such as Chinchilla's or the replication's has a minimum near 20 tokens "
        "per parameter), so a team must choose; half a point if only 'there is a trade-off' is said. One point for "
        "what does not hold, half each for two of: (1) unlike CAP, nothing is impossible: it is a smooth frontier "
        "on which every split can be had and its price in loss (or in extra compute for the same loss) can be "
        "computed, e.g. Llama 3 8B's 1,875 tokens per parameter costs about 0.05 nats or 5.5 times the compute "
        "for its loss under the replication's law; (2) compute efficiency is not a third independent resource: "
        "size and data fix the compute, and more compute moves the whole frontier outward; (3) the best point "
        "moves with costs that the analogy leaves out (serving, memory, data supply), which is why over-trained "
        "models are chosen on purpose; (4) also fair: the 'frontier models follow Chinchilla' claim fails where "
        "numbers are public (Llama 3 8B at about 94 times Chinchilla's ratio) and cannot be checked for GPT-4 or "
        "Gemini.")),
})
