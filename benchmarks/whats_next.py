"""Speed of chapter 8's computations (`lectures_lib.distillation`, `lectures_lib.explorers.context`).

    python benchmarks/whats_next.py

Prints the time of the chapter's toy distillation experiment (6 student sizes, 2 training-set sizes,
8 seeds; target < 3 s), of one frame of the long-context explorer (target < 50 ms), and the total weight of
the explorer's website frames (target < 500 kB, the site test's limit per explorer).
"""

from __future__ import annotations

import base64
import os
import re
import statistics
import sys
import time
from pathlib import Path

from lectures_lib import distillation
from lectures_lib.explorers.context import explore_context, plot_context
from lectures_lib.explorers.core import FrameRenderer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import support  # noqa: E402  (reads the frames of a static explorer)


def main() -> None:
    times = []
    for _ in range(3):
        start = time.perf_counter()
        distillation.toy_distillation(train_examples=(100, 1000))
        times.append(time.perf_counter() - start)
    print(f"toy distillation as in the chapter: median {statistics.median(times):.2f} s (target < 3 s)")
    plot = plot_context()
    renderer = FrameRenderer(plot.fig, plot.dynamic_artists)
    frame_times = []
    for context in (2048.0, 16384.0, 131072.0, 1048576.0) * 5:
        start = time.perf_counter()
        plot.update(context, "Llama 3 70B")
        renderer.render(colours=16)
        frame_times.append(time.perf_counter() - start)
    print(f"one explorer frame: median {1000 * statistics.median(frame_times):.1f} ms (target < 50 ms)")
    os.environ["LECTURES_LIB_EXPLORERS"] = "static"
    frames = support.frame_images(explore_context())
    weight = sum(len(base64.b64decode(re.search(r"base64,([^\"]+)\"", f).group(1))) for f in frames)
    print(f"website frames: {len(frames)} frames, {weight / 1e3:.0f} kB (target < 500 kB)")


if __name__ == "__main__":
    main()
