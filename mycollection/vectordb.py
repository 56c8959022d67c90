"""A collection's vectors in a vector database (Milvus), searched there instead of in NumPy.

    python -m mycollection index  FOLDER --db photos.db                # Milvus Lite: a local folder
    python -m mycollection search FOLDER "a cat" --db photos.db
    python -m mycollection search FOLDER "a cat" --db http://milvus-host:19530   # a Milvus server

One client, :class:`pymilvus.MilvusClient`, for both: a path ending in ``.db`` opens Milvus Lite
inside this process (no server); an ``http://`` URI talks to a Milvus server or cluster. Each
embedding space of a folder is one Milvus collection (``c_<folder>_<space>``) whose primary key is the
content hash (the same key as the on-disk cache), with the photo's path beside it. :func:`sync`
makes the database hold exactly the index's vectors: it upserts what is missing and deletes what is
gone, by comparing keys, so an interrupted sync is completed by the next one. The model's name and
preprocessing version are stored in a property of the collection and checked on every use.
"""
from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from pathlib import Path

import numpy as np

from .files import CollectionError
from .store import index_dir

__all__ = ["VectorDBError", "open_db", "collection_name", "sync", "search_space", "search_photos", "search_notes"]

META_KEY = "embeddings_meta"  # collection property: space, model, preprocessing, dim, folder (JSON)
SERVER_SCHEMES = ("http://", "https://", "tcp://", "grpc://", "unix:")
_BATCH = 1000


class VectorDBError(CollectionError):
    """The database cannot be used as asked; the message names it and says what to do."""


def _is_server(uri: str) -> bool:
    return uri.lower().startswith(SERVER_SCHEMES)


def _check_path(uri: str) -> str:
    """A Milvus Lite path, checked before Milvus sees it: ends in ``.db``, in a writable folder."""
    path = Path(uri).expanduser()
    if path.suffix != ".db":
        raise VectorDBError(f"--db {uri!r}: a Milvus Lite database is a path ending in .db (for example "
                            f"{path.with_suffix('.db').name}); a Milvus server is an http://HOST:19530 URI")
    parent = path.resolve().parent
    if not parent.is_dir():
        raise VectorDBError(f"--db {uri!r}: the folder {os.fspath(parent)!r} does not exist; create it or choose "
                            "another path")
    if path.exists() and not path.is_dir():
        raise VectorDBError(f"--db {uri!r} exists and is not a Milvus Lite database (Milvus Lite keeps a folder "
                            "there); choose another name")
    target = path if path.exists() else parent
    try:  # really write (os.access says yes to root, and on a read-only file system)
        with tempfile.TemporaryFile(dir=target):
            pass
    except OSError:
        raise VectorDBError(f"--db {uri!r}: {os.fspath(target)!r} is not writable; choose a path in a folder you "
                            "can write to (for example under your home folder)") from None
    return os.fspath(path.resolve())


def open_db(uri: str, timeout: float = 5.0):
    """A :class:`pymilvus.MilvusClient` for ``uri`` (a ``.db`` path or a server URI), or a clear error."""
    try:
        from pymilvus import MilvusClient
    except ImportError:
        raise VectorDBError("--db needs pymilvus and milvus-lite: pip install pymilvus milvus-lite") from None
    if not isinstance(uri, str) or not uri.strip():
        raise VectorDBError(f"--db needs a .db path or an http://HOST:19530 URI, got {uri!r}")
    target = uri if _is_server(uri) else _check_path(uri)
    if not _is_server(uri):  # Lite answers from a thread of this process: slow only when the CPU is busy
        timeout = max(timeout, 60.0)
    try:
        client = MilvusClient(target, timeout=timeout, dedicated=True)  # its own channel, closed by close()
        client.list_collections(timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - pymilvus and milvus-lite raise many kinds
        detail = _message(exc)
        if _is_server(uri):
            raise VectorDBError(f"cannot reach the Milvus server at {uri!r} within {timeout:g} s ({detail}); start it "
                                "(or check host and port, default 19530), or pass a .db path for Milvus Lite") from None
        raise VectorDBError(f"cannot open the Milvus Lite database {uri!r} ({detail}); if another program has it "
                            "open, close that program or use another path") from None
    return client


def _message(exc: Exception) -> str:
    msg = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return msg.strip().splitlines()[0][:200]


def collection_name(folder: Path, space: str) -> str:
    """The Milvus collection for one space of one folder: letters, digits and underscores only."""
    return re.sub(r"[^A-Za-z0-9_]", "_", f"c_{index_dir(folder).name}_{space}")[:255]


def _meta(coll, space: str, dim: int) -> dict:
    s = coll.spaces[space]
    return {"space": space, "model": s.model, "prep": s.prep, "dim": int(dim), "folder": os.fspath(coll.folder)}


def _check_meta(client, name: str, want: dict, uri: str) -> bool:
    """True if collection ``name`` exists and matches ``want``; False if absent; a clear error if it differs."""
    if not client.has_collection(name):
        return False
    desc = client.describe_collection(name)
    try:
        have = json.loads((desc.get("properties") or {}).get(META_KEY) or "{}")
    except ValueError:
        have = {}
    dims = [f.get("params", {}).get("dim") for f in desc.get("fields", []) if f.get("name") == "vector"]
    have_dim = int(dims[0]) if dims and dims[0] is not None else have.get("dim")
    if have.get("model") != want["model"] or have.get("prep") != want["prep"] or have_dim != want["dim"]:
        raise VectorDBError(
            f"collection {name!r} in {uri!r} was built with model {have.get('model')!r} ({have_dim}-d, preprocessing "
            f"{have.get('prep')!r}), but this index uses {want['model']!r} ({want['dim']}-d, {want['prep']!r}). "
            f"Use another --db path, or delete that collection first: MilvusClient({uri!r}).drop_collection({name!r})")
    client.load_collection(name)  # a database opened again starts with its collections released (on disk)
    return True


def _create(client, name: str, meta: dict) -> None:
    from pymilvus import DataType, MilvusClient

    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=64)  # the content's SHA-256
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=meta["dim"])
    schema.add_field("path", DataType.VARCHAR, max_length=2048)  # one path with that content
    params = client.prepare_index_params()
    params.add_index("vector", index_type="AUTOINDEX", metric_type="COSINE")
    client.create_collection(name, schema=schema, index_params=params, properties={META_KEY: json.dumps(meta)})


