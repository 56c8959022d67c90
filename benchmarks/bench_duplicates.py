"""Near-duplicates at 20,000 and 100,000 photos: exact in blocks against approximate candidates (prints a table).

Vectors: the offline image encoder's (EfficientNet-Lite0, 1280-d) vectors of the registry's photos, REAL,
then grown to each size with SYNTHETIC noisy copies of those rows (as helpers.ann.grow, noise ``--noise``:
distinct "photos" of the same kind of thing), then 1 % of the rows replaced by PLANTED duplicates
(a close noisy copy, noise 0.15: cosine ~0.99, like a re-saved photo). The threshold is the calibrated
one (helpers.duplicates.calibrate on mycollection.sample.calibration_photos).

Methods, each in a fresh process per size (so that its memory is its own):
* exact   - helpers.duplicates.near_duplicates: rows in blocks against every later row (block_mb 64)
* hnsw    - approximate candidates: faiss HNSW (M=16, efSearch=64), each vector's 10 nearest, kept
            when >= threshold (skip with --no-hnsw)

Columns: time (wall clock) and CPU time (all threads: on a shared machine the wall clock also counts the
waiting); peak memory = tracemalloc's peak of Python/NumPy allocations INCLUDING the vectors
(faiss's own C++ memory is not traced, hence also the process's peak RSS (VmHWM), which includes
the interpreter, NumPy/BLAS and faiss); recall = the share of the exact method's pairs found (the
exact method is the reference: 1.000 by definition); planted = the share of the planted duplicate pairs
found. The last line is ``peak memory at 100k: N MB`` (the exact method's tracemalloc peak).

    python benchmarks/bench_duplicates.py [--sizes 20000,100000] [--no-hnsw]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("EMBEDDINGS_MODELS", "offline")

from _common import peak_rss_mb  # noqa: E402 - after the sys.path line above


def peak_rss_this_process_mb() -> float:
    """Peak RSS of this process since its start (VmHWM; getrusage's maxrss would carry the parent's over exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_rss_mb()

PLANTED_SHARE, PLANTED_NOISE = 0.01, 0.15


def base_vectors(cache: Path) -> tuple[np.ndarray, float]:
    """The registry photos' image vectors and the calibrated threshold (computed once, kept in ``cache``)."""
    if cache.is_file():
        with np.load(cache) as z:
            return z["vectors"], float(z["threshold"])
    from helpers import data
    from helpers.duplicates import calibrate
    from helpers.models import load_image_encoder
    from mycollection.encoders import Encoders
    from mycollection.sample import calibration_photos

    enc = load_image_encoder(Encoders().preset.image)
    vectors = enc.encode(data.fetch_all(progress=False), progress=False)
    threshold = calibrate(enc.encode, calibration_photos()).threshold
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, vectors=vectors, threshold=threshold)
    return vectors, threshold


def make_set(base: np.ndarray, n: int, noise: float) -> tuple[np.ndarray, set[tuple[int, int]]]:
    """``n`` vectors (grown from ``base``) with 1 % of the rows replaced by close copies of other rows."""
    from helpers import ann
    from helpers.similarity import normalize

    # helpers.ann.grow, filled in slices into one array (no full-size temporaries in the peak RSS)
    vectors = np.empty((n, base.shape[1]), dtype=np.float32)
    m = min(n, len(base))
    vectors[:m] = base[:m]
    for s in range(m, n, 10_000):
        vectors[s : s + 10_000] = ann.noisy_copies(base, min(n, s + 10_000) - s, noise=noise, seed=s)
    rng = np.random.default_rng(1)
    rows = rng.choice(n, size=2 * int(n * PLANTED_SHARE), replace=False)
    src, dst = rows[::2], rows[1::2]
    noise_rows = rng.standard_normal((len(src), vectors.shape[1]), dtype=np.float32)
    vectors[dst] = normalize(vectors[src] + PLANTED_NOISE * noise_rows / np.sqrt(vectors.shape[1]))
    return vectors, {(int(min(a, b)), int(max(a, b))) for a, b in zip(src, dst)}


