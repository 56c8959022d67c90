"""Re-ranking latency of notebook 04's weights widget for a 10,000-item catalog (prints figures; not a test).

Synthetic unit vectors stand in for the catalog (the maths does not care where they
come from), with the offline preset's block sizes by default: text 384, photo 1280,
colour 1280. Timed, each as the median over many runs:

  * query change   - one cosine-score vector per modality (block @ block[q]); done once per query
  * slider change  - weighted average of the per-modality scores + top-k (what the widget does)
  * naive          - re-combine every vector with the new weights, then a full matrix-vector product
  * widget, text   - a slider's value set from Python -> WeightExplorer re-ranks and rewrites its HTML
  * widget, view   - the same plus the thumbnail figure rendered to PNG (no 2-D map at this size)

    python benchmarks/bench_rerank.py [--n 10000] [--k 5] [--runs 300] [--dims 384,1280,1280]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from helpers.similarity import combine, top_k, weighted_scores  # noqa: E402
from helpers.widgets import WeightExplorer  # noqa: E402


def median_ms(fn, runs: int) -> tuple[float, float]:
    times = []
    for i in range(runs):
        t0 = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--dims", default="384,1280,1280", help="text,photo,colour dimensions")
    args = ap.parse_args()

    rng = np.random.default_rng(0)
    dims = [int(d) for d in args.dims.split(",")]
    blocks = {}
    for name, d in zip(("text", "photo", "colour"), dims):
        b = rng.normal(size=(args.n, d)).astype(np.float32)
        blocks[name] = b / np.linalg.norm(b, axis=1, keepdims=True)
    weight_sets = [dict(zip(blocks, rng.uniform(0.05, 1.0, size=3))) for _ in range(args.runs)]
    print(f"{args.n} items, blocks {dict(zip(blocks, dims))}, top-{args.k}, {args.runs} runs; "
          f"numpy {np.__version__}")

    q = 0
    per = {}

    def query_change(i):
        nonlocal per
        per = {m: b @ b[(q + i) % args.n] for m, b in blocks.items()}

    def slider_change(i):
        top_k(weighted_scores(per, weight_sets[i]), args.k, exclude=q)

    def naive(i):
        comb = combine(blocks, weight_sets[i])
        top_k(comb @ comb[q], args.k, exclude=q)

    rows = [("query change (per-modality scores)", *median_ms(query_change, args.runs))]
    query_change(0)
    rows.append(("slider change: weighted sum + top-k", *median_ms(slider_change, args.runs)))
    rows.append(("naive: re-combine vectors + scan", *median_ms(naive, max(10, args.runs // 10))))

    names = [f"item {i}" for i in range(args.n)]
    ex = WeightExplorer(blocks, names, k=args.k, query=q)
    values = np.linspace(0.05, 1.0, 20)

    def widget_text(i):  # consecutive values differ, so every set is a real change
        ex.sliders["photo"].value = float(values[i % len(values)])

    rows.append(("widget: slider -> ranking + HTML", *median_ms(widget_text, args.runs)))
    rerank_only = []
    for v in values:
        ex.sliders["text"].value = float(v)
        rerank_only.append(ex.last_rerank_ms)
    rows.append(("  of which re-rank (last_rerank_ms)", statistics.median(rerank_only), max(rerank_only)))

    thumbs = [rng.integers(0, 255, size=(24, 24, 3), dtype=np.uint8) for _ in range(args.n)]
    exv = WeightExplorer(blocks, names, thumbs, k=args.k, query=q, show_map=False)

    def widget_view(i):
        exv.sliders["photo"].value = float(values[i % len(values)])

    rows.append(("widget: ... + figure rendered to PNG", *median_ms(widget_view, 20)))

    print(f"{'step':45s} {'median ms':>10s} {'p95 ms':>8s}")
    for name, med, p95 in rows:
        print(f"{name:45s} {med:10.3f} {p95:8.3f}")
    ok = rows[1][1] < 100 and rows[3][1] < 100
    print("slider change re-ranks in under 100 ms:", "yes" if ok else "NO")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
