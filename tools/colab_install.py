"""Install what requirements ask for and this Python lacks, pinning everything installed (helpers.colab).

    python tools/colab_install.py install requirements.txt [more files or requirements] [--dry-run --report out.json]

The command-line face of :func:`helpers.colab.install_missing`, which the notebooks' Colab cells call;
``tools/colab_venv.py`` builds CI's Colab-like environment with it.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers.colab import install_missing  # noqa: E402 - after the sys.path line above


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python tools/colab_install.py", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("install", help="install what is missing (also outside Colab), pinning what is installed")
    p.add_argument("requirements", nargs="+", help="requirements files (*.txt) or requirement strings")
    p.add_argument("--dry-run", action="store_true", help="ask pip what it would install; change nothing")
    p.add_argument("--report", type=Path, help="write pip's JSON installation report here")
    args = ap.parse_args(argv)
    try:
        install_missing(*args.requirements, install=True, dry_run=args.dry_run, report=args.report)
    except (RuntimeError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
