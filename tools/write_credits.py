"""Rewrite ``data/CREDITS.md`` from the image registry (``data/images.csv``).

    python tools/write_credits.py

Run it after ``tools/build_registry.py``; tests/test_registry.py fails while the two disagree.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's helpers, installed or not

from helpers import data  # noqa: E402


def main() -> int:
    path = data.DATA_DIR / "CREDITS.md"
    path.write_text(data.credits_markdown(), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
