"""The gradebook: an SQLite database that only grows, its CSV export, and per-student feedback.

Every grading run adds one row to ``runs`` and one row per submission to ``grades``; nothing is
updated or deleted, so re-grading keeps every earlier result. The CSV holds the latest grade per
student and exercise, for a learning platform.
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

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
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    status TEXT NOT NULL,
    detail TEXT NOT NULL,
    points TEXT NOT NULL,          -- JSON object: question id -> points
    max_points TEXT NOT NULL,      -- JSON object: question id -> maximum points
    total INTEGER NOT NULL,
    max_total INTEGER NOT NULL,
    seconds REAL NOT NULL,
    graded_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS grades_by_student ON grades (student, exercise, grade_id);
"""

STATUSES = ("graded", "timeout", "kernel died", "memory limit", "invalid notebook", "integrity check failed")


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

    @property
    def total(self) -> int:
        return sum(s.points for s in self.scores)

    @property
    def max_total(self) -> int:
        return sum(s.max_points for s in self.scores)


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Gradebook:
    """The database at ``path`` (created if needed)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def start_run(self, submissions_dir: Path, exercise_filter: str | None, n_submissions: int) -> int:
        cursor = self.db.execute(
            "INSERT INTO runs (started_at, submissions_dir, exercise_filter, n_submissions) VALUES (?, ?, ?, ?)",
            (now(), str(submissions_dir), exercise_filter, n_submissions),
        )
        self.db.commit()
        return int(cursor.lastrowid)

    def finish_run(self, run_id: int) -> None:
        self.db.execute("UPDATE runs SET finished_at = ? WHERE run_id = ?", (now(), run_id))
        self.db.commit()

    def add(self, run_id: int, record: GradeRecord) -> None:
        if record.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {record.status!r}")
        self.db.execute(
            "INSERT INTO grades (run_id, student, exercise, file_name, file_sha256, status, detail, points, "
            "max_points, total, max_total, seconds, graded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (run_id, record.student, record.exercise, record.file_name, record.file_sha256, record.status,
             record.detail, json.dumps({s.qid: s.points for s in record.scores}),
             json.dumps({s.qid: s.max_points for s in record.scores}), record.total, record.max_total,
             round(record.seconds, 3), now()),
        )
        self.db.commit()

    def latest(self) -> list[sqlite3.Row]:
        """The latest grade of every (student, exercise), ordered by exercise and student."""
        self.db.row_factory = sqlite3.Row
        rows = self.db.execute(
            "SELECT g.* FROM grades g JOIN (SELECT student, exercise, MAX(grade_id) AS last FROM grades "
            "GROUP BY student, exercise) l ON g.grade_id = l.last ORDER BY g.exercise, g.student"
        ).fetchall()
        self.db.row_factory = None
        return rows

    def export_csv(self, path: Path) -> int:
        """Write the latest grades as CSV; returns the number of rows."""
        rows = self.latest()
        questions: list[str] = []
        for row in rows:
            for qid in json.loads(row["max_points"]):
                if qid not in questions:
                    questions.append(qid)
        questions.sort(key=lambda q: (len(q), q))
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["student", "exercise", "total", "max_total", "status", *questions])
            for row in rows:
                points = json.loads(row["points"])
                writer.writerow([row["student"], row["exercise"], row["total"], row["max_total"], row["status"],
                                 *[points.get(q, "") for q in questions]])
        return len(rows)


def feedback_markdown(record: GradeRecord, titles: dict[str, str]) -> str:
    """The feedback a student reads: status, total, and per question the verdict and what went wrong."""
    lines = [f"# Feedback: {record.exercise}", "", f"- Student: {record.student}",
             f"- Status: **{record.status}**", f"- Total: **{record.total} / {record.max_total}**"]
    if record.detail:
        lines.append(f"- Note: {record.detail}")
    lines += ["", "| Question | Points | Verdict |", "|---|---|---|"]
    for score in record.scores:
        lines.append(f"| {score.qid.upper()} {titles.get(score.qid, '')} | {score.points} / {score.max_points} | "
                     f"{score.verdict} |")
    for score in record.scores:
        if score.feedback:
            lines += ["", f"## {score.qid.upper()}: {titles.get(score.qid, '')}", ""]
            lines += [f"- {item}" for item in score.feedback]
    return "\n".join(lines) + "\n"


def feedback_path(folder: Path, student: str, exercise: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.@-]+", "_", f"{student}__{exercise}")
    return folder / f"{safe}.md"
