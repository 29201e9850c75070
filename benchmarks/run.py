"""Speed and size figures of the course book, printed as a table, one line as soon as it is measured.

    python benchmarks/run.py            # everything (about 10 minutes)
    python benchmarks/run.py --quick    # skip the full `make test` run

Measures: a clean book build (fresh output folder and execution cache), a rebuild with nothing
changed, the weight of each page (HTML plus the images it loads), nbval over every notebook, the full
`make test`, one live update (compute + redraw) of every explorer, and the website frames of every
explorer. Targets from the issue tracker are printed beside each figure.

Each stage runs on its own: when one fails, its name, exit status and the last lines of its output are
printed, the next stage runs, and the script exits with status 1 at the end. The full output of every
command is kept in benchmarks/results/<stage>.log.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LOGS = ROOT / "benchmarks" / "results"
TAIL_LINES = 30
WIDTH = 58

sys.path.insert(0, str(ROOT / "tests"))
import support  # noqa: E402  (the toc walker and frame_images, also used by the tests)

Row = tuple[str, str, str]  # measure, value, target


class StageFailed(Exception):
    """A command of a stage exited non-zero; ``output`` is what it printed."""

    def __init__(self, status: int, output: str, log: Path):
        super().__init__(f"exit status {status}")
        self.status, self.output, self.log = status, output, log


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def timed(stage: str, command: list[str]) -> float:
    """Run ``command`` in the repository, its output kept in LOGS/<stage>.log; seconds, or StageFailed."""
    LOGS.mkdir(parents=True, exist_ok=True)
    log = LOGS / f"{_slug(stage)}.log"
    start = time.perf_counter()
    with log.open("w") as handle:
        status = subprocess.run(command, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT).returncode
    seconds = time.perf_counter() - start
    if status != 0:
        raise StageFailed(status, log.read_text(errors="replace"), log)
    return seconds


# -- stages: each yields rows as it measures them ----------------------------------------------------
def book_stages(out: Path) -> dict[str, Callable[[], Iterator[Row]]]:
    command = [str(BIN / "jupyter-book"), "build", str(ROOT), "--path-output", str(out), "-W", "-n", "--keep-going"]

    def clean() -> Iterator[Row]:
        yield "clean book build", f"{timed('clean book build', command):.1f} s", "< 180 s"

    def rebuild() -> Iterator[Row]:
        yield "no-change rebuild", f"{timed('no-change rebuild', command):.1f} s", "< 15 s"

    def weights() -> Iterator[Row]:
        site = out / "_build" / "html"
        pages = [(entry, site / f"{entry}.html") for entry in support.toc_files()]
        missing = [entry for entry, page in pages if not page.is_file()]
        if missing:
            raise RuntimeError(f"pages not built (see the build stage): {missing}")
        for entry, page in pages:
            images = re.findall(r'<img[^>]+src="([^"]+)"', page.read_text())
            size = page.stat().st_size + sum((page.parent / s).stat().st_size for s in images
                                             if not s.startswith("data:"))
            yield f"page weight: {entry}", f"{size / 1e3:.0f} kB", "< 2000 kB"

    return {"clean book build": clean, "no-change rebuild": rebuild, "page weights": weights}


def nbval() -> Iterator[Row]:
    seconds = timed("nbval", [str(BIN / "python"), "-m", "pytest", "notebooks", "--nbval-lax", "--nbval-current-env",
                              "--nbval-cell-timeout=300", "-n", "2", "--dist", "loadfile", "-q",
                              "-p", "no:cacheprovider"])
    yield "nbval, all notebooks", f"{seconds:.1f} s", "< 120 s"


def exercises() -> Iterator[Row]:
    """Each exercise run from top to bottom in a fresh kernel, as its instructor source (solutions, checks and
    the key's hidden check, default variant) and as the student copy."""
    env = {**os.environ, "LECTURES_LIB_STRICT_CHECKS": "1"}
    for source in sorted((ROOT / "notebooks" / "exercises" / "source").glob("*.ipynb")):
        for label, path in (("source", source), ("student copy", source.parents[1] / source.name)):
            started = time.perf_counter()
            subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "notebook", "--execute", "--stdout",
                            str(path)], cwd=source.parent, env=env, check=True, capture_output=True)
            yield f"exercise {source.stem}, {label}", f"{time.perf_counter() - started:.1f} s", "< 30 s"


