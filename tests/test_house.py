"""The two packages read like the series: small modules, small classes, views apart from data and maths,
no import cycles, no borrowed private names, and a lesson library that never reaches into the application."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("helpers", "mycollection")
MODULES = sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py") if "__pycache__" not in p.parts)
HELPERS = [p for p in MODULES if p.relative_to(ROOT).parts[0] == "helpers"]
MAX_MODULE_LINES = 350
MAX_CLASS_LINES = 150
# Views may import data and maths, never the other way round.
VIEWS = {"plots", "widgets", "notebook", "exercises"}  # what notebook cells show and print
# What the lessons' library never imports: the application, its engines and database, a command line.
NOT_IN_HELPERS = ("mycollection", "ray", "pymilvus", "argparse")


def _name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _imports(path: Path, source: str | None = None) -> list[tuple[str, str | None, int]]:
    """Every import of the module, at any depth (a lazy import inside a function counts too):
    ``(fully qualified module, imported name or None, line)``, relative imports resolved."""
    pkg = _name(path).split(".")
    if path.name != "__init__.py":
        pkg = pkg[:-1]
    out = []
    tree = ast.parse(source) if source is not None else _tree(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = pkg[: len(pkg) - node.level + 1] if node.level else []
            module = ".".join(base + (node.module.split(".") if node.module else []))
            out += [(module, a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.Import):
            out += [(a.name, None, node.lineno) for a in node.names]
    return out


KNOWN = {_name(p) for p in MODULES}


def _edges(path: Path) -> set[str]:
    """The modules of the two packages that ``path`` imports (``from pkg import submodule`` included)."""
    out = set()
    for module, name, _ in _imports(path):
        if name and f"{module}.{name}" in KNOWN:
            out.add(f"{module}.{name}")
        elif module in KNOWN:
            out.add(module)
    return out - {_name(path)}


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_modules_and_classes_stay_small(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{_name(path)} has {lines} lines: split it by idea"
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.ClassDef):
            n = node.end_lineno - node.lineno + 1
            assert n <= MAX_CLASS_LINES, f"{_name(path)}.{node.name} has {n} lines"


@pytest.mark.parametrize("path", [p for p in HELPERS if not VIEWS & set(p.relative_to(ROOT).with_suffix("").parts)],
                         ids=_name)
def test_data_and_maths_never_import_views(path):
    views = {m for m in _edges(path) if m.split(".")[1:2] and m.split(".")[1] in VIEWS}
    assert not views, f"{_name(path)} imports the view module(s) {sorted(views)}"


@pytest.mark.parametrize("path", HELPERS, ids=_name)
def test_helpers_never_import_the_application_ray_milvus_or_argparse(path):
    bad = [f"line {line}: {module}" for module, _, line in _imports(path)
           if module.split(".")[0] in NOT_IN_HELPERS]
    assert not bad, f"{_name(path)} imports {bad}: that belongs in mycollection (or tools/)"


def _private_imports(path: Path, source: str | None = None) -> list[str]:
    me = _name(path)
    bad = []
    for module, name, line in _imports(path, source):
        if module.split(".")[0] not in PACKAGES:
            continue
        if name and name.startswith("_") and not name.startswith("__"):
            bad.append(f"line {line}: from {module} import {name}")
        parts = module.split(".")
        for i, part in enumerate(parts):
            owner = ".".join(parts[:i])  # the package that holds the private module
            if part.startswith("_") and not part.startswith("__") and not (me + ".").startswith(owner + "."):
                bad.append(f"line {line}: {module} is private to {owner}")
    return bad


def test_helpers_has_no_command_line():
    """Commands live in mycollection (``python -m mycollection``) and tools/, not in the lessons' library."""
    mains = [_name(p) for p in HELPERS if p.name == "__main__.py" or '__name__ == "__main__"' in p.read_text()]
    assert not mains, f"{mains}: move the command to tools/ or mycollection"


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_no_module_imports_another_modules_private_names(path):
    """``from x import _name`` and ``import x._private`` reach into another module's insides.

    A package may use its own private modules (``helpers.models`` imports ``._common``); nobody else may.
    """
    bad = _private_imports(path)
    assert not bad, f"{_name(path)}: {bad}"


def _cycle() -> list[str] | None:
    graph = {_name(p): _edges(p) for p in MODULES}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for n in sorted(graph.get(m, ())):
            parent_init = m.startswith(n + ".")  # a submodule importing its own package's __init__ is not a cycle
            if state.get(n) == 1 and not parent_init:
                return path[path.index(n):] + [n]
            if n not in state and (found := visit(n)):
                return found
        path.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_no_import_cycles():
    """Lazy imports count: a cycle broken only by importing inside a function is still a cycle."""
    cycle = _cycle()
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_checks_see_what_they_check():
    """The graph is real: known edges are found, so an empty list of problems means something."""
    edges = {_name(p): _edges(p) for p in MODULES}
    assert "helpers.models.joint" in edges["helpers.models.bridge"]
    assert "helpers.models.bridge" in edges["helpers.models.clip"]  # the lazy import in load_clip
    assert "mycollection.engine" in edges["mycollection.ray_engine"]
    assert "helpers.images" in edges["mycollection.engine"]
    index, images = ROOT / "mycollection" / "index.py", ROOT / "helpers" / "models" / "images.py"
    assert _private_imports(index, "def f():\n    from .search import _rank\n") == [
        "line 2: from mycollection.search import _rank"]
    assert _private_imports(index, "from helpers.models._common import decode_workers\n") == [
        "line 1: helpers.models._common is private to helpers.models"]
    assert _private_imports(images, "from ._common import decode_pool\n") == []  # its own package's module
    assert len(MODULES) >= 30


def test_public_loaders_stay_importable():
    from helpers.models import load_clip, load_image_encoder, load_text_encoder  # noqa: F401
    from helpers.similarity import combine, cosine_similarity, top_k  # noqa: F401
