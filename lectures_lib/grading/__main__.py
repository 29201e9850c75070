"""Command line: ``python -m lectures_lib.grading release [--check]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .release import ReleaseError, release_all, stale_copies

DEFAULT_SOURCE = Path("notebooks/exercises/source")
DEFAULT_TARGET = Path("notebooks/exercises")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lectures_lib.grading", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    release = commands.add_parser("release", help="write student copies of the exercise sources")
    release.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder of instructor sources")
    release.add_argument("--target", type=Path, default=DEFAULT_TARGET, help="folder for the student copies")
    release.add_argument("--check", action="store_true",
                         help="write nothing; exit 1 if any student copy is out of date with its source")
    args = parser.parse_args(argv)

    try:
        released = release_all(args.source, args.target)
    except ReleaseError as error:
        print(f"release refused: {error}", file=sys.stderr)
        return 2
    if args.check:
        stale = stale_copies(released)
        for path in stale:
            print(f"out of date: {path} (run `make release`)", file=sys.stderr)
        if not stale:
            print(f"{len(released)} student copies are up to date")
        return 1 if stale else 0
    args.target.mkdir(parents=True, exist_ok=True)
    for item in released:
        item.target.write_text(item.text)
        print(f"wrote {item.target} from {item.source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
