"""Indexing a photo folder: first-index throughput against the raw forward pass, and re-index speed-up.

The folder: --n photos (default 1,000) made from the registry's photos (212 px to 5760 px wide): each
registry photo once as is, then copies of them with a unique tail of bytes appended after the image
data (decoders ignore it), so every file has its own content hash and the decode cost of a real photo.

Figures (offline preset: EfficientNet-Lite0 + the ImageNet-label bridge, which reuses the same forward):
  * first index   - mycollection.index on the new folder, models already loaded (their load
                    time is printed apart): hash, decode, preprocess, forward, write the index
  * raw forward   - the image model's backbone alone on ready, preprocessed batch tensors (the limit)
  * re-index      - index() again on the unchanged folder (no model is loaded), median of 5
  * add 10        - 10 new photos copied in, index() again: only they are embedded

    python benchmarks/bench_collection.py [--n 1000] [--batch-size 32]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("EMBEDDINGS_MODELS", "offline")
_MIRROR = ROOT.parent / "shared" / "data" / "images"
if _MIRROR.is_dir():
    os.environ.setdefault("EMBEDDINGS_IMAGE_MIRROR", str(_MIRROR))

from _common import peak_rss_mb  # noqa: E402

TARGET_RATIO, TARGET_SPEEDUP = 0.8, 20.0


def make_folder(dest: Path, n: int, photos: list[Path]) -> None:
    for i in range(n):
        src = photos[i % len(photos)]
        out = dest / f"{i // 100:02d}" / f"{i:04d}_{src.name}"
        out.parent.mkdir(parents=True, exist_ok=True)
        raw = src.read_bytes()
        out.write_bytes(raw if i < len(photos) else raw + f"copy {i}".encode())


def raw_forward_per_s(enc, photos: list[Path], batch_size: int, repeats: int = 3) -> float:
    import torch

    ready = [enc.prepare(photos[s : s + batch_size]) for s in range(0, 4 * batch_size, batch_size)]
    times = []
    with torch.inference_mode():
        for _ in range(repeats):
            t = time.perf_counter()
            for x in ready:
                enc.backbone(x.to(enc.device))
            times.append(time.perf_counter() - t)
    return 4 * batch_size / statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--batch-size", type=int, default=32)
    args = ap.parse_args()
    from helpers import data
    from mycollection import index
    from mycollection.encoders import Encoders

    photos = data.fetch_all(progress=False)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["EMBEDDINGS_CACHE_DIR"] = str(Path(tmp) / "cache")  # a fresh index (photos are fetched above)
        folder = Path(tmp) / "photos"
        make_folder(folder, args.n, photos)
        enc = Encoders()
        t = time.perf_counter()
        image, _, _ = enc.image, enc.clip, enc.text
        load_s = time.perf_counter() - t
        raw_before = raw_forward_per_s(image, photos, args.batch_size)
        t = time.perf_counter()
        first = index(folder, progress=False, batch_size=args.batch_size, encoders=enc)
        first_s = time.perf_counter() - t
        raw_after = raw_forward_per_s(image, photos, args.batch_size)
        again = []
        for _ in range(5):
            t = time.perf_counter()
            rep = index(folder, progress=False, encoders=Encoders()).report
            again.append(time.perf_counter() - t)
        assert not rep.new and not rep.loaded, rep.summary()
        make_folder(Path(tmp) / "more", 10, photos[::-1])
        for i, p in enumerate(sorted((Path(tmp) / "more").rglob("*.jpg"))):
            p.rename(folder / f"new_{i}_{p.name}")
            with open(folder / f"new_{i}_{p.name}", "ab") as f:
                f.write(b"new")
        t = time.perf_counter()
        added = index(folder, progress=False, encoders=enc).report
        add_s = time.perf_counter() - t
    raw = statistics.mean([raw_before, raw_after])
    per_s = args.n / first_s
    print(f"collection index benchmark: {args.n} photos (registry's {len(photos)} + copies with unique bytes), "
          f"models {', '.join(first.report.loaded) or '(preloaded)'}; batch {args.batch_size}; {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"  model load (not timed below)    {load_s:8.2f} s")
    print(f"  first index                     {first_s:8.2f} s  {per_s:7.1f} photos/s  ({first.report.summary()})")
    print(f"  raw forward on ready tensors             {raw:7.1f} photos/s  "
          f"(before {raw_before:.1f}, after {raw_after:.1f})")
    print(f"  index / raw forward                      {per_s / raw:7.2f}   (target >= {TARGET_RATIO})")
    print(f"  re-index, unchanged (median of 5) {statistics.median(again):6.3f} s  "
          f"speed-up {first_s / statistics.median(again):7.0f}x (target >= {TARGET_SPEEDUP:.0f}x; no model loaded)")
    print(f"  add 10 photos                   {add_s:8.2f} s  ({added.summary()})")
    print(f"  peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
