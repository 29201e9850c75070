"""Speed and accuracy of chapter 7's simulations (`lectures_lib.frequency`, `lectures_lib.repetition`).

    python benchmarks/frequency.py

Prints, each beside its target: the simulated learning-curve exponent against alpha / (1 + alpha) for alpha in
{0.5, 1, 2} (target: within 0.02, five seeds each) and the time of one simulated curve over a million facts
(target < 0.5 s); the value of 2, 4 and 16 epochs under Muennighoff et al.'s Eq. 5 (target: 98.4%, 93.1%,
66.1% to three digits, derived from R*_D); the time of the data-constrained optimum for 100 budgets
(target < 0.5 s); the time of one explorer frame (target < 0.1 s).
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from lectures_lib import frequency as fq
from lectures_lib import repetition as rp
from lectures_lib.explorers.frequency import plot_zipf


def _timed(function, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    worst = 0.0
    for alpha in (0.5, 1.0, 2.0):
        theta = fq.zipf_probabilities(1_000_000, alpha)
        n = np.round(fq.samples_to_reach(np.geomspace(30, 1e4, 16), alpha))
        slopes = [fq.fitted_exponent(n, fq.simulate_error(theta, n, seed=s)) for s in range(5)]
        gaps = [abs(s - alpha / (1 + alpha)) for s in slopes]
        worst = max(worst, *gaps)
        print(f"alpha {alpha:g}: alpha/(1+alpha) {alpha / (1 + alpha):.3f}, simulated slopes "
              f"{min(slopes):.3f} to {max(slopes):.3f} (largest gap {max(gaps):.3f}; target within 0.02)")
        if alpha == 0.5:
            seconds = _timed(lambda theta=theta, n=n: fq.simulate_error(theta, n, seed=0), 3)
            print(f"one curve, 1,000,000 facts, 16 checkpoints: {seconds:.2f} s (target < 0.5 s)")
    print(f"largest gap over 15 runs: {worst:.3f} (target < 0.02)")
    values = rp.repeated_token_value(np.array([2, 4, 16]))
    print("value of 2, 4, 16 epochs:", ", ".join(f"{100 * v:.1f}%" for v in values),
          "(target 98.4%, 93.1%, 66.1%)")
    budgets = np.geomspace(1e20, 1e25, 100)
    seconds = _timed(lambda: rp.data_constrained_optimum(budgets, 1e11))
    print(f"data-constrained optimum for 100 budgets: {seconds:.3f} s (target < 0.5 s)")
    plot = plot_zipf(1.0, 1e3)
    seconds = _timed(lambda: plot.update(alpha=0.5, capacity=1e4))
    print(f"one explorer frame (update): {1000 * seconds:.0f} ms (target < 100 ms)")


if __name__ == "__main__":
    main()
