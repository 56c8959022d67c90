"""Text encoding throughput, load time and peak memory (prints figures; not a test).

For each model, in one run:
  * encode    - TextEncoder.encode end to end (tokenise, length-sorted batches, forward, pooling, L2)
  * raw       - the same model's forward pass alone on pre-tokenised, pre-padded, length-sorted
                batches: the limit on this machine
  * naive     - one sentence at a time, tokenise + forward + pool, no batching

Models: the offline all-MiniLM-L6-v2 (real weights) and an architecture-true, randomly initialised
DistilBERT-base (the article's model; figures for its size without a download).

    python benchmarks/bench_text.py [--n 512] [--repeats 5] [--batch-size 32]
Each model runs in its own subprocess so load time and peak memory are its own.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _common import peak_rss_mb, run_isolated  # noqa: E402


def make_texts(n: int, seed: int = 0) -> list[str]:
    """Sentences of realistic, varied length (5 to ~120 tokens) from the corpus."""
    import pandas as pd

    base = pd.read_csv(ROOT / "data" / "texts" / "corpus.csv").text.tolist()
    rng = random.Random(seed)
    return [" ".join(rng.choice(base) for _ in range(rng.choice([1, 1, 1, 2, 3, 5, 8]))) for _ in range(n)]


def measure(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def run_one(model: str, n: int, repeats: int, batch_size: int) -> dict:
    import numpy as np
    import torch

    from helpers import models
    from helpers.availability import packaged_minilm_path

    texts = make_texts(n)
    rss0 = peak_rss_mb()
    t0 = time.perf_counter()
    if model == "minilm":
        enc = models.load_text_encoder("sentence-transformers/all-MiniLM-L6-v2")
    else:
        from transformers import AutoTokenizer, DistilBertConfig, DistilBertModel

        tok = AutoTokenizer.from_pretrained(packaged_minilm_path())  # same vocab as distilbert-base-uncased
        torch.manual_seed(0)
        enc = models.TextEncoder(DistilBertModel(DistilBertConfig()), tok, name="distilbert-base (random init)")
    load_s = time.perf_counter() - t0

    enc.encode(texts[:batch_size])  # warm-up
    t_encode = measure(lambda: enc.encode(texts, batch_size=batch_size, progress=False), repeats)

    tokenized = enc.tokenizer(texts, truncation=True, max_length=enc.max_length)
    batches = [b for _, b in enc._batches(tokenized, batch_size)]

    def raw():
        with torch.inference_mode():
            for b in batches:
                enc.model(**b)

    t_raw = measure(raw, repeats)
    sub = texts[: max(32, n // 8)]

    def naive():
        with torch.inference_mode():
            for t in sub:
                b = enc.tokenizer([t], return_tensors="pt", truncation=True, max_length=enc.max_length)
                h = enc.model(**b).last_hidden_state
                v = h.mean(dim=1)
                (v / v.norm(dim=-1, keepdim=True)).numpy()

    t_naive = measure(naive, max(1, repeats // 2))
    return {
        "model": enc.name,
        "n": n,
        "tokens_mean": float(np.mean([len(x) for x in tokenized["input_ids"]])),
        "load_s": load_s,
        "encode_per_s": n / t_encode,
        "raw_per_s": n / t_raw,
        "naive_per_s": len(sub) / t_naive,
        "peak_rss_mb": peak_rss_mb(),
        "rss_growth_mb": peak_rss_mb() - rss0,
        "threads": torch.get_num_threads(),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=512)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--model", choices=["minilm", "distilbert-random"])
    args = ap.parse_args()
    if args.model:
        print(json.dumps(run_one(args.model, args.n, args.repeats, args.batch_size)))
        return
    rows = [run_isolated(__file__, model, n, rep, args.batch_size)
            for model, n, rep in [("minilm", args.n, args.repeats),
                                  ("distilbert-random", args.n // 2, max(3, args.repeats // 2))]]
    print(f"text encode benchmark: batch size {args.batch_size}, medians over repeats, "
          f"{rows[0]['threads']} torch threads")
    hdr = (f"{'model':32s} {'n':>5s} {'tok/txt':>7s} {'load s':>7s} {'encode/s':>9s} {'raw/s':>8s} {'naive/s':>8s} "
           f"{'enc/raw':>7s} {'enc/naive':>9s} {'peak MB':>8s}")
    print(hdr)
    for r in rows:
        print(f"{r['model']:32s} {r['n']:5d} {r['tokens_mean']:7.1f} {r['load_s']:7.2f} {r['encode_per_s']:9.1f} "
              f"{r['raw_per_s']:8.1f} {r['naive_per_s']:8.1f} {r['encode_per_s'] / r['raw_per_s']:7.2f} "
              f"{r['encode_per_s'] / r['naive_per_s']:9.2f} {r['peak_rss_mb']:8.0f}")
    print("target: encode >= 0.8x raw forward")


if __name__ == "__main__":
    main()
