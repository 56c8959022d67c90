"""What every encoder shares: the device, unit-norm rows, progress bars, input checks, prefetching."""
from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np
import torch

from ..images import ImageInput


def get_device() -> torch.device:
    """``$EMBEDDINGS_DEVICE`` if set, else CUDA, then Apple MPS, then CPU."""
    forced = os.environ.get("EMBEDDINGS_DEVICE")
    if forced:
        return torch.device(forced)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def weights_fingerprint(*modules: torch.nn.Module) -> str:
    """SHA-256 of the modules' weights (every parameter and buffer: names, shapes, values): a name for them.

    Vectors kept on disk (:func:`helpers.files.cached_arrays`) are named with it, so other weights (a new
    version of a model, fine-tuning) never read back vectors another model made. About 0.1 s for MiniLM.
    """
    import hashlib

    h = hashlib.sha256()
    for module in modules:
        for name, tensor in module.state_dict().items():
            t = tensor.detach().cpu().contiguous()
            h.update(f"{name}{tuple(t.shape)}{t.dtype}".encode())
            h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def l2_rows(x: torch.Tensor) -> np.ndarray:
    x = x.float()
    x = x / x.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    return x.cpu().numpy().astype(np.float32, copy=False)


def progress_bar(iterable: Iterable, total: int, show: bool | None, desc: str) -> Iterable:
    if show is None:
        show = total > 2
    if not show:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, unit="batch")


def check_batch_size(batch_size: int) -> int:
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    return batch_size


def check_texts(texts: Sequence[str], method: str) -> list[str]:
    """``texts`` as a list of str; a ``TypeError`` naming the first non-string item otherwise."""
    if isinstance(texts, str):
        raise TypeError(f"{method} takes a list of strings; wrap a single text in a list: [text]")
    texts = list(texts)
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"text item {i} is {type(t).__name__}, not str: {t!r:.60}")
    return texts


def check_image_items(items: Sequence[ImageInput]) -> list:
    if isinstance(items, (str, os.PathLike)) or hasattr(items, "mode"):
        raise TypeError("encode() takes a list of images; wrap a single image in a list: [image]")
    return list(items)


def prefetch(make: Callable[[int], torch.Tensor], starts: Sequence[int]) -> Iterator[torch.Tensor]:
    """Prepare the next batch in a background thread while the model runs on this one.

    JPEG decoding and resizing release the GIL, so this overlaps I/O with the
    forward pass. Errors are re-raised in the caller with their original message.
    """
    q: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def work() -> None:
        for s in starts:
            if stop.is_set():
                return
            try:
                q.put((make(s), None))
            except BaseException as exc:  # noqa: BLE001 - forwarded to the consumer
                q.put((None, exc))
                return
        q.put((None, None))

    t = threading.Thread(target=work, daemon=True)
    t.start()
    try:
        while True:
            x, exc = q.get()
            if exc is not None:
                raise exc
            if x is None:
                return
            yield x
    finally:
        stop.set()
        while t.is_alive():  # unblock a producer waiting on a full queue
            try:
                q.get(timeout=0.1)
            except queue.Empty:
                pass


def decode_workers() -> int:
    """Threads that decode and preprocess images side by side: ``$EMBEDDINGS_DECODE_WORKERS``, else up to 4."""
    forced = os.environ.get("EMBEDDINGS_DECODE_WORKERS", "").strip()
    if forced:
        if not forced.isdigit() or int(forced) < 1:
            raise ValueError(f"EMBEDDINGS_DECODE_WORKERS must be a positive integer, got {forced!r}")
        return int(forced)
    return max(1, min(4, os.cpu_count() or 1))


@contextmanager
def decode_pool() -> Iterator[ThreadPoolExecutor | None]:
    """A small thread pool for decoding the items of a batch in parallel (``None`` with one worker).

    PIL's JPEG decoding and resizing release the GIL, so the items of one batch decode side by side
    while the model runs on the previous batch.
    """
    n = decode_workers()
    if n == 1:
        yield None
        return
    pool = ThreadPoolExecutor(max_workers=n, thread_name_prefix="decode")
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
