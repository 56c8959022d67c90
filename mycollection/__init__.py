"""The collection tool of notebooks 06-07 (an application beside the lessons' ``helpers``).

Your own collection: index a folder of photos and notes once, then search it, map it, export it.

* :mod:`.files`      - what is in the folder, and what kind of file each one is
* :mod:`.records`    - :class:`Entry` (one searchable thing) and :class:`FileRecord` (one file of the manifest)
* :mod:`.notes`      - ``.txt`` / ``.md`` / CSV notes, with named problems (not UTF-8, empty)
* :mod:`.store`      - the on-disk index: manifest + vector files, written atomically
* :mod:`.encoders`   - the three embedding spaces and their models, loaded only when needed
* :mod:`.engine`     - the embedding interface (:class:`PhotoJob`) and the single-process engine
* :mod:`.ray_engine` - the same interface, run by a pool of Ray Data workers
* :mod:`.index`      - :func:`index`: embed what is new, reuse the rest -> :class:`Collection`
* :mod:`.vectordb`   - the vectors in Milvus (Lite or a server), searched there
* :mod:`.support`    - what of notebook 07 runs on this machine (Ray Data, Milvus Lite), and why not
* :mod:`.search`     - text -> photos (CLIP), photo -> photos (image encoder), text -> notes
* :mod:`.projector`  - files for the TensorFlow Embedding Projector
* :mod:`.cli`        - ``python -m mycollection index | search | export``
"""
from .files import CollectionError
from .index import Collection, IndexReport, index
from .records import Entry
from .search import Hit, search_all, search_notes, search_photos, similar_photos

__all__ = ["CollectionError", "Collection", "IndexReport", "Entry", "index", "Hit", "search_all", "search_notes",
           "search_photos", "similar_photos"]
