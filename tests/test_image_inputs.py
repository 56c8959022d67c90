"""Image input robustness: odd but legitimate files embed correctly, broken ones name the culprit.

Every test image is made here, in ``tmp_path``, with Pillow and numpy (a few
PNG variants Pillow cannot write are assembled chunk by chunk).
"""
from __future__ import annotations

import struct
import warnings
import zlib

import numpy as np
import pytest
from PIL import Image

from helpers.images import ImageLoadError, load_image, load_images
from helpers.models import load_image_encoder


@pytest.fixture(scope="module")
def encoder():
    """The offline preset's real image model (EfficientNet-Lite0), loaded once."""
    return load_image_encoder()


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a.ravel(), b.ravel()))


def _scene(h: int = 120, w: int = 160) -> np.ndarray:
    """An asymmetric test picture: a red block top-left, a blue diagonal band, a green gradient."""
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.zeros((h, w, 3), np.uint8)
    img[..., 1] = (xx * 255 // (w - 1)).astype(np.uint8)
    img[: h // 3, : w // 3] = (220, 30, 30)
    band = np.abs(yy * w / h - xx) < w / 12
    img[band] = (20, 40, 230)
    return img


def _write_png(path, rows: np.ndarray, bit_depth: int, color_type: int, *, size=None, idat: bytes | None = None):
    """A minimal PNG writer, for variants Pillow does not save (16-bit RGB, forged sizes)."""
    h, w = rows.shape[:2]
    w, h = size or (w, h)
    if idat is None:
        px = rows.astype(">u2") if bit_depth == 16 else rows.astype(np.uint8)
        idat = zlib.compress(b"".join(b"\x00" + px[i].tobytes() for i in range(px.shape[0])))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    return path


# ------------------------------------------------------------------ modes and formats


def test_grayscale_png_becomes_gray_rgb_and_embeds_like_its_rgb_copy(tmp_path, encoder):
    gray = _scene()[..., 1]
    path = tmp_path / "gray.png"
    Image.fromarray(gray, "L").save(path)
    rgb = np.asarray(load_image(path))
    assert rgb.shape == gray.shape + (3,) and rgb.dtype == np.uint8
    assert (rgb == gray[..., None]).all()
    emb = encoder.encode([path, np.repeat(gray[..., None], 3, axis=2)])
    assert _cos(emb[0], emb[1]) > 0.9999


def test_rgba_png_transparent_area_becomes_white(tmp_path, encoder):
    rgba = np.dstack([_scene(), np.full(_scene().shape[:2], 255, np.uint8)])
    rgba[:, 80:, 3] = 0  # right half fully transparent (its colour must not leak through)
    rgba[:, 80:, :3] = (0, 0, 0)
    path = tmp_path / "rgba.png"
    Image.fromarray(rgba, "RGBA").save(path)
    out = np.asarray(load_image(path))
    assert (out[:, 80:] == 255).all()
    assert (out[:, :80] == _scene()[:, :80]).all()
    expected = _scene()
    expected[:, 80:] = 255
    emb = encoder.encode([path, expected])
    assert _cos(emb[0], emb[1]) > 0.9999


def test_palette_png_with_transparency(tmp_path):
    pal = Image.new("P", (16, 8), 0)
    pal.putpalette([200, 0, 0, 0, 0, 200] + [0] * (256 * 3 - 6))
    pal.paste(1, (0, 0, 8, 8))  # left half uses palette entry 1 ...
    path = tmp_path / "palette.png"
    pal.save(path, transparency=1)  # ... which is the transparent one
    assert Image.open(path).mode == "P"
    out = np.asarray(load_image(path))
    assert (out[:, :8] == 255).all(), "transparent palette entry must become white, not blue"
    assert (out[:, 8:] == (200, 0, 0)).all()


def test_grayscale_with_alpha(tmp_path):
    la = np.dstack([np.full((8, 8), 100, np.uint8), np.zeros((8, 8), np.uint8)])
    la[:, :4, 1] = 255
    path = tmp_path / "la.png"
    Image.fromarray(la, "LA").save(path)
    out = np.asarray(load_image(path))
    assert (out[:, :4] == 100).all() and (out[:, 4:] == 255).all()


def test_cmyk_jpeg_colours_survive(tmp_path, encoder):
    cmyk = Image.new("CMYK", (64, 64), (0, 255, 255, 0))  # pure red in print terms
    cmyk.paste((255, 0, 0, 0), (32, 0, 64, 64))  # right half cyan
    path = tmp_path / "cmyk.jpg"
    cmyk.save(path, quality=95)
    assert Image.open(path).mode == "CMYK"
    out = np.asarray(load_image(path)).astype(int)
    assert out.shape == (64, 64, 3)
    assert np.abs(out[32, 10] - (255, 0, 0)).max() < 12
    assert np.abs(out[32, 50] - (0, 255, 255)).max() < 12
    assert encoder.encode([path]).shape == (1, encoder.dim)


def test_16bit_grayscale_png_is_scaled_not_white(tmp_path, encoder):
    ramp16 = np.tile(np.linspace(0, 65535, 256), (32, 1)).astype(np.uint16)
    path = tmp_path / "gray16.png"
    Image.fromarray(ramp16).save(path)
    assert Image.open(path).mode.startswith("I")  # Pillow keeps the 16 bits
    out = np.asarray(load_image(path))
    assert out[0, 0, 0] == 0 and out[0, -1, 0] == 255
    assert 120 < out.mean() < 135, f"16-bit ramp came out with mean {out.mean():.1f} (all white is 255)"
    assert np.abs(out[..., 0].astype(int) - (ramp16 / 257).round()).max() <= 1
    emb = encoder.encode([path, np.repeat((ramp16 / 257).round().astype(np.uint8)[..., None], 3, 2)])
    assert _cos(emb[0], emb[1]) > 0.999


def test_16bit_rgb_png_keeps_its_colours(tmp_path):
    px = np.zeros((16, 64, 3), np.uint16)
    px[..., 0] = np.linspace(0, 65535, 64)[None, :]
    px[..., 1] = 40000
    px[..., 2] = 65535
    path = _write_png(tmp_path / "rgb16.png", px, 16, 2)
    out = np.asarray(load_image(path)).astype(int)
    assert out.shape == (16, 64, 3)
    assert out[0, 0, 0] == 0 and out[0, -1, 0] == 255
    assert abs(out[0, 0, 1] - 40000 / 257) <= 1 and out[0, 0, 2] == 255


def test_exif_orientation_is_respected(tmp_path, encoder):
    scene = _scene(120, 160)  # stored landscape
    img = Image.fromarray(scene)
    exif = img.getexif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    path = tmp_path / "phone.jpg"
    img.save(path, exif=exif, quality=95)
    with Image.open(path) as raw:  # Pillow alone ignores the tag: the pixels as stored
        stored = np.asarray(raw.convert("RGB"))
    out = load_image(path, target_size=224)
    assert out.size == (120, 160), "the upright photo is portrait: width 120, height 160"
    upright = np.rot90(stored, k=-1)  # what a photo viewer shows
    assert (np.asarray(out) == upright).all()
    # the red block, stored top-left (row 30, column 10), is displayed top-right (row 10, column 119 - 30)
    assert stored[30, 10, 0] > 180 and np.asarray(out)[10, 119 - 30, 0] > 180
    assert np.asarray(out)[10, 10, 0] < 60
    emb = encoder.encode([path, upright, stored])
    assert _cos(emb[0], emb[1]) > 0.9999
    assert _cos(emb[0], emb[2]) < 0.99, "a sideways photo should not embed like the upright one"


def test_exif_orientation_of_an_opened_pil_image(tmp_path):
    img = Image.fromarray(_scene(120, 160))
    exif = img.getexif()
    exif[0x0112] = 8  # rotate 90 degrees counter-clockwise to display
    path = tmp_path / "pil.jpg"
    img.save(path, exif=exif)
    with Image.open(path) as opened:
        assert load_image(opened).size == (120, 160)


def test_large_photo_decodes_reduced_without_bomb_error(tmp_path, encoder):
    yy, xx = np.mgrid[0:4000:4, 0:6000:4]
    small = np.dstack([xx * 255 // 6000, yy * 255 // 4000, np.full_like(xx, 90)]).astype(np.uint8)
    big = Image.fromarray(small).resize((6000, 4000), Image.Resampling.NEAREST)
    path = tmp_path / "camera.jpg"
    big.save(path, quality=85)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a DecompressionBombWarning would fail the test too
        full = load_image(path)
        reduced = load_image(path, target_size=224)
        emb = encoder.encode([path])
    assert full.size == (6000, 4000)
    # JPEG draft mode decodes at 1/8 scale: still >= 2 x 224 on the short side, 64x fewer pixels
    assert reduced.size == (750, 500)
    assert emb.shape == (1, encoder.dim) and abs(np.linalg.norm(emb) - 1) < 1e-5
    # and the reduced decode looks like the full one, scaled
    ref = np.asarray(full.resize(reduced.size, Image.Resampling.BOX)).astype(int)
    assert np.abs(np.asarray(reduced).astype(int) - ref).mean() < 3


def test_real_decompression_bomb_is_an_error_naming_the_file(tmp_path):
    # a 20000 x 20000 header with almost no data: refused before any pixel is allocated
    path = _write_png(tmp_path / "bomb.png", np.zeros((1, 1), np.uint8), 8, 0, size=(20000, 20000),
                      idat=zlib.compress(b"\x00" * 64))
    with pytest.raises(ImageLoadError, match=r"item 4 .*bomb\.png.*too large"):
        load_image(path, 4)


def test_pil_and_array_inputs_match_the_file(tmp_path, encoder):
    path = tmp_path / "scene.png"
    Image.fromarray(_scene()).save(path)
    rgba = np.dstack([_scene(), np.full(_scene().shape[:2], 255, np.uint8)])
    emb = encoder.encode([path, Image.open(path), _scene(), rgba, Image.fromarray(_scene()).convert("CMYK")])
    assert emb.shape == (5, encoder.dim)
    assert np.allclose(emb, emb[0], atol=2e-3)


# ------------------------------------------------------------------ broken inputs


@pytest.fixture
def good_jpeg(tmp_path):
    path = tmp_path / "good.jpg"
    Image.fromarray(_scene()).save(path, quality=90)
    return path


def test_truncated_jpeg_names_the_file(tmp_path, good_jpeg):
    data = good_jpeg.read_bytes()
    path = tmp_path / "truncated.jpg"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageLoadError, match=r"item 7 .*truncated\.jpg.*(corrupt|truncated)"):
        load_image(path, 7, target_size=224)


def test_corrupt_png_names_the_file(tmp_path):
    path = _write_png(tmp_path / "corrupt.png", np.zeros((20, 20), np.uint8), 8, 0, idat=b"not zlib data at all")
    with pytest.raises(ImageLoadError, match=r"corrupt\.png"):
        load_image(path)


def test_zero_byte_file(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(ImageLoadError, match=r"empty\.jpg.*empty \(0 bytes\)"):
        load_image(path)


def test_text_file_named_jpg(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("this is not a photo\n")
    with pytest.raises(ImageLoadError, match=r"notes\.jpg.*not a recognised image"):
        load_image(path)


def test_missing_path_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"item 2 .*nowhere\.jpg.*not found"):
        load_image(tmp_path / "nowhere.jpg", 2)
    with pytest.raises(ImageLoadError, match="directory"):
        load_image(tmp_path)


def test_missing_path_is_also_an_image_load_error(tmp_path):
    """One ``except ImageLoadError`` is enough to skip every unusable item."""
    with pytest.raises(ImageLoadError):
        load_image(tmp_path / "nowhere.jpg")


@pytest.mark.parametrize(
    "item, error, words",
    [
        (42, TypeError, "got int"),
        (None, TypeError, "got NoneType"),
        (b"\xff\xd8\xff", TypeError, "got bytes"),
        ({"path": "cat.jpg"}, TypeError, "got dict"),
        (np.zeros((8, 8, 3), np.float32), ImageLoadError, "float32"),
        (np.zeros((8, 8, 2), np.uint8), ImageLoadError, r"\(8, 8, 2\)"),
        (np.zeros(8, np.uint8), ImageLoadError, r"\(8,\)"),
    ],
    ids=["int", "None", "bytes", "dict", "float-array", "2-channel-array", "1-d-array"],
)
def test_non_image_objects(item, error, words):
    with pytest.raises(error, match=rf"item 3 .*{words}"):
        load_image(item, 3)


def test_single_path_instead_of_a_list(good_jpeg, encoder):
    with pytest.raises(TypeError, match="wrap a single image in a list"):
        encoder.encode(str(good_jpeg))


# ------------------------------------------------------------------ batches


@pytest.mark.parametrize("batch_size", [2, 32])
def test_batch_with_one_bad_item_names_its_index(tmp_path, good_jpeg, encoder, batch_size):
    bad = tmp_path / "broken.jpg"
    bad.write_text("oops")
    with pytest.raises(ImageLoadError, match=r"item 2 .*broken\.jpg"):
        encoder.encode([good_jpeg, good_jpeg, bad, good_jpeg], batch_size=batch_size)
    with pytest.raises(FileNotFoundError, match=r"item 3 .*gone\.jpg"):
        encoder.encode([good_jpeg, good_jpeg, good_jpeg, tmp_path / "gone.jpg"], batch_size=batch_size)
    # the encoder is still usable afterwards (the prefetch thread did not get stuck)
    assert encoder.encode([good_jpeg] * 3, batch_size=batch_size).shape == (3, encoder.dim)


def test_load_images_names_the_index(tmp_path, good_jpeg):
    with pytest.raises(TypeError, match="item 1 "):
        load_images([good_jpeg, 3.5])
    assert [im.size for im in load_images([good_jpeg, _scene()])] == [(160, 120), (160, 120)]


def test_raw_features_are_encode_before_normalisation():
    from helpers import data

    enc = load_image_encoder()
    paths = [data.fetch(r) for r in data.records("cats")[:2]]
    raw = enc.features(paths)
    unit = enc.encode(paths)
    assert raw.shape == unit.shape == (2, enc.dim) and raw.dtype == np.float32
    norms = np.linalg.norm(raw, axis=1)
    assert (norms > 1.5).all(), f"raw features should not be unit length: {norms}"
    np.testing.assert_allclose(raw / norms[:, None], unit, atol=1e-5)


def test_trace_follows_one_image_through_the_stages():
    from helpers import data

    enc = load_image_encoder()
    stages = enc.trace(data.fetch(data.records("cats")[0]))
    names = [n for n, _ in stages]
    assert names[0] == "input" and names[-1] == "features" and len(stages) > 5
    assert stages[0][1] == (1, 3, enc.input_size, enc.input_size)
    assert stages[-1][1] == (1, enc.dim)
    grids = [s for _, s in stages if len(s) == 4]
    assert grids[-1][2] < grids[0][2], "the spatial grid shrinks through the network"
