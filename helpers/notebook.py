"""What notebooks call around their lessons: the setup cell, checked claims, photo credits."""
from __future__ import annotations

import os
import warnings

from .availability import Preset, banner, get_preset

__all__ = ["setup", "check", "ClaimFailed", "STRICT_ENV", "photo_credits"]

#: When this environment variable is "1" (the tests set it), a failed check raises after printing.
STRICT_ENV = "EMBEDDINGS_STRICT_CHECKS"
#: Figure resolution in dots per inch (default 90); ``make record`` sets it for the committed outputs.
DPI_ENV = "EMBEDDINGS_FIGURE_DPI"


class ClaimFailed(AssertionError):
    """A lesson's claim does not hold in this run (raised only in strict mode, i.e. in the tests)."""


def setup(seed: int = 0) -> Preset:
    """Seed the RNGs, set quiet, readable defaults, and print the preset banner.

    Returns the active :class:`~helpers.availability.Preset`.
    """
    import matplotlib.pyplot as plt
    import numpy as np
    import torch

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    np.random.seed(seed)
    torch.manual_seed(seed)
    np.set_printoptions(precision=3, suppress=True)
    plt.rcParams.update({"figure.dpi": _figure_dpi(), "figure.max_open_warning": 0})
    warnings.filterwarnings("ignore", message=".*TypedStorage is deprecated.*")
    try:  # the per-tensor "Loading weights" bar of transformers 5 is noise in a tutorial
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover
        pass
    preset = get_preset()
    print(banner(preset))
    return preset


def _figure_dpi() -> float:
    value = os.environ.get(DPI_ENV) or "90"
    try:
        dpi = float(value)
    except ValueError:
        dpi = 0.0
    if not 20 <= dpi <= 600:
        raise ValueError(f"{DPI_ENV}={value!r} is not a resolution: give dots per inch between 20 and 600, "
                         f"or unset it (90)")
    return dpi


def check(claim: str, ok: bool, numbers: str = "") -> None:
    """Print one checked line for a result the lesson relies on (returns nothing: no stray ``True`` under it).

    ``✓ <claim>: <numbers>`` when ``ok``, ``✗ <claim>: <numbers>`` when not. A learner on another
    preset or model version sees an honest line instead of an exception; the tests set
    ``EMBEDDINGS_STRICT_CHECKS=1``, which turns a ``✗`` into a :class:`ClaimFailed` error.
    """
    ok = bool(ok)
    line = f"{'✓' if ok else '✗'} {claim}" + (f": {numbers}" if numbers else "")
    print(line)
    if not ok and os.environ.get(STRICT_ENV) == "1":
        raise ClaimFailed(line)


def photo_credits() -> None:
    """The notebook's one credits cell: a compact line per source of the registered photos this kernel used.

    A source is a repository the photos were taken from and their licence. Licences that require the author's
    name (CC BY ...) list each photo's attribution on that line; the full list is data/CREDITS.md.
    """
    from .data import fetched_records

    groups: dict[tuple[str, str], list] = {}
    for r in fetched_records():
        groups.setdefault((r.source.split("@", 1)[0], r.license), []).append(r)
    if not groups:
        print("This notebook showed no registered photos.")
        return
    print(f"Photos in this notebook: {sum(map(len, groups.values()))}, from {len(groups)} sources "
          "(full credits: data/CREDITS.md)")
    for (repo, licence), recs in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        named = "; ".join(dict.fromkeys(r.attribution for r in recs)) if "BY" in licence else ""
        print(f"- {len(recs)} via {repo}, {licence}" + (f": {named}" if named else ""))
