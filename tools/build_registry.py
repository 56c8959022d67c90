"""Build ``data/images.csv`` (the image registry) from a SOURCES.csv like ``../shared/data/images/SOURCES.csv``.

Run once when the photo set changes:  python tools/build_registry.py ../shared/data/images/SOURCES.csv
Then regenerate the credits:         python -m helpers.data credits
"""
import csv
import sys
from pathlib import Path

FIELDS = ["file", "category", "label", "url", "sha256", "bytes", "width", "height", "license", "attribution", "source"]


def main(src: str) -> None:
    rows = []
    with open(src, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            rows.append({
                "file": r["file"], "category": r["category"], "label": r["label"], "url": r["raw_url"],
                "sha256": r["sha256"], "bytes": r["bytes"], "width": r["width"], "height": r["height"],
                "license": r["license"], "attribution": r["attribution"],
                "source": f"{r['source_repo']}@{r['commit'][:12]}:{r['path_in_repo']}",
            })
    out = Path(__file__).resolve().parents[1] / "data" / "images.csv"
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {len(rows)} rows to {out}")


if __name__ == "__main__":
    main(sys.argv[1])
