"""Checks for notebook 05's exercises (text and images in one space). Each takes the learner's answer, then the
notebook's own variables, and recomputes what it needs; the learner's functions also run on unseen inputs."""
from __future__ import annotations

import numpy as np

from . import Wrong, as_array, as_number, attempt, exercise

__all__ = ["check_centre", "check_food_accuracy", "check_label_vectors", "check_negation", "check_symmetric_loss"]

NEGATION_QUERY, CHOCOLATE_CAKE = "a dessert without chocolate", "chocolate_cake_slice"


def _unit_rows(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _softmax(logits: np.ndarray) -> np.ndarray:
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


@exercise(1, "prompt ensembling")
def check_label_vectors(label_vectors, model, pet_emb, truth, templates) -> str:
    """``label_vectors(model, labels, templates)``: one unit vector per label, the mean over the templates."""
    labels = ["pizza", "espresso", "corgi", "tabby cat"]   # not as many labels as templates: shapes tell them apart
    unseen = ["{}", "a close-up photo of a {}.", "a {} on a table."]
    per_label = [model.encode_text([t.format(label) for t in unseen]) for label in labels]
    out = as_array(attempt(label_vectors, model, labels, unseen), (len(labels), model.dim),
                   "one row per label, one column per dimension")
    if not np.allclose(np.linalg.norm(out, axis=1), 1, atol=1e-3):
        raise Wrong("each row must have length 1: re-normalise after averaging")
    if np.allclose(out, np.stack([e[0] for e in per_label]), atol=1e-4):
        raise Wrong("use every template: average a label's vectors over all templates, then re-normalise")
    if not np.allclose(out, _unit_rows(np.stack([e.mean(axis=0) for e in per_label])), atol=1e-4):
        raise Wrong("row i: the mean of the vectors of labels[i] in every template, re-normalised")
    truth = np.asarray(truth)
    rows = np.arange(len(truth))
    labels = _unit_rows(np.asarray(label_vectors(model, ["cat", "dog"], templates)))
    p = _softmax(model.logit_scale * pet_emb @ labels.T)
    singles = [model.zero_shot(pet_emb, ["cat", "dog"], template=t)[rows, truth].mean() for t in templates]
    return (f"accuracy {np.mean(p.argmax(axis=1) == truth):.3f}, mean P(right answer) {p[rows, truth].mean():.3f} "
            f"(single templates: {min(singles):.3f} to {max(singles):.3f})")


@exercise(3, "negation")
def check_negation(rank, model, food, food_emb) -> str:
    """``rank``: where the chocolate cake photo comes for "a dessert without chocolate" among the food photos."""
    answer = as_number(rank, "a rank: 1 for the best match")
    scores = model.encode_text([NEGATION_QUERY])[0] @ np.asarray(food_emb).T
    mine = scores[[r.name for r in food].index(CHOCOLATE_CAKE)]
    best, worst = int((scores > mine).sum()) + 1, int((scores >= mine).sum())   # ties: any rank in between
    if best <= answer <= worst:
        return f"the chocolate cake ranks {answer:.0f} of {len(food)} for {NEGATION_QUERY!r}"
    if best <= answer + 1 <= worst:
        raise Wrong("ranks count from 1 (the best match is rank 1), not from 0")
    if best <= len(food) + 1 - answer <= worst:
        raise Wrong("rank 1 is the highest cosine: sort the scores from high to low")
    raise Wrong(f"score the {len(food)} food photos against the query (cosine), sort from high to low, "
                "and find the chocolate cake slice's position, counting from 1")


@exercise(4, "closing the gap")
def check_centre(centre, food_emb, cap_emb) -> str:
    """``centre(e)``: subtract the mean vector (over the rows) and re-normalise each row; a new array."""
    rng = np.random.default_rng(5)
    unseen = rng.normal(size=(7, 5)) + np.array([3.0, -1.0, 0.5, 0.0, 2.0])
    given = unseen.copy()
    out = as_array(attempt(centre, given), unseen.shape, "the same shape as the input")
    if not np.array_equal(given, unseen):
        raise Wrong("do not change the array you are given: `e = e - e.mean(axis=0)` makes a new one")
    if np.allclose(out, _unit_rows(unseen - unseen.mean(axis=1, keepdims=True)), atol=1e-6):
        raise Wrong("subtract the mean vector (the mean over the rows, axis=0), not each row's own mean")
    if not np.allclose(np.linalg.norm(out, axis=1), 1, atol=1e-4):
        raise Wrong("re-normalise each row to length 1 after subtracting the mean")
    if not np.allclose(out, _unit_rows(unseen - unseen.mean(axis=0)), atol=1e-6):
        raise Wrong("subtract the mean of all rows (one mean vector), then divide each row by its length")
    off = ~np.eye(len(food_emb), dtype=bool)

    def gap(img, cap):
        first = np.mean((cap @ img.T).argmax(axis=1) == np.arange(len(img)))
        return np.sum(img * cap, axis=1).mean(), (img @ img.T)[off].mean(), (cap @ cap.T)[off].mean(), first

    before = gap(np.asarray(food_emb), np.asarray(cap_emb))
    after = gap(np.asarray(centre(np.array(food_emb))), np.asarray(centre(np.array(cap_emb))))
    return ("photo vs own caption {:.3f} -> {:.3f}, photo vs other photos {:.3f} -> {:.3f}, caption vs other "
            "captions {:.3f} -> {:.3f}, captions finding their own photo {:.3f} -> {:.3f}").format(
                *np.ravel(list(zip(before, after))))


def _dish(record) -> str:
    return record.label.split(" (")[0]


@exercise(5, "zero-shot on food")
def check_food_accuracy(accuracy, model, food, food_emb) -> str:
    """``accuracy``: the share of food photos whose top zero-shot label (dish names) is their own dish."""
    answer = as_number(accuracy, "a share between 0 and 1")
    if answer > 1:
        raise Wrong("accuracy is a share between 0 and 1 (right answers / photos), not a count")
    dishes = list(dict.fromkeys(_dish(r) for r in food))
    truth = np.array([dishes.index(_dish(r)) for r in food])
    mine = float(np.mean(model.zero_shot(food_emb, dishes).argmax(axis=1) == truth))
    if abs(answer - mine) < 1e-3:
        return f"{mine:.3f} over {len(food)} photos with {len(dishes)} dish labels; guessing: {1 / len(dishes):.3f}"
    labels = list(dict.fromkeys(r.label for r in food))
    full = np.mean(model.zero_shot(food_emb, labels).argmax(axis=1) == [labels.index(r.label) for r in food])
    if abs(answer - full) < 1e-3:
        raise Wrong("use the dish names only: the part of each label before ' (', each dish once")
    raise Wrong("labels: each dish name once; a photo is right when its top label is its own dish; "
                "accuracy = right / number of food photos")


@exercise(7, "the loss with F.cross_entropy")
def check_symmetric_loss(symmetric_loss, clip_loss) -> str:
    """``symmetric_loss(text, image, temperature)``: CLIP's loss with ``F.cross_entropy``, both ways, averaged.

    Judged on batches of the check's own (other sizes, widths and temperatures than the notebook's) against
    :func:`helpers.contrastive.contrastive_loss`; ``clip_loss`` (the notebook's, written out) is compared too.
    """
    import torch
    import torch.nn.functional as F

    from ..contrastive import contrastive_loss

    gen = torch.Generator().manual_seed(7)
    cases = [(torch.randn(n, d, generator=gen) * 3, torch.randn(n, d, generator=gen) + 1, t)
             for n, d, t in [(5, 3, 0.1), (17, 8, 0.5), (64, 32, 0.05)]]
    def close(a: float, b: float) -> bool:   # equal up to float32 noise, relative to the loss's size
        return abs(a - b) < 1e-4 * max(1.0, abs(b))

    worst, written_out = 0.0, 0.0
    for text, image, t in cases:
        out = attempt(symmetric_loss, text.clone(), image.clone(), t)
        mine = as_number(out.item() if isinstance(out, torch.Tensor) and out.numel() == 1 else out,
                         "one number: the mean of the two cross-entropies")
        right = contrastive_loss(text, image, t).item()
        if not close(mine, right):
            logits = F.normalize(text, dim=1) @ F.normalize(image, dim=1).T / t
            raw = text @ image.T / t
            target = torch.arange(len(text))
            one_way = [F.cross_entropy(logits, target).item(), F.cross_entropy(logits.T, target).item()]
            if any(close(mine, x) for x in one_way):
                raise Wrong("that is one direction: add the cross-entropy of the transposed logits (each image "
                            "picks its text) and take the mean of the two")
            if close(mine, 2 * right):
                raise Wrong("take the mean of the two directions, not their sum")
            if abs(mine - (F.cross_entropy(raw, target).item() + F.cross_entropy(raw.T, target).item()) / 2) < 1e-3:
                raise Wrong("scale the rows of text and image to length 1 first: the logits are cosines / temperature")
            raise Wrong("logits = cosines divided by the temperature; targets = torch.arange(n), the diagonal; "
                        "F.cross_entropy of the logits and of their transpose, averaged")
        worst = max(worst, abs(mine - right))
        written_out = max(written_out, abs(float(clip_loss(text, image, t)) - right))
    return (f"equals CLIP's loss on {len(cases)} batches of the check's own (largest difference {worst:.1e}); "
            f"section 6's clip_loss, written out, differs by {written_out:.1e}")
