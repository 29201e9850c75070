"""Speed of the numpy MoE forward pass (`lectures_lib.moe.moe_forward`) and of the router simulation.

    python benchmarks/moe.py

Prints the median time of a forward pass of 4,096 tokens of width 512 through 8 experts with top-2 routing
(target < 50 ms; experts of width 256 with ReLU, float32; the median and the best of 20 runs, since the
best is what the code can do and the median adds what other processes take), the same with SwiGLU
experts of width 1,024 and a capacity factor of 1.25 (for information), and the time of one 1,000-step
router simulation (the chapter runs five).
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from lectures_lib import moe


def timings_ms(function, repeats: int = 20) -> list[float]:
    function()  # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(1000 * (time.perf_counter() - start))
    return times


def median_ms(function, repeats: int = 20) -> float:
    return statistics.median(timings_ms(function, repeats))


def main() -> None:
    x = np.random.default_rng(0).standard_normal((4096, 512)).astype(np.float32)
    relu = moe.init_moe_layer(512, 256, 8, gated=False)
    times = timings_ms(lambda: moe.moe_forward(x, relu, 2))
    gflop = 2 * 2 * x.shape[0] * 2 * 512 * 256 / 1e9  # 2 matrices, 2 FLOPs per multiply-add, top-2 assignments
    print(f"forward pass, 4,096 tokens x d_model 512, 8 ReLU experts of width 256, top-2: median "
          f"{statistics.median(times):.1f} ms, best {min(times):.1f} ms (target < 50 ms; {gflop:.1f} GFLOP of "
          "expert matrix products, so the time is set by the BLAS and by other load on the machine)")
    swiglu = moe.init_moe_layer(512, 1024, 8, gated=True)
    ms = median_ms(lambda: moe.moe_forward(x, swiglu, 2, capacity_factor=1.25), repeats=5)
    print(f"forward pass, same tokens, 8 SwiGLU experts of width 1,024, top-2, capacity factor 1.25: median "
          f"{ms:.1f} ms (for information)")
    ms = median_ms(lambda: moe.simulate_router(balancing="aux_loss"), repeats=3)
    print(f"router simulation, 1,000 steps of 512 tokens, 8 experts, top-2: median {ms:.0f} ms (for information)")


if __name__ == "__main__":
    main()
