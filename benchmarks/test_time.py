"""Speed and accuracy of `lectures_lib.test_time`, each figure beside the issue's target.

    python benchmarks/test_time.py

Prints: the time to simulate 10,000 problems x 1,000 samples and read their coverage at every k (target < 1 s);
the largest relative error of `pass_at_k` against exact fractions for 2,000 random cases with n <= 2,000
(target <= 1e-12); whether pass@k for n = 10**6 and every k is finite and monotone, and how long it takes;
and the weight of the explorer's website frames (target < 500 kB).
"""

from __future__ import annotations

import math
import os
import statistics
import time
from fractions import Fraction

import numpy as np

from lectures_lib import test_time as tt


def simulation_seconds() -> float:
    p = tt.BetaDifficulty(0.3, 2.0).sample(10_000, seed=0)
    times = []
    for seed in range(5):
        start = time.perf_counter()
        table = tt.simulate_samples(p, 1000, seed=seed)
        tt.coverage_from_samples(table, np.arange(1, 1001))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def worst_relative_error(cases: int = 2000) -> float:
    rng = np.random.default_rng(0)
    n = rng.integers(1, 2001, size=cases)
    c = np.array([rng.integers(0, m + 1) for m in n])
    c[::2] = np.minimum(n[::2], rng.integers(0, 5, size=len(n[::2])))
    k = np.array([rng.integers(1, m + 1) for m in n])
    got = tt.pass_at_k(n, c, k)
    worst = 0.0
    for nn, cc, kk, value in zip(n, c, k, got, strict=True):
        exact = 1 - Fraction(math.comb(int(nn - cc), int(kk)), math.comb(int(nn), int(kk)))
        if exact:
            worst = max(worst, abs(value - float(exact)) / float(exact))
    return worst


def large_n() -> tuple[bool, float]:
    k = np.arange(1, 10**6 + 1)
    start = time.perf_counter()
    values = tt.pass_at_k(10**6, 7, k)
    seconds = time.perf_counter() - start
    return bool(np.all(np.isfinite(values)) and np.all(np.diff(values) >= 0)), seconds


def frame_bytes() -> tuple[int, int]:
    import base64
    import re

    import ipywidgets as widgets

    from lectures_lib.explorers.test_time import explore_sampling

    os.environ["LECTURES_LIB_EXPLORERS"] = "static"
    box = explore_sampling()
    html = []
    stack = [box]
    while stack:
        widget = stack.pop()
        if isinstance(widget, widgets.HTML):
            html.append(widget.value)
        stack.extend(getattr(widget, "children", ()))
    sizes = [len(base64.b64decode(m)) for h in html for m in re.findall(r"base64,([^\"]+)\"", h)]
    return len(sizes), sum(sizes)


def main() -> None:
    print(f"simulate 10,000 problems x 1,000 samples and read coverage: median {simulation_seconds():.2f} s "
          f"(target < 1 s)")
    print(f"pass_at_k against exact fractions, 2,000 cases with n <= 2,000: worst relative error "
          f"{worst_relative_error():.1e} (target <= 1e-12)")
    ok, seconds = large_n()
    print(f"pass_at_k for n = 10**6 and every k: finite and monotone: {ok}, {seconds:.2f} s (target: True)")
    count, total = frame_bytes()
    print(f"explorer frames: {count} frames, {total / 1e3:.0f} kB (target < 500 kB)")


if __name__ == "__main__":
    main()
