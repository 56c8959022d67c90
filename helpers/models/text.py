"""Text encoders: a transformer, mean pooling over the attention mask, L2 normalisation."""
from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from functools import cache

import numpy as np
import torch

from ..availability import ModelUnavailableError, get_preset, hf_load, resolve_text_name
from ._common import check_batch_size, check_texts, get_device, l2_rows, progress_bar

__all__ = ["TextEncoder", "load_text_encoder", "try_load_text_encoder"]


class TextEncoder:
    """A transformer + mean pooling over the attention mask + L2 normalisation.

    Mean pooling averages the token vectors of the last layer, ignoring the
    padding tokens (that is what the attention mask is for).
    """

    def __init__(self, model: torch.nn.Module, tokenizer, name: str, device: torch.device | None = None):
        self.name = name
        self.tokenizer = tokenizer
        self.device = device or get_device()
        self.model = model.float().to(self.device).eval()
        limits = [getattr(model.config, "max_position_embeddings", None), tokenizer.model_max_length]
        self.max_length = int(min(x for x in limits if isinstance(x, int) and 0 < x < 1_000_000))
        self.dim = int(model.config.hidden_size if hasattr(model.config, "hidden_size") else model.config.dim)

    def __repr__(self) -> str:
        return f"TextEncoder({self.name!r}, dim={self.dim}, max_length={self.max_length}, device={self.device})"

    def check_texts(self, texts: Sequence[str]) -> list[str]:
        return check_texts(texts, "encode()")

    def tokenize(self, texts: Sequence[str]) -> dict[str, list[list[int]]]:
        """Token ids (truncated to ``max_length``), warning about every text that was cut."""
        texts = self.check_texts(texts)
        enc = self.tokenizer(texts, truncation=True, max_length=self.max_length)
        cut = [
            i
            for i, ids in enumerate(enc["input_ids"])
            if len(ids) >= self.max_length
            and len(self.tokenizer(texts[i], truncation=False, verbose=False)["input_ids"]) > self.max_length
        ]
        if cut:
            shown = ", ".join(map(str, cut[:10])) + (" ..." if len(cut) > 10 else "")
            warnings.warn(
                f"{len(cut)} text(s) longer than {self.name}'s limit of {self.max_length} tokens were "
                f"truncated (item {shown}); only their beginning is embedded.",
                stacklevel=3,
            )
        return enc

    def _batches(self, enc, batch_size: int) -> Iterator[tuple[np.ndarray, dict[str, torch.Tensor]]]:
        """Length-sorted, padded batches: similar lengths waste little compute on padding."""
        lengths = np.array([len(ids) for ids in enc["input_ids"]])
        order = np.argsort(-lengths, kind="stable")
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            feats = [{k: enc[k][i] for k in enc.keys()} for i in idx]
            batch = self.tokenizer.pad(feats, return_tensors="pt")
            yield idx, {k: v.to(self.device) for k, v in batch.items()}

    def encode(self, texts: Sequence[str], batch_size: int = 32, progress: bool | None = None) -> np.ndarray:
        """Embed ``texts`` -> ``float32`` array ``(n, dim)`` with unit-norm rows."""
        check_batch_size(batch_size)
        texts = self.check_texts(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        enc = self.tokenize(texts)
        n_batches = -(-len(texts) // batch_size)
        with torch.inference_mode():
            for idx, batch in progress_bar(self._batches(enc, batch_size), n_batches, progress, "text"):
                hidden = self.model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp_min(1.0)
                out[idx] = l2_rows(pooled)
        return out

    @torch.inference_mode()
    def encode_static(self, texts: Sequence[str]) -> np.ndarray:
        """Average of the model's *input* token vectors: no context, no transformer layers.

        A "bag of word vectors" baseline: each token always gets the same vector
        whatever its neighbours, so "river bank" and "bank account" share a word
        vector. Special tokens ([CLS], [SEP]) are left out.
        """
        texts = self.check_texts(texts)
        table = self.model.get_input_embeddings().weight
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        for i, ids in enumerate(self.tokenize(texts)["input_ids"]):
            ids = [t for t in ids if t not in self.tokenizer.all_special_ids] or ids
            out[i] = l2_rows(table[torch.tensor(ids, device=self.device)].mean(dim=0, keepdim=True))[0]
        return out


@cache
def _load_text_encoder_cached(name: str) -> TextEncoder:
    from transformers import AutoModel, AutoTokenizer

    path = resolve_text_name(name)
    tokenizer = hf_load(AutoTokenizer, path)
    model = hf_load(AutoModel, path)
    return TextEncoder(model, tokenizer, name=name)


def load_text_encoder(name: str | None = None) -> TextEncoder:
    """The preset's text encoder, or the Hugging Face model ``name`` (id or local folder)."""
    return _load_text_encoder_cached(name or get_preset().text)


def try_load_text_encoder(name: str, instead: str | None = None) -> TextEncoder | None:
    """Like :func:`load_text_encoder`, but prints one line and returns ``None`` if it is unavailable.

    ``instead`` names what the notebook uses in its place (the line then says so); without it the
    line says that the part is skipped.
    """
    try:
        return load_text_encoder(name)
    except ModelUnavailableError as exc:
        why = str(exc).split(". ")[0].replace(f"The model {name!r} ", "")
        if instead:
            print(f"NOTE: {name} is not available here ({why}). In its place: {instead}. "
                  f"Connect to the internet once to see {name} itself.")
        else:
            print(f"NOTE: {name} is not available here, so this part is skipped.\n      {exc}")
        return None
