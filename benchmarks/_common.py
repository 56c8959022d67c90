"""What the benchmark scripts share: peak memory, and one subprocess per measured model."""
from __future__ import annotations

import json
import resource
import subprocess
import sys


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_isolated(script: str, model: str, n: int, repeats: int, batch_size: int) -> dict:
    """Run ``script --model MODEL ...`` in a fresh interpreter and return the JSON it prints last.

    A fresh process per model keeps load time and peak memory that model's own.
    """
    out = subprocess.run([sys.executable, script, "--model", model, "--n", str(n), "--repeats", str(repeats),
                          "--batch-size", str(batch_size)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])