def make_test() -> Iterator[Row]:
    yield "make test (full)", f"{timed('make test', ['make', 'test']):.1f} s", "< 600 s"


def _controls(widget) -> list:
    """The sliders and drop-downs inside a widget tree, in order."""
    found, pending = [], [widget]
    while pending:
        current = pending.pop(0)
        menu = hasattr(current, "options") and hasattr(current, "index")
        slider = all(hasattr(current, name) for name in ("min", "max", "value", "step"))
        if menu or slider:
            found.append(current)
        pending[:0] = list(getattr(current, "children", ()))
    return found


def _positions(control, count: int) -> list:
    """``count`` values across a control's range (a log slider's min and max are exponents)."""
    if hasattr(control, "options"):
        options = list(control.options)
        values = [option[1] if isinstance(option, tuple) else option for option in options]
        return [values[i % len(values)] for i in range(count)]
    import numpy as np

    points = np.linspace(control.min, control.max, count)
    if hasattr(control, "base"):
        return [float(control.base**p) for p in points]
    return [type(control.value)(p) for p in points]


def live_updates(repeats: int = 40) -> Iterator[Row]:
    """Per explorer: the median time of one control move in a live kernel (the figure's update and render)."""
    from lectures_lib.explorers import EXPLORERS

    os.environ.pop("LECTURES_LIB_EXPLORERS", None)
    for name, explorer in EXPLORERS.items():
        widget = explorer.explore()
        controls = _controls(widget)
        if not controls:
            raise RuntimeError(f"{name}: no slider or drop-down found in the live explorer")
        times = []
        for value in _positions(controls[0], repeats):
            start = time.perf_counter()
            controls[0].value = value  # the explorer observes the control: this updates and renders the frame
            times.append(time.perf_counter() - start)
        yield f"{name}: live update, median", f"{1000 * statistics.median(times):.1f} ms", "< 100 ms"


def static_frames() -> Iterator[Row]:
    """Per explorer: seconds to render all website frames, their number, and their kilobytes."""
    from lectures_lib.explorers import EXPLORERS

    os.environ["LECTURES_LIB_EXPLORERS"] = "static"
    try:
        for name, explorer in EXPLORERS.items():
            start = time.perf_counter()
            widget = explorer.explore()
            seconds = time.perf_counter() - start
            frames = support.frame_images(widget)
            size = sum(len(base64.b64decode(re.search(r'base64,([^"]+)"', f).group(1))) for f in frames)
            yield f"{name}: {len(frames)} website frames", f"{seconds:.2f} s", "< 2 s"
            yield f"{name}: frame weight", f"{size / 1e3:.0f} kB", "< 500 kB"
    finally:
        del os.environ["LECTURES_LIB_EXPLORERS"]


# -- running the stages ------------------------------------------------------------------------------
def run_stage(name: str, stage: Callable[[], Iterator[Row]]) -> bool:
    """Print the stage's rows as they come; on a failure print what went wrong and return False."""
    try:
        for measure, value, target in stage():
            print(f"{measure:<{WIDTH}}  {value:>10}  {target}", flush=True)
        return True
    except StageFailed as failure:
        lines = failure.output.splitlines()[-TAIL_LINES:]
        print(f"FAILED stage '{name}': {failure} (full output: {failure.log.relative_to(ROOT)}); last "
              f"{len(lines)} lines:", flush=True)
    except Exception:  # a failed measurement must not lose the others
        lines = traceback.format_exc().splitlines()[-TAIL_LINES:]
        print(f"FAILED stage '{name}': an exception; last {len(lines)} lines:", flush=True)
    for line in lines:
        print(f"    {line}")
    print(flush=True)
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="skip the full `make test` run")
    args = parser.parse_args()
    print(f"{'measure':<{WIDTH}}  {'value':>10}  target", flush=True)
    failed = []
    with tempfile.TemporaryDirectory() as tmp:
        stages = {**book_stages(Path(tmp)), "nbval": nbval, "exercises": exercises}
        if not args.quick:
            stages["make test"] = make_test
        stages |= {"explorer live updates": live_updates, "explorer website frames": static_frames}
        for name, stage in stages.items():
            if not run_stage(name, stage):
                failed.append(name)
    if failed:
        print(f"{len(failed)} stage(s) failed: {', '.join(failed)}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
