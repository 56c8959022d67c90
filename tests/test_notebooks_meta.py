"""Notebook hygiene: committed with current, clean outputs, shared cells current, one step per cell, checked claims.

(Executing the notebooks is done by nbval: pytest collects notebooks/*.ipynb and compares their checked lines.)
"""
import ast
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import record_notebooks  # noqa: E402
import sync_notebooks  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# A lesson's idea is shown in its cell (a short function defined in the notebook is welcome); helpers hold
# what is reused or is not the lesson. So: cells short enough to read at once, and no function defined in
# two notebooks (what two notebooks need belongs in helpers).
MAX_CODE_LINES = 25
DEF = re.compile(r"^def (\w+)\(", re.M)
MIN_CHECKS = 5
# A workshop slot: the main path (everything before "## Exercises" or "## Going further": setup cells and recap
# included) reads in 35 minutes at 130 words a minute of technical prose plus 1.5 minutes per code cell (run it,
# read its output). Careful first-time readers took up to twice that: the slot keeps the rest for exercises.
WORDS_PER_MINUTE = 130
MINUTES_PER_CODE_CELL = 1.5
MAX_MAIN_MINUTES = 35.0
MAIN_PATH_END = ("## Exercises", "## Going further")
HEADING = re.compile(r"^#{1,4} ", re.M)


