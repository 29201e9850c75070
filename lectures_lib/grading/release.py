"""Generate student copies of exercise notebooks from their instructor sources.

The exercise format (instructor source in ``notebooks/exercises/source/<id>.ipynb``):

* **Answer cells** carry the tag ``solution`` and a stable cell id (``q1-answer``). Inside them,
  the lines between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` are the solution. In the student
  copy they are replaced by a stub at the same indentation: the text after a colon on the BEGIN line
  (``# BEGIN SOLUTION: fitted_exponent = ...``), or else
  ``raise NotImplementedError("write your answer here")``.
* **Check cells** carry the tag ``test`` and call the exercise's visible check; they are copied as
  they are.
* **Hidden check cells** carry the tag ``hidden-test``; they run in the source (so nbval catches a
  wrong solution) and are left out of the student copy.
* **Discussion cells**, Markdown tagged ``discussion`` after an answer cell, hold the derivation and the
  answers to a question's prompts: left out of the student copy, shown with the worked solution.
* The cell with id ``student-id`` sets ``STUDENT_ID``: it is copied with the id empty (the default variant);
  ``personalise`` writes one copy per student of a roster with the id filled in (and in the metadata).
* Every other cell is copied. Outputs and execution counts are cleared.

``make release`` also writes the public check table of every exercise
(``lectures_lib/exercises/checks/<id>.json``) from its answer key (``<id>_key.py`` beside the source): the
expected outputs of the visible cases and the default variant's answers, nothing else.

A copy is refused, with the offending lines named, if it still holds a solution marker, a line of a
solution region or a line of a hidden check that does not also stand outside them in the source.

Every notebook (chapters and exercise sources) opens with a hidden install cell that installs
``lectures_lib`` from the repository when the kernel lacks it (Colab, or a notebook downloaded from
the website). The repository's address is written once, in ``_config.yml`` (``repository.url``);
:func:`refresh_install_cells` writes it into every notebook, and ``make release`` runs it first.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

SOLUTION_TAG = "solution"
TEST_TAG = "test"
HIDDEN_TAG = "hidden-test"
#: Markdown cells of a source that discuss a solution: left out of the student copy, shown on the
#: worked-solutions page inside the solution's drop-down.
DISCUSSION_TAG = "discussion"
BEGIN = re.compile(r"^(?P<indent>\s*)#\s*BEGIN SOLUTION(?::\s*(?P<stub>.*\S))?\s*$")
END = re.compile(r"^\s*#\s*END SOLUTION\s*$")
DEFAULT_STUB = 'raise NotImplementedError("write your answer here")'
MARKERS = ("BEGIN SOLUTION", "END SOLUTION")
#: Notebook metadata key that identifies a student copy (the grader reads it).
METADATA_KEY = "lectures_lib"


class ReleaseError(ValueError):
    """A source is malformed or its student copy would leak a solution."""


@dataclass(frozen=True)
class Released:
    """A student copy and what it was made from."""

    exercise_id: str
    source: Path
    target: Path
    text: str


def _tags(cell: dict) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def strip_solutions(source: str, where: str = "cell") -> tuple[str, list[str]]:
    """Replace every solution region of a cell's source by its stub.

    Returns the new source and the solution lines that were removed. Raises :class:`ReleaseError`
    for an unclosed or nested region.
    """
    out: list[str] = []
    removed: list[str] = []
    inside = False
    for number, line in enumerate(source.splitlines(), start=1):
        begin = BEGIN.match(line)
        if begin:
            if inside:
                raise ReleaseError(f"{where}, line {number}: BEGIN SOLUTION inside another solution region")
            inside = True
            out.append(begin.group("indent") + (begin.group("stub") or DEFAULT_STUB))
            continue
        if END.match(line):
            if not inside:
                raise ReleaseError(f"{where}, line {number}: END SOLUTION without a BEGIN SOLUTION")
            inside = False
            continue
        if inside:
            removed.append(line)
        else:
            out.append(line)
    if inside:
        raise ReleaseError(f"{where}: BEGIN SOLUTION is never closed by END SOLUTION")
    return "\n".join(out), removed


def solution_lines(source_nb: nbformat.NotebookNode) -> list[str]:
    """Every stripped, non-empty line of the solution regions, hidden checks and discussions of an instructor
    source."""
    lines: list[str] = []
    for cell in source_nb.cells:
        tags = _tags(cell)
        if SOLUTION_TAG in tags:
            lines += strip_solutions(cell.source)[1]
        elif HIDDEN_TAG in tags or DISCUSSION_TAG in tags:
            lines += cell.source.splitlines()
    return [line.strip() for line in lines if line.strip()]


def make_student_copy(source_nb: nbformat.NotebookNode, exercise_id: str) -> nbformat.NotebookNode:
    """The student copy of an instructor notebook (see the module docstring for the format)."""
    nb = copy.deepcopy(source_nb)
    public_lines: set[str] = set()
    cells = []
    answer_ids = []
    for index, cell in enumerate(nb.cells):
        tags = _tags(cell)
        where = f"{exercise_id} cell {index} ({cell.get('id', 'no id')})"
        if HIDDEN_TAG in tags or DISCUSSION_TAG in tags:
            continue
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        if SOLUTION_TAG in tags:
            if cell.cell_type != "code":
                raise ReleaseError(f"{where}: only code cells can be tagged {SOLUTION_TAG!r}")
            new_source, removed = strip_solutions(cell.source, where)
            if not removed:
                raise ReleaseError(f"{where}: tagged {SOLUTION_TAG!r} but has no BEGIN/END SOLUTION region")
            cell.source = new_source
            answer_ids.append(cell.get("id"))
        elif any(marker in cell.source for marker in MARKERS):
            raise ReleaseError(f"{where}: has a solution marker but is not tagged {SOLUTION_TAG!r}")
        public_lines.update(line.strip() for line in cell.source.splitlines())
        cells.append(cell)
    if not answer_ids:
        raise ReleaseError(f"{exercise_id}: no cell is tagged {SOLUTION_TAG!r}")
    if None in answer_ids or len(set(answer_ids)) != len(answer_ids):
        raise ReleaseError(f"{exercise_id}: every answer cell needs its own stable cell id")
    nb.cells = cells
    nb.metadata[METADATA_KEY] = {
        "exercise": exercise_id,
        "student": "",
        "answer_cells": answer_ids,
    }
    leaks = find_leaks(nb, set(solution_lines(source_nb)) - public_lines)
    if leaks:
        raise ReleaseError(f"{exercise_id}: the student copy would still contain: " + "; ".join(leaks))
    return nb


def find_leaks(nb: nbformat.NotebookNode, secret_lines: set[str]) -> list[str]:
    """Solution markers and secret lines (stripped, non-trivial) that appear in ``nb``'s cells."""
    distinctive = {line for line in secret_lines if len(line) >= 8 and not line.startswith("#")}
    leaks = []
    for index, cell in enumerate(nb.cells):
        for line in cell.source.splitlines():
            stripped = line.strip()
            if any(marker in stripped for marker in MARKERS):
                leaks.append(f"cell {index}: solution marker {stripped!r}")
            elif stripped in distinctive:
                leaks.append(f"cell {index}: solution line {stripped!r}")
    return leaks


