"""Starting, joining and quieting Ray, for :mod:`mycollection.ray_engine`: the process-level details.

A local Ray is a handful of processes that ``ray.init`` starts and that inherit this process's environment;
joining a cluster needs an address that answers. Ray logs a great deal while it starts and runs: in a
notebook every line becomes text, so its loggers, Ray Data's progress lines and the C++ core's start-up
line are turned down while we run (errors still raise).
"""
from __future__ import annotations

import logging
import os
import socket
import sys
from contextlib import contextmanager, suppress
from pathlib import Path

from .files import CollectionError

__all__ = ["package_root", "local_worker_env", "start_failed", "children", "stop_new_children", "probe", "quiet",
           "silence", "restore", "quiet_data_context", "no_native_stderr", "cause"]


def package_root() -> str:
    """The folder that holds both packages, so workers can import them (Colab adds it to sys.path only)."""
    return os.fspath(Path(__file__).resolve().parents[1])


@contextmanager
def local_worker_env(local: bool):
    """While a local Ray starts: the packages on ``PYTHONPATH``, for its processes to inherit from ``ray.init``.

    A ``runtime_env`` with the same variable makes Ray start every worker pool through its runtime-env agent:
    about 8 s more per dataset on 2 CPUs (measured), for nothing a local Ray needs.
    """
    saved = os.environ.get("PYTHONPATH")
    if local:
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (package_root(), saved) if p)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved


def start_failed(address: str | None, exc: Exception) -> CollectionError:
    """Ray could not start or be joined: a CollectionError that says what to do."""
    if address:
        return CollectionError(f"could not join the Ray cluster at {address!r}: {cause(exc)}. Check the address "
                               "(`ray status` on the head machine prints it), or leave out --address for a local Ray")
    return CollectionError(f"could not start a local Ray: {cause(exc)}. On a busy machine try again, or use the "
                           "default engine (leave out --engine ray)")


def children() -> set[int]:
    import psutil

    return {p.pid for p in psutil.Process().children(recursive=True)}


def stop_new_children(before: set[int]) -> None:
    """End the processes that a failed ``ray.init`` started (its GCS, monitors, dashboard) and left running."""
    import psutil

    new = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
    for p in new:
        with suppress(psutil.Error):
            p.terminate()
    _, alive = psutil.wait_procs(new, timeout=5)
    for p in alive:
        with suppress(psutil.Error):
            p.kill()


def probe(address: str, timeout: float = 3.0) -> None:
    """Fail fast on a HOST:PORT nobody answers on (``ray.init`` would retry for minutes)."""
    host, _, port = address.rpartition(":")
    if address == "auto" or "://" in address or not port.isdigit():
        return
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout).close()
    except OSError as exc:
        raise CollectionError(f"no Ray cluster answers at {address!r} ({exc.strerror or exc}): start one with "
                              "`ray start --head` on the head machine and pass the address it prints, or leave "
                              "out --address for a local Ray") from None


@contextmanager
def quiet():
    """Ray's INFO/WARNING log lines (execution plans, token notice) off while we run; errors still show."""
    saved = silence()
    try:
        yield
    finally:
        restore(saved)


def silence() -> list[tuple[logging.Logger, int]]:
    """Turn Ray's loggers down to errors; returns their levels for :func:`restore`."""
    saved = [(lg, lg.level) for lg in map(logging.getLogger, ("ray", "ray.data", "ray.data._internal"))]
    restore([(lg, logging.ERROR) for lg, _ in saved])
    return saved


def restore(saved: list[tuple[logging.Logger, int]]) -> None:
    for lg, level in saved:
        lg.setLevel(level)


def quiet_data_context() -> None:
    """No Ray Data progress lines or execution statistics in this process (a notebook shows them as text)."""
    import ray.data

    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    ctx.enable_auto_log_stats = False
    ctx.verbose_stats_logs = False


@contextmanager
def no_native_stderr():
    """Ray's C++ core prints a log-level line to file descriptor 2 while it starts; hide that (errors raise)."""
    try:
        saved = os.dup(2)
    except OSError:  # no real stderr (some embedded interpreters): nothing to hide
        yield
        return
    sys.stderr.flush()
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def cause(exc: Exception) -> str:
    """The last line of a Ray error: the worker's own exception, without Ray's traceback."""
    lines = [ln.strip() for ln in str(exc).strip().splitlines() if ln.strip()]
    return lines[-1] if lines else type(exc).__name__
