"""Who handed in a file: identities taken as they are, shown safely, matched against a roster.

A submission's student is the ``student`` field of its notebook metadata when it is filled in,
otherwise the stem of its file name. Either is taken as the student wrote it: Unicode-normalised
(NFC) and stripped of surrounding spaces, but never accent-folded nor reduced to ASCII, so "Zoë" and
"Zoé" are two students and a Chinese name stays as it is.

Text that cannot be encoded (a lone UTF-16 surrogate from JSON such as ``"\\ud800"``, or a file name
that is not UTF-8, as unzip leaves Latin-1 names) is stored with the bad characters or bytes escaped
(``\\ud800``, ``\\xeb``), so SQLite, CSV, Markdown and file names never see it raw.

Wherever an identity becomes a file name or a line a person reads, it is shown in a bounded form:
the first :data:`DISPLAY_CHARS` characters, then ``…`` and a short hash of the whole, so that two long
names never look the same. The gradebook keeps the full value.

A roster (:func:`load_roster`) is a CSV file with a header and a ``student_id`` column (``name`` and
``email`` optional). A submission matches a student when its student field, or else its file stem, is
exactly a ``student_id`` or an ``email`` (emails compared case-insensitively).
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

#: Characters of an identity or a file name shown before it is cut.
DISPLAY_CHARS = 80
#: Hex digits of the hash that tells cut names apart.
HASH_CHARS = 12
NOT_ON_ROSTER = "not on the roster"

# control characters and the bidirectional overrides that can make displayed text lie about itself
_INVISIBLE = re.compile("[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_MARKDOWN = re.compile(r"([\\`*_\[\]()#<>|~!])")
#: What a Markdown renderer would turn into a link on its own: a scheme's "://" and a leading "www.".
_AUTOLINK = re.compile(r"(?i)(://|\bwww\.)")


def escape_text(text: str) -> str:
    """``text`` with every character UTF-8 cannot encode (lone surrogates) written as ``\\udXXX``."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def file_name_text(name: str | bytes) -> str:
    """A file name as text: its bytes decoded as UTF-8, any byte that is not UTF-8 escaped (``\\xeb``)."""
    raw = name if isinstance(name, bytes) else os.fsencode(name) if _fs_encodable(name) else None
    if raw is None:  # a str with surrogates that are not file system escapes
        return escape_text(name)  # type: ignore[arg-type]
    return unicodedata.normalize("NFC", raw.decode("utf-8", "backslashreplace"))


def _fs_encodable(name: str) -> bool:
    try:
        os.fsencode(name)
    except UnicodeError:
        return False
    return True


def file_stem(file_name: str) -> str:
    """The name without its last suffix (``ada.ipynb`` -> ``ada``; ``.ipynb`` stays ``.ipynb``)."""
    stem, dot, suffix = file_name.rpartition(".")
    return stem if dot and stem and "/" not in suffix else file_name


def normalise_identity(text: str) -> str:
    """NFC, stripped, unencodable characters escaped. Nothing else: no folding, no ASCII-only."""
    return unicodedata.normalize("NFC", escape_text(text)).strip()


def student_identity(student_field: str | None, file_name: str) -> str:
    """The student of a submission: its student field if it says something, else the file stem."""
    if isinstance(student_field, str) and normalise_identity(student_field):
        return normalise_identity(student_field)
    return normalise_identity(file_stem(file_name)) or "unknown"


