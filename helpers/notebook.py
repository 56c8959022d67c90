"""What the shared setup cell of every notebook calls."""
from __future__ import annotations

import os
import warnings

from .presets import Preset, banner, get_preset

__all__ = ["setup", "clip_caveat"]


def setup(seed: int = 0) -> Preset:
    """Seed the RNGs, set quiet, readable defaults, and print the preset banner.

    Returns the active :class:`~helpers.presets.Preset`.
    """
    import matplotlib.pyplot as plt
    import numpy as np
    import torch

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    np.random.seed(seed)
    torch.manual_seed(seed)
    np.set_printoptions(precision=3, suppress=True)
    plt.rcParams.update({"figure.dpi": 90, "figure.max_open_warning": 0})
    warnings.filterwarnings("ignore", message=".*TypedStorage is deprecated.*")
    try:  # the per-tensor "Loading weights" bar of transformers 5 is noise in a tutorial
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover
        pass
    preset = get_preset()
    print(banner(preset))
    return preset


def clip_caveat(clip) -> None:
    """Under a CLIP result: say plainly when the CLIP in use has random weights (offline stand-in)."""
    if getattr(clip, "is_random", False):
        print(
            f"WARNING: {clip.name} has RANDOM weights (offline preset): the numbers, rankings and "
            "probabilities in this section are meaningless. Run with EMBEDDINGS_MODELS=article for real CLIP."
        )
