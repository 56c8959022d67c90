"""Command line: index a folder, search it, export it for the Embedding Projector.

    python -m mycollection index  FOLDER [--engine ray [--address HOST:6379]] [--db photos.db]
    python -m mycollection search FOLDER "a photo of a cat" [-k 5] [--notes | --photos] [--db photos.db]
    python -m mycollection export FOLDER OUTDIR

The index lives under ``$EMBEDDINGS_CACHE_DIR/collections`` (default ``data/cache/collections``);
the models are the preset's (``EMBEDDINGS_MODELS``). ``search`` and ``export`` bring the index up to
date first (cheap when nothing changed).
"""
from __future__ import annotations

import argparse
import sys

from .files import CollectionError

__all__ = ["main"]


def _index(folder: str, progress: bool, quiet: bool = False, engine=None, db: str | None = None):
    from .index import index

    coll = index(folder, progress=progress, engine=engine)
    synced = _sync_db(coll, db)
    rep = coll.report
    if not quiet:
        for note in rep.notices:
            print(f"note: {note}")
        for ref, reason in rep.skipped:
            print(f"skipped: {ref}: {reason}")
        if not coll.items and not rep.skipped:
            print(f"note: {coll.folder} holds no photos ({', '.join(['.jpg', '.png', '...'])}) and no notes "
                  "(.txt, .md, .csv)")
        none = "none" + (" (everything was cached)" if coll.items else "")
        print(f"models loaded: {', '.join(rep.loaded) if rep.loaded else none}; {rep.seconds:.2f} s")
        print(rep.summary())
        if db:
            print(f"database {db}: " + ", ".join(f"{s} {u} upserted, {d} deleted" for s, (u, d) in synced.items()))
    return coll


def _sync_db(coll, db: str | None) -> dict:
    if not db:
        return {}
    from .vectordb import sync  # Milvus: a .db path (Milvus Lite) or an http://HOST:19530 server

    return sync(coll, db)


def _engine(args):
    if getattr(args, "address", None) and args.engine != "ray":
        raise ValueError("--address is the Ray cluster's address: use it with --engine ray")
    if getattr(args, "engine", "default") != "ray":
        return None
    from .ray_engine import RayEngine

    return RayEngine(address=args.address)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m mycollection", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("index", help="embed new photos and notes; report new, cached, skipped")
    p.add_argument("folder")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--engine", choices=["default", "ray"], default="default",
                   help="embed in this process (default) or with Ray Data (a local Ray, or --address)")
    p.add_argument("--address", help="a running Ray cluster to use with --engine ray (HOST:6379 or auto)")
    p.add_argument("--db", help="also store the vectors in Milvus: a .db path (Milvus Lite) or http://HOST:19530")
    p = sub.add_parser("search", help="text -> photos (CLIP) and text -> notes (text encoder)")
    p.add_argument("folder")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=5, help="results per kind (default 5)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--photos", action="store_true", help="photos only")
    which.add_argument("--notes", action="store_true", help="notes only")
    p.add_argument("--db", help="search in Milvus (the index's --db) instead of in memory")
    p = sub.add_parser("export", help="write the TensorFlow Embedding Projector files into OUTDIR")
    p.add_argument("folder")
    p.add_argument("outdir")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "index":
            _index(args.folder, progress=not args.no_progress, engine=_engine(args), db=args.db)
            return 0
        coll = _index(args.folder, progress=False, quiet=True, db=getattr(args, "db", None))
        if args.cmd == "search":
            return _search(coll, args)
        from .projector import export

        written = export(coll, args.outdir)
        for path in written:
            print(f"wrote {path}")
        return 0
    except (CollectionError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _search(coll, args) -> int:
    if args.db:
        from .vectordb import search_notes, search_photos
    else:
        from .search import search_notes, search_photos
    db = (args.db,) if args.db else ()

    if args.k < 1:
        raise ValueError(f"-k must be at least 1, got {args.k}")
    hits = []
    if not args.notes and coll.photos:
        hits += search_photos(coll, args.query, args.k, *db)
    if not args.photos and coll.notes:
        hits += search_notes(coll, args.query, args.k, *db)
    if not hits:
        print(f"nothing to search in {coll.folder}: it holds no indexed photos or notes", file=sys.stderr)
        return 1
    for hit in hits:
        print(f"{hit.path}\t{hit.score:.3f}")
    return 0
