"""Speed and size figures of the course book, printed as a table.

    python benchmarks/run.py            # everything (about 3 minutes)
    python benchmarks/run.py --quick    # skip the full `make test` run

Measures: a clean book build (fresh output folder and execution cache), a rebuild with nothing
changed, the full `make test`, nbval over every notebook, one explorer update (compute + redraw),
and the weight of each page (HTML plus the images it loads). Targets from the issue tracker are
printed beside each figure; nothing here fails, it reports.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _timed(command: list[str], **kwargs) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)
    return time.perf_counter() - start


def build_times(out: Path) -> tuple[float, float]:
    command = [str(BIN / "jupyter-book"), "build", str(ROOT), "--path-output", str(out), "-W", "-n", "--keep-going"]
    return _timed(command), _timed(command)


def explorer_update_ms(repeats: int = 60) -> float:
    import numpy as np

    from lectures_lib.explorers import plot_kaplan_frontier
    from lectures_lib.explorers.core import FrameRenderer

    plot = plot_kaplan_frontier(1.0)
    renderer = FrameRenderer(plot.fig, plot.dynamic_artists)
    budgets = np.logspace(-3, 6, repeats)
    times = []
    for budget in budgets:
        start = time.perf_counter()
        plot.update(budget)
        renderer.render()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def static_explorer_figures() -> list[tuple[str, float, int, float]]:
    """Per explorer: seconds to render all website frames, the number of frames, and their kilobytes."""
    import base64
    import os
    import re

    from lectures_lib import explorers

    os.environ["LECTURES_LIB_EXPLORERS"] = "static"
    figures = []
    for name in ("explore_floor_fit", "explore_kaplan_frontier", "explore_isoflop", "explore_lifetime"):
        start = time.perf_counter()
        widget = getattr(explorers, name)()
        seconds = time.perf_counter() - start
        frames = explorers.frame_images(widget)
        size = sum(len(base64.b64decode(re.search(r'base64,([^"]+)"', f).group(1))) for f in frames)
        figures.append((name, seconds, len(frames), size / 1e3))
    del os.environ["LECTURES_LIB_EXPLORERS"]
    return figures


def page_weights(site: Path) -> list[tuple[str, int]]:
    weights = []
    for page in sorted(site.rglob("*.html")):
        if "_static" in page.parts or page.name in {"genindex.html", "search.html", "index.html"}:
            continue
        images = re.findall(r'<img[^>]+src="([^"]+)"', page.read_text())
        size = page.stat().st_size + sum((page.parent / s).stat().st_size for s in images if not s.startswith("data:"))
        weights.append((page.relative_to(site).as_posix(), size))
    return weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="skip the full `make test` run")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        clean, rebuild = build_times(Path(tmp))
        rows += [("clean book build", f"{clean:.1f} s", "< 180 s"), ("no-change rebuild", f"{rebuild:.1f} s", "< 15 s")]
        weights = page_weights(Path(tmp) / "_build" / "html")
    nbval = _timed([str(BIN / "python"), "-m", "pytest", "notebooks", "--nbval-lax", "--nbval-current-env",
                    "--nbval-cell-timeout=300", "-n", "2", "--dist", "loadfile", "-q", "-p", "no:cacheprovider"])
    rows.append(("nbval, all notebooks", f"{nbval:.1f} s", "< 120 s"))
    if not args.quick:
        rows.append(("make test (full)", f"{_timed(['make', 'test']):.1f} s", "< 600 s"))
    rows.append(("explorer update, median", f"{explorer_update_ms():.1f} ms", "< 100 ms"))
    for name, seconds, count, kilobytes in static_explorer_figures():
        rows.append((f"{name}: {count} website frames", f"{seconds:.2f} s", "< 2 s"))
        rows.append((f"{name}: frame weight", f"{kilobytes:.0f} kB", "< 500 kB"))
    heaviest = max(weights, key=lambda item: item[1])
    rows.append((f"heaviest page ({heaviest[0]})", f"{heaviest[1] / 1e6:.2f} MB", "< 2 MB"))
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>10}  target")
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>10}  {target}")
    print("\npage weights (HTML + images):")
    for name, size in weights:
        print(f"  {name:<45} {size / 1e3:8.0f} kB")


if __name__ == "__main__":
    main()
