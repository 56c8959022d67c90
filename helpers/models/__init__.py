"""Encoders: text, image and CLIP, behind one small interface.

Every encoder has ``.name`` and returns ``numpy.float32`` arrays of shape ``(n, d)``
whose rows have unit L2 norm, so a dot product *is* the cosine similarity. Models are
loaded once per process, run in float32 on the best device available (CUDA, then
Apple MPS, then CPU). ``name=None`` means "the active preset's model" (see
:mod:`helpers.availability`).

* :mod:`.text`   - :class:`TextEncoder` (DistilBERT, MiniLM: mean pooling)
* :mod:`.images` - :class:`ImageEncoder` (ResNet-18, EfficientNet-Lite0: penultimate layer)
* :mod:`.clip`   - :class:`ClipModel` (text and images in one space)
"""
from ..availability import ModelUnavailableError
from ._common import get_device
from .clip import ClipModel, load_clip
from .images import ImageEncoder, imagenet_categories, load_image_encoder
from .text import TextEncoder, load_text_encoder, try_load_text_encoder

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
