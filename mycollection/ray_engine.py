"""Embedding a collection's photos with Ray Data: the same vectors, computed by a pool of workers.

    python -m mycollection index FOLDER --engine ray                  # a local Ray on this machine
    python -m mycollection index FOLDER --engine ray --address HOST:6379   # a Ray cluster

Both engines implement :mod:`mycollection.engine`'s interface, ``embed_photos(job)``. The default,
:class:`~mycollection.engine.LocalEngine`, decodes and embeds in this process. This one builds a Ray
dataset of ``(key, path)`` rows and runs ``map_batches(PhotoEmbedder, compute=ActorPoolStrategy(size=n))``:
each worker is an *actor* that loads the models once in its constructor and then embeds batch after batch.
The driver (this process) collects the vectors as they arrive, with a progress bar, and saves checkpoints
like the default engine, so everything else (cache, manifest, report) is shared.

On a cluster, start Ray on each machine first (``ray start --head`` on one, ``ray start
--address=HEAD:6379`` on the others). The photos must be at the same path on every machine (a shared
or network file system), because workers open them themselves; the code need not be: joining a cluster,
the engine ships ``helpers`` and ``mycollection`` to the workers (Ray's ``runtime_env``).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from .engine import PhotoJob, decode_photo
from .files import CollectionError
from .ray_runtime import (
    cause,
    children,
    local_worker_env,
    no_native_stderr,
    package_root,
    probe,
    quiet,
    quiet_data_context,
    restore,
    silence,
    start_failed,
    stop_new_children,
)

__all__ = ["RayEngine", "PhotoEmbedder", "ray_available"]


def ray_available() -> bool:
    try:
        import ray.data  # noqa: F401
    except ImportError:
        return False
    return True


class PhotoEmbedder:
    """The stateful callable that Ray Data runs in each worker: models load once, in ``__init__``.

    A batch is ``{"key": [...], "path": [...]}``; the result adds one vector column per space
    (zeros for a photo that failed) and ``error`` (the skip reason, ``""`` when it worked).
    """

    #: (preset, space names, torch threads): set on a subclass by :meth:`configured`, so that Ray
    #: ships them with the class instead of as constructor arguments.
    config: tuple = ()

    @classmethod
    def configured(cls, preset, space_names: list[str], threads: int = 1) -> type:
        return type(cls.__name__, (cls,), {"config": (preset, list(space_names), int(threads))})

    def __init__(self):
        import torch

        from .encoders import Encoders, spaces

        preset, space_names, threads = self.config
        torch.set_num_threads(max(1, threads))
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        self.encoders = Encoders(preset)
        self.names = [s.name for s in spaces(preset) if s.name in space_names]
        self.size = self.encoders.photo_size()  # loads the photo models now, once per worker
        self.dims = {n: v.shape[1] for n, v in self.encoders.embed_photos([_blank(self.size)], self.names).items()}

    def __call__(self, batch: dict) -> dict:
        t = time.perf_counter()
        keys, paths = list(batch["key"]), list(batch["path"])
        decoded = [decode_photo(Path(p), self.size) for p in paths]
        good = [i for i, (img, _) in enumerate(decoded) if img is not None]
        out = {"key": np.array(keys, dtype=object), "error": np.array([why or "" for _, why in decoded], dtype=object)}
        vecs = self.encoders.embed_photos([decoded[i][0] for i in good], self.names) if good else {}
        for name in self.names:
            out[name] = np.zeros((len(keys), self.dims[name]), dtype=np.float32)
            if good:
                out[name][good] = vecs[name]
        # this batch's work (decode + models), shared out per photo: the driver adds it up
        out["seconds"] = np.full(len(keys), (time.perf_counter() - t) / max(1, len(keys)))
        return out


def _blank(size: int):
    from PIL import Image

    return Image.new("RGB", (size, size), (128, 128, 128))


class RayEngine:
    """``index(folder, engine=RayEngine())``: embed new photos with Ray Data instead of in this process.

    ``address``: ``None`` starts a local Ray (``num_cpus`` CPUs, no dashboard, worker logs not
    forwarded) and shuts it down afterwards; ``"auto"`` or ``"HOST:6379"`` joins a running cluster
    (disconnects afterwards, the cluster keeps running). If this process already called
    ``ray.init()``, that Ray is used and left running. ``workers``: actors in the pool (default: one per
    ``cpus_per_worker`` CPUs Ray reports, at most 4 locally).
    """

    def __init__(self, address: str | None = None, *, num_cpus: int | None = None, workers: int | None = None,
                 cpus_per_worker: int = 1, batch_size: int = 16):
        if batch_size < 1 or cpus_per_worker < 1 or (workers is not None and workers < 1):
            raise ValueError(f"batch_size, cpus_per_worker and workers must be at least 1, got {batch_size}, "
                             f"{cpus_per_worker}, {workers}")
        self.address, self.num_cpus, self.workers = address, num_cpus, workers
        self.cpus_per_worker, self.batch_size = cpus_per_worker, batch_size
        self.startup_s = 0.0  # how long ray.init took (0 when Ray was already running)
        self.pool_size = 0
        #: the last run: photos embedded, and seconds the workers spent on them (decode + models)
        self.done, self.busy_s = 0, 0.0
        self._owns = False  # whether start() started the Ray that stop() shuts down
        self._levels: list | None = None  # Ray's logger levels that start() turned down, for stop() to restore

    def _start(self) -> bool:
        """Start or join Ray; True if this call started it (and so must shut it down)."""
        if not ray_available():
            raise CollectionError("--engine ray needs Ray Data: pip install 'ray[data]' (or use the default engine)")
        import ray

        if ray.is_initialized():
            return False
        if self.address:
            probe(self.address)
        t = time.perf_counter()
        kw: dict = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
        if self.address:
            kw["runtime_env"] = {"py_modules": [os.path.join(package_root(), p) for p in ("helpers", "mycollection")]}
        else:
            kw["num_cpus"] = self.num_cpus or min(4, os.cpu_count() or 1)
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no usage report (and no network wait)
        os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")  # C++ log lines to the console; errors still raise
        os.environ.setdefault("RAY_gcs_server_port_wait_time_s", "90")  # Ray's 30 s is short on a busy laptop
        for attempt in (1, 2):  # a local Ray that times out starting (a busy machine) gets one more try
            before = children()
            try:
                with quiet(), no_native_stderr(), local_worker_env(not self.address):
                    ray.init(address=self.address or None, **kw)
                break
            except Exception as exc:  # noqa: BLE001 - Ray raises bare Exception for a start-up timeout
                with quiet():
                    ray.shutdown()
                stop_new_children(before)  # a half-started local Ray is not known to ray.shutdown()
                if attempt == 1 and not self.address and "timed out" in str(exc).lower():
                    continue
                raise start_failed(self.address, exc) from None
        self.startup_s = time.perf_counter() - t
        return True

    def start(self) -> None:
        """Start (or join) Ray now, to run Ray code of your own beside the engine; :meth:`stop` ends it.

        While it runs, ``index(folder, engine=self)`` uses this Ray and leaves it running. Ray Data's progress
        lines and INFO logs stay off until :meth:`stop` (in a notebook they would be pages of text).
        """
        self._owns = self._start() or self._owns
        quiet_data_context()
        if self._levels is None:
            self._levels = silence()

    def stop(self) -> None:
        """Shut down the Ray that :meth:`start` started (a joined cluster keeps running; we only disconnect)."""
        import ray

        if self._owns:
            with quiet():
                ray.shutdown()
        self._owns = False
        if self._levels is not None:
            restore(self._levels)
            self._levels = None

    def steady_rate(self) -> float:
        """Photos per second of the whole pool, by the workers' own clocks (start-up and model loads excluded)."""
        return self.done / (self.busy_s / self.pool_size) if self.busy_s > 0 else float("nan")

    def embed_photos(self, job: PhotoJob) -> dict[str, str]:
        """Embed ``job``'s photos with Ray Data; ``{key: why}`` for the photos that failed (see :mod:`.engine`)."""
        if not job.paths:
            return {}
        started = self._start()
        try:
            with quiet():
                return self._run(job)
        finally:
            if started:
                import ray

                with quiet():
                    ray.shutdown()

    def _run(self, job: PhotoJob) -> dict[str, str]:
        import ray
        import ray.data
        from tqdm.auto import tqdm

        quiet_data_context()  # our progress bar is below, counting photos
        cpus = int(ray.cluster_resources().get("CPU", 1))
        n = len(job.paths)
        self.pool_size = self.workers or max(1, min(n // self.batch_size + 1, cpus // self.cpus_per_worker))
        rows = [{"key": k, "path": os.fspath(p)} for k, p in job.paths.items()]
        ds = ray.data.from_items(rows, override_num_blocks=max(1, n // self.batch_size))
        embedder = PhotoEmbedder.configured(job.encoders.preset, job.space_names, self.cpus_per_worker)
        ds = ds.map_batches(embedder, batch_size=self.batch_size, batch_format="numpy",
                            compute=ray.data.ActorPoolStrategy(size=self.pool_size), num_cpus=self.cpus_per_worker)
        bar = tqdm(total=n, desc=f"embedding photos (Ray, {self.pool_size} workers)", unit="photo",
                   disable=not job.progress)
        # prefetch_batches=0: batches are fetched in this thread only. With prefetching, Ray Data's helper
        # threads may still be fetching when an interrupted run shuts Ray down; their next Ray call then
        # starts a new local Ray on its own, which kills this process a minute later.
        batches = iter(ds.iter_batches(batch_size=None, batch_format="numpy", prefetch_batches=0))
        failed: dict[str, str] = {}
        try:
            self.done, self.busy_s = 0, 0.0
            for batch in batches:
                failed.update(self._collect(batch, job))
                self.done += len(batch["key"])
                self.busy_s += float(np.sum(batch["seconds"]))
                bar.update(len(batch["key"]))
                job.checkpoint.maybe_save()
        except ray.exceptions.RayError as exc:
            raise CollectionError(f"a Ray worker failed while embedding photos: {cause(exc)}") from None
        finally:
            batches.close()  # stops Ray Data's executor now (Ctrl-C included), before Ray is shut down
            bar.close()
        job.encoders.loaded += [f"{s.model} (in each of {self.pool_size} Ray workers)" for s, _ in job.targets]
        return failed


    @staticmethod
    def _collect(batch: dict, job: PhotoJob) -> dict[str, str]:
        """Store one batch's vectors; ``{key: why}`` for its photos that failed."""
        keys = [str(k) for k in batch["key"]]
        errors = {k: str(e) for k, e in zip(keys, batch["error"]) if e}
        ok = [i for i, k in enumerate(keys) if k not in errors]
        job.store([keys[i] for i in ok], {name: np.asarray(batch[name])[ok] for name in job.space_names})
        return errors
