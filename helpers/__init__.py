"""Helpers for the "Embeddings, hands-on" notebooks.

Modules: :mod:`helpers.presets` (which models), :mod:`helpers.models` (encoders),
:mod:`helpers.similarity` (cosine, top-k, combining embeddings),
:mod:`helpers.data` (image registry), :mod:`helpers.images` (robust loading),
:mod:`helpers.plots` (figures) and :mod:`helpers.notebook` (setup cell).
Submodules are imported on demand so ``import helpers`` stays fast.
"""
__version__ = "0.1.0"
