"""Checks for notebook 06's exercises (your own collection). Prepared before the notebook's rewrite (issue 17)."""
from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import numpy as np

from ..ann import recall_at_k
from ..duplicates import near_duplicates
from . import Wrong, as_number, attempt, exercise

__all__ = ["check_content_key", "check_pairs_above", "check_recall_at_k"]


@exercise(2, "a key by content")
def check_content_key(content_key, folder) -> str:
    """``content_key(path)``: the SHA-256 of the file's bytes (hex), so renaming keeps it and editing changes it."""
    with tempfile.TemporaryDirectory() as tmp:
        a, b, c = Path(tmp, "a.jpg"), Path(tmp, "renamed copy.jpg"), Path(tmp, "a_edited.jpg")
        a.write_bytes(b"\xff\xd8 not really a photo " * 50)
        b.write_bytes(a.read_bytes())
        c.write_bytes(a.read_bytes()[:-1] + b"!")
        keys = [attempt(content_key, p) for p in (a, b, c)]
        keys_str = [attempt(content_key, str(p)) for p in (a, b, c)]
    if not all(isinstance(k, str) for k in keys):
        raise Wrong("return the key as a string (hexdigest())")
    if keys != keys_str:
        raise Wrong("accept a path given as a str or as a Path, with the same result")
    if keys[0] != keys[1]:
        raise Wrong("the same bytes under another name must give the same key: hash the content, not the name")
    if keys[0] == keys[2]:
        raise Wrong("a file whose bytes changed must get a new key: hash every byte of the content")
    if keys[0] != hashlib.sha256(b"\xff\xd8 not really a photo " * 50).hexdigest():
        raise Wrong("use SHA-256 of the file's bytes (hashlib.sha256(...).hexdigest())")
    files = [p for p in Path(folder).rglob("*") if p.is_file()]
    distinct = len({content_key(p) for p in files})
    return f"{len(files)} files in the folder, {distinct} different contents"


@exercise(4, "near-duplicates by hand")
def check_pairs_above(pairs_above, vectors, threshold: float) -> str:
    """``pairs_above(vectors, threshold)``: the pairs (i, j), i < j, of unit rows whose cosine is >= threshold."""
    rng = np.random.default_rng(12)
    unseen = rng.normal(size=(8, 6))
    unseen[5] = unseen[1] + 0.05 * rng.normal(size=6)
    unseen[7] = unseen[2] + 0.1 * rng.normal(size=6)
    unseen /= np.linalg.norm(unseen, axis=1, keepdims=True)
    want = {(i, j) for i, j, _ in near_duplicates(unseen, 0.9)}
    got = attempt(pairs_above, unseen.copy(), 0.9)
    try:
        got = {(int(p[0]), int(p[1])) for p in got}
    except (TypeError, ValueError, IndexError):
        raise Wrong("return a list of (i, j) pairs of row indices") from None
    if any(i == j for i, j in got):
        raise Wrong("a photo is not a duplicate of itself: leave out i == j")
    if any(i > j for i, j in got):
        raise Wrong("each pair once, with i < j")
    if got != want:
        raise Wrong("every pair of different rows whose cosine (dot product of unit rows) is >= threshold")
    return f"{len(pairs_above(vectors, threshold))} pairs at cosine >= {threshold:.3f}"


@exercise(5, "recall by hand")
def check_recall_at_k(my_recall_at_k, approx, exact) -> str:
    """``my_recall_at_k(approx, exact)``: the mean share of each query's exact top k that the approximate one found."""
    e = np.array([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 0, 1]])
    a = np.array([[1, 0, 3, 2], [4, 9, 5, 8], [2, 3, 4, 5]])   # same sets in another order; 2 of 4; none
    got = as_number(attempt(my_recall_at_k, a.copy(), e.copy()), "one recall between 0 and 1")
    if abs(got - np.mean(a == e)) < 1e-9:
        raise Wrong("the order within the top k does not matter: compare the sets of indices")
    if abs(got - recall_at_k(a, e)) > 1e-9:
        raise Wrong("per query: |approximate top k ∩ exact top k| / k; then the mean over the queries")
    return f"recall@{np.shape(exact)[1]} {my_recall_at_k(approx, exact):.3f} over {len(exact)} queries"
