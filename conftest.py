"""Test-wide settings: the offline preset and the local photo mirror, unless already set."""
import os
from pathlib import Path

os.environ.setdefault("EMBEDDINGS_MODELS", "offline")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("EMBEDDINGS_STRICT_CHECKS", "1")  # a ✗ line in a notebook fails its cell
_mirror = Path(__file__).resolve().parent.parent / "shared" / "data" / "images"
if _mirror.is_dir():
    os.environ.setdefault("EMBEDDINGS_IMAGE_MIRROR", str(_mirror))
