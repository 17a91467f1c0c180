"""course_utils.png: figures stored with one byte a pixel."""

import io

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from course_utils.png import compact_png

matplotlib.use("Agg")


def png_of(pixels: np.ndarray) -> bytes:
    output = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(output, format="PNG")
    return output.getvalue()


def rgba(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA")).astype(int)


def figure_png(draw) -> bytes:
    figure = Figure(figsize=(4, 3), dpi=100)
    draw(figure.add_subplot())
    output = io.BytesIO()
    figure.savefig(output, format="png")
    return output.getvalue()


def test_a_grey_figure_is_stored_exactly_as_greys_in_fewer_bytes():
    rng = np.random.default_rng(0)
    digits = rng.uniform(size=(28, 28 * 6))
    original = figure_png(lambda ax: ax.imshow(digits, cmap="gray_r"))
    compact = compact_png(original)
    assert Image.open(io.BytesIO(compact)).mode == "L"
    assert len(compact) < 0.7 * len(original)
    np.testing.assert_array_equal(rgba(compact), rgba(original))


def test_few_colours_are_kept_exactly_with_a_palette():
    rng = np.random.default_rng(1)
    colours = rng.integers(0, 256, size=(200, 4))
    colours[:, 3] = rng.choice([0, 128, 255], size=200)  # translucency is kept too
    original = png_of(colours[rng.integers(0, 200, size=(60, 80))])
    compact = compact_png(original)
    assert Image.open(io.BytesIO(compact)).mode == "P" and len(compact) < len(original)
    np.testing.assert_array_equal(rgba(compact), rgba(original))


def test_a_colourful_scatter_keeps_its_look_in_fewer_bytes():
    rng = np.random.default_rng(2)

    def scatter(ax):
        for colour in ("tab:blue", "tab:orange", "tab:green"):
            ax.scatter(*rng.normal(size=(2, 800)), s=4, alpha=0.5, color=colour)

    original = figure_png(scatter)
    assert len(np.unique(rgba(original).reshape(-1, 4), axis=0)) > 256
    compact = compact_png(original)
    assert len(compact) < 0.6 * len(original)
    change = np.abs(rgba(compact) - rgba(original))
    assert change.mean() < 0.5 and np.mean(change.max(axis=2) > 10) < 0.02


def test_translucent_colourful_images_and_compact_files_are_left_as_they_are():
    rng = np.random.default_rng(3)
    translucent = png_of(rng.integers(0, 256, size=(40, 40, 4)))
    assert compact_png(translucent) is translucent
    compact = compact_png(figure_png(lambda ax: ax.imshow(rng.uniform(size=(28, 28)))))
    assert compact_png(compact) == compact


def test_sixteen_bit_images_keep_their_depth():
    deep = io.BytesIO()
    Image.fromarray(np.arange(0, 65536, 16, dtype=np.uint16).reshape(64, 64)).save(deep, "PNG")
    assert compact_png(deep.getvalue()) == deep.getvalue()


def test_bytes_that_are_not_a_png_are_refused():
    with pytest.raises(ValueError, match="compact_png needs the bytes of a PNG image"):
        compact_png(b"GIF89a not a png")
