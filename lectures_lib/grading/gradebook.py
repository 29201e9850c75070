"""The gradebook: an SQLite database that only grows, its CSV export, and per-student feedback.

Every grading run adds one row to ``runs`` and one row per submitted file to ``grades``; rows are
committed one by one and never deleted, and their grades never change, so re-grading keeps every
earlier result. Only the review ``flags`` of a row may grow while its run goes on (see below).

Only the grader process writes the gradebook, and only one grader per output folder: opening a
:class:`Gradebook` takes an exclusive, non-blocking lock (``flock``) on ``.grader.lock`` beside the
database, and a second grader gets a ``RuntimeError`` instead of a corrupted database.

Which row counts. Several files of one student for one exercise in one run are all graded and
recorded, and each is flagged "N files from this student for this exercise: the latest (by
modification time, then by name) counts". For every (student, exercise), :meth:`Gradebook.latest`
and the CSV take the row of the latest run, and within that run the row of the file with the latest
modification time; equal times are decided by the file name (the last in code point order counts),
then by the order the rows were written.

Everything stored is valid UTF-8: characters that cannot be encoded (lone surrogates) are escaped
(``\\ud800``). The CSV neutralises spreadsheet formulas: a text cell that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return gets a leading apostrophe (OWASP's advice on CSV injection).
The feedback quotes student-controlled text (the name, the file name) only in a bounded, escaped form
and is cut at :data:`MAX_FEEDBACK_BYTES`.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .identity import clean_text, escape_text, markdown_text, short_hash, slug
from .scoring import QuestionScore

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    submissions_dir TEXT NOT NULL,
    exercise_filter TEXT,
    n_submissions INTEGER
);
CREATE TABLE IF NOT EXISTS grades (
    grade_id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs(run_id),
    student TEXT NOT NULL,
    exercise TEXT NOT NULL,
    file_name TEXT NOT NULL,       -- the file's name, bytes that are not UTF-8 escaped
    file_sha256 TEXT NOT NULL,
    status TEXT NOT NULL,
    detail TEXT NOT NULL,
    points TEXT NOT NULL,          -- JSON object: question id -> points
    max_points TEXT NOT NULL,      -- JSON object: question id -> maximum points
    total INTEGER NOT NULL,
    max_total INTEGER NOT NULL,
    seconds REAL NOT NULL,
    graded_at TEXT NOT NULL,
    student_field TEXT,            -- the notebook's student field as written, or NULL
    flags TEXT NOT NULL DEFAULT '[]',  -- JSON list of strings for the instructor to review
    file_mtime REAL                -- modification time of the file, seconds since the epoch
);
"""
#: Columns added since the first schema, with their definitions: added to an older database on opening.
ADDED_COLUMNS = {
    "student_field": "TEXT",
    "flags": "TEXT NOT NULL DEFAULT '[]'",
    "file_mtime": "REAL",
}
INDEXES = "CREATE INDEX IF NOT EXISTS grades_by_student ON grades (student, exercise, grade_id);"

STATUSES = ("graded", "timeout", "kernel died", "memory limit", "invalid notebook", "integrity check failed",
            "grader error")
LOCK_NAME = ".grader.lock"
#: Longest detail stored, in characters; most flags per row and longest flag.
MAX_DETAIL = 2000
MAX_FLAGS = 50
MAX_FLAG = 300
MAX_FEEDBACK_BYTES = 20_000
DUPLICATE_FLAG = "{n} files from this student for this exercise: the latest (by modification time, then by name) counts"
_DUPLICATE_END = " files from this student for this exercise: the latest (by modification time, then by name) counts"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class GradeRecord:
    """One submission's result in one run."""

    student: str
    exercise: str
    file_name: str
    file_sha256: str
    status: str
    detail: str
    scores: tuple[QuestionScore, ...]
    seconds: float
    flags: tuple[str, ...] = ()
    file_mtime: float | None = None
    student_field: str | None = None

    @property
    def total(self) -> int:
        return sum(s.points for s in self.scores)

    @property
    def max_total(self) -> int:
        return sum(s.max_points for s in self.scores)


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# -- the lock -------------------------------------------------------------------------------------------


def _lock(folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    lock_path = folder / LOCK_NAME
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)  # not inherited by child processes
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise RuntimeError(f"another grader is writing to {folder} (lock {lock_path} is held)") from None
    return fd


def _unlock(fd: int | None) -> None:
    if fd is not None:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@contextlib.contextmanager
def acquire_output_lock(folder: Path) -> Iterator[Path]:
    """Hold the output folder's lock for the block (the lock a :class:`Gradebook` in ``folder`` takes, so
    open that one with ``lock=False`` inside). Raises ``RuntimeError`` if another grader holds it."""
    fd = _lock(Path(folder))
    try:
        yield Path(folder) / LOCK_NAME
    finally:
        _unlock(fd)


# -- the database ---------------------------------------------------------------------------------------


