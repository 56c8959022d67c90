"""The text encoder with a real pretrained model that works offline (all-MiniLM-L6-v2)."""
import warnings

import numpy as np
import pytest

from helpers.availability import MINILM
from helpers.models import TextEncoder, load_text_encoder
from helpers.similarity import cosine_similarity


@pytest.fixture(scope="module")
def enc() -> TextEncoder:
    return load_text_encoder(MINILM)


def test_shape_dtype_and_unit_norm(enc):
    e = enc.encode(["hello world", "embeddings are vectors", "a third one"])
    assert e.shape == (3, enc.dim) == (3, 384)
    assert e.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-5)


def test_empty_input_gives_zero_rows(enc):
    assert enc.encode([]).shape == (0, 384)
    assert enc.encode_static([]).shape == (0, 384)


def test_paraphrases_beat_unrelated_sentences_by_a_margin(enc):
    pairs = [
        ("A man is playing a guitar.", "Someone is strumming a guitar.", "The stock market fell sharply today."),
        ("The cat sleeps on the sofa.", "A kitten is napping on the couch.", "How do I open a bank account?"),
        ("Share prices dropped this afternoon.", "The stock market fell sharply today.", "A kitten is napping."),
    ]
    for a, para, unrelated in pairs:
        s = cosine_similarity(enc.encode([a]), enc.encode([para, unrelated]))[0]
        assert s[0] - s[1] > 0.3, (a, s)


def test_results_do_not_depend_on_batching_or_order(enc):
    texts = ["short", "a somewhat longer sentence about cats", "x " * 40, "", "medium length text here"]
    full = enc.encode(texts, batch_size=32)
    one_by_one = np.concatenate([enc.encode([t]) for t in texts])
    np.testing.assert_allclose(full, one_by_one, atol=1e-5)
    rev = enc.encode(texts[::-1], batch_size=2)[::-1]
    np.testing.assert_allclose(full, rev, atol=1e-5)


def test_mean_pooling_by_hand_matches_encode(enc):
    import torch

    text = "Mean pooling averages the token vectors."
    batch = enc.tokenizer([text], return_tensors="pt")
    with torch.inference_mode():
        tokens = enc.model(**batch).last_hidden_state[0]
    v = tokens.mean(dim=0).numpy()
    np.testing.assert_allclose(v / np.linalg.norm(v), enc.encode([text])[0], atol=1e-5)


def test_empty_string_gives_a_finite_unit_vector(enc):
    e = enc.encode(["", "   "])
    assert np.isfinite(e).all()
    np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-5)


def test_text_beyond_max_length_is_truncated_with_a_warning(enc):
    long = "embedding " * 2000
    with pytest.warns(UserWarning, match=r"item 1\b.*truncated|truncated.*item 1\b"):
        e = enc.encode(["fine", long])
    assert e.shape == (2, 384) and np.isfinite(e).all()
    # only the beginning counts: a different (also over-long) text with the same start gives the same vector
    with pytest.warns(UserWarning, match="truncated"):
        same_start = enc.encode(["embedding " * 600])
    assert cosine_similarity(e[1], same_start[0])[0, 0] > 0.999


def test_no_warning_for_normal_text(enc):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        enc.encode(["a normal sentence"] * 3)


@pytest.mark.parametrize("bad_index, bad", [(0, None), (2, 3.5), (1, b"bytes"), (1, ["nested"])])
def test_non_string_items_raise_type_error_naming_index(enc, bad_index, bad):
    texts = ["ok", "fine", "good"]
    texts[bad_index] = bad
    with pytest.raises(TypeError, match=rf"item {bad_index}\b"):
        enc.encode(texts)


def test_a_bare_string_is_rejected_helpfully(enc):
    with pytest.raises(TypeError, match="wrap a single text in a list"):
        enc.encode("just one sentence")


def test_bad_batch_size(enc):
    with pytest.raises(ValueError, match="batch_size"):
        enc.encode(["a"], batch_size=0)