def _rows_by_key(coll, space: str) -> tuple[dict[str, int], list]:
    pool = coll.photos if coll.spaces[space].kind == "photo" else coll.notes
    first: dict[str, int] = {}
    for i, it in enumerate(pool):
        first.setdefault(it.key, i)
    return first, pool


def _stored(client, name: str) -> dict[str, str]:
    """id -> path of every row in collection ``name``."""
    out: dict[str, str] = {}
    quiet = logging.getLogger("pymilvus")
    level, _ = quiet.level, quiet.setLevel(logging.ERROR)  # Lite has no server timestamp: a harmless warning
    try:
        it = client.query_iterator(name, batch_size=_BATCH, filter="", output_fields=["id", "path"])
        while rows := it.next():
            out.update({r["id"]: r.get("path", "") for r in rows})
        it.close()
    finally:
        quiet.setLevel(level)
    return out


def sync(coll, uri: str, timeout: float = 5.0) -> dict[str, tuple[int, int]]:
    """Make the database hold exactly ``coll``'s vectors; ``{space: (upserted, deleted)}``."""
    client = open_db(uri, timeout)
    done = {}
    try:
        for space, mat in coll.vectors.items():
            first, pool = _rows_by_key(coll, space)
            if not first and mat.shape[1] == 0:
                continue  # no photos (or no notes): nothing to size a collection by
            name = collection_name(coll.folder, space)
            meta = _meta(coll, space, mat.shape[1])
            if not _check_meta(client, name, meta, uri):
                _create(client, name, meta)
            stored = _stored(client, name)
            todo = [k for k, i in first.items() if stored.get(k) != pool[i].ref]
            for s in range(0, len(todo), _BATCH):
                rows = [{"id": k, "vector": mat[first[k]].astype(np.float32).tolist(), "path": pool[first[k]].ref}
                        for k in todo[s : s + _BATCH]]
                client.upsert(name, rows)
            gone = [k for k in stored if k not in first]
            for s in range(0, len(gone), _BATCH):
                client.delete(name, ids=gone[s : s + _BATCH])
            if todo or gone:
                client.flush(name)  # sealed and indexed: Milvus Lite searches unflushed rows one by one (slow)
            done[space] = (len(todo), len(gone))
    finally:
        client.close()
    return done


def search_space(coll, space: str, query: np.ndarray, k: int, uri: str, timeout: float = 5.0):
    """The ``k`` nearest items of ``space`` to the unit vector ``query``, searched in the database."""
    from .search import Hit

    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    first, pool = _rows_by_key(coll, space)
    if not first:
        return []
    client = open_db(uri, timeout)
    try:
        name = collection_name(coll.folder, space)
        if not _check_meta(client, name, _meta(coll, space, len(query)), uri):
            raise VectorDBError(f"{uri!r} has no collection {name!r} for {coll.folder}: index the folder into it "
                                f"first (python -m mycollection index {os.fspath(coll.folder)} --db {uri})")
        res = client.search(name, data=[np.asarray(query, dtype=np.float32).tolist()], limit=k,
                            output_fields=["path"], search_params={"metric_type": "COSINE"})
    finally:
        client.close()
    hits = []
    for r in res[0]:
        key = r.get("id", r.get("entity", {}).get("id"))
        if key in first:  # a row the folder no longer has (not yet synced) is left out
            item = pool[first[key]]
            hits.append(Hit(item, float(r["distance"]), coll.path(item)))
    return hits


def search_photos(coll, query: str, k: int, uri: str):
    """Text -> photos, like :func:`mycollection.search.search_photos`, but searched in Milvus."""
    return search_space(coll, "clip-image", coll.encoders.query("clip-image", query), k, uri)


def search_notes(coll, query: str, k: int, uri: str):
    """Text -> notes, like :func:`mycollection.search.search_notes`, but searched in Milvus."""
    return search_space(coll, "text", coll.encoders.query("text", query), k, uri)
