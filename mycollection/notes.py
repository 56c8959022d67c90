"""Text notes: ``.txt`` / ``.md`` files (one note per file) and CSV files (one note per row of a text column).

Problems are reported per file with a reason a person can act on (:class:`NoteError`):
a file that is not UTF-8 text, an empty note, a CSV without a recognisable text column.
"""
from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["NoteError", "Note", "read_note_file", "read_csv_notes", "TEXT_COLUMNS"]

#: CSV columns taken as the note text, in this order of preference (case-insensitive).
TEXT_COLUMNS = ("text", "note", "notes", "body", "content", "description", "caption")


class NoteError(ValueError):
    """A note file cannot be used; ``reason`` is a short tag (``not UTF-8``, ``empty note``, ...)."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


@dataclass(frozen=True)
class Note:
    """One note: ``ref`` is the file's relative path, or ``file.csv#row 3`` for a CSV row."""

    ref: str
    text: str


def _decode(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NoteError("not UTF-8", f"{name}: byte 0x{raw[exc.start]:02x} at position {exc.start} is not UTF-8; "
                        "re-save the file as UTF-8 (most editors offer it under 'Save as... / Encoding')") from None


def read_note_file(path: str | os.PathLike, name: str | None = None) -> str:
    """The text of a ``.txt``/``.md`` note, stripped; :class:`NoteError` if it is not UTF-8 or is empty."""
    name = name or os.fspath(path)
    text = _decode(Path(path).read_bytes(), name).strip()
    if not text:
        raise NoteError("empty note", f"{name} has no text (or only white space)")
    return text


def _text_column(fields: list[str], name: str, column: str | None) -> str:
    if column is not None:
        if column not in fields:
            raise NoteError("no text column", f"{name}: no column {column!r}; columns: {', '.join(fields)}")
        return column
    lower = {f.lower().strip(): f for f in fields}
    for candidate in TEXT_COLUMNS:
        if candidate in lower:
            return lower[candidate]
    if len(fields) == 1:
        return fields[0]
    raise NoteError("no text column", f"{name}: none of the columns ({', '.join(fields)}) is called "
                    f"{' / '.join(TEXT_COLUMNS[:3])}; rename the column that holds the notes to 'text'")


def read_csv_notes(path: str | os.PathLike, name: str | None = None, column: str | None = None
                   ) -> tuple[list[Note], list[tuple[str, str]]]:
    """Notes from a CSV's text column, and ``(ref, reason)`` for each empty row that was skipped.

    Rows are numbered from 1 after the header (``notes.csv#row 1`` is the first data row).
    """
    name = name or os.fspath(path)
    text = _decode(Path(path).read_bytes(), name)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    fields = reader.fieldnames or []
    if not fields:
        raise NoteError("empty note", f"{name} has no header row and no data")
    col = _text_column(fields, name, column)
    notes, skipped = [], []
    for i, row in enumerate(reader, 1):
        ref = f"{name}#row {i}"
        value = (row.get(col) or "").strip()
        if value:
            notes.append(Note(ref, value))
        else:
            skipped.append((ref, "empty note"))
    return notes, skipped
