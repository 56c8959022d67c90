"""plots.contact_sheet: many thumbnails in one axes, each where the grid puts it, captions in order."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from helpers.plots import contact_sheet

COLOURS = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255)]


def test_one_axes_with_every_image_in_its_cell_and_captions_in_order():
    images = [Image.new("RGB", (40, 30), c) for c in COLOURS]
    fig = contact_sheet(images, [f"item {i}" for i in range(5)], ncols=2, thumb=32)
    try:
        assert len(fig.axes) == 1
        ax = fig.axes[0]
        sheet = np.asarray(ax.images[0].get_array())
        gap, caption = 32 // 16, 32 // 5
        cell_w, cell_h = 32 + gap, 32 + gap + caption
        assert sheet.shape[:2] == (3 * cell_h, 2 * cell_w)          # 5 images in 2 columns: 3 rows
        for k, colour in enumerate(COLOURS):
            r, c = divmod(k, 2)
            centre = sheet[r * cell_h + caption + gap // 2 + 16, c * cell_w + gap // 2 + 16]
            assert tuple(centre[:3]) == colour, k
        assert sheet[2 * cell_h + caption + 16, cell_w + 16].tolist()[:3] == [255, 255, 255]  # the empty 6th cell
        assert [t.get_text() for t in ax.texts] == [f"item {i}" for i in range(5)]
    finally:
        plt.close(fig)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="no images"):
        contact_sheet([])
    with pytest.raises(ValueError, match="2 images but 1 titles"):
        contact_sheet([Image.new("RGB", (8, 8))] * 2, ["only one"])
