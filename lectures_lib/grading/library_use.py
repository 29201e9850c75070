"""Answers that call the course library's own version of what the question asks for.

A question that asks a student to write ``training_flops`` is not answered by calling
``lectures_lib.compute.training_flops``. The answer key lists such functions per question (``forbidden``)
and says what follows (``if_forbidden``): ``"flag"`` keeps the score and tells the student and the
instructor, ``"zero"`` scores the question 0.

The check reads the code, it does not run it. It follows ``import`` and ``from ... import`` of the library
(in the answer cells and in the source's given cells), aliases made by plain assignment
(``f = compute.training_flops``), and attribute chains (``ch.HOFFMANN_2022.compute_optimal``); names are
resolved to the library's objects in the grader's own process, so a re-export (``lectures_lib.x`` and
``lectures_lib.compute.x``) is the same function. A rule ``"*.name"`` matches the attribute ``name`` on any
object (for methods). Code that builds a name at run time (``getattr`` with a string) escapes it; such
code is flagged for review by :mod:`.submission` on other grounds.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

import nbformat

from ..exercises.key import Key
from .release import HIDDEN_TAG, SOLUTION_TAG, TEST_TAG
from .scoring import QuestionScore

LIBRARY = "lectures_lib"


def _parse(source: str) -> ast.AST | None:
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        return ast.parse("\n".join(lines))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _dotted(node: ast.AST, aliases: Mapping[str, str]) -> str | None:
    """The library path of a ``Name`` or an ``Attribute`` chain on one, or None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id in aliases:
        return ".".join([aliases[node.id], *reversed(parts)])
    return None


def _bind_imports(tree: ast.AST, aliases: dict[str, str]) -> None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == LIBRARY or alias.name.startswith(LIBRARY + "."):
                    if alias.asname:
                        aliases[alias.asname] = alias.name
                    else:
                        aliases[alias.name.split(".")[0]] = LIBRARY
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and (
                node.module == LIBRARY or node.module.startswith(LIBRARY + ".")):
            for alias in node.names:
                if alias.name != "*":
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"


def _bind_assignments(tree: ast.AST, aliases: dict[str, str]) -> None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            path = _dotted(node.value, aliases)
            if path is not None:
                aliases[node.targets[0].id] = path


def library_aliases(trees: Iterable[ast.AST]) -> dict[str, str]:
    """Local name -> library path, from imports and plain assignments in ``trees`` (in order)."""
    aliases: dict[str, str] = {}
    trees = list(trees)
    for tree in trees:
        _bind_imports(tree, aliases)
    for _ in range(3):  # aliases of aliases
        for tree in trees:
            _bind_assignments(tree, aliases)
    return aliases


def used_paths(tree: ast.AST, aliases: Mapping[str, str]) -> tuple[set[str], set[str]]:
    """The library paths an answer refers to (every prefix of every chain) and every attribute name it reads."""
    paths, attributes = set(), set()
    imported: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):  # importing the function is using it
            _bind_imports(ast.Module(body=[node], type_ignores=[]), imported)
        if isinstance(node, ast.Attribute):
            attributes.add(node.attr)
        if isinstance(node, (ast.Name, ast.Attribute)):
            path = _dotted(node, aliases)
            if path is not None:
                paths.add(path)
    paths.update(imported.values())
    return paths, attributes


def resolve(path: str) -> Any:
    """The object at a dotted library path (``lectures_lib.compute.training_flops``), or None."""
    parts = path.split(".")
    if parts[0] != LIBRARY:
        return None
    for split in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except Exception:
            continue
        try:
            for attribute in parts[split:]:
                obj = getattr(obj, attribute)
        except Exception:
            return None
        return getattr(obj, "__func__", obj)
    return None


def _same(a: Any, b: Any) -> bool:
    return a is not None and b is not None and a is b


def forbidden_uses(answer: str, other_trees: list[ast.AST], forbidden: Iterable[str]) -> list[str]:
    """The rules of ``forbidden`` that the answer's code breaks, as written in the key."""
    tree = _parse(answer)
    if tree is None:
        return []
    aliases = library_aliases([*other_trees, tree])
    paths, attributes = used_paths(tree, aliases)
    objects = [resolve(path) for path in paths]
    broken = []
    for rule in forbidden:
        if rule.startswith("*."):
            if rule[2:] in attributes:
                broken.append(rule)
        elif rule in paths or any(_same(resolve(rule), obj) for obj in objects):
            broken.append(rule)
    return broken


def given_trees(source: nbformat.NotebookNode) -> list[ast.AST]:
    """The parsed code cells of a source that the student does not write (setup cells)."""
    trees = []
    for cell in source.cells:
        tags = cell.metadata.get("tags", [])
        if cell.cell_type == "code" and not {SOLUTION_TAG, TEST_TAG, HIDDEN_TAG} & set(tags):
            tree = _parse(cell.source)
            if tree is not None:
                trees.append(tree)
    return trees


def apply_library_rules(key: Key, scores: list[QuestionScore], answers: Mapping[str, str],
                        source: nbformat.NotebookNode) -> tuple[list[QuestionScore], list[str]]:
    """The scores after the key's library rules, and the review flags they raise."""
    shared = given_trees(source) + [t for t in (_parse(a) for a in answers.values()) if t is not None]
    out, flags = [], []
    for score in scores:
        answer = key[score.qid]
        broken = forbidden_uses(answers.get(score.qid, ""), shared, answer.forbidden) if answer.forbidden else []
        if not broken:
            out.append(score)
            continue
        names = ", ".join(rule.removeprefix("*.") for rule in broken)
        label = score.qid.upper()
        if answer.if_forbidden == "zero":
            note = f"uses {names}, the library's own version of what this question asks you to write: scored 0"
            out.append(replace(score, points=0, verdict="wrong" if score.verdict == "correct" else score.verdict,
                               feedback=(*score.feedback, note)))
        else:
            note = f"uses {names}, the library's own version of what this question asks you to write"
            out.append(replace(score, feedback=(*score.feedback, note)))
        flags.append(f"{label}: used {names} (the library's own implementation): please review")
    return out, flags
