"""Robust image loading: every image the encoders see goes through :func:`load_image`.

Real photo collections contain grayscale scans, PNGs with transparency, CMYK
JPEGs from print workflows, 16-bit PNGs, phone photos whose pixels are stored
sideways (with an EXIF "rotate me" tag), iPhone photos in HEIC/HEIF (read through
pillow-heif's Pillow opener) and the odd broken file. We turn all of them into upright
8-bit RGB, or raise :class:`ImageLoadError` naming the item.
"""
from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

__all__ = [
    "HEIF_SUFFIXES",
    "ImageInput",
    "ImageLoadError",
    "ImageNotFoundError",
    "ImageUnreadableError",
    "heif_support",
    "load_image",
    "load_images",
    "thumbnail",
]

#: iPhone photos (High Efficiency Image File Format): readable once pillow-heif's opener is registered.
HEIF_SUFFIXES = frozenset({".heic", ".heif"})

ImageInput = Union[str, os.PathLike, Image.Image, np.ndarray]


class ImageLoadError(ValueError):
    """An image could not be turned into RGB pixels; the message names the item."""


class ImageNotFoundError(ImageLoadError, FileNotFoundError):
    """The path does not exist (catchable as either ImageLoadError or FileNotFoundError)."""


class ImageUnreadableError(ImageLoadError, PermissionError):
    """The file exists but may not be read (catchable as either ImageLoadError or PermissionError)."""


def _describe(item: object, index: int | None) -> str:
    where = f"item {index}" if index is not None else "image"
    if isinstance(item, (str, os.PathLike)):
        return f"{where} ({os.fspath(item)!r})"
    return f"{where} ({type(item).__name__})"


@functools.cache
def heif_support() -> bool:
    """Register pillow-heif's Pillow opener (once); False when pillow-heif is not installed."""
    try:
        from pillow_heif import register_heif_opener
    except ImportError:
        return False
    register_heif_opener()
    return True


def _to_rgb(img: Image.Image) -> Image.Image:
    """Convert any PIL mode to 8-bit RGB; transparent areas become white."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        hi = 65535.0 if img.mode.startswith("I;16") or arr.max() > 255 else 255.0
        arr = np.clip(arr / hi * 255.0 + 0.5, 0, 255).astype(np.uint8)
        img = Image.fromarray(arr, mode="L")
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if img.mode != "RGB":
        img = img.convert("RGB")
    return img


def load_image(item: ImageInput, index: int | None = None, target_size: int | None = None) -> Image.Image:
    """Return ``item`` as an upright 8-bit RGB ``PIL.Image``.

    ``item`` may be a path, a PIL image or a ``(h, w[, 3|4])`` uint8 array.
    ``target_size`` lets JPEG decoding skip resolution we would throw away
    anyway (a 6000x4000 photo decodes at 1/8 scale for a 224-pixel model);
    the result is still at least ``2 * target_size`` on its short side.
    """
    what = _describe(item, index)
    if isinstance(item, Image.Image):
        try:
            return _to_rgb(ImageOps.exif_transpose(item))
        except Exception as exc:  # noqa: BLE001 - report which item failed
            raise ImageLoadError(f"{what}: cannot convert image: {exc}") from exc
    if isinstance(item, np.ndarray):
        if item.dtype != np.uint8 or item.ndim not in (2, 3) or (item.ndim == 3 and item.shape[2] not in (3, 4)):
            raise ImageLoadError(
                f"{what}: arrays must be uint8 with shape (h, w), (h, w, 3) or (h, w, 4); "
                f"got {item.dtype} {item.shape}"
            )
        return _to_rgb(Image.fromarray(item))
    if not isinstance(item, (str, os.PathLike)):
        raise TypeError(f"{what}: expected a path, a PIL image or a uint8 array, got {type(item).__name__}")
    path = Path(item)
    if not path.exists():
        raise ImageNotFoundError(f"{what}: file not found")
    if path.is_dir():
        raise ImageLoadError(f"{what}: is a directory, not an image file")
    if path.stat().st_size == 0:
        raise ImageLoadError(f"{what}: file is empty (0 bytes)")
    if not heif_support() and path.suffix.lower() in HEIF_SUFFIXES:
        raise ImageLoadError(f"{what}: HEIC/HEIF photos need pillow-heif: pip install pillow-heif")
    try:
        with Image.open(path) as img:
            if target_size and img.format == "JPEG":
                img.draft("RGB", (2 * target_size, 2 * target_size))
            img.load()
            upright = ImageOps.exif_transpose(img)
            return _to_rgb(upright)
    except FileNotFoundError as exc:  # there a moment ago: removed while we read it
        raise ImageNotFoundError(f"{what}: file not found (removed while it was being read)") from exc
    except PermissionError as exc:
        raise ImageUnreadableError(f"{what}: permission denied: check that you may read the file") from exc
    except UnidentifiedImageError as exc:
        raise ImageLoadError(f"{what}: not a recognised image format (is it really an image?)") from exc
    except Image.DecompressionBombError as exc:
        raise ImageLoadError(f"{what}: image is too large to decode safely ({exc})") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageLoadError(f"{what}: corrupt or truncated image file ({exc})") from exc


def load_images(items: Sequence[ImageInput], target_size: int | None = None) -> list[Image.Image]:
    """:func:`load_image` for each item; the first failure names its index."""
    return [load_image(item, i, target_size) for i, item in enumerate(items)]


def thumbnail(item: ImageInput, size: int = 96) -> Image.Image:
    """A square, centre-cropped RGB thumbnail (for plots)."""
    img = load_image(item, target_size=size)
    return ImageOps.fit(img, (size, size), method=Image.Resampling.BICUBIC)
