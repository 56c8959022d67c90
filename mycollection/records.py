"""The two records of an index: an :class:`Entry` (one searchable thing) and a :class:`FileRecord`
(what the manifest knows about one file of the folder).
"""
from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Entry", "FileRecord"]


@dataclass(frozen=True)
class Entry:
    """One searchable thing: a photo file, or one note (a file, or one row of a CSV)."""

    ref: str  # path relative to the folder; "notes.csv#row 3" for a CSV row
    kind: str  # "photo" or "note"
    key: str  # SHA-256 of the content
    text: str = ""  # the note's text (empty for photos)


@dataclass
class FileRecord:
    """One file of the folder, as the manifest keeps it between runs.

    ``size`` and ``mtime_ns`` tell whether the file changed since it was examined; ``key`` is the
    SHA-256 of a photo; ``notes`` are the notes a note file or CSV holds; ``skip`` says why the file
    is left out (``None`` when it is used); ``row_skips`` lists a CSV's empty rows as ``(ref, reason)``.
    """

    kind: str  # "photo", "note", "table" or "unsupported"
    size: int
    mtime_ns: int
    key: str | None = None
    skip: str | None = None
    notes: list[Entry] = field(default_factory=list)
    row_skips: list[tuple[str, str]] = field(default_factory=list)

    @property
    def photo_key(self) -> str | None:
        """The content key of a usable photo; ``None`` for anything else (a note, a skipped file)."""
        return self.key if self.kind == "photo" and self.key and not self.skip else None

    def to_json(self) -> dict:
        doc = {"kind": self.kind, "size": self.size, "mtime_ns": self.mtime_ns, "key": self.key, "skip": self.skip,
               "notes": [[n.ref, n.key, n.text] for n in self.notes]}
        if self.kind == "table":
            doc["row_skips"] = [list(s) for s in self.row_skips]
        return doc

    @classmethod
    def from_json(cls, doc: dict) -> FileRecord:
        """A record from the manifest; ``KeyError``/``TypeError``/``ValueError`` if it is malformed."""
        return cls(str(doc["kind"]), int(doc["size"]), int(doc["mtime_ns"]), doc.get("key"), doc.get("skip"),
                   [Entry(str(ref), "note", str(key), str(text)) for ref, key, text in doc.get("notes", [])],
                   [(str(ref), str(why)) for ref, why in doc.get("row_skips", [])])
