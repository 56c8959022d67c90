"""Short display names for registered photos (figure titles, table rows)."""
from __future__ import annotations

import textwrap

from ..data import ImageRecord

__all__ = ["short_name"]


def short_name(record: ImageRecord, width: int = 26, lines: int = 1) -> str:
    """What a photo shows, in at most ``lines`` lines of ``width`` characters.

    Pets keep the part in brackets ("cat (white kitten)" -> "white kitten"), dishes and people the part
    before it ("french fries (with ketchup)" -> "french fries"); what does not fit ends in "...".
    """
    if width < 5 or lines < 1:
        raise ValueError(f"short_name: width must be >= 5 and lines >= 1, got width={width}, lines={lines}")
    label = record.label
    if record.category in ("cats", "dogs") and "(" in label:
        name = label.split("(", 1)[1].rsplit(")", 1)[0]
    else:
        name = label.split(" (")[0]
    return textwrap.fill(textwrap.shorten(name, width * lines, placeholder="..."), width)
