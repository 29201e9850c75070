"""Command line.

    python -m lectures_lib.grading release [--check]
    python -m lectures_lib.grading personalise --roster ROSTER.csv --out DIR
    python -m lectures_lib.grading grade SUBMISSIONS_DIR --out OUT_DIR [--exercise ID] [--jobs N]
        [--roster ROSTER.csv] [--unsafe-no-sandbox]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .grade import Limits, grade_folder
from .identity import load_roster
from .release import (
    ReleaseError,
    personal_copies,
    public_check_tables,
    refresh_install_cells,
    release_all,
    repository_url,
    stale_copies,
)
from .solutions import solution_pages, stale_pages

DEFAULT_SOURCE = Path("notebooks/exercises/source")
DEFAULT_TARGET = Path("notebooks/exercises")
DEFAULT_CHAPTERS = Path("notebooks")
DEFAULT_SOLUTIONS = Path("notebooks/exercises/solutions")
DEFAULT_CONFIG = Path("_config.yml")
DEFAULT_CHECKS = Path("lectures_lib/exercises/checks")


def _grade(args: argparse.Namespace) -> int:
    for name in ("cell_timeout", "submission_timeout", "workers"):
        if getattr(args, name) < 1:
            print(f"--{name.replace('_', '-')} must be at least 1", file=sys.stderr)
            return 2
    if args.memory_gb <= 0:
        print("--memory-gb must be positive", file=sys.stderr)
        return 2
    limits = Limits(args.cell_timeout, args.submission_timeout, int(args.memory_gb * 1024**3))
    try:
        roster = load_roster(args.roster) if args.roster else None
        summary = grade_folder(args.submissions, args.out, args.source, args.exercise, limits, args.workers,
                               unsafe_no_sandbox=args.unsafe_no_sandbox, roster=roster)
    except (ValueError, RuntimeError, OSError) as error:  # bad arguments or roster, no sandbox, another grader
        print(f"grading refused: {error}", file=sys.stderr)
        return 2
    counts: dict[str, int] = {}
    for record in summary.records:
        counts[record.status] = counts.get(record.status, 0) + 1
    n = len(summary.records)
    rate = 60 * n / summary.seconds if summary.seconds else 0.0
    print(f"run {summary.run_id}: {n} submissions in {summary.seconds:.1f} s ({rate:.0f} per minute)")
    print("statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    print(f"gradebook: {summary.db_path}")
    print(f"grades:    {summary.csv_path}")
    print(f"feedback:  {summary.csv_path.parent / 'feedback'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lectures_lib.grading", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    release = commands.add_parser("release", help="write student copies of the exercise sources")
    release.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder of instructor sources")
    release.add_argument("--target", type=Path, default=DEFAULT_TARGET, help="folder for the student copies")
    release.add_argument("--solutions", type=Path, default=DEFAULT_SOLUTIONS,
                         help="folder for the worked-solution pages of the website")
    release.add_argument("--chapters", type=Path, default=DEFAULT_CHAPTERS, help="folder of chapters")
    release.add_argument("--config", type=Path, default=DEFAULT_CONFIG,
                         help="the book's _config.yml, whose repository.url the install cells use")
    release.add_argument("--checks", type=Path, default=DEFAULT_CHECKS,
                         help="folder of the public check tables written from the answer keys")
    release.add_argument("--check", action="store_true",
                         help="write nothing; exit 1 if any student copy is out of date with its source")
    grade = commands.add_parser("grade", help="grade a folder of submitted notebooks")
    grade.add_argument("submissions", type=Path, help="folder of submitted notebooks (any file names)")
    grade.add_argument("--out", type=Path, required=True, help="folder for gradebook.sqlite, grades.csv, feedback/")
    grade.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder of instructor sources")
    grade.add_argument("--exercise", help="accept only this exercise (e.g. 00_power_laws)")
    grade.add_argument("--cell-timeout", type=int, default=Limits.cell_seconds, help="seconds per cell")
    grade.add_argument("--submission-timeout", type=int, default=Limits.submission_seconds,
                       help="seconds per submission, after which its processes are killed")
    grade.add_argument("--memory-gb", type=float, default=Limits.memory_bytes / 1024**3,
                       help="address-space limit of a student's kernel, in GiB")
    grade.add_argument("--jobs", "--workers", dest="workers", type=int, default=2,
                       help="submissions graded at the same time, each in its own sandbox")
    grade.add_argument("--roster", type=Path, help="CSV of students (column student_id; optional name, email): "
                       "submissions are matched to its ids, and unmatched ones are flagged")
    grade.add_argument("--unsafe-no-sandbox", action="store_true",
                       help="grade without the bubblewrap sandbox (student code then runs with your rights)")
    personalise = commands.add_parser("personalise", help="one copy of every exercise per student of a roster, "
                                      "with STUDENT_ID filled in")
    personalise.add_argument("--roster", type=Path, required=True, help="CSV of students (column student_id)")
    personalise.add_argument("--out", type=Path, required=True, help="folder for <student>/<exercise>.ipynb")
    personalise.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder of instructor sources")
    args = parser.parse_args(argv)
    if args.command == "grade":
        return _grade(args)
    if args.command == "personalise":
        return _personalise(args)

    try:
        notebooks = sorted(args.chapters.glob("*.ipynb")) + sorted(args.source.glob("*.ipynb"))
        outdated = refresh_install_cells(notebooks, repository_url(args.config), write=not args.check)
        for path in outdated:
            print(f"{'out of date' if args.check else 'rewrote'}: the install cell of {path}",
                  file=sys.stderr if args.check else sys.stdout)
        released = release_all(args.source, args.target)
        pages = solution_pages(args.source, args.solutions)
        tables = public_check_tables(args.source, args.checks)
    except ReleaseError as error:
        print(f"release refused: {error}", file=sys.stderr)
        return 2
    if args.check:
        stale = stale_copies(released) + stale_pages(pages) + stale_pages(tables)
        for path in stale:
            print(f"out of date: {path} (run `make release`)", file=sys.stderr)
        if not stale and not outdated:
            print(f"{len(released)} student copies, {len(pages)} solution pages, {len(tables)} check tables and "
                  f"{len(notebooks)} install cells are up to date")
        return 1 if stale or outdated else 0
    args.target.mkdir(parents=True, exist_ok=True)
    for item in released:
        item.target.write_text(item.text)
        print(f"wrote {item.target} from {item.source}")
    args.solutions.mkdir(parents=True, exist_ok=True)
    args.checks.mkdir(parents=True, exist_ok=True)
    for path, text in {**pages, **tables}.items():
        path.write_text(text)
        print(f"wrote {path}")
    return 0


def _personalise(args: argparse.Namespace) -> int:
    try:
        roster = load_roster(args.roster)
        copies = personal_copies(release_all(args.source, DEFAULT_TARGET), roster, args.out)
    except (ReleaseError, ValueError, OSError) as error:
        print(f"personalise refused: {error}", file=sys.stderr)
        return 2
    for path, text in copies.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    print(f"wrote {len(copies)} copies for {len(roster.entries)} students in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
