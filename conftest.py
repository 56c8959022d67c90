"""Test-wide settings (the offline preset and the local photo mirror, unless already set) and shared fixtures."""
import os
import sys
from pathlib import Path

import pytest

# nbval compares each cell's checked lines with the committed ones (see tests/nbval_checked.py). Imported by its own
# name from tests/, never as ``tests.…``: IPython 7 (Colab's) puts its extensions folder, which holds a package
# named ``tests``, on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent / "tests"))
pytest_plugins = ["nbval_checked"]

os.environ.setdefault("EMBEDDINGS_MODELS", "offline")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("EMBEDDINGS_STRICT_CHECKS", "1")  # a ✗ line in a notebook fails its cell
_mirror = Path(__file__).resolve().parent.parent / "shared" / "data" / "images"
if _mirror.is_dir():
    os.environ.setdefault("EMBEDDINGS_IMAGE_MIRROR", str(_mirror))


@pytest.fixture(scope="session")
def photos():
    """Notebook 02's collection, the pets, the dishes and the people (not the store's products): (records, paths)."""
    from helpers import data

    recs = [r for category in ("cats", "dogs", "food", "people") for r in data.records(category)]
    return recs, [r.path for r in recs]
