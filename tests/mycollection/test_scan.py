"""Scanning a learner's folder: every file found once, every unusable entry named (no models needed)."""
from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest

from mycollection.files import CollectionError, check_folder, scan


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "Фото 📷"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "a.jpg").write_bytes(b"x")
    (root / "iPhone.HEIC").write_bytes(b"x")
    (root / unicodedata.normalize("NFC", "café.txt")).write_text("nfc")
    (root / unicodedata.normalize("NFD", "café.txt")).write_text("nfd")
    (root / "猫 note.md").write_text("neko")
    (root / ".hidden.jpg").write_bytes(b"x")
    os.symlink("..", root / "sub" / "up")  # a loop
    os.symlink("sub", root / "alias")  # a second way into sub/
    os.symlink("gone.jpg", root / "broken.jpg")
    os.symlink("ping.jpg", root / "pong.jpg")
    os.symlink("pong.jpg", root / "ping.jpg")
    os.mkfifo(root / "pipe.txt")
    (root / os.fsdecode(b"bad\xe9.jpg")).write_bytes(b"x")
    return root


def test_every_entry_is_found_once_or_named(folder):
    entries = {e.rel: e for e in scan(folder)}
    ok = {rel: e.kind for rel, e in entries.items() if not e.problem}
    assert ok == {"sub/a.jpg": "photo", "iPhone.HEIC": "photo", unicodedata.normalize("NFC", "café.txt"): "note",
                  unicodedata.normalize("NFD", "café.txt"): "note", "猫 note.md": "note"}
    problems = {rel: e.problem for rel, e in entries.items() if e.problem}
    assert problems == {
        "sub/up/": "a symbolic link loop: it leads back to the folder itself; not followed",
        "alias/": "the same folder as sub/ (a link): its files are indexed there, once",
        "broken.jpg": "unreadable: a broken symbolic link (to 'gone.jpg')",
        "ping.jpg": "unreadable: a symbolic link loop", "pong.jpg": "unreadable: a symbolic link loop",
        "pipe.txt": "unreadable: not a regular file (a named pipe)",
        "bad\\xe9.jpg": "the name is not valid UTF-8: rename it (UTF-8 names work)",
    }
    assert all(e.stamp() == (-1, -1) for e in entries.values() if e.problem)


def test_an_unusable_folder_is_a_clear_error(tmp_path, monkeypatch):
    with pytest.raises(CollectionError, match="does not exist"):
        check_folder(tmp_path / "nope")
    odd = tmp_path / os.fsdecode(b"caf\xe9")
    odd.mkdir()
    with pytest.raises(CollectionError, match=r"caf\\\\xe9.*not valid UTF-8: rename the folder"):
        check_folder(odd)
    real = os.scandir

    def denied(path="."):
        if Path(path) == tmp_path:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", denied)
    with pytest.raises(CollectionError, match="cannot read folder .*Permission denied; check that you may read it"):
        scan(tmp_path)
