"""Build ``data/images.csv`` (the image registry) from a SOURCES.csv like ``../shared/data/images/SOURCES.csv``.

Run once when the photo set changes:  python tools/build_registry.py [../shared/data/images/SOURCES.csv]
Then regenerate the credits:         python tools/write_credits.py

Every row is checked before anything is written (a bad row stops the run with a message naming its
file, and ``data/images.csv`` is left as it was):
- the URL is ``https://`` and pinned to a 40-hex-digit commit, never a moving branch;
- the SHA-256 has 64 hex digits, the size and dimensions are whole numbers, file names are unique;
- licence and attribution are not empty, and a share-alike (``BY-SA``) licence is named in the
  attribution (CC BY-SA requires it next to the credit); where it is missing it is appended.
If the photo files sit next to SOURCES.csv, their SHA-256 is verified too.
"""
from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # helpers, for its file functions

from helpers.files import atomic_write, sha256_of  # noqa: E402

DEFAULT_SOURCES = ROOT.parent / "shared" / "data" / "images" / "SOURCES.csv"
OUT = ROOT / "data" / "images.csv"
FIELDS = ["file", "category", "label", "url", "sha256", "bytes", "width", "height", "license", "attribution", "source"]
_PINNED = re.compile(r"^https://\S+/[0-9a-f]{40}/\S+$")


class SourceError(ValueError):
    """A SOURCES.csv row cannot become a registry row; the message names the file and the problem."""


def registry_row(r: dict[str, str]) -> dict[str, str]:
    """One registry row from one SOURCES.csv row, validated."""
    name = r.get("file") or "?"
    for col in ("file", "category", "label", "raw_url", "sha256", "license", "attribution", "source_repo", "commit"):
        if not (r.get(col) or "").strip():
            raise SourceError(f"{name}: empty {col}")
    if not _PINNED.match(r["raw_url"]) or r["commit"] not in r["raw_url"]:
        raise SourceError(f"{name}: URL {r['raw_url']!r} is not pinned to commit {r['commit']}")
    if not re.fullmatch(r"[0-9a-f]{64}", r["sha256"]):
        raise SourceError(f"{name}: sha256 {r['sha256']!r} is not 64 hex digits")
    for col in ("bytes", "width", "height"):
        if not r.get(col, "").isdigit():
            raise SourceError(f"{name}: {col} {r.get(col)!r} is not a whole number")
    if r["file"].split("/")[0] != r["category"]:
        raise SourceError(f"{name}: folder does not match category {r['category']!r}")
    attribution = r["attribution"].strip()
    sa = re.search(r"CC BY-SA [0-9.]+", r["license"])
    if sa and sa.group(0) not in attribution:
        attribution = f"{attribution}, {sa.group(0)}"
    return {
        "file": r["file"], "category": r["category"], "label": r["label"], "url": r["raw_url"],
        "sha256": r["sha256"], "bytes": r["bytes"], "width": r["width"], "height": r["height"],
        "license": r["license"], "attribution": attribution,
        "source": f"{r['source_repo']}@{r['commit'][:12]}:{r['path_in_repo']}",
    }


def build(src: Path, verify_files: bool = True) -> list[dict[str, str]]:
    """All registry rows of ``src``, in its order; raises :class:`SourceError` on the first bad row."""
    with open(src, newline="", encoding="utf-8") as f:
        rows = [registry_row(r) for r in csv.DictReader(f)]
    if not rows:
        raise SourceError(f"{src}: no rows")
    seen: set[str] = set()
    for r in rows:
        if r["file"] in seen:
            raise SourceError(f"{r['file']}: listed twice in {src}")
        seen.add(r["file"])
        photo = src.parent / r["file"]
        if verify_files and photo.is_file():
            actual = sha256_of(photo)
            if actual != r["sha256"]:
                raise SourceError(f"{r['file']}: file next to {src.name} has SHA-256 {actual}, not {r['sha256']}")
    return rows


def write(rows: list[dict[str, str]], out: Path = OUT) -> None:
    """Write the registry through a temporary file, so a failure never leaves half a CSV."""
    text = io.StringIO(newline="")
    w = csv.DictWriter(text, fieldnames=FIELDS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    atomic_write(out, lambda f: f.write(text.getvalue().encode("utf-8")))


def main(argv: list[str]) -> int:
    src = Path(argv[0]) if argv else DEFAULT_SOURCES
    try:
        rows = build(src)
    except (SourceError, OSError) as err:
        print(f"error: {err}; {OUT} was not changed", file=sys.stderr)
        return 1
    write(rows)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["category"]] = counts.get(r["category"], 0) + 1
    print(f"wrote {len(rows)} rows to {OUT}: " + ", ".join(f"{c} {n}" for c, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
