"""How far does exact search go? Exact top-k (NumPy) against an approximate index (faiss HNSW).

The vectors are real: the text model's token-embedding table (MiniLM: one 384-d vector per word
piece of its ~30k vocabulary; special and ``[unused]`` tokens left out), unit-normalised. Larger
sets are made by repeating that table with added Gaussian noise (:func:`grow`): clearly synthetic,
but with the same dimension and a similar spread. Queries are fresh noisy copies, not in the index.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .similarity import normalize

__all__ = ["vocabulary_vectors", "grow", "noisy_copies", "exact_top_k", "hnsw_index", "recall_at_k", "Comparison",
           "compare"]


def vocabulary_vectors(text_encoder) -> tuple[np.ndarray, list[str]]:
    """The encoder's input token embeddings (unit rows) and the tokens, without special/unused tokens."""
    table = text_encoder.model.get_input_embeddings().weight.detach().cpu().numpy()
    vocab = sorted(text_encoder.tokenizer.get_vocab().items(), key=lambda kv: kv[1])
    keep = [(tok, i) for tok, i in vocab if not (tok.startswith("[") and tok.endswith("]")) and i < len(table)]
    return normalize(table[[i for _, i in keep]], "vocabulary"), [tok for tok, _ in keep]


def noisy_copies(vectors: np.ndarray, n: int, noise: float = 0.6, seed: int = 0) -> np.ndarray:
    """``n`` noisy copies of random rows: ``normalize(row + noise * g / sqrt(d))``, ``g`` standard normal.

    The noise vector has length about ``noise``; 0.6 puts a copy at cosine ~0.86 from its source
    (real neighbours in the vocabulary table sit at about 0.66).
    """
    rng = np.random.default_rng(seed)
    out = np.empty((n, vectors.shape[1]), dtype=np.float32)
    for s in range(0, n, 65536):
        e = min(n, s + 65536)
        src = vectors[rng.integers(0, len(vectors), e - s)]
        out[s:e] = normalize(src + noise * rng.standard_normal(src.shape, dtype=np.float32) / np.sqrt(vectors.shape[1]))
    return out


def grow(base: np.ndarray, n: int, noise: float = 0.6, seed: int = 0) -> np.ndarray:
    """``n`` unit vectors: the first rows of ``base`` themselves, then noisy copies of its rows (synthetic)."""
    m = min(n, len(base))
    return np.concatenate([base[:m], noisy_copies(base, n - m, noise, seed)]) if n > m else base[:n].copy()


def exact_top_k(base: np.ndarray, queries: np.ndarray, k: int = 10) -> np.ndarray:
    """Indices of the ``k`` largest dot products per query (one matrix product, then argpartition)."""
    scores = queries @ base.T
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1)
    return np.take_along_axis(part, order, axis=1)


def hnsw_index(base: np.ndarray, m: int = 16, ef_construction: int = 40, ef_search: int = 128):
    """A faiss HNSW graph over ``base`` with inner-product metric (= cosine for unit vectors)."""
    import faiss

    index = faiss.IndexHNSWFlat(base.shape[1], m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = ef_construction
    index.add(np.ascontiguousarray(base, dtype=np.float32))
    index.hnsw.efSearch = ef_search
    return index


def recall_at_k(approx: np.ndarray, exact: np.ndarray) -> float:
    """Mean fraction of the exact top-k that the approximate top-k also found."""
    return float(np.mean([len(set(a) & set(e)) / len(e) for a, e in zip(approx, exact)]))


@dataclass
class Comparison:
    n: int
    dim: int
    exact_ms: float  # median latency of one query, exact
    ann_ms: float  # median latency of one query, HNSW
    recall: float  # recall@k of HNSW against exact
    build_s: float  # HNSW build time (exact needs none)
    exact_mb: float  # the vectors themselves
    ann_mb: float  # HNSW: vectors + graph (its serialised size)

    def row(self) -> str:
        return (f"{self.n:>9,d} {self.exact_ms:9.3f} {self.ann_ms:9.3f} {self.exact_ms / self.ann_ms:8.1f}x "
                f"{self.recall:8.3f} {self.build_s:8.2f} {self.exact_mb:8.1f} {self.ann_mb:8.1f}")

    HEADER = (f"{'vectors':>9s} {'exact ms':>9s} {'HNSW ms':>9s} {'speed-up':>9s} {'recall@10':>8s} "
              f"{'build s':>8s} {'exact MB':>8s} {'HNSW MB':>8s}")


def _median_ms(fn, queries: np.ndarray) -> float:
    times = []
    for q in queries:
        t = time.perf_counter()
        fn(q[None, :])
        times.append(time.perf_counter() - t)
    return 1000 * float(np.median(times))


def compare(base: np.ndarray, queries: np.ndarray, k: int = 10, m: int = 16, ef_search: int = 128) -> Comparison:
    """Build HNSW over ``base``; time one-query searches both ways; recall@k of HNSW against exact."""
    import faiss
    from threadpoolctl import threadpool_limits

    t = time.perf_counter()
    index = hnsw_index(base, m=m, ef_search=ef_search)
    build_s = time.perf_counter() - t
    truth = exact_top_k(base, queries, k)
    _, approx = index.search(queries, k)
    # one thread each: a single query is one small job, and on a busy machine several BLAS/OpenMP
    # threads waiting for each other measure the contention, not the search
    with threadpool_limits(limits=1):
        omp = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            exact_ms = _median_ms(lambda q: exact_top_k(base, q, k), queries)
            ann_ms = _median_ms(lambda q: index.search(q, k), queries)
        finally:
            faiss.omp_set_num_threads(omp)
    return Comparison(
        n=len(base), dim=base.shape[1], exact_ms=exact_ms, ann_ms=ann_ms,
        recall=recall_at_k(approx, truth), build_s=build_s,
        exact_mb=base.nbytes / 1e6, ann_mb=faiss.serialize_index(index).nbytes / 1e6,
    )
