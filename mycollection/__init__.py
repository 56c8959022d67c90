"""The collection tool of notebooks 06-07 (an application beside the lessons' ``helpers``).

Your own collection: index a folder of photos and notes once, then search it, map it, export it.

* :mod:`.files`      - what is in the folder, and a content key (SHA-256) per file
* :mod:`.notes`      - ``.txt`` / ``.md`` / CSV notes, with named problems (not UTF-8, empty)
* :mod:`.store`      - the on-disk index: manifest + vector files, written atomically
* :mod:`.encoders`   - the three embedding spaces and their models, loaded only when needed
* :mod:`.index`      - :func:`index`: embed what is new, reuse the rest -> :class:`Collection`
* :mod:`.search`     - text -> photos (CLIP), photo -> photos (image encoder), text -> notes
* :mod:`.projector`  - files for the TensorFlow Embedding Projector
* :mod:`.cli`        - ``python -m mycollection index | search | export``
"""
from .files import CollectionError
from .index import Collection, IndexReport, Item, index
from .search import Hit, search, search_notes, search_photos, similar_photos

__all__ = ["CollectionError", "Collection", "IndexReport", "Item", "index", "Hit", "search", "search_notes",
           "search_photos", "similar_photos"]