#: The tag that hides the install cell on the website (it still runs in Jupyter and in the build).
INSTALL_TAGS = ["remove-cell"]
INSTALL_MARKER = "# Installs the course library when this notebook runs without it"


def repository_url(config_path: Path) -> str:
    """``repository.url`` of the book's ``_config.yml`` (read without a YAML parser: one key, one line)."""
    in_repository = False
    for line in Path(config_path).read_text().splitlines():
        if re.match(r"^repository:\s*$", line):
            in_repository = True
        elif in_repository and re.match(r"^\S", line):
            break
        elif in_repository and (match := re.match(r"^\s+url:\s*(\S+)", line)):
            return match.group(1).strip("\"'")
    raise ReleaseError(f"{config_path} has no repository.url: set it to the repository's https address")


def install_cell_source(url: str) -> str:
    """The first code cell of every notebook: install ``lectures_lib`` from ``url`` when it is missing."""
    if not re.match(r"^https://\S+$", url):
        raise ReleaseError(f"repository.url must be an https address, got {url!r}")
    return (
        f"{INSTALL_MARKER} (Colab, or a copy\n"
        "# downloaded from the website); in the course environment it does nothing. Hidden on the website.\n"
        "import importlib\n"
        "import importlib.util\n"
        "import subprocess\n"
        "import sys\n"
        "\n"
        'if importlib.util.find_spec("lectures_lib") is None:\n'
        '    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",\n'
        f'                    "lectures_lib[course] @ git+{url}"], check=True)\n'
        "    importlib.invalidate_caches()"
    )