def short_hash(text: str) -> str:
    """A short hash of the exact text (lone surrogates included, distinct from their escapes)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_CHARS]


def clean_text(text: object, limit: int = DISPLAY_CHARS) -> str:
    """Student-controlled text made safe to show: escaped, one line, no control characters, at most
    ``limit`` characters (a longer text is cut and ends with ``…`` and a hash of the whole)."""
    text = escape_text(text if isinstance(text, str) else str(text))
    text = _INVISIBLE.sub(" ", text).strip()
    if len(text) > limit:
        return text[:limit] + "…" + short_hash(text)
    return text


def display_name(identity: str) -> str:
    """The bounded form of an identity, for file names and feedback lines."""
    return clean_text(identity, DISPLAY_CHARS)


def markdown_text(text: object, limit: int = DISPLAY_CHARS) -> str:
    """Student-controlled text for a Markdown line: :func:`clean_text`, then markup escaped."""
    escaped = _MARKDOWN.sub(r"\\\1", clean_text(text, limit))
    return _AUTOLINK.sub(lambda m: m.group(0).replace("/", "\\/").replace(".", "\\."), escaped)


def slug(text: str, max_bytes: int = 60) -> str:
    """A file-name-safe form of ``text``: letters and digits of any script, ``-``, ``_``, ``.`` and ``@``;
    no path separator, no leading dot; at most ``max_bytes`` bytes of UTF-8. Not unique on its own."""
    text = unicodedata.normalize("NFC", clean_text(text, 10 * max_bytes))
    safe = "".join(ch if (ch.isalnum() or ch in "-_.@") and ch.isprintable() else "_" for ch in text)
    safe = re.sub(r"_+", "_", safe).strip("._-")
    encoded = safe.encode("utf-8")[:max_bytes]
    return encoded.decode("utf-8", "ignore").rstrip("._-") or "unnamed"


# -- roster ------------------------------------------------------------------------------------------


def _key(text: str) -> str:
    return unicodedata.normalize("NFC", escape_text(text)).strip()


@dataclass(frozen=True)
class RosterEntry:
    student_id: str
    name: str = ""
    email: str = ""


@dataclass(frozen=True)
class Roster:
    """The students of a course, by ``student_id`` and by email."""

    entries: tuple[RosterEntry, ...]
    _by_id: dict[str, RosterEntry] = field(default_factory=dict, repr=False, compare=False)
    _by_email: dict[str, RosterEntry] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for entry in self.entries:
            if entry.student_id in self._by_id:
                raise ValueError(f"the roster has the student_id {clean_text(entry.student_id)!r} twice")
            self._by_id[entry.student_id] = entry
            email = entry.email.casefold()
            if email:
                if email in self._by_email:
                    raise ValueError(f"the roster has the email {clean_text(entry.email)!r} twice")
                self._by_email[email] = entry

    def _lookup(self, value: str) -> str | None:
        return self._how(value)[0]

    def _how(self, value: str) -> tuple[str | None, str]:
        if value in self._by_id:
            return value, "is the student_id"
        entry = self._by_email.get(value.casefold())
        return (None, "") if entry is None else (entry.student_id, f"is the email of {entry.student_id}")

    def match(self, student_field: str | None, file_name: str) -> tuple[str | None, str]:
        """The ``student_id`` a submission belongs to and how it was found, or ``(None, "not on the roster")``.

        The file stem is tried first (a learning platform names the files it collects; the student field is
        whatever the student typed), then the student field; each against the ids (exactly) and the emails
        (case-insensitively), after NFC normalisation. Nothing is accent-folded.
        """
        candidates = []
        stem = _key(file_stem(file_name))
        if stem:
            candidates.append(("file name", stem))
        if isinstance(student_field, str) and _key(student_field):
            candidates.append(("student field", _key(student_field)))
        for source, value in candidates:
            student_id, how = self._how(value)
            if student_id is not None:
                return student_id, f"{source} {how}"
        return None, NOT_ON_ROSTER

    def resolve(self, student_field: str | None, file_name: str) -> tuple[str, tuple[str, ...]]:
        """The student to record and the flags to add: the roster id, or the raw identity and a flag. A file
        whose name and student field match two different students is flagged."""
        student_id, _how = self.match(student_field, file_name)
        if student_id is None:
            return student_identity(student_field, file_name), (NOT_ON_ROSTER,)
        claimed = self._lookup(_key(student_field)) if isinstance(student_field, str) and _key(student_field) else None
        if claimed is not None and claimed != student_id:
            return student_id, (f"the file name says {clean_text(student_id, 40)} but the notebook says "
                                f"{clean_text(claimed, 40)}: check who handed it in",)
        return student_id, ()


def load_roster(path: Path) -> Roster:
    """Read a roster CSV (UTF-8, a header row; ``student_id`` required, ``name`` and ``email`` optional).

    Raises ``ValueError`` naming the problem: no ``student_id`` column, an empty or duplicate id, a
    duplicate email.
    """
    with Path(path).open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise ValueError(f"the roster {path} is empty: it needs a header row with a student_id column")
        columns = [h.strip().lower() for h in header]
        if "student_id" not in columns:
            raise ValueError(f"the roster {path} has no student_id column (its columns: "
                             f"{', '.join(clean_text(c, 40) for c in columns)})")
        index = {name: columns.index(name) for name in ("student_id", "name", "email") if name in columns}
        entries = []
        for line_number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue

            def cell(name: str, row: list[str] = row) -> str:
                i = index.get(name)
                return _key(row[i]) if i is not None and i < len(row) else ""

            if not cell("student_id"):
                raise ValueError(f"the roster {path} has no student_id on line {line_number}")
            entries.append(RosterEntry(cell("student_id"), cell("name"), cell("email")))
    return Roster(tuple(entries))
