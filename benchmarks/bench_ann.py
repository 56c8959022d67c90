"""Exact top-k (NumPy) against an approximate index (faiss HNSW), from 1k to 1M vectors (prints a table).

Vectors: the offline text model's (all-MiniLM-L6-v2) token-embedding table, 29,523 x 384 real vectors
(special and [unused] tokens left out), unit-normalised. Sizes up to 29,523 use real rows only; larger
sizes are that table plus SYNTHETIC noisy copies of its rows (noise length 0.6, cosine ~0.86 to the
source; see helpers.ann.grow). Queries: 200 noisy copies of rows of the indexed set (not
themselves in it). Latency: median of single-query searches (k=10). Memory: the vectors (exact) and
faiss's serialised index (vectors + graph). HNSW: M=16, efConstruction=40, efSearch=128.

    python benchmarks/bench_ann.py [--sizes 1000,10000,29523,100000,300000,1000000] [--queries 200]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("EMBEDDINGS_MODELS", "offline")

from _common import peak_rss_mb  # noqa: E402

TARGET_N, TARGET_RECALL = 100_000, 0.95


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000,29523,100000,300000,1000000")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--m", type=int, default=16)
    ap.add_argument("--ef-search", type=int, default=128)
    args = ap.parse_args()
    import faiss

    from helpers import ann
    from helpers.models import load_text_encoder

    base, _ = ann.vocabulary_vectors(load_text_encoder())
    print(f"exact (NumPy) vs faiss {faiss.__version__} HNSW (M={args.m}, efSearch={args.ef_search}); "
          f"vectors: {base.shape[0]:,} real MiniLM token embeddings ({base.shape[1]}-d), larger sizes add "
          f"SYNTHETIC noisy copies; {args.queries} queries, k=10; {os.cpu_count()} CPUs, "
          f"load average at start {os.getloadavg()[0]:.1f}")
    print(f"{'':9s} {'':>9s} {'':>9s} {'':>9s} {'':>8s}  (rows marked * contain synthetic vectors)")
    print(ann.Comparison.HEADER)
    results = []
    for n in [int(s) for s in args.sizes.split(",")]:
        t = time.perf_counter()
        vectors = ann.grow(base, n)
        queries = ann.noisy_copies(vectors, args.queries, seed=1)
        c = ann.compare(vectors, queries, m=args.m, ef_search=args.ef_search)
        results.append(c)
        print(c.row() + (" *" if n > len(base) else ""), f"  ({time.perf_counter() - t:.0f} s, peak RSS "
              f"{peak_rss_mb():.0f} MB, load {os.getloadavg()[0]:.1f})", flush=True)
        del vectors
    at = [c for c in results if c.n == TARGET_N]
    if at:
        c = at[0]
        ok = c.recall >= TARGET_RECALL and c.ann_ms < c.exact_ms
        print(f"target at {TARGET_N:,}: recall@10 >= {TARGET_RECALL} and faster than exact -> "
              f"{'met' if ok else 'NOT met'} (recall {c.recall:.3f}, {c.ann_ms:.3f} ms vs {c.exact_ms:.3f} ms)")


if __name__ == "__main__":
    main()