def _clean(text: object, limit: int) -> str:
    """Text for the database: encodable, at most ``limit`` characters (control characters kept)."""
    text = escape_text(text if isinstance(text, str) else str(text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _stored_flags(flags: tuple[str, ...] | list[str]) -> list[str]:
    cleaned = [clean_text(f, MAX_FLAG) for f in flags if str(f).strip()]
    return list(dict.fromkeys(cleaned))[:MAX_FLAGS]


class Gradebook:
    """The database at ``path`` (created if needed; an older schema gains the new columns).

    With ``lock`` (the default) it holds the output folder's lock until :meth:`close`: a second
    ``Gradebook`` on the same folder raises ``RuntimeError``. Pass ``lock=False`` to read, or when the
    lock is already held with :func:`acquire_output_lock`.
    """

    def __init__(self, path: Path, lock: bool = True) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_fd = _lock(self.path.parent) if lock else None
        try:
            self.db = sqlite3.connect(self.path)
            self.db.executescript(SCHEMA)
            self._migrate()
            self.db.executescript(INDEXES)
        except BaseException:
            _unlock(self._lock_fd)
            self._lock_fd = None
            raise

    def _migrate(self) -> None:
        present = {row[1] for row in self.db.execute("PRAGMA table_info(grades)")}
        for name, definition in ADDED_COLUMNS.items():
            if name not in present:
                self.db.execute(f"ALTER TABLE grades ADD COLUMN {name} {definition}")
        self.db.commit()

    def close(self) -> None:
        try:
            self.db.close()
        finally:
            _unlock(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start_run(self, submissions_dir: Path, exercise_filter: str | None, n_submissions: int) -> int:
        cursor = self.db.execute(
            "INSERT INTO runs (started_at, submissions_dir, exercise_filter, n_submissions) VALUES (?, ?, ?, ?)",
            (now(), escape_text(os.fsdecode(submissions_dir)),
             None if exercise_filter is None else escape_text(exercise_filter), n_submissions),
        )
        self.db.commit()
        return int(cursor.lastrowid)

    def finish_run(self, run_id: int) -> None:
        self.db.execute("UPDATE runs SET finished_at = ? WHERE run_id = ?", (now(), run_id))
        self.db.commit()

    def add(self, run_id: int, record: GradeRecord) -> None:
        """Write one row and commit it. Another file of the same student and exercise in this run flags
        both rows (the flag gives the number of files)."""
        if record.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {record.status!r}")
        student, exercise = _clean(record.student, 10_000), _clean(record.exercise, 200)
        mtime = record.file_mtime if isinstance(record.file_mtime, (int, float)) else None
        try:
            self.db.execute(
                "INSERT INTO grades (run_id, student, exercise, file_name, file_sha256, status, detail, points, "
                "max_points, total, max_total, seconds, graded_at, student_field, flags, file_mtime) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, student, exercise, _clean(record.file_name, 10_000), _clean(record.file_sha256, 64),
                 record.status, _clean(record.detail, MAX_DETAIL),
                 json.dumps({s.qid: s.points for s in record.scores}),
                 json.dumps({s.qid: s.max_points for s in record.scores}), record.total, record.max_total,
                 round(float(record.seconds), 3), now(),
                 None if record.student_field is None else _clean(record.student_field, 10_000),
                 json.dumps(_stored_flags(record.flags)), mtime),
            )
            self._flag_duplicates(run_id, student, exercise)
        except BaseException:
            self.db.rollback()
            raise
        self.db.commit()

    def _flag_duplicates(self, run_id: int, student: str, exercise: str) -> None:
        rows = self.db.execute("SELECT grade_id, flags FROM grades WHERE run_id = ? AND student = ? AND exercise = ?",
                               (run_id, student, exercise)).fetchall()
        if len(rows) < 2:
            return
        flag = DUPLICATE_FLAG.format(n=len(rows))
        for grade_id, stored in rows:
            try:
                flags = [f for f in json.loads(stored) if isinstance(f, str)]
            except (TypeError, ValueError):
                flags = []
            flags = [f for f in flags if not f.endswith(_DUPLICATE_END)] + [flag]
            self.db.execute("UPDATE grades SET flags = ? WHERE grade_id = ?", (json.dumps(flags), grade_id))

    def latest(self) -> list[sqlite3.Row]:
        """The row that counts for every (student, exercise) (see the module's docstring), ordered by
        exercise and student."""
        cursor = self.db.cursor()
        cursor.row_factory = sqlite3.Row
        return cursor.execute(
            "SELECT g.* FROM grades g JOIN (SELECT grade_id, ROW_NUMBER() OVER (PARTITION BY student, exercise "
            "ORDER BY run_id DESC, file_mtime IS NULL, file_mtime DESC, file_name DESC, grade_id DESC) AS rank "
            "FROM grades) r ON g.grade_id = r.grade_id WHERE r.rank = 1 ORDER BY g.exercise, g.student"
        ).fetchall()

    def export_csv(self, path: Path) -> int:
        """Write the grades that count as CSV; returns the number of rows."""
        rows = self.latest()
        questions: list[str] = []
        for row in rows:
            for qid in _json(row["max_points"], {}):
                if qid not in questions:
                    questions.append(qid)
        questions.sort(key=lambda q: (len(q), q))
        with Path(path).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow([csv_cell(c) for c in
                             ["student", "exercise", "total", "max_total", "status", *questions, "file_name", "flags"]])
            for row in rows:
                points = _json(row["points"], {})
                flags = [f for f in _json(row["flags"], []) if isinstance(f, str)]
                writer.writerow([csv_cell(c) for c in
                                 [row["student"], row["exercise"], row["total"], row["max_total"], row["status"],
                                  *[points.get(q, "") for q in questions], row["file_name"], "; ".join(flags)]])
        return len(rows)


def counted_records(records: list[GradeRecord] | tuple[GradeRecord, ...]) -> list[GradeRecord]:
    """Of the records of one run, the one that counts per (student, exercise), by the rule of
    :meth:`Gradebook.latest` (latest modification time, then last file name, then last written): the
    records whose feedback to write when a student handed in several files."""
    best: dict[tuple[str, str], tuple[tuple, GradeRecord]] = {}
    for order, record in enumerate(records):
        mtime = record.file_mtime if isinstance(record.file_mtime, (int, float)) else None
        key = (mtime is not None, mtime or 0.0, escape_text(record.file_name), order)
        group = (escape_text(record.student), escape_text(record.exercise))
        if group not in best or key > best[group][0]:
            best[group] = (key, record)
    return [record for _, record in best.values()]


def _json(text: object, default: object) -> object:
    try:
        value = json.loads(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
    return value if isinstance(value, type(default)) else default


def csv_cell(value: object) -> object:
    """A CSV cell that no spreadsheet runs as a formula: text starting with ``= + - @``, a tab or a carriage
    return gets a leading apostrophe. Numbers are left as they are."""
    if isinstance(value, str):
        value = escape_text(value)
        return "'" + value if value.startswith(_FORMULA_START) else value
    return value


# -- feedback -------------------------------------------------------------------------------------------


def _feedback_line(text: str) -> str:
    """A line of the grader's own feedback: one line, no control characters, bounded, and set as code, so that
    the parts a student controls (a type or exception name, a returned value) cannot become markup or links."""
    return "`" + clean_text(text, 600).replace("`", "'") + "`"


def feedback_markdown(record: GradeRecord, titles: dict[str, str]) -> str:
    """The feedback a student reads: status, total, and per question the verdict and what went wrong.

    Student-controlled text (the name, the file name) appears cut to 80 characters and escaped; the
    whole text is at most :data:`MAX_FEEDBACK_BYTES` bytes of UTF-8, with a last line saying it was cut.
    """
    lines = [f"# Feedback: {markdown_text(record.exercise)}", "", f"- Student: {markdown_text(record.student)}"]
    if record.file_name:
        lines.append(f"- File: {markdown_text(record.file_name)}")
    lines += [f"- Status: **{markdown_text(record.status)}**", f"- Total: **{record.total} / {record.max_total}**"]
    if record.detail:
        lines.append(f"- Note: {markdown_text(record.detail, 600)}")
    for flag in record.flags[:10]:  # for the instructor's review; the points stand as computed
        lines.append(f"- Flagged for review: {markdown_text(flag, 300)}")
    lines += ["", "| Question | Points | Verdict |", "|---|---|---|"]
    for score in record.scores:
        title = markdown_text(titles.get(score.qid, ""))
        lines.append(f"| {markdown_text(score.qid.upper())} {title} | {score.points} / {score.max_points} | "
                     f"{markdown_text(score.verdict)} |")
    for score in record.scores:
        if score.feedback:
            lines += ["", f"## {markdown_text(score.qid.upper())}: {markdown_text(titles.get(score.qid, ''))}", ""]
            lines += [f"- {_feedback_line(item)}" for item in score.feedback]
    return _bounded_markdown(lines)


def _bounded_markdown(lines: list[str]) -> str:
    cut = f"*This feedback was cut here: it was longer than {MAX_FEEDBACK_BYTES // 1000} kB.*"
    budget = MAX_FEEDBACK_BYTES - len(cut.encode("utf-8")) - 2
    kept, size = [], 0
    for line in lines:
        size += len(line.encode("utf-8", "backslashreplace")) + 1
        if size > budget:
            return "\n".join([*kept, "", cut]) + "\n"
        kept.append(line)
    return "\n".join(kept) + "\n"


def feedback_path(folder: Path, student: str, exercise: str) -> Path:
    """The feedback file of one student and exercise: a readable slug of each and a short hash of the exact
    pair, so that different students never share a file (even "Zoë" and "Zoé", or two long names that
    begin alike). No path separator, no leading dot, under 150 bytes."""
    name = f"{slug(student, 60)}__{slug(exercise, 40)}__{short_hash(student + chr(0) + exercise)}.md"
    return Path(folder) / name