def refresh_install_cells(paths: list[Path], url: str, *, write: bool = True) -> list[Path]:
    """Make the install cell of each notebook in ``paths`` match ``url``; returns the notebooks that changed.

    The install cell is the first code cell; a notebook without one gets it inserted before its first
    code cell. With ``write=False`` nothing is written (a check).
    """
    wanted = install_cell_source(url)
    changed = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        code = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]
        first = nb.cells[code[0]] if code else None
        if first is not None and (first.source.startswith(INSTALL_MARKER) or "google.colab" in first.source):
            if first.source == wanted and first.metadata.get("tags") == INSTALL_TAGS:
                continue
            first.source = wanted
            first.metadata["tags"] = list(INSTALL_TAGS)
        else:
            cell = nbformat.v4.new_code_cell(wanted, metadata={"tags": list(INSTALL_TAGS)})
            cell.id = f"{path.stem}-install"
            nb.cells.insert(code[0] if code else len(nb.cells), cell)
        changed.append(path)
        if write:
            path.write_text(nbformat.writes(nb) + "\n")
    return changed


def release_all(source_dir: Path, target_dir: Path) -> list[Released]:
    """Student copies of every ``*.ipynb`` in ``source_dir``, as texts (nothing is written)."""
    sources = sorted(source_dir.glob("*.ipynb"))
    if not sources:
        raise ReleaseError(f"no exercise sources in {source_dir}")
    released = []
    for source in sources:
        nb = nbformat.read(source, as_version=4)
        student = make_student_copy(nb, source.stem)
        text = nbformat.writes(student) + "\n"
        released.append(Released(source.stem, source, target_dir / source.name, text))
    return released


def stale_copies(released: list[Released]) -> list[Path]:
    """The student copies on disk that differ from what their sources generate now."""
    return [r.target for r in released if not r.target.is_file() or r.target.read_text() != r.text]


def public_check_tables(source_dir: Path, target_dir: Path) -> dict[Path, str]:
    """The public check table of every source's answer key, by its path in ``target_dir``."""
    from ..exercises.key import load_key, public_checks_text

    tables = {}
    for source in sorted(Path(source_dir).glob("*.ipynb")):
        try:
            key = load_key(source_dir, source.stem)
        except (FileNotFoundError, ValueError) as error:
            raise ReleaseError(str(error)) from None
        tables[Path(target_dir) / f"{source.stem}.json"] = public_checks_text(key)
    return tables


STUDENT_ID_CELL = "student-id"


def personalise(student_copy: nbformat.NotebookNode, student_id: str) -> nbformat.NotebookNode:
    """A student copy with ``STUDENT_ID`` set to ``student_id`` in its cell and in its metadata."""
    nb = copy.deepcopy(student_copy)
    cells = [cell for cell in nb.cells if cell.get("id") == STUDENT_ID_CELL]
    if len(cells) != 1:
        raise ReleaseError("the student copy needs exactly one cell with the id 'student-id'")
    cells[0].source = f"STUDENT_ID = {student_id!r}  # set for you by your instructor: do not change it"
    nb.metadata[METADATA_KEY]["student"] = student_id
    return nb


def personal_copies(released: list[Released], roster, out: Path) -> dict[Path, str]:
    """``<out>/<student folder>/<exercise>.ipynb`` for every student of ``roster`` and every released copy."""
    from .identity import short_hash, slug

    copies = {}
    for entry in roster.entries:
        folder = Path(out) / f"{slug(entry.student_id, 60)}__{short_hash(entry.student_id)}"
        for item in released:
            nb = personalise(nbformat.reads(item.text, as_version=4), entry.student_id)
            copies[folder / item.target.name] = nbformat.writes(nb) + "\n"
    return copies
