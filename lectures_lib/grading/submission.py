"""Reading a submitted notebook: who submitted it, for which exercise, and the answer cells.

A submission is hostile input. :func:`read_submission` reads at most :data:`MAX_FILE_BYTES` of a
regular file (never a link, a device or a pipe), parses it itself and raises only
:class:`InvalidSubmission`, with a message in the grader's own words, whatever the file holds.

Only the answer cells are taken from a submission; everything else is rebuilt from the instructor's
source, so edited, deleted or added cells change nothing. Answer cells are matched by their stable
cell id (``q1-answer``); if the ids were changed (some tools regenerate them), the cells still tagged
``solution`` are matched by position when their number is right. When several code cells carry one
answer id, the last one is graded (what *Run All* leaves in the kernel) and the submission is
flagged. An answer cell that cannot be graded (turned into Markdown, without a cell type, with a
source that is not text) costs that question only: it is listed in ``unanswerable`` with the reason.

Suspicious code is not a zero but a flag for the instructor: an answer that imports the course library
(whose ``exercises`` package holds the reference answers), reaches a module through ``sys.modules``,
``importlib``, ``__import__`` or ``globals()``, or uses a name of the exercise module that the notebook
itself does not use.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from .identity import Roster, clean_text, escape_text, file_name_text, student_identity
from .release import HIDDEN_TAG, METADATA_KEY, SOLUTION_TAG

ANSWER_SUFFIX = "-answer"
#: Files larger than this are refused before parsing.
MAX_FILE_BYTES = 20 * 1024**2
#: Answer cells longer than this are not analysed for suspicious code (they are flagged instead).
MAX_ANALYSED_CHARS = 1_000_000
#: At most this many review flags per submission.
MAX_FLAGS = 20
#: The course library; its ``exercises`` and ``grading`` packages hold the reference answers.
LIBRARY = "lectures_lib"
REFERENCE_PACKAGES = ("lectures_lib.exercises", "lectures_lib.grading")
_JSON_TYPES = {dict: "an object", list: "a list", str: "a string", bool: "true or false", type(None): "null",
               int: "a number", float: "a number"}


class InvalidSubmission(ValueError):
    """The file is not a gradable submission; the message says why."""


@dataclass(frozen=True)
class Submission:
    """What the grader takes from one submitted file."""

    path: Path
    student: str  # the roster id, or the raw identity (see identity.py)
    exercise_id: str
    answers: dict[str, str]  # question id -> source of the student's answer cell
    sha256: str
    notes: tuple[str, ...] = field(default_factory=tuple)  # for the student and the instructor (the detail)
    integrity_problems: tuple[str, ...] = field(default_factory=tuple)  # always empty: suspicious code is a flag
    file_name: str = ""  # the file's name as text, bytes that are not UTF-8 escaped
    student_field: str | None = None  # the notebook's student field as written (escaped), or None
    unanswerable: dict[str, str] = field(default_factory=dict)  # question id -> why its answer cannot be graded
    flags: tuple[str, ...] = field(default_factory=tuple)  # for the instructor to review
    file_mtime: float | None = None  # modification time of the file, seconds since the epoch


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def student_from_filename(path: Path) -> str:
    """The student identity a file name gives: its stem, NFC-normalised and stripped, nothing else."""
    return student_identity(None, file_name_text(Path(path).name))


def answer_ids(source_nb: nbformat.NotebookNode) -> list[str]:
    """The ids of the answer cells of an instructor source, in order."""
    return [c.id for c in source_nb.cells if SOLUTION_TAG in c.metadata.get("tags", [])]


def question_of(cell_id: str) -> str:
    """``q1-answer`` -> ``q1``."""
    if not cell_id.endswith(ANSWER_SUFFIX):
        raise ValueError(f"answer cells ids end with {ANSWER_SUFFIX!r}, got {cell_id!r}")
    return cell_id[: -len(ANSWER_SUFFIX)]


# -- reading the file -----------------------------------------------------------------------------------


def _read_bytes(path: Path) -> tuple[bytes, float]:
    """The file's bytes and modification time; only a regular file, never more than the limit."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as error:
        if Path(path).is_symlink():
            raise InvalidSubmission("the file is a symbolic link: not read") from None
        raise InvalidSubmission(f"the file cannot be opened ({type(error).__name__})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InvalidSubmission("not a regular file (a folder, a device or a pipe): not read")
        if info.st_size > MAX_FILE_BYTES:
            raise InvalidSubmission(f"the file is {info.st_size / 1024**2:.0f} MB, more than the "
                                    f"{MAX_FILE_BYTES // 1024**2} MB a notebook may have: not read")
        chunks, size = [], 0
        while size <= MAX_FILE_BYTES:
            block = os.read(fd, 1 << 20)
            if not block:
                break
            chunks.append(block)
            size += len(block)
        if size > MAX_FILE_BYTES:  # it grew while being read
            raise InvalidSubmission(f"the file is more than the {MAX_FILE_BYTES // 1024**2} MB a notebook may "
                                    "have: not read")
        return b"".join(chunks), info.st_mtime
    except OSError as error:
        raise InvalidSubmission(f"the file cannot be read ({type(error).__name__})") from None
    finally:
        os.close(fd)


def _parse(raw: bytes) -> dict[str, Any]:
    """The notebook's top-level JSON object, checked to be notebook format 4."""
    if not raw.strip():
        raise InvalidSubmission("the file is empty")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidSubmission(f"the file is not a notebook: it is not UTF-8 text (byte {error.start})") from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise InvalidSubmission("the file is not a notebook: its JSON is nested too deeply to read") from None
    except json.JSONDecodeError as error:
        raise InvalidSubmission(f"the file is not a notebook (not JSON: {error.msg} at line {error.lineno}, "
                                f"column {error.colno})") from None
    except ValueError:  # e.g. an integer with too many digits
        raise InvalidSubmission("the file is not a notebook (JSON that cannot be read)") from None
    if not isinstance(data, dict):
        raise InvalidSubmission(f"the file is JSON but not a notebook (its top level is "
                                f"{_JSON_TYPES.get(type(data), 'not an object')}, not an object)")
    if "nbformat" not in data:
        raise InvalidSubmission("the file is JSON but not a notebook: it has no format number (nbformat)")
    version = data["nbformat"]
    if type(version) is not int:
        raise InvalidSubmission(f"the notebook's format number (nbformat) is {_JSON_TYPES.get(type(version), 'odd')}"
                                ", not an integer")
    if version in (1, 2, 3):
        old = "Jupyter" if version == 3 else "IPython"
        raise InvalidSubmission(f"notebook format {version} (an old {old} format): save it again with Jupyter 4 "
                                "or later")
    if version != 4:
        raise InvalidSubmission(f"notebook format {version} is not a format this grader reads (it reads format 4)"
                                if version > 4 else f"notebook format {version} does not exist")
    if not isinstance(data.get("cells"), list):
        raise InvalidSubmission("the notebook has no list of cells")
    return data


@dataclass(frozen=True)
class _Cell:
    """One cell as far as it could be read."""

    index: int
    cell_type: str | None
    id: str | None
    source: str | None  # None when it is not text
    problem: str | None  # why the source could not be read
    tags: tuple[str, ...]


def _source_problem(source: Any, present: bool) -> str | None:
    if not present:
        return "it has no source"
    if isinstance(source, str):
        return None
    if isinstance(source, list):
        return None if all(isinstance(s, str) for s in source) else "its source is a list of something else than text"
    return f"its source is {_JSON_TYPES.get(type(source), 'not text')}, not text"


#: A line only IPython understands: a magic or a shell command, alone or assigned (``x = !ls``).
_IPYTHON_LINE = re.compile(r"^\s*([A-Za-z_][\w, ]*=\s*)?[%!]")

#: Attributes an honest answer has no use for and that lead from any object to the reference answers: the
#: variables of a function's closure or module, the calling frames, the exercise's questions. Reading one is
#: flagged whatever name the object has (the sandbox cannot hide the library: see the instructors' page).
INTROSPECTION = frozenset({"__closure__", "cell_contents", "__globals__", "__dict__", "__code__", "_getframe",
                           "f_locals", "f_globals", "f_back", "EXERCISE", "EXERCISES", "expected", "reference",
                           "modules", "__self__", "__wrapped__"})

#: More cells than any exercise has, by far: a file with more is refused before its cells are read, so that a
#: small file cannot make the grader build millions of objects.
MAX_CELLS = 2000


def _cells(raw_cells: Iterable[Any]) -> list[_Cell]:
    if isinstance(raw_cells, list) and len(raw_cells) > MAX_CELLS:
        raise InvalidSubmission(f"the notebook has {len(raw_cells):,} cells, more than the {MAX_CELLS:,} a "
                                "submission may have: not read")
    cells = []
    for index, raw in enumerate(raw_cells):
        if not isinstance(raw, dict):
            cells.append(_Cell(index, None, None, None, "it is not a JSON object", ()))
            continue
        cell_type = raw.get("cell_type") if isinstance(raw.get("cell_type"), str) else None
        cell_id = raw.get("id") if isinstance(raw.get("id"), str) else None
        metadata = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else {}
        tags = metadata.get("tags")
        tags = tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else ()
        source = raw.get("source")
        problem = _source_problem(source, "source" in raw)
        text = None if problem else source if isinstance(source, str) else "".join(source)
        cells.append(_Cell(index, cell_type, cell_id, text, problem, tags))
    return cells


def _identify(metadata: dict[str, Any], cells: list[_Cell], sources: dict[str, nbformat.NotebookNode]) -> str:
    meta = metadata.get(METADATA_KEY)
    claimed = meta.get("exercise") if isinstance(meta, dict) else None
    if isinstance(claimed, str) and claimed in sources:
        return claimed
    ids = {c.id for c in cells if c.id is not None}
    matches = [eid for eid, src in sources.items() if set(answer_ids(src)) <= ids]
    if len(matches) > 1:  # several exercises use the same answer ids: keep the one sharing most cells
        texts = {c.source for c in cells if c.source is not None}
        shared = {eid: sum(c.source in texts for c in sources[eid].cells) for eid in matches}
        best = max(shared.values())
        matches = [eid for eid in matches if shared[eid] == best]
    if len(matches) == 1:
        return matches[0]
    raise InvalidSubmission("cannot tell which exercise this notebook is: no exercise metadata and no "
                            "matching answer cells")


def identify_exercise(nb: dict[str, Any], sources: dict[str, nbformat.NotebookNode]) -> str:
    """The exercise a notebook (a ``NotebookNode`` or its JSON object) belongs to: its metadata, or else
    the source whose answer ids it holds."""
    metadata = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    cells = nb.get("cells") if isinstance(nb.get("cells"), list) else []
    return _identify(metadata, _cells(cells), sources)


_COUNT_WORDS = {2: "two", 3: "three", 4: "four", 5: "five"}


def _why_unanswerable(qid: str, cell: _Cell) -> str | None:
    """Why this answer cell cannot be graded, in the grader's words; None when it can."""
    label = f"the answer cell of {qid.upper()}"
    if cell.cell_type == "code":
        return None if cell.problem is None else f"{label} cannot be read: {cell.problem}"
    if cell.cell_type == "markdown":
        return f"{label} is a Markdown cell, not code"
    if cell.cell_type == "raw":
        return f"{label} is a raw cell, not code"
    if cell.problem == "it is not a JSON object":
        return f"{label} is not a JSON object"
    if cell.cell_type is None:
        return f"{label} has no cell type (the file was edited outside Jupyter)"
    return f"{label} has an unknown cell type"


def _answer_cells(cells: list[_Cell], wanted: list[str]) -> tuple[dict[str, list[_Cell]], list[str]]:
    """Answer id -> the cells that carry it, and notes; raises when answer cells are missing."""
    by_id: dict[str, list[_Cell]] = {}
    for cell in cells:
        if cell.id is not None:
            by_id.setdefault(cell.id, []).append(cell)
    if all(cid in by_id for cid in wanted):
        return {cid: by_id[cid] for cid in wanted}, []
    tagged = [c for c in cells if SOLUTION_TAG in c.tags]
    missing = [cid for cid in wanted if cid not in by_id]
    if len(tagged) != len(wanted):
        raise InvalidSubmission(f"answer cells missing: {', '.join(missing)}")
    note = "answer cells matched by position: their ids had changed (" + ", ".join(missing) + ")"
    return {cid: [cell] for cid, cell in zip(wanted, tagged, strict=True)}, [note]


# -- suspicious code --------------------------------------------------------------------------------------


def exercise_module_usage(source: nbformat.NotebookNode) -> tuple[set[str], set[str]]:
    """The names the instructor source binds to its exercise module (``ex``) and the attributes of it that
    the notebook's own cells use (``check``, ``dataset``): an answer may use those."""
    aliases: set[str] = set()
    trees = []
    for cell in source.cells:
        if cell.cell_type != "code" or SOLUTION_TAG in cell.metadata.get("tags", []) \
                or HIDDEN_TAG in cell.metadata.get("tags", []):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        trees.append(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(f"{LIBRARY}.exercises"):
                aliases.update(a.asname or a.name for a in node.names)
    used = {node.attr for tree in trees for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases}
    return aliases, used


def _is_reference(module: str) -> bool:
    """True for the library itself and its packages that hold the reference answers."""
    return module == LIBRARY or any(module == p or module.startswith(p + ".") for p in REFERENCE_PACKAGES)


def _library_flag(qid: str, module: str) -> str:
    name = clean_text(module, 60)
    if _is_reference(module):
        return f"{qid.upper()}: the answer imports {name} (the module that holds the reference answers): please review"
    return f"{qid.upper()}: the answer imports {name} from the course library: please review"


def suspicious_code(qid: str, source: str, exercise_aliases: set[str] = frozenset({"ex"}),  # type: ignore[assignment]
                    allowed: set[str] = frozenset({"check", "dataset"})) -> list[str]:  # type: ignore[assignment]
    """Flags for the instructor about one answer cell; an empty list for honest code (printing, ``sys.exit``,
    ``ex.dataset()`` where the notebook uses it). A syntax error is not suspicious: it is graded as wrong."""
    Q = qid.upper()
    if len(source) > MAX_ANALYSED_CHARS:
        return [f"{Q}: the answer is longer than {MAX_ANALYSED_CHARS:,} characters and was not analysed: "
                "please review"]
    flags = []
    # IPython's magic and shell lines are not Python: an import hidden in one is invisible to the parser
    magic = [line.strip() for line in source.splitlines() if _IPYTHON_LINE.match(line)]
    if any(LIBRARY in line or "import" in line for line in magic):
        flags.append(f"{Q}: the answer imports through an IPython magic or shell line: please review")
    code = "\n".join("" if _IPYTHON_LINE.match(line) else line for line in source.splitlines())
    try:
        tree = ast.parse(code)
    except Exception:  # SyntaxError, ValueError (null bytes), RecursionError, MemoryError
        if not magic:  # a plain syntax error is graded as wrong; IPython syntax that hides the rest is flagged
            return flags
        return [*flags, f"{Q}: the answer mixes IPython syntax with code that could not be analysed: please review"]
    introspection = [f"{Q}: the answer reads .{node.attr} (introspection can reach the reference answers): "
                     "please review" for node in ast.walk(tree)
                     if isinstance(node, ast.Attribute) and node.attr in INTROSPECTION]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                root = alias.name.split(".")[0]
                if root == LIBRARY:
                    flags.append(_library_flag(qid, alias.name))
                elif root == "importlib":
                    flags.append(f"{Q}: the answer imports importlib (it can load the module that holds the "
                                 "reference answers): please review")
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 0 and module.split(".")[0] == LIBRARY:
                names = [module if a.name == "*" else f"{module}.{a.name}" for a in node.names]
                if module != LIBRARY:
                    names.insert(0, module)
                reference = [n for n in names if _is_reference(n)]
                flags.append(_library_flag(qid, reference[0] if reference else names[0]))
            elif node.level == 0 and module.split(".")[0] == "importlib":
                flags.append(f"{Q}: the answer imports from importlib (it can load the module that holds the "
                             "reference answers): please review")
        elif isinstance(node, ast.Name) and node.id == "__import__":
            flags.append(f"{Q}: the answer uses __import__ (it can load the module that holds the reference "
                         "answers): please review")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "sys" and node.attr == "modules":
                flags.append(f"{Q}: the answer reads sys.modules (it can reach the module that holds the reference "
                             "answers): please review")
            elif node.value.id in exercise_aliases and node.attr not in allowed:
                flags.append(f"{Q}: the answer uses {clean_text(node.value.id, 40)}.{clean_text(node.attr, 40)}, "
                             "which the notebook does not use (the module holds the reference answers): please review")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in ("globals", "locals") and not node.args:
                flags.append(f"{Q}: the answer calls {node.func.id}() (it can reach the module that holds the "
                             "reference answers): please review")
            elif node.func.id in ("getattr", "vars", "dir") and node.args and isinstance(node.args[0], ast.Name) \
                    and node.args[0].id in exercise_aliases:
                flags.append(f"{Q}: the answer calls {node.func.id}() on {clean_text(node.args[0].id, 40)}, the "
                             "module that holds the reference answers: please review")
    return list(dict.fromkeys(flags or introspection))  # the precise flags when there are any


def _bounded(flags: list[str]) -> tuple[str, ...]:
    unique = list(dict.fromkeys(flags))
    if len(unique) > MAX_FLAGS:
        return (*unique[: MAX_FLAGS - 1], f"and {len(unique) - MAX_FLAGS + 1} more flags")
    return tuple(unique)


# -- the submission -----------------------------------------------------------------------------------------


def read_submission(path: Path, sources: dict[str, nbformat.NotebookNode], expected: str | None = None,
                    roster: Roster | None = None) -> Submission:
    """Parse ``path``; raise :class:`InvalidSubmission`, and nothing else, when it cannot be graded.

    ``sources`` maps exercise ids to instructor notebooks; ``expected``, if given, is the only
    exercise accepted. With a ``roster``, the student is the roster's ``student_id`` when the student
    field or the file stem matches one, and the submission is flagged "not on the roster" otherwise.
    """
    try:
        return _read(Path(path), sources, expected, roster)
    except InvalidSubmission:
        raise
    except RecursionError:
        raise InvalidSubmission("the file is not a notebook: it is nested too deeply to read") from None
    except MemoryError:
        raise InvalidSubmission("the file is too large to read in memory") from None
    except Exception as error:  # anything else a malformed file can cause: never a crash of the batch
        raise InvalidSubmission(f"the file cannot be read as a notebook ({type(error).__name__})") from None


def _read(path: Path, sources: dict[str, nbformat.NotebookNode], expected: str | None,
          roster: Roster | None) -> Submission:
    raw, mtime = _read_bytes(path)
    sha256 = hashlib.sha256(raw).hexdigest()
    data = _parse(raw)
    del raw
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    cells = _cells(data["cells"])
    exercise_id = _identify(metadata, cells, sources)
    if expected is not None and exercise_id != expected:
        raise InvalidSubmission(f"this is a notebook of exercise {clean_text(exercise_id)!r}, not {expected!r}")
    source = sources[exercise_id]
    chosen, notes = _answer_cells(cells, answer_ids(source))
    aliases, allowed = exercise_module_usage(source)
    answers: dict[str, str] = {}
    unanswerable: dict[str, str] = {}
    flags: list[str] = []
    for cid, group in chosen.items():
        qid = question_of(cid)
        code = [c for c in group if c.cell_type == "code"]
        cell = code[-1] if code else group[-1]
        if len(group) > 1:
            count = _COUNT_WORDS.get(len(group), str(len(group)))
            which = "the last one" if len(code) == len(group) else "the last code cell"
            flags.append(f"{count} cells have the id {cid}: {which} was graded")
        reason = _why_unanswerable(qid, cell)
        if reason is not None:
            unanswerable[qid] = reason
            continue
        assert cell.source is not None
        answers[qid] = cell.source
        flags += suspicious_code(qid, cell.source, aliases, allowed)

    file_name = file_name_text(path.name)
    meta = metadata.get(METADATA_KEY)
    field_value = meta.get("student") if isinstance(meta, dict) else None
    if field_value is None or field_value == "":  # a copy the student filled in: its STUDENT_ID cell says who
        field_value = student_id_cell(cells) or field_value
    student_field = escape_text(field_value) if isinstance(field_value, str) else None
    if field_value is not None and not isinstance(field_value, str):
        flags.append("the student field of the notebook is not text: the file name was used")
    if roster is not None:
        student, roster_flags = roster.resolve(student_field, file_name)
        flags += roster_flags
    else:
        student = student_identity(student_field, file_name)
    return Submission(path, student, exercise_id, answers, sha256, tuple(notes), (), file_name, student_field,
                      unanswerable, _bounded(flags), mtime)


#: The id of the cell that sets ``STUDENT_ID`` in a student copy.
STUDENT_ID_CELL = "student-id"
_STUDENT_ID_LINE = re.compile(r"^\s*STUDENT_ID\s*=\s*(?P<literal>(?:'[^'\\\n]{0,200}'|\"[^\"\\\n]{0,200}\"))"
                              r"\s*(?:#[^\n]*)?$")


def student_id_cell(cells: list[_Cell]) -> str | None:
    """The string the submission's ``STUDENT_ID`` cell sets (a line holding only a plain quoted literal and
    perhaps a comment; an expression is no claim), or None. Only read as a claim of identity: the grader
    decides with the roster and the file name."""
    for cell in cells:
        if cell.id == STUDENT_ID_CELL and cell.cell_type == "code" and isinstance(cell.source, str):
            for line in cell.source[:10_000].splitlines():
                match = _STUDENT_ID_LINE.match(line)
                if match:
                    return match.group("literal")[1:-1]
    return None


def file_mtime(path: Path) -> float | None:
    """The modification time of ``path`` (not following a link), or None if it cannot be read."""
    with contextlib.suppress(OSError):
        return os.lstat(path).st_mtime
    return None
