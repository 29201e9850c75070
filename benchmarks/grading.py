"""Grading throughput: N correct submissions of exercise 00, graded two at a time.

    python benchmarks/grading.py [--n 100]

Prints the wall-clock time of the batch, submissions per minute, and the median and maximum time of
one submission (kernel start, running the notebook, reading the answers back, scoring). Targets:
a normal submission under 5 s; 100 submissions under 4 minutes.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

import nbformat

from lectures_lib.exercises import EXERCISES
from lectures_lib.grading.grade import grade_folder

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "notebooks" / "exercises" / "source"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100, help="number of submissions")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "submissions"
        folder.mkdir()
        source = nbformat.read(SOURCES / "00_power_laws.ipynb", as_version=4)
        for i in range(args.n):
            source.metadata["lectures_lib"] = {"exercise": "00_power_laws", "student": f"student{i:03d}"}
            nbformat.write(source, folder / f"student{i:03d}.ipynb")
        summary = grade_folder(folder, Path(tmp) / "out", SOURCES, "00_power_laws", progress=True)
    seconds = [r.seconds for r in summary.records]
    by_hand = sum(q.points for q in EXERCISES["00_power_laws"].questions if q.kind == "explain")
    graded = sum(r.status == "graded" and r.total == r.max_total - by_hand for r in summary.records)
    print(f"{args.n} submissions in {summary.seconds:.1f} s ({60 * args.n / summary.seconds:.0f} per minute); "
          f"{graded} graded with every automatic point, each in its own variant")
    print(f"one submission: median {statistics.median(seconds):.2f} s, max {max(seconds):.2f} s (target < 5 s)")
    print(f"projected for 100 submissions: {100 * summary.seconds / args.n:.0f} s (target < 240 s)")


if __name__ == "__main__":
    main()
