"""Encoders: text, image and CLIP, behind one small interface.

Every encoder has ``.name`` and returns ``numpy.float32`` arrays of shape ``(n, d)``
whose rows have unit L2 norm, so a dot product *is* the cosine similarity. Models are
loaded once per process, run in float32 on the best device available (CUDA, then
Apple MPS, then CPU). ``name=None`` means "the active preset's model" (see
:mod:`helpers.availability`).

* :mod:`.text`   - :class:`TextEncoder` (DistilBERT, MiniLM: mean pooling)
* :mod:`.images` - :class:`ImageEncoder` (ResNet-18, EfficientNet-Lite0: penultimate layer)
* :mod:`.joint`  - :class:`TextImageModel`: text and images in one space, zero-shot classification
* :mod:`.clip`   - :class:`ClipModel`, a :class:`TextImageModel` (Hugging Face CLIP)
* :mod:`.bridge` - :class:`LabelBridge`, a :class:`TextImageModel` built offline (the ImageNet-label bridge)

``decode_workers()`` says how many threads decode images side by side (``$EMBEDDINGS_DECODE_WORKERS``).
"""
from ..availability import ModelUnavailableError
from ._common import decode_workers, get_device, weights_fingerprint
from .bridge import LabelBridge
from .clip import ClipModel, load_clip
from .images import ImageEncoder, imagenet_categories, load_image_encoder
from .joint import TextImageModel
from .text import TextEncoder, load_text_encoder, try_load_text_encoder

__all__ = [
    "ModelUnavailableError",
    "get_device",
    "decode_workers",
    "weights_fingerprint",
    "TextImageModel",
    "LabelBridge",
    "TextEncoder",
    "ImageEncoder",
    "ClipModel",
    "load_text_encoder",
    "load_image_encoder",
    "load_clip",
    "try_load_text_encoder",
    "imagenet_categories",
]
