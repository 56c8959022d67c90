"""Helpers for the "Embeddings, hands-on" notebooks, one module per idea, in the order of the series.

==========================  ===========================================================
``helpers.availability``    which models (presets), local caches, network checks, failing fast
``helpers.models``          encoders: ``.text`` (01), ``.images`` (02), ``.joint``, ``.clip``, ``.bridge`` (05)
``helpers.similarity``      cosine similarity, top-k, normalising, weights, combining (01-04)
``helpers.retrieval``       per-modality scores, weighted search, contributions: the one ranking (03-04)
``helpers.evaluation``      precision@k beside its baselines (random ranking, best possible), fusion (03-04)
``helpers.catalog``         the product catalogs' data: items and their text feature (03-04)
``helpers.colours``         a photo's dominant colours (k-means) and its colour swatch (03-04)
``helpers.blocks``          a catalog's text, photo and colour embedding blocks (03-04)
``helpers.data``            the photo registry: pinned URLs, checksums, credits
``helpers.images``          robust image loading that names the bad item
``helpers.files``           SHA-256 of a file; write to a temporary file, then replace
``helpers.duplicates``      measuring a near-duplicate threshold (06)
``helpers.ann``             exact vs approximate (HNSW) search (06)
``helpers.plots``           every figure (views only: numbers come from the modules above)
``helpers.widgets``         the weight sliders of notebook 04 (a thin view over ``retrieval``)
``helpers.notebook``        the setup cell, checked claims (``check``), the photo-credits cell
==========================  ===========================================================

The collection application of notebooks 06-07 is the separate package ``mycollection``, which uses
this one; this one never imports it.

Submodules are imported on demand so ``import helpers`` stays fast.
"""
__version__ = "0.1.0"
