"""Command line: index a folder, search it, export it for the Embedding Projector.

    python -m mycollection index  FOLDER [--engine ray [--address HOST:6379]] [--db photos.db]
    python -m mycollection search FOLDER "a photo of a cat" [-k 5] [--notes | --photos] [--db photos.db]
    python -m mycollection export FOLDER OUTDIR
    python -m mycollection duplicates FOLDER [--threshold T] [--max-pairs N]

The index lives under ``$EMBEDDINGS_CACHE_DIR/collections`` (default ``data/cache/collections``);
the models are the preset's (``EMBEDDINGS_MODELS``). ``search``, ``export`` and ``duplicates`` bring the
index up to date first (cheap when nothing changed). ``duplicates`` prints ``cosine<TAB>photo<TAB>photo``
per pair, most similar first; its threshold is measured (``helpers.duplicates.calibrate`` on the built-in
calibration photos, as in notebook 06), and the measurement is kept beside the indexes under a key made of
everything it depends on (the image model, the preprocessing version, the calibration photos' checksums,
the code of ``helpers.duplicates`` and ``helpers.images``, Pillow's version), so a change re-measures it.
"""
from __future__ import annotations

import argparse
import functools
import json
import sys
import warnings

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
            print(f"note: {coll.folder} holds no photos (.jpg, .png, ...) and no notes "
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
    p = sub.add_parser("duplicates", help="near-duplicate photos: pairs with their cosine, most similar first")
    p.add_argument("folder")
    p.add_argument("--threshold", type=float,
                   help="cosine threshold (default: calibrated on built-in photos and their generated copies)")
    p.add_argument("--max-pairs", type=int, default=None, help="print at most this many pairs (default 10000)")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "index":
            _index(args.folder, progress=not args.no_progress, engine=_engine(args), db=args.db)
            return 0
        coll = _index(args.folder, progress=False, quiet=True, db=getattr(args, "db", None))
        if args.cmd == "search":
            return _search(coll, args)
        if args.cmd == "duplicates":
            return _duplicates(coll, args)
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
        what = "photos" if args.photos else "notes" if args.notes else "photos or notes"
        print(f"nothing to search in {coll.folder}: it holds no indexed {what}", file=sys.stderr)
        return 1
    for hit in hits:
        print(f"{hit.path}\t{hit.score:.3f}")
    return 0


def _calibrated_threshold(coll) -> tuple[float, str]:
    """The near-duplicate threshold for the collection's image model, and how it was measured (cached)."""
    import PIL

    from helpers import data
    from helpers.duplicates import calibrate
    from helpers.files import content_key
    from mycollection.sample import CALIBRATION, calibration_photos
    from mycollection.store import atomic_write, cache_root

    space = coll.spaces["image"]
    depends = {"model": space.model, "prep": space.prep, "pillow": PIL.__version__,
               "photos": [data.record(f).sha256 for f in CALIBRATION]}
    key = content_key(depends, code=("helpers.duplicates", "helpers.images"))[:16]  # the code counts too
    path = cache_root() / "duplicate-thresholds" / f"{key}.json"
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
        if kept.get("depends") == depends:
            return float(kept["threshold"]), kept["how"] + " (measured before, same model and code)"
    except (OSError, ValueError, KeyError, TypeError):
        pass  # none yet, or unreadable: measure again
    calib = calibrate(functools.partial(coll.encoders.image.encode, progress=False), calibration_photos())
    how = f"calibrated on {len(CALIBRATION)} built-in photos and their copies: {calib}"
    doc = {"depends": depends, "threshold": calib.threshold, "how": how}
    atomic_write(path, lambda f: json.dump(doc, f, indent=1), binary=False)
    return calib.threshold, how


def _duplicates(coll, args) -> int:
    from helpers.duplicates import MAX_PAIRS, near_duplicates

    if args.threshold is not None and not -1.0 <= args.threshold <= 1.0:
        raise ValueError(f"--threshold is a cosine, between -1 and 1; got {args.threshold}")
    max_pairs = MAX_PAIRS if args.max_pairs is None else args.max_pairs
    if max_pairs < 1:
        raise ValueError(f"--max-pairs must be at least 1, got {max_pairs}")
    n = len(coll.photos)
    if n < 2:
        what = "no photos" if n == 0 else "a single photo"
        print(f"no near-duplicates: {coll.folder} holds {what}, nothing to compare")
        return 0
    if args.threshold is None:
        threshold, how = _calibrated_threshold(coll)
    else:
        threshold, how = args.threshold, "given with --threshold"
    print(f"threshold {threshold:.3f} ({how})")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a cut list is said below, in its own line
        pairs = near_duplicates(coll.vectors["image"], threshold, max_pairs=max_pairs)
    for i, j, score in pairs:
        print(f"{score:.3f}\t{coll.photos[i].ref}\t{coll.photos[j].ref}")
    if pairs.truncated:
        print(f"note: {pairs.message}")
    print(f"{pairs.found} near-duplicate pair(s) among {n} photos at cosine >= {threshold:.3f}" if pairs.found
          else f"no near-duplicates among {n} photos at cosine >= {threshold:.3f}")
    return 0
