"""Reading a submitted notebook: who submitted it, for which exercise, and the answer cells.

Only the answer cells are taken from a submission; everything else is rebuilt from the instructor's
source, so edited, deleted or added cells change nothing. Answer cells are matched by their stable
cell id (``q1-answer``); if the ids were changed (some tools regenerate them), the cells still tagged
``solution`` are matched by position when their number is right.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .release import METADATA_KEY, SOLUTION_TAG

ANSWER_SUFFIX = "-answer"
#: Names an answer cell may not use: the library holds the reference answers.
FORBIDDEN_MODULES = ("lectures_lib", "importlib")


class InvalidSubmission(ValueError):
    """The file is not a gradable submission; the message says why."""


@dataclass(frozen=True)
class Submission:
    """What the grader takes from one submitted file."""

    path: Path
    student: str
    exercise_id: str
    answers: dict[str, str]  # question id -> source of the student's answer cell
    sha256: str
    notes: tuple[str, ...] = field(default_factory=tuple)
    integrity_problems: tuple[str, ...] = field(default_factory=tuple)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def student_from_filename(path: Path) -> str:
    """The student identifier taken from a file name: its stem, with unsafe characters replaced."""
    return re.sub(r"[^A-Za-z0-9_.@-]+", "_", path.stem).strip("_") or "unknown"


def answer_ids(source_nb: nbformat.NotebookNode) -> list[str]:
    """The ids of the answer cells of an instructor source, in order."""
    return [c.id for c in source_nb.cells if SOLUTION_TAG in c.metadata.get("tags", [])]


def question_of(cell_id: str) -> str:
    """``q1-answer`` -> ``q1``."""
    if not cell_id.endswith(ANSWER_SUFFIX):
        raise ValueError(f"answer cell ids end with {ANSWER_SUFFIX!r}, got {cell_id!r}")
    return cell_id[: -len(ANSWER_SUFFIX)]


def _load(path: Path) -> nbformat.NotebookNode:
    raw = path.read_bytes()
    if not raw.strip():
        raise InvalidSubmission("the file is empty")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidSubmission("the file is not a notebook (not JSON)") from None
    if not isinstance(data, dict) or "cells" not in data:
        raise InvalidSubmission("the file is JSON but not a notebook (no cells)")
    if data.get("nbformat") != 4:
        raise InvalidSubmission(f"notebook format {data.get('nbformat')!r} is not supported (need 4)")
    try:
        return nbformat.reads(raw.decode("utf-8"), as_version=4)
    except Exception as error:  # nbformat raises several types for malformed notebooks
        raise InvalidSubmission(f"the notebook cannot be read: {str(error)[:200]}") from None


def identify_exercise(nb: nbformat.NotebookNode, sources: dict[str, nbformat.NotebookNode]) -> str:
    """The exercise a notebook belongs to: its metadata, or else the source whose answer ids it holds."""
    claimed = nb.metadata.get(METADATA_KEY, {}).get("exercise") if isinstance(nb.metadata.get(METADATA_KEY), dict) \
        else None
    if isinstance(claimed, str) and claimed in sources:
        return claimed
    ids = {c.get("id") for c in nb.cells}
    matches = [eid for eid, src in sources.items() if set(answer_ids(src)) <= ids]
    if len(matches) > 1:  # several exercises use the same answer ids: keep the one sharing most cells
        texts = {c.source for c in nb.cells}
        shared = {eid: sum(c.source in texts for c in sources[eid].cells) for eid in matches}
        best = max(shared.values())
        matches = [eid for eid in matches if shared[eid] == best]
    if len(matches) == 1:
        return matches[0]
    raise InvalidSubmission("cannot tell which exercise this notebook is: no exercise metadata and no "
                            "matching answer cells")


def _integrity_problems(qid: str, source: str) -> list[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []  # a syntax error is the student's mistake, graded as a wrong answer
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if any(m.split(".")[0] in FORBIDDEN_MODULES for m in modules):
                problems.append(f"{qid}: the answer imports {', '.join(modules)}")
        elif isinstance(node, ast.Name) and node.id in ("ex", "__import__"):
            problems.append(f"{qid}: the answer uses {node.id!r}, which holds the reference answers")
    return problems


def read_submission(path: Path, sources: dict[str, nbformat.NotebookNode], expected: str | None = None) -> Submission:
    """Parse ``path``; raise :class:`InvalidSubmission` when it cannot be graded.

    ``sources`` maps exercise ids to instructor notebooks; ``expected``, if given, is the only
    exercise accepted.
    """
    nb = _load(path)
    exercise_id = identify_exercise(nb, sources)
    if expected is not None and exercise_id != expected:
        raise InvalidSubmission(f"this is a notebook of exercise {exercise_id!r}, not {expected!r}")
    wanted = answer_ids(sources[exercise_id])
    by_id = {c.get("id"): c for c in nb.cells if c.cell_type == "code"}
    notes = []
    if all(cid in by_id for cid in wanted):
        cells = [by_id[cid] for cid in wanted]
    else:
        tagged = [c for c in nb.cells if c.cell_type == "code" and SOLUTION_TAG in c.metadata.get("tags", [])]
        missing = [cid for cid in wanted if cid not in by_id]
        if len(tagged) != len(wanted):
            raise InvalidSubmission(f"answer cells missing: {', '.join(missing)}")
        cells = tagged
        notes.append("answer cells matched by position: their ids had changed (" + ", ".join(missing) + ")")
    answers = {question_of(cid): cell.source for cid, cell in zip(wanted, cells, strict=True)}
    meta = nb.metadata.get(METADATA_KEY, {})
    student = meta.get("student") if isinstance(meta, dict) else None
    if not isinstance(student, str) or not student.strip():
        student = student_from_filename(path)
    problems = [p for qid, src in answers.items() for p in _integrity_problems(qid, src)]
    return Submission(path, student.strip(), exercise_id, answers, file_sha256(path), tuple(notes), tuple(problems))
