"""Execute every notebook headless into ``build/``: executed ``.ipynb`` plus HTML.

    python tools/run_notebooks.py [--out build] [--timeout 900] [notebooks/01_text_embeddings.ipynb ...]

Uses the preset from ``$EMBEDDINGS_MODELS`` (default ``offline``). Prints the
run time of each notebook (from starting its kernel to its last cell's output) and,
apart, the time of the HTML export; exits non-zero if any cell fails.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parents[1]


def execute(nb, nb_path: Path, timeout: int, env: dict[str, str] | None = None, **options) -> None:
    """Execute ``nb`` (read from ``nb_path``) in place, in a fresh kernel started in the notebook's folder.

    ``env``: the kernel's whole environment (default: this process's). ``options`` go to
    :class:`nbclient.NotebookClient` (``record_timing=False``, ...).
    Once the last cell is done the kernel is stopped at once (its process group, so a server a notebook
    started goes too): every output is in by then, and a graceful exit only tears down the interpreter,
    1-2.5 s per notebook after torch's imports.
    Raises :class:`nbclient.exceptions.CellExecutionError` at the first failing cell.
    """
    # the kernel app's own log: errors only (it warns on every start that a local TCP kernel is unencrypted)
    options = {"shutdown_kernel": "immediate", **options}
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", extra_arguments=["--log-level=ERROR"],
                            resources={"metadata": {"path": str(nb_path.parent)}}, **options)
    client.execute(**({"env": env} if env is not None else {}))


def run(nb_path: Path, out_dir: Path, timeout: int) -> tuple[float, float]:
    """Execute one notebook into ``out_dir`` (.ipynb and .html); seconds to run it, and to export it."""
    nb = nbformat.read(nb_path, as_version=4)
    t0 = time.perf_counter()
    try:
        execute(nb, nb_path, timeout)
    finally:
        t1 = time.perf_counter()
        out_dir.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, out_dir / nb_path.name)
        html, _ = HTMLExporter().from_notebook_node(nb)
        (out_dir / nb_path.with_suffix(".html").name).write_text(html, encoding="utf-8")
    return t1 - t0, time.perf_counter() - t1


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("notebooks", nargs="*", type=Path)
    ap.add_argument("--out", type=Path, default=ROOT / "build")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    args = ap.parse_args()
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    failed, total = [], 0.0
    for p in paths:
        try:
            secs, export_s = run(p, args.out, args.timeout)
            total += secs
            print(f"ok      {p.name:40s} {secs:6.1f} s   (HTML export {export_s:.1f} s)")
        except CellExecutionError as exc:
            failed.append(p.name)
            print(f"FAILED  {p.name}: {str(exc).splitlines()[-1] if str(exc) else exc}")
    print(f"{len(paths) - len(failed)} notebooks ran in {total:.1f} s; executed notebooks and HTML are in {args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