def _code(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


def test_every_listed_notebook_exists_and_nothing_else():
    listed = [f for f, _, _ in sync_notebooks.NOTEBOOKS]
    present = [p.name for p in NOTEBOOKS]
    assert present == [f for f in listed if f in present], "notebooks must sort in reading order"
    assert set(present) <= set(listed), f"unlisted notebooks: {set(present) - set(listed)}"
    assert "01_text_embeddings.ipynb" in present


RECORD = "run `make record` (python tools/record_notebooks.py [NOTEBOOK]) and commit the notebooks"
MAX_TOTAL_MB = 15  # the seven notebooks together, with their outputs


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_outputs_recorded_from_the_current_source(path):
    nb = nbformat.read(path, as_version=4)
    made_by = nb.metadata.get(record_notebooks.RECORD_KEY, {})
    assert made_by.get("preset") == record_notebooks.PRESET, f"{path.name} carries no recorded outputs: {RECORD}"
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    counts = [c.execution_count for _, c in code]
    assert counts == list(range(1, len(code) + 1)), f"{path.name}: not every cell ran, once, in order: {RECORD}"
    stale = record_notebooks.stale_cells(nb)
    assert not stale, f"{path.name} cells {stale} changed since their outputs were recorded: {RECORD}"
    assert "widgets" not in nb.metadata, f"{path.name}: widget state renders as VBox(...) outside Jupyter: {RECORD}"
    views = [i for i, c in code for o in c.outputs if record_notebooks.WIDGET_VIEW in o.get("data", {})]
    assert not views, f"{path.name} cells {views} hold widget views: {RECORD}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_outputs_hold_no_machine_path(path):
    hits = record_notebooks.machine_paths(nbformat.read(path, as_version=4))
    assert not hits, f"{path.name}: outputs name this machine ({RECORD}; scrub new paths in the tool):\n" + \
        "\n".join(hits[:10])


def test_notebooks_together_fit_the_size_budget():
    sizes = {p.name: round(p.stat().st_size / 1e6, 2) for p in NOTEBOOKS}
    assert sum(sizes.values()) < MAX_TOTAL_MB, f"notebooks total over {MAX_TOTAL_MB} MB (figures?): {sizes}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_structure_title_recap_exercises_and_short_cells(path):
    nb = nbformat.read(path, as_version=4)
    tags = [t for c in nb.cells for t in c.metadata.get("tags", [])]
    for tag in sync_notebooks.TAGS:
        assert tags.count(tag) == 1, f"{path.name}: needs exactly one {tag} cell"
    assert nb.cells[0].metadata.get("tags") == ["shared-nav-top"]
    assert nb.cells[-1].metadata.get("tags") == ["shared-nav-bottom"]
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "## Recap" in text and "## Exercises" in text, path.name
    solutions = ROOT / "solutions" / path.with_suffix(".md").name
    assert solutions.is_file(), f"missing {solutions.relative_to(ROOT)}"
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and not cell.metadata.get("tags"):
            n = len(cell.source.strip().splitlines())
            assert n <= MAX_CODE_LINES, f"{path.name} cell {i} has {n} lines: split it into steps"


def test_a_function_is_defined_in_one_notebook_at_most():
    seen: dict[str, str] = {}
    for path in NOTEBOOKS:
        for name in set(DEF.findall(_code(nbformat.read(path, as_version=4)))):
            assert name not in seen, (f"{name}() is defined in {seen[name]} and {path.name}: "
                                      "what two notebooks use belongs in helpers")
            seen[name] = path.name


def test_shared_cells_and_readme_table_are_current():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "sync_notebooks.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + "\nrun: python tools/sync_notebooks.py"


def test_repository_url_is_written_in_one_place():
    url = sync_notebooks.repo_url()
    hits = [p for p in ROOT.rglob("*") if p.is_file() and p.suffix in {".py", ".toml", ".md", ".yml", ".txt"}
            and ".venv" not in p.parts and "build" not in p.parts and url in p.read_text(errors="ignore")]
    # pyproject.toml holds it; README's generated table and the notebooks derive from it
    assert {p.name for p in hits} <= {"pyproject.toml", "README.md"}, hits


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_one_step_per_cell_headings_open_their_cells(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        text = cell.source.strip()
        later = [m.group(0) for m in HEADING.finditer(text) if m.start() > 0]
        assert not later, f"{path.name} cell {i}: a heading must open its cell; split it before {text[:60]!r}..."
        for section in ("## Recap", "## Exercises"):
            if section in text:
                assert text.startswith(section), f"{path.name} cell {i}: {section} needs a cell of its own"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_checked_claims_and_one_credits_cell(path):
    nb = nbformat.read(path, as_version=4)
    code = _code(nb)
    n_checks = len(re.findall(r"\bcheck\(", code))
    assert n_checks >= MIN_CHECKS, f"{path.name}: {n_checks} checked claims, the lessons need at least {MIN_CHECKS}"
    assert code.count("photo_credits(") <= 1, f"{path.name}: credit the photos once, at the end"
    for gone in ("clip_caveat", "attribution_line"):
        assert gone not in code, f"{path.name}: {gone} is gone; one photo_credits() cell at the end instead"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_data_is_reached_through_helpers_not_relative_paths(path):
    code = _code(nbformat.read(path, as_version=4))
    assert "../data" not in code and "..\\data" not in code, (
        f"{path.name}: reach data through helpers (the working directory is /content in Colab)")


def main_path(nb) -> list:
    """The cells a workshop reads: from the top to the first "## Exercises" or "## Going further" (the navigation
    line left out; the Colab and setup cells, which a learner runs too, and the recap counted)."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith(MAIN_PATH_END):
            break
        if not any(t.startswith("shared-nav") for t in cell.metadata.get("tags", [])):
            cells.append(cell)
    return cells


def reading_minutes(nb) -> tuple[float, int, int]:
    """(minutes, prose words, code cells) of the main path: words / 130 + 1.5 per code cell."""
    cells = main_path(nb)
    words = sum(prose_words(c.source) for c in cells if c.cell_type == "markdown")
    code = sum(c.cell_type == "code" for c in cells)
    return words / WORDS_PER_MINUTE + MINUTES_PER_CODE_CELL * code, words, code


def prose_words(markdown: str) -> int:
    """Words a reader reads: fenced code blocks and link targets left out."""
    text = re.sub(r"```.*?```", " ", markdown, flags=re.S)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    return len(re.findall(r"[A-Za-z0-9][\w'’.-]*", text))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_main_path_fits_a_workshop_slot(path):
    nb = nbformat.read(path, as_version=4)
    minutes, words, code = reading_minutes(nb)
    assert minutes <= MAX_MAIN_MINUTES, (f"{path.name}: the main path reads in {minutes:.1f} min ({words} words, "
                                         f"{code} code cells; max {MAX_MAIN_MINUTES}): move side material after "
                                         "the exercises, under '## Going further'")
    headings = [c.source.lstrip().split("\n", 1)[0] for c in nb.cells if c.cell_type == "markdown"]
    order = [h for h in headings if h in ("## Recap", "## Exercises", "## Going further")]
    assert order[:2] == ["## Recap", "## Exercises"] and order[2:] in ([], ["## Going further"]), (
        f"{path.name}: the order is main path, Recap, Exercises, then Going further (if any): {order}")


def _only_checks(source: str) -> bool:
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    return bool(body) and all(isinstance(s, ast.Expr) and isinstance(s.value, ast.Call)
                              and getattr(s.value.func, "id", None) == "check" for s in body)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_cell_only_checks_and_no_see_the_check_line(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert not _only_checks(cell.source), (f"{path.name} cell {i} only checks: put the check in the cell "
                                                   "that computes its numbers")
        else:
            assert not re.search(r"see the [✓✗] line", cell.source), (
                f"{path.name} cell {i}: say the result in the prose instead of pointing at the ✓ line")
