"""Worked-solution pages for self-study, written from the instructor sources.

For every source ``notebooks/exercises/source/<id>.ipynb``, :func:`solution_page` writes a MyST page
``notebooks/exercises/solutions/<id>.md``: the questions as the student copy states them, and after
each answer cell its worked solution in a collapsed drop-down (the solution region with its markers
removed), with the answer it gives in the default variant for a number or a choice (from the answer key),
and the Markdown cells tagged ``discussion`` that follow it in the source (the derivation, the answers to the
question's prompts).
Check cells, hidden checks and the hidden install cell are left out. ``make release``
writes the pages beside the student copies, and ``release --check`` reports a stale one.

The pages are for readers who study alone. An instructor who grades turns them off with one switch
in ``_config.yml`` (``sphinx: config: course_publish_solutions: false``): the book extension then
publishes each page as a short notice instead (see ``book/_ext/course_book.py``). The graded student
copies never contain a solution, whatever the switch says.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

import nbformat

from .release import BEGIN, DISCUSSION_TAG, END, HIDDEN_TAG, SOLUTION_TAG, TEST_TAG, ReleaseError

#: Where the student copies live, relative to the book's root: the sources' relative links start there.
STUDENT_FOLDER = "notebooks/exercises"
SOLUTIONS_FOLDER = "notebooks/exercises/solutions"
_DOC_ROLE = re.compile(r"\{doc\}`([^`<]*?)(?:<([^`>]+)>)?`")


def _absolute_links(markdown: str) -> str:
    """Rewrite relative ``{doc}`` targets (written for the student copy's folder) as absolute ones."""

    def absolute(match: re.Match) -> str:
        text, target = match.group(1), match.group(2)
        path = target if target is not None else text
        if path.startswith("/"):
            return match.group(0)
        resolved = "/" + posixpath.normpath(posixpath.join(STUDENT_FOLDER, path.strip()))
        return f"{{doc}}`{text.strip()} <{resolved}>`" if target is not None else f"{{doc}}`{resolved}`"

    return _DOC_ROLE.sub(absolute, markdown)


def worked_solution(source: str) -> str:
    """An answer cell's source with its solution markers removed and its solution kept."""
    lines = []
    for line in source.splitlines():
        if BEGIN.match(line) or END.match(line):
            continue
        lines.append(line)
    return "\n".join(lines).strip("\n")


def _fence(code: str) -> str:
    ticks = "```"
    while ticks in code:
        ticks += "`"
    return f"{ticks}python\n{code}\n{ticks}"


def _default_answer(exercise_id: str, qid: str, defaults: dict) -> str:
    """A line giving the default variant's answer to a number or choice question ("" for other kinds)."""
    from ..exercises import EXERCISES

    question = EXERCISES[exercise_id][qid] if exercise_id in EXERCISES else None
    if question is None or qid not in defaults:
        return ""
    value = defaults[qid]
    shown = f'"{value}"' if isinstance(value, str) else f"{value:.4g}" if isinstance(value, float) else str(value)
    return f"In the default variant (`STUDENT_ID = \"\"`) this gives `{question.answer_name} = {shown}`."


def solution_page(source_nb: nbformat.NotebookNode, exercise_id: str, defaults: dict | None = None) -> str:
    """The MyST text of the worked-solutions page of one exercise; ``defaults`` are the default variant's
    answers (question id -> value or letter), shown under each solution."""
    defaults = defaults or {}
    markdown = [c for c in source_nb.cells if c.cell_type == "markdown"]
    if not markdown or not markdown[0].source.startswith("# "):
        raise ReleaseError(f"{exercise_id}: the source must open with a Markdown cell holding a '# ' title")
    title = markdown[0].source.splitlines()[0][2:].strip()
    title = re.sub(r"^Exercises:\s*", "", title)
    parts = [
        f"# Worked solutions: {title}",
        "",
        f"These are worked solutions to {{doc}}`/{STUDENT_FOLDER}/{exercise_id}`, for readers who study on their own. "
        "Each solution is folded away: try the question first, then open it. The checks in the exercise "
        "notebook tell you whether your own answer is right.",
    ]
    open_dropdown = False
    for cell in source_nb.cells:
        tags = set(cell.metadata.get("tags", []))
        if cell is markdown[0] or TEST_TAG in tags or HIDDEN_TAG in tags or "remove-cell" in tags:
            continue
        if DISCUSSION_TAG in tags and cell.cell_type == "markdown":
            if not open_dropdown:
                raise ReleaseError(f"{exercise_id}: a cell tagged {DISCUSSION_TAG!r} must follow an answer cell")
            parts += ["", _absolute_links(cell.source)]
            continue
        if open_dropdown:
            parts.append(":::")
            open_dropdown = False
        if cell.cell_type == "markdown":
            parts += ["", _absolute_links(cell.source)]
        elif cell.cell_type == "code" and SOLUTION_TAG in tags:
            solution = _fence(worked_solution(cell.source))
            result = _default_answer(exercise_id, cell.get("id", "").removesuffix("-answer"), defaults)
            parts += ["", ":::{admonition} Worked solution", ":class: dropdown", "", solution,
                      *(["", result] if result else [])]
            open_dropdown = True
        elif cell.cell_type == "code" and cell.source.strip():
            parts += ["", _fence(cell.source.strip("\n"))]
    if open_dropdown:
        parts.append(":::")
    return "\n".join(parts) + "\n"


def solution_pages(source_dir: Path, target_dir: Path) -> dict[Path, str]:
    """The worked-solutions page of every source in ``source_dir``, by its path in ``target_dir``."""
    from ..exercises.key import load_key

    pages = {}
    for source in sorted(Path(source_dir).glob("*.ipynb")):
        try:
            defaults = load_key(source_dir, source.stem).public_checks()["default"]
        except (FileNotFoundError, ValueError) as error:
            raise ReleaseError(str(error)) from None
        pages[Path(target_dir) / f"{source.stem}.md"] = solution_page(nbformat.read(source, as_version=4),
                                                                     source.stem, defaults)
    return pages


def stale_pages(pages: dict[Path, str]) -> list[Path]:
    """The pages on disk that differ from what their sources give now (or are missing)."""
    return [path for path, text in pages.items() if not path.is_file() or path.read_text() != text]
