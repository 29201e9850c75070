"""Speed of block-wise 4-bit quantization (`lectures_lib.quantization.quantize`).

    python benchmarks/quantization.py

Prints the median time to quantize a 4096 x 4096 float32 matrix to 4 bits in blocks of 64 (target < 100 ms),
its ratio to a plain vectorised numpy reference written below (target <= 2), and checks that both give the
same codes and scales.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from lectures_lib import quantization as qz

SHAPE = (4096, 4096)
BLOCK = 64


def reference(x: np.ndarray, block: int = BLOCK) -> tuple[np.ndarray, np.ndarray]:
    """Plain numpy: absmax per block, round to [-7, 7], shift to 1..15, two codes per byte."""
    blocks = x.reshape(-1, block)
    scales = (np.abs(blocks).max(axis=1) / 7).astype(np.float32)
    scales[scales == 0] = 1
    codes = (np.clip(np.rint(blocks / scales[:, None]), -7, 7) + 8).astype(np.uint8).reshape(-1)
    return (codes[0::2] | (codes[1::2] << 4)).astype(np.uint8), scales


def median_ms(function, repeats: int = 15) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> None:
    x = np.random.default_rng(0).standard_normal(SHAPE).astype(np.float32)
    ours = median_ms(lambda: qz.quantize(x, 4, "absmax", BLOCK))
    plain = median_ms(lambda: reference(x))
    q = qz.quantize(x, 4, "absmax", BLOCK)
    codes, scales = reference(x)
    same = np.array_equal(q.codes, codes) and np.array_equal(q.scales, scales)
    print(f"4-bit absmax, blocks of {BLOCK}, {SHAPE[0]} x {SHAPE[1]} float32: median {ours:.1f} ms (target < 100 ms)")
    print(f"plain numpy reference: {plain:.1f} ms; ratio {ours / plain:.2f} (target <= 2); "
          f"same codes and scales: {same}")
    print(f"stored: {q.nbytes / 2**20:.1f} MiB for {x.nbytes / 2**20:.0f} MiB of float32 "
          f"({q.bits_per_value:.2f} bits per value)")


if __name__ == "__main__":
    main()
