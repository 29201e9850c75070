"""Speed and accuracy of the inference-aware optimum (`lectures_lib.lifetime.lifetime_optimal`).

    python benchmarks/lifetime.py

Prints the median time to solve 1,000 inference budgets at once (target < 50 ms) and the largest
relative difference from a brute-force scalar search (target <= 1e-6).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

from lectures_lib import lifetime

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import support  # noqa: E402  (the brute-force search, also used by the tests)

LAW = lifetime.SARDANA_2024


def main() -> None:
    usage = np.logspace(9, 15, 1000)
    target = float(LAW.loss(70e9, LAW.tokens_for_params(70e9)))
    times = []
    for _ in range(20):
        start = time.perf_counter()
        n, _ = lifetime.lifetime_optimal(target, usage, law=LAW)
        times.append(time.perf_counter() - start)
    print(f"1,000 inference budgets: median {1000 * statistics.median(times):.1f} ms (target < 50 ms)")
    sample = usage[::50]
    worst = max(abs(n[i * 50] / support.lifetime_optimal_search(LAW, target, d) - 1) for i, d in enumerate(sample))
    print(f"largest relative difference from brute force over {len(sample)} budgets: {worst:.1e} (target <= 1e-6)")


if __name__ == "__main__":
    main()
