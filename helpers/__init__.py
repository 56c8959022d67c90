"""Helpers for the "Embeddings, hands-on" notebooks, one module per idea, in the order of the series.

==========================  ===========================================================
``helpers.availability``    which models (presets), local caches, network checks, failing fast
``helpers.models``          encoders: ``.text`` (01), ``.images`` (02), ``.clip`` and ``.bridge`` (05)
``helpers.similarity``      cosine similarity, top-k, normalising, weights, combining (01-04)
``helpers.retrieval``       per-modality scores, weighted search, contributions: the one ranking (03-04)
``helpers.evaluation``      precision@k beside its baselines (random ranking, best possible), fusion (03-04)
``helpers.catalog``         the product catalogs' data: items, text feature, colours, swatches (03-04)
``helpers.data``            the photo registry: pinned URLs, checksums, credits
``helpers.images``          robust image loading that names the bad item
``mycollection``      your own photos and notes: an on-disk index, search, export (06-07)
``helpers.plots``           every figure (views only: numbers come from the modules above)
``helpers.widgets``         the weight sliders of notebook 04 (a thin view over ``retrieval``)
``helpers.notebook``        the setup cell, checked claims (``check``), the photo-credits cell
==========================  ===========================================================

The collection tool of notebooks 06-07 is the separate package ``mycollection``, which uses this one.

Submodules are imported on demand so ``import helpers`` stays fast.
"""
__version__ = "0.1.0"
