"""Write the cells every notebook shares, and the README's notebook table, from one source.

Shared cells are found by their tag (cell metadata ``tags``):

* ``shared-nav-top``    - title bar: contents, previous/next, "Open in Colab" badge
* ``shared-colab``      - Colab setup: clone + install what Colab lacks (helpers.colab); does nothing elsewhere
* ``shared-setup``      - imports ``helpers`` and prints the preset banner
* ``shared-nav-bottom`` - previous/next links

The repository URL comes from ``[project.urls] Repository`` in pyproject.toml:
the only place it is written.

    python tools/sync_notebooks.py          # rewrite notebooks and README
    python tools/sync_notebooks.py --check  # exit 1 if anything is out of date (used by the tests)
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"

# (file, short title, one-line summary) in reading order
NOTEBOOKS = [
    ("01_text_embeddings.ipynb", "Text embeddings",
     "Turn sentences into vectors (MiniLM; the article's DistilBERT as an opt-in); cosine similarity; semantic search."),
    ("02_visual_embeddings.ipynb", "Visual embeddings",
     "A CNN's penultimate layer as an image embedding (EfficientNet-Lite0; ResNet-18 opt-in); cats vs dogs; retrieval."),
    ("03_combining_embeddings.ipynb", "Combining embeddings",
     "Text, photo and colour embeddings of products, normalised and concatenated; measured with precision@k."),
    ("04_weighting_embeddings.ipynb", "Weighting embeddings",
     "Weights per modality, chosen at query time with sliders; the maths of weighted cosine similarity."),
    ("05_clip_text_and_images.ipynb", "Text and images in one space (CLIP)",
     ("Three steps toward CLIP: an ImageNet-label bridge, a contrastive alignment trained by hand, real CLIP (opt-in); "
      "text-to-image search, zero-shot classification, the modality gap.")),
    ("06_your_own_collection.ipynb", "Capstone: your own collection",
     ("Index your own photos and notes once (on disk, by content hash), search them three ways, find "
      "near-duplicates with a measured threshold; exact vs approximate (HNSW) search; map and export.")),
    ("07_beyond_one_machine.ipynb", "Beyond one machine: Ray Data and a vector database",
     ("A cost model from measured throughput; batch embedding with Ray Data (same vectors); search in Milvus "
      "(same results as exact); what a cluster changes; memory per vector and quantisation.")),
]
TAGS = ("shared-nav-top", "shared-colab", "shared-setup", "shared-nav-bottom")
README_START, README_END = "<!-- notebooks:start -->", "<!-- notebooks:end -->"


def repo_url() -> str:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["urls"]["Repository"].rstrip("/")


def colab_url(nb_file: str) -> str:
    slug = re.sub(r"^https://github\.com/", "", repo_url())
    return f"https://colab.research.google.com/github/{slug}/blob/main/notebooks/{nb_file}"


def badge(nb_file: str) -> str:
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab_url(nb_file)})"


def _nav(i: int) -> str:
    parts = ["[Contents](../README.md)"]
    if i > 0:
        prev_file, prev_title, _ = NOTEBOOKS[i - 1]
        parts.insert(0, f"[&larr; {prev_title}]({prev_file})")
    if i + 1 < len(NOTEBOOKS):
        next_file, next_title, _ = NOTEBOOKS[i + 1]
        parts.append(f"[{next_title} &rarr;]({next_file})")
    return " | ".join(parts)


def shared_cells(i: int) -> dict[str, tuple[str, str]]:
    nb_file, title, _ = NOTEBOOKS[i]
    url = repo_url()
    colab = f'''# Colab only: fetch the code, then install what Colab lacks (never replacing a package Colab ships).
# The first run takes a minute or two and prints what it installed; elsewhere this cell does nothing.
import sys

if "google.colab" in sys.modules:
    import os
    import subprocess

    if not os.path.isdir("embeddings-hands-on"):
        subprocess.run(["git", "clone", "-q", "--depth", "1", "{url}", "embeddings-hands-on"], check=True)
    sys.path.insert(0, os.path.abspath("embeddings-hands-on"))
    from helpers.colab import install_missing

    install_missing("requirements.txt")'''
    setup = '''# Setup: seeds, plot defaults, and a banner naming the models in use (preset: $EMBEDDINGS_MODELS).
import os
import sys

try:
    import helpers
except ImportError:  # running from notebooks/ without `pip install -e .`
    sys.path.insert(0, os.path.abspath(".."))
from helpers.notebook import setup

PRESET = setup()'''
    return {
        "shared-nav-top": ("markdown", f"{_nav(i)} | {badge(nb_file)}\n\n*Notebook {i + 1} of {len(NOTEBOOKS)}: {title}*"),
        "shared-colab": ("code", colab),
        "shared-setup": ("code", setup),
        "shared-nav-bottom": ("markdown", f"---\n{_nav(i)}"),
    }


def sync_notebook(i: int, check: bool) -> list[str]:
    path = NOTEBOOK_DIR / NOTEBOOKS[i][0]
    if not path.exists():
        return []
    nb = nbformat.read(path, as_version=4)
    wanted = shared_cells(i)
    problems = []
    for tag, (kind, source) in wanted.items():
        cells = [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]
        if len(cells) != 1:
            problems.append(f"{path.name}: expected exactly one cell tagged {tag!r}, found {len(cells)}")
            continue
        cell = cells[0]
        if cell.cell_type != kind or cell.source != source:
            problems.append(f"{path.name}: cell {tag!r} is out of date")
            if not check:
                new = nbformat.v4.new_code_cell(source) if kind == "code" else nbformat.v4.new_markdown_cell(source)
                new.metadata["tags"] = [tag]
                new.id = cell.get("id", new.id)
                nb.cells[nb.cells.index(cell)] = new
    if problems and not check:
        nbformat.write(nb, path)
    return problems


def nbviewer_url(nb_file: str) -> str:
    """The notebook with its committed outputs, rendered by nbviewer (figures, tables and checked lines)."""
    slug = re.sub(r"^https://github\.com/", "", repo_url())
    return f"https://nbviewer.org/github/{slug}/blob/main/notebooks/{nb_file}"


def readme_table() -> str:
    rows = ["| # | Notebook | What you learn | Read | Run |", "| --- | --- | --- | --- | --- |"]
    for i, (f, title, summary) in enumerate(NOTEBOOKS, 1):
        read = f"[GitHub](notebooks/{f}) · [nbviewer]({nbviewer_url(f)})"
        rows.append(f"| {i} | [{title}](notebooks/{f}) | {summary} | {read} | {badge(f)} |")
    return "\n".join(rows)


def sync_readme(check: bool) -> list[str]:
    path = ROOT / "README.md"
    text = path.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        return [f"README.md: markers {README_START} ... {README_END} not found"]
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    new = f"{head}{README_START}\n{readme_table()}\n{README_END}{tail}"
    if new == text:
        return []
    if not check:
        path.write_text(new, encoding="utf-8")
    return ["README.md: notebook table is out of date"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="report what is out of date, change nothing")
    args = ap.parse_args()
    problems = sync_readme(args.check)
    for i in range(len(NOTEBOOKS)):
        problems += sync_notebook(i, args.check)
    for p in problems:
        print(("OUT OF DATE: " if args.check else "updated: ") + p)
    return 1 if (problems and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
