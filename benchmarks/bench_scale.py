"""Beyond one machine: Ray Data indexing against the single-process engine, and Milvus Lite against exact search.

Part 1, indexing: the registry's photos (109 by default) copied into a fresh folder, indexed into a fresh
cache by (a) the default engine (this process: decode threads + torch's own threads), (b) Ray Data with
one worker using every CPU, (c) Ray Data with one worker per CPU. Fixed costs (model loads, Ray start,
worker start) and the steady rate (photos/s once the models are loaded) are printed apart, because a
million photos are all steady rate. Image models: the preset's (offline: EfficientNet-Lite0 + the bridge,
one forward pass for both photo spaces).

Part 2, the vector database: Milvus Lite (in this process, AUTOINDEX = faiss HNSW) at 10k and 100k vectors
of 384 dimensions: the MiniLM token-embedding table (29,523 real vectors) plus SYNTHETIC noisy copies for
larger sizes (helpers.ann.grow), 200 noisy-copy queries. Insert: vectors/s including building
the index. Search: median latency of single-query searches, recall@10 against exact NumPy search.

    python benchmarks/bench_scale.py [--photos 109] [--sizes 10000,100000] [--skip-index | --skip-db]
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("EMBEDDINGS_MODELS", "offline")

import numpy as np  # noqa: E402
from _common import peak_rss_mb  # noqa: E402


def photo_folder(dest: Path, n: int) -> Path:
    from helpers import data

    for rec in data.records()[:n]:
        target = dest / rec.file
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(data.fetch(rec, progress=False), target)
    return dest


def run_default(folder: Path, cache: Path) -> dict:
    from mycollection import index
    from mycollection.encoders import Encoders

    os.environ["EMBEDDINGS_CACHE_DIR"] = str(cache)
    t = time.perf_counter()
    enc = Encoders()
    enc.photo_size()  # loads both photo models
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    coll = index(folder, encoders=enc, progress=False)
    embed_s = time.perf_counter() - t
    return {"engine": "default (1 process)", "total_s": load_s + embed_s,
            "rate": len(coll.photos) / embed_s, "n": len(coll.photos), "coll": coll}


def run_ray(folder: Path, cache: Path, workers: int, cpus_per_worker: int) -> dict:
    from mycollection import index
    from mycollection.ray_engine import RayEngine

    os.environ["EMBEDDINGS_CACHE_DIR"] = str(cache)
    eng = RayEngine(num_cpus=workers * cpus_per_worker, workers=workers, cpus_per_worker=cpus_per_worker)
    t = time.perf_counter()
    coll = index(folder, engine=eng, progress=False)
    total = time.perf_counter() - t
    return {"engine": f"Ray Data, {workers} x {cpus_per_worker} CPU", "total_s": total, "rate": eng.steady_rate(),
            "n": len(coll.photos), "coll": coll, "startup_s": eng.startup_s}


def part_index(n: int) -> None:
    import torch

    from helpers.availability import get_preset

    cpus = os.cpu_count() or 1
    print(f"## Indexing {n} photos: preset {get_preset().name}, device "
          f"{'cuda' if torch.cuda.is_available() else 'cpu'}, {cpus} CPUs, load average {os.getloadavg()[0]:.1f}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = photo_folder(Path(tmp) / "photos", n)
        configs = [("default", None, None), ("ray", 1, cpus), ("ray", cpus, 1)]
        for i, (kind, w, c) in enumerate(configs):
            cache = Path(tmp) / f"cache{i}"
            rows.append(run_default(folder, cache) if kind == "default" else run_ray(folder, cache, w, c))
            r = rows[-1]
            print(f"  {r['engine']}: {r['total_s']:.1f} s total, peak RSS {peak_rss_mb():.0f} MB, "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)
    base = rows[0]
    for r in rows[1:]:
        diff = max(float(np.abs(r["coll"].vectors[s] - base["coll"].vectors[s]).max()) for s in ("image", "clip-image"))
        r["diff"] = diff
    print(f"\n{'engine':26s} {'photos':>6s} {'total s':>8s} {'photos/s':>9s} {'vs default':>10s} {'steady/s':>9s} "
          f"{'max |diff|':>10s}")
    for r in rows:
        e2e = r["n"] / r["total_s"]
        print(f"{r['engine']:26s} {r['n']:6d} {r['total_s']:8.1f} {e2e:9.2f} {e2e * base['total_s'] / base['n']:9.2f}x "
              f"{r['rate']:9.2f} {r.get('diff', 0.0):10.1e}")
    print("photos/s and vs default: end to end (models, Ray start-up and shutdown included). steady/s: after the "
          "models are loaded; default: wall clock of index(); Ray: the workers' own clocks inside map_batches "
          "(whole pool), which leave out queueing and moving batches, so an upper bound.")
    print(f"Ray Data start-up alone: {rows[1].get('startup_s', float('nan')):.1f} s. End to end, on {cpus} CPUs "
          "Ray does not "
          "beat the default engine: both are CPU-bound on the same cores (the default engine already uses all of "
          "them, through torch's threads and parallel decoding); Ray adds process start-up, a model load per "
          "worker and moving batches between processes. It pays when there are more CPUs (or GPUs, or machines) "
          "than one process can use.")
    per_million = 1e6 / base["rate"]
    print(f"At the default engine's rate, 1,000,000 photos take {per_million / 3600:.1f} h on this machine "
          "(estimate; N such machines in a Ray cluster: that / N at best).")


def part_db(sizes: list[int], n_queries: int) -> None:
    from pymilvus import MilvusClient

    from helpers import ann
    from helpers.models import load_text_encoder

    base, _ = ann.vocabulary_vectors(load_text_encoder())
    print(f"\n## Milvus Lite (in-process; AUTOINDEX) vs exact NumPy search: {base.shape[1]}-d, {base.shape[0]:,} real "
          f"MiniLM token vectors, larger sizes add SYNTHETIC noisy copies; {n_queries} queries, k=10")
    print(f"{'vectors':>9s} {'insert s':>9s} {'vec/s':>9s} {'exact ms':>9s} {'Milvus ms':>9s} {'recall@10':>9s} "
          f"{'disk MB':>8s} {'RAM MB (f32)':>12s}")
    for n in sizes:
        vectors = ann.grow(base, n)
        queries = ann.noisy_copies(vectors, n_queries, seed=1)
        truth = ann.exact_top_k(vectors, queries, 10)
        with tempfile.TemporaryDirectory() as tmp:
            db = os.path.join(tmp, "bench.db")
            client = MilvusClient(db, dedicated=True)
            client.create_collection("v", dimension=vectors.shape[1], metric_type="COSINE", id_type="int",
                                     primary_field_name="id")
            t = time.perf_counter()
            for s in range(0, n, 5000):
                client.insert("v", [{"id": i, "vector": vectors[i].tolist()} for i in range(s, min(n, s + 5000))])
            client.flush("v")  # seal the segment and build its index (unflushed rows are searched one by one)
            insert_s = time.perf_counter() - t
            found, times = [], []
            for q in queries:
                t = time.perf_counter()
                res = client.search("v", data=[q.tolist()], limit=10)
                times.append(time.perf_counter() - t)
                found.append([r["id"] for r in res[0]])
            exact_ms = []
            for q in queries[:50]:
                t = time.perf_counter()
                ann.exact_top_k(vectors, q[None, :], 10)
                exact_ms.append(time.perf_counter() - t)
            client.close()
            disk = sum(f.stat().st_size for f in Path(db).rglob("*") if f.is_file()) / 1e6
        recall = ann.recall_at_k(np.array(found), truth)
        print(f"{n:9,d} {insert_s:9.1f} {n / insert_s:9.0f} {1000 * np.median(exact_ms):9.2f} "
              f"{1000 * np.median(times):9.2f} {recall:9.3f} {disk:8.1f} {vectors.nbytes / 1e6:12.1f}"
              + ("  *" if n > len(base) else ""), flush=True)
        last = (n, 1000 * np.median(exact_ms), 1000 * np.median(times), recall)
    n, exact_med, lite_med, recall = last
    print(f"* synthetic rows included. At {n:,} vectors Milvus Lite answers in {lite_med:.0f} ms against "
          f"{exact_med:.0f} ms for exact NumPy search ({lite_med / exact_med:.1f}x slower), recall@10 {recall:.3f}. "
          "Milvus Lite is the embedded, pure-Python edition (its gRPC server runs in this process): it is for "
          "development and small data. The same client code against a Milvus server (C++, HNSW/IVF indexes, "
          "many clients) is what serves millions of vectors.")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", type=int, default=109)
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--queries", type=int, default=200)
    which = ap.add_mutually_exclusive_group()
    which.add_argument("--skip-index", action="store_true")
    which.add_argument("--skip-db", action="store_true")
    args = ap.parse_args()
    if not args.skip_index:
        part_index(args.photos)
    if not args.skip_db:
        part_db([int(s) for s in args.sizes.split(",")], args.queries)


if __name__ == "__main__":
    main()
