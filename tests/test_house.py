"""The package reads like the series: small modules, small classes, views apart from data and maths."""
import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "helpers"
MODULES = sorted(p for p in PKG.rglob("*.py") if "__pycache__" not in p.parts)
MAX_MODULE_LINES = 350
MAX_CLASS_LINES = 150
# Views may import data and maths, never the other way round.
VIEWS = {"plots", "widgets", "notebook"}


def _name(path: Path) -> str:
    return ".".join(path.relative_to(PKG.parent).with_suffix("").parts)


def _imports(tree: ast.AST, module: str) -> set[str]:
    """Fully qualified helpers modules imported by ``module`` (relative imports resolved)."""
    out = set()
    pkg = module.split(".")
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg[: len(pkg) - node.level] + (node.module.split(".") if node.module else [])
                out.add(".".join(base))
                out.update(".".join(base + [a.name]) for a in node.names)
            elif node.module and node.module.startswith("helpers"):
                out.add(node.module)
                out.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("helpers"))
    return out


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_modules_and_classes_stay_small(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{_name(path)} has {lines} lines: split it by idea"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ClassDef):
            n = node.end_lineno - node.lineno + 1
            assert n <= MAX_CLASS_LINES, f"{_name(path)}.{node.name} has {n} lines"


@pytest.mark.parametrize("path", [p for p in MODULES if not VIEWS & set(p.relative_to(PKG).with_suffix("").parts)],
                         ids=_name)
def test_data_and_maths_never_import_views(path):
    module = _name(path)
    imported = _imports(ast.parse(path.read_text(encoding="utf-8")), module)
    views = {m for m in imported if m.split(".")[1:2] and m.split(".")[1] in VIEWS}
    assert not views, f"{module} imports the view module(s) {sorted(views)}"


def test_public_loaders_stay_importable():
    from helpers.models import load_clip, load_image_encoder, load_text_encoder  # noqa: F401
    from helpers.similarity import combine, cosine_similarity, top_k  # noqa: F401
