"""Exercise solutions that run: substitute each solution into its notebook and execute it.

    python tools/solutions.py notebooks/05_clip_text_and_images.ipynb [...] [--out build/solutions]

A notebook's checked exercise has a starter cell tagged ``exercise-N``: the learner's part, then (as its last
statement) the call to the check. ``solutions/<notebook>.md`` holds one fenced block per exercise whose info
string is ``python exercise-N``. :func:`with_solutions` keeps every starter cell as shipped (it must print
"… not answered yet") and inserts after it a copy whose learner's part is the solution (it must print ``✓``);
solutions of exercises without a starter cell (open questions) run as extra cells right after the last
solved starter (so before any tidy-up cell); a block marked ``python exercise-N not-run`` is only parsed.
The tests execute the result (``tests/test_exercises.py``); this script writes it, executed, with HTML.
"""
from __future__ import annotations

import argparse
import ast
import re
import sys
import textwrap
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^(?P<indent>[ \t]*)```python exercise-(?P<n>\d+)(?P<not_run>[ \t]+not-run)?[ \t]*\n"
                   r"(?P<body>.*?)^(?P=indent)```", re.MULTILINE | re.DOTALL)
TAG = re.compile(r"^exercise-(\d+)$")


def solutions_path(notebook: Path) -> Path:
    return ROOT / "solutions" / notebook.with_suffix(".md").name


def solution_blocks(markdown: str, runnable_only: bool = True) -> dict[int, str]:
    """``{exercise number: code}`` from the fenced ``python exercise-N`` blocks of a solutions file.

    A block marked ``python exercise-N not-run`` (an open exercise too slow for every test run, such as
    starting a second Ray) is parsed by the tests but not executed; ``runnable_only=False`` includes it."""
    blocks: dict[int, str] = {}
    for m in FENCE.finditer(markdown):
        n = int(m.group("n"))
        if n in blocks:
            raise ValueError(f"two solution blocks for exercise {n}: merge them into one")
        if runnable_only and m.group("not_run"):
            continue
        blocks[n] = textwrap.dedent(m.group("body")).strip() + "\n"
    return blocks


def exercise_number(cell) -> int | None:
    for tag in cell.metadata.get("tags", []):
        if m := TAG.match(tag):
            return int(m.group(1))
    return None


def split_starter(source: str) -> tuple[str, str]:
    """(the learner's part, the check call): the check is the cell's last top-level statement."""
    body = ast.parse(source).body
    if not body or not isinstance(body[-1], ast.Expr) or not isinstance(body[-1].value, ast.Call):
        raise ValueError(f"a starter cell must end with the call to its check:\n{source}")
    lines = source.splitlines()
    start = body[-1].lineno - 1
    return "\n".join(lines[:start]).rstrip(), "\n".join(lines[start:])


def with_solutions(nb, blocks: dict[int, str]):
    """A copy of ``nb`` in which every starter cell is followed by its solved version (and open solutions run last)."""
    out = nbformat.from_dict(nb)
    cells, used = [], set()
    for cell in out.cells:
        cells.append(cell)
        n = exercise_number(cell)
        if n is None:
            continue
        if n not in blocks:
            raise KeyError(f"exercise {n} has a starter cell but no ```python exercise-{n} block in its solutions")
        _, call = split_starter(cell.source)
        cells.append(nbformat.v4.new_code_cell(blocks[n] + "\n" + call, metadata={"tags": [f"solution-{n}"]}))
        used.add(n)
    if not used:
        raise ValueError("no starter cell is tagged exercise-N: nothing to check")
    after = 1 + max(i for i, c in enumerate(cells) if c.metadata.get("tags", [""])[0].startswith("solution-"))
    extra = [nbformat.v4.new_code_cell(f"# Solution of exercise {n}\n" + blocks[n],
                                       metadata={"tags": [f"solution-{n}"]})
             for n in sorted(set(blocks) - used)]
    out.cells = cells[:after] + extra + cells[after:]
    return out


def solved(notebook: Path):
    return with_solutions(nbformat.read(notebook, as_version=4),
                          solution_blocks(solutions_path(notebook).read_text(encoding="utf-8")))


def execute(nb, cwd: Path, timeout: int = 900):
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=timeout, kernel_name="python3", extra_arguments=["--log-level=ERROR"],
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def output_text(nb, tag_prefix: str = "") -> str:
    """The printed text of the code cells (only those with a tag starting with ``tag_prefix`` if given)."""
    parts = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if tag_prefix and not any(t.startswith(tag_prefix) for t in cell.metadata.get("tags", [])):
            continue
        parts += [o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream"]
    return "".join(parts)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("notebooks", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "solutions")
    args = ap.parse_args()
    from nbconvert import HTMLExporter

    args.out.mkdir(parents=True, exist_ok=True)
    for path in args.notebooks:
        nb = solved(path)
        try:
            execute(nb, path.resolve().parent)
        finally:
            nbformat.write(nb, args.out / path.name)
            html, _ = HTMLExporter().from_notebook_node(nb)
            (args.out / path.with_suffix(".html").name).write_text(html, encoding="utf-8")
        lines = [ln for ln in output_text(nb).splitlines() if re.match(r"^[✓✗…] exercise \d+", ln)]
        print(f"{path.name}:", *lines, sep="\n  ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
