"""2-D maps (helpers.plots.maps): t-SNE's seed and settings."""
from __future__ import annotations

import numpy as np
import pytest

from helpers.plots import project_2d, tsne_settings


@pytest.fixture(scope="module")
def corpus_like():
    """32 unit rows of 384 numbers in four groups of eight, the shape of notebook 01's corpus."""
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(4, 384))
    x = np.repeat(centres, 8, axis=0) + 0.8 * rng.normal(size=(32, 384))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_tsne_seed_changes_the_map(corpus_like):
    """A seed is a random start: two seeds, two maps; the same seed, the same map."""
    a = project_2d(corpus_like, method="tsne", seed=0)
    b = project_2d(corpus_like, method="tsne", seed=1)
    assert not np.allclose(a, b, atol=1e-3), "seeds 0 and 1 drew the same t-SNE map: the seed does nothing"
    assert np.array_equal(a, project_2d(corpus_like, method="tsne", seed=0))


def test_tsne_without_a_seed_starts_from_pca_and_repeats(corpus_like):
    a = project_2d(corpus_like, method="tsne")
    assert np.array_equal(a, project_2d(corpus_like, method="tsne"))
    assert not np.allclose(a, project_2d(corpus_like, method="tsne", seed=0), atol=1e-3)


def test_tsne_settings_are_the_ones_used():
    assert tsne_settings(32) == {"metric": "cosine", "perplexity": 31 / 3, "init": "pca", "random_state": 0}
    assert tsne_settings(32, seed=5) == {"metric": "cosine", "perplexity": 31 / 3, "init": "random",
                                         "random_state": 5}
    assert tsne_settings(200)["perplexity"] == 30.0 and tsne_settings(4)["perplexity"] == 2.0
    assert tsne_settings(32, perplexity=5)["perplexity"] == 5
