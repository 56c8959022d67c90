"""Re-ranking latency of notebook 04's weights widget for a 10,000-item catalog (prints figures; not a test).

Synthetic unit vectors stand in for the catalog (the maths does not care where they
come from), with the offline preset's block sizes by default: text 384, photo 1280,
colour 1280. Timed, each as the median over many runs:

  * query change   - helpers.retrieval.per_modality_scores (block @ block[q]); once per query
  * slider change  - helpers.retrieval.rank: weighted sum + top-k + contributions (what the widget calls)
  * naive          - re-combine every vector with the new weights, then a full matrix-vector product
  * ranker         - WeightedRanker.set_weights: validate once + rank, no widgets
  * widget, text   - a slider's value set from Python -> WeightExplorer re-ranks and rewrites its HTML
  * widget, view   - the same plus the thumbnail figure rendered to PNG (no 2-D map at this size)
  * live P@k       - the widget's precision@k on every slider move (this query + the mean over all
                     queries, helpers.evaluation.PrecisionMeter), for --pk-sizes catalogs with 8 categories

    python benchmarks/bench_rerank.py [--n 10000] [--k 5] [--runs 300] [--dims 384,1280,1280] [--pk-sizes 60,500,1000]
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

from helpers.retrieval import per_modality_scores, rank  # noqa: E402
from helpers.similarity import combine, top_k  # noqa: E402
from helpers.widgets import WeightedRanker, WeightExplorer  # noqa: E402


def median_ms(fn, runs: int) -> tuple[float, float]:
    times = []
    for i in range(runs):
        t0 = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def unit_blocks(n: int, dims: list[int], rng) -> dict[str, np.ndarray]:
    blocks = {}
    for name, d in zip(("text", "photo", "colour"), dims):
        b = rng.normal(size=(n, d)).astype(np.float32)
        blocks[name] = b / np.linalg.norm(b, axis=1, keepdims=True)
    return blocks


def live_precision_rows(sizes: list[int], dims: list[int], k: int, rng) -> list[tuple[str, float, float]]:
    rows = []
    for n in sizes:
        blocks = unit_blocks(n, dims, rng)
        ranker = WeightedRanker(blocks, [str(i) for i in range(n)], labels=[f"c{i % 8}" for i in range(n)], k=k)
        measure = []
        for v in np.linspace(0.05, 1.0, 20):
            ranker.set_weights(photo=float(v))
            measure.append(ranker.last_measure_ms)
        rows.append((f"live P@{k} (query + mean over all), n={n}", statistics.median(measure), max(measure)))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--dims", default="384,1280,1280", help="text,photo,colour dimensions")
    ap.add_argument("--pk-sizes", default="60,500,1000", help="catalog sizes for the live precision@k timing")
    args = ap.parse_args()

    rng = np.random.default_rng(0)
    dims = [int(d) for d in args.dims.split(",")]
    blocks = unit_blocks(args.n, dims, rng)
    weight_sets = [dict(zip(blocks, rng.uniform(0.05, 1.0, size=3))) for _ in range(args.runs)]
    print(f"{args.n} items, blocks {dict(zip(blocks, dims))}, top-{args.k}, {args.runs} runs; "
          f"numpy {np.__version__}")

    q = 0
    per = {}

    def query_change(i):
        nonlocal per
        per = per_modality_scores(blocks, (q + i) % args.n, normalized=True)

    def slider_change(i):
        rank(per, weight_sets[i], args.k, exclude=q)

    def naive(i):
        comb = combine(blocks, weight_sets[i])
        top_k(comb @ comb[q], args.k, exclude=q)

    rows = [("query change (per-modality scores)", *median_ms(query_change, args.runs))]
    query_change(0)
    rows.append(("slider change: retrieval.rank", *median_ms(slider_change, args.runs)))
    rows.append(("naive: re-combine vectors + scan", *median_ms(naive, max(10, args.runs // 10))))

    names = [f"item {i}" for i in range(args.n)]
    ranker = WeightedRanker(blocks, names, k=args.k, query=q)
    rows.append(("ranker: set_weights (validate + rank)",
                 *median_ms(lambda i: ranker.set_weights(weight_sets[i]), args.runs)))
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
    rows += live_precision_rows([int(s) for s in args.pk_sizes.split(",") if s], dims, args.k, rng)

    print(f"{'step':45s} {'median ms':>10s} {'p95/max ms':>10s}")
    for name, med, p95 in rows:
        print(f"{name:45s} {med:10.3f} {p95:10.3f}")
    ok = rows[1][1] < 100 and rows[4][1] < 100
    print("slider change re-ranks in under 100 ms:", "yes" if ok else "NO")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