def test_emoji_and_cjk_are_embedded_meaningfully(enc):
    e = enc.encode(["I love pizza 🍕", "I love pizza", "東京は日本の首都です", "東京は日本の首都です。", "🙂"])
    assert np.isfinite(e).all()
    s = cosine_similarity(e)
    assert s[0, 1] > 0.8  # the emoji does not destroy the meaning
    assert s[2, 3] > 0.9  # CJK text is tokenised, not dropped


def test_static_word_vectors_ignore_context(enc):
    s = cosine_similarity(enc.encode_static(["dog bites man", "man bites dog"]))
    assert s[0, 1] == pytest.approx(1.0, abs=1e-5)  # same bag of words, same vector
    c = cosine_similarity(enc.encode(["dog bites man", "man bites dog"]))
    assert c[0, 1] < s[0, 1]


def test_encoder_is_cached_per_process():
    assert load_text_encoder(MINILM) is load_text_encoder(MINILM)
    assert load_text_encoder("all-MiniLM-L6-v2").dim == 384


# ----------------------------------------------------------------- the claims notebook 01 relies on

def test_context_separates_the_two_banks(enc):
    pair = ["We had a picnic on the river bank.", "I need to open a bank account."]
    static = cosine_similarity(enc.encode_static(pair))[0, 1]
    contextual = cosine_similarity(enc.encode(pair))[0, 1]
    assert static > contextual + 0.3, (static, contextual)  # one vector for "bank" vs context-dependent ones


def test_one_threshold_separates_minilm_paraphrases_but_not_the_stand_in(enc):
    para = [("A man is playing a guitar.", "Someone is strumming a guitar."),
            ("The cat sleeps on the sofa.", "A kitten is napping on the couch."),
            ("Stock prices fell sharply today.", "Shares dropped this afternoon.")]
    unrelated = [(para[0][0], para[1][0]), (para[1][1], para[2][1]),
                 ("I need to open a bank account.", "We had a picnic on the river bank.")]
    for encode, separable in ((enc.encode, True), (enc.encode_static, False)):
        score = lambda a, b, encode=encode: cosine_similarity(encode([a, b]))[0, 1]  # noqa: E731
        lowest_para, highest_unrel = min(score(*p) for p in para), max(score(*p) for p in unrelated)
        assert bool(lowest_para > highest_unrel) is separable, (encode.__name__, lowest_para, highest_unrel)
        if separable:
            assert lowest_para > 0.5 > highest_unrel  # notebook 01: "similar if above 0.5" works for MiniLM


def test_corpus_nearest_neighbours_share_the_topic_far_above_chance(enc):
    from helpers.data import load_corpus

    corpus = load_corpus()
    assert list(corpus.columns) == ["topic", "text"] and len(corpus) == 32
    topics = corpus.topic.values

    def hits(emb):
        s = emb @ emb.T
        np.fill_diagonal(s, -np.inf)
        return (topics[s.argmax(axis=1)] == topics).mean()

    texts = corpus.text.tolist()
    chance = 7 / 31  # four topics of 8 sentences
    assert hits(enc.encode(texts)) > hits(enc.encode_static(texts)) + 0.1 > chance + 0.1


def test_try_load_names_what_stands_in(monkeypatch, capsys):
    from helpers import availability
    from helpers.models import try_load_text_encoder

    if availability.hf_model_cached("distilbert-base-uncased"):
        pytest.skip("distilbert-base-uncased is cached on this machine")
    monkeypatch.setattr(availability, "host_reachable", lambda *a, **k: False)
    assert try_load_text_encoder("distilbert-base-uncased", instead="averaged word vectors (stand-in)") is None
    out = capsys.readouterr().out
    assert "In its place: averaged word vectors (stand-in)" in out and "skipped" not in out
    assert "EMBEDDINGS_MODELS=offline" not in out  # no advice to switch to the preset that is already active