def hnsw_pairs(vectors: np.ndarray, threshold: float, k: int = 10) -> set[tuple[int, int]]:
    from helpers import ann

    index = ann.hnsw_index(vectors, m=16, ef_construction=40, ef_search=64)
    scores, nbrs = index.search(vectors, k + 1)
    pairs = set()
    for i, (row_s, row_n) in enumerate(zip(scores, nbrs)):
        for s, j in zip(row_s, row_n):
            if j >= 0 and j != i and s >= threshold:
                pairs.add((min(i, int(j)), max(i, int(j))))
    return pairs


def worker(args) -> None:
    """One size, one method, in this (fresh) process; prints one JSON line."""
    from helpers.duplicates import near_duplicates

    base, threshold = base_vectors(Path(args.cache))
    tracemalloc.start()
    vectors, planted = make_set(base, args.worker_n, args.noise)
    tracemalloc.reset_peak()
    t, cpu = time.perf_counter(), time.process_time()
    if args.method == "exact":
        found = near_duplicates(vectors, threshold, max_pairs=10 * len(vectors))
        pairs = {(i, j) for i, j, _ in found}
    else:
        pairs = hnsw_pairs(vectors, threshold)
    seconds, cpu_seconds = time.perf_counter() - t, time.process_time() - cpu
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(json.dumps({"n": len(vectors), "dim": vectors.shape[1], "seconds": seconds, "cpu_s": cpu_seconds,
                      "peak_mb": peak, "rss_mb": peak_rss_this_process_mb(), "vectors_mb": vectors.nbytes / 2**20,
                      "threshold": threshold, "pairs": sorted(pairs), "planted": sorted(planted)}))


def run(method: str, n: int, args) -> dict:
    cmd = [sys.executable, __file__, "--worker-n", str(n), "--method", method, "--cache", args.cache,
           "--noise", str(args.noise)]
    out = subprocess.run(cmd, check=False, capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        raise SystemExit(f"{method} at {n}: failed\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="20000,100000")
    ap.add_argument("--no-hnsw", action="store_true")
    ap.add_argument("--noise", type=float, default=1.0, help="noise length of the grown (distinct) vectors")
    ap.add_argument("--cache", default=str(ROOT / "data" / "cache" / "bench_duplicates_base.npz"))
    ap.add_argument("--worker-n", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--method", default="exact", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker_n:
        return worker(args)
    base, threshold = base_vectors(Path(args.cache))
    print(f"near-duplicates: {len(base)} REAL image vectors ({base.shape[1]}-d, offline EfficientNet-Lite0) grown "
          f"with SYNTHETIC noisy copies (noise {args.noise}), {PLANTED_SHARE:.0%} planted duplicates; calibrated "
          f"threshold {threshold:.3f}; {os.cpu_count()} CPUs, load average at start {os.getloadavg()[0]:.1f}",
          flush=True)
    print("peak = tracemalloc peak incl. the vectors (Python/NumPy allocations); "
          "RSS = the worker process's peak (VmHWM)")
    print(f"{'vectors':>9s} {'method':>7s} {'time s':>8s} {'CPU s':>8s} {'peak MB':>8s} {'RSS MB':>8s} {'pairs':>8s} "
          f"{'recall':>7s} {'planted':>8s}")
    peak_100k = None
    for n in [int(s) for s in args.sizes.split(",")]:
        exact = run("exact", n, args)
        truth, planted = {tuple(p) for p in exact["pairs"]}, {tuple(p) for p in exact["planted"]}
        rows = [("exact", exact)] + ([] if args.no_hnsw else [("hnsw", run("hnsw", n, args))])
        for method, r in rows:
            pairs = {tuple(p) for p in r["pairs"]}
            recall = len(pairs & truth) / max(1, len(truth))
            print(f"{n:>9,d} {method:>7s} {r['seconds']:8.1f} {r['cpu_s']:8.1f} {r['peak_mb']:8.0f} {r['rss_mb']:8.0f} "
                  f"{len(pairs):>8,d} {recall:7.3f} {len(pairs & planted) / max(1, len(planted)):8.3f}", flush=True)
        if n == 100_000:
            peak_100k = exact["peak_mb"]
    if peak_100k is not None:
        print(f"peak memory at 100k: {peak_100k:.0f} MB")


if __name__ == "__main__":
    main()
