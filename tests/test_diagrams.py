"""course_utils.diagrams: the encoder/decoder picture."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.patches import Rectangle

from course_utils import draw_autoencoder


def test_one_bar_per_layer_taller_for_wider_layers_and_the_images_at_both_ends():
    sizes = (784, 500, 300, 2, 300, 500, 784)
    fig = draw_autoencoder(sizes, image=np.zeros(784), reconstruction=np.ones(784))
    ax = fig.axes[0]
    bars = [patch for patch in ax.patches if isinstance(patch, Rectangle)]
    heights = [bar.get_height() for bar in bars]
    assert len(bars) == len(sizes)
    assert heights[0] > heights[1] > heights[2] > heights[3] < heights[4]
    assert heights == heights[::-1]
    assert len(ax.images) == 2
    texts = [text.get_text() for text in ax.texts]
    assert "784" in texts and "2" in texts and any("encoder" in text for text in texts)


def test_needs_a_code_in_the_middle():
    with pytest.raises(ValueError, match="odd number"):
        draw_autoencoder((784, 2, 2, 784))
