"""The latent explorer in a kernel: one slider per latent coordinate, the decoded digit, and the
current point on the latent scatter of the test digits.

``latent_explorer(decoder, latents=z_test, labels=y_test)`` returns a :class:`LatentExplorer`, an
ipywidgets box. Moving a slider decodes the new ``z`` and updates the two images in place (the
same ``Image`` widgets get new PNG bytes; no figure is created per move). It stays fast enough for
dragging: the decoder is a compiled ``tf.function`` (no ``predict``), and the scatter is drawn
once, then only the marker is redrawn (matplotlib blitting) and the frame is encoded with the
background's colour palette, which is several times quicker than a full-colour PNG.
"""

from __future__ import annotations

import io

import ipywidgets as widgets
import numpy as np
import tensorflow as tf
from matplotlib.patheffects import withStroke
from PIL import Image
from traitlets import Unicode

from .shared import (
    DIGIT_ALT,
    DIGIT_SIDE_PX,
    IMAGE_SIDE,
    MARKER_DIAMETER_PT,
    MARKER_HALO_PT,
    MARKER_RING_PT,
    SCATTER_ALT,
    ExplorerInputs,
    check_explorer_inputs,
    latent_scatter_figure,
    subscript,
)


def digit_png(pixels) -> bytes:
    """A flat 784-pixel image (values in [0, 1]) as an enlarged grey PNG, 0 white and 1 black."""
    grey = np.round(255 * (1 - np.clip(np.asarray(pixels, dtype=np.float32), 0, 1)))
    image = Image.fromarray(grey.astype(np.uint8).reshape(IMAGE_SIDE, IMAGE_SIDE), mode="L")
    buffer = io.BytesIO()
    image.resize((DIGIT_SIDE_PX, DIGIT_SIDE_PX), Image.Resampling.NEAREST).save(
        buffer, format="PNG", compress_level=1
    )
    return buffer.getvalue()


class _MarkedScatter:
    """The latent scatter drawn once; :meth:`png` redraws only the marker at a new point."""

    def __init__(self, figure, axes, point):
        self.figure, self.axes = figure, axes
        (self.marker,) = axes.plot(
            [point[0]],
            [point[1]],
            "o",
            markersize=MARKER_DIAMETER_PT,
            markerfacecolor="none",
            markeredgecolor="black",
            markeredgewidth=MARKER_RING_PT,
            animated=True,
            path_effects=[withStroke(linewidth=MARKER_HALO_PT, foreground="white")],
        )
        figure.canvas.draw()
        self.background = figure.canvas.copy_from_bbox(figure.bbox)
        # A full-colour PNG of this size takes ~10 ms to encode, a 256-colour one ~1 ms. So the
        # background is reduced to a palette once; each frame only maps the marker's pixels to it.
        rgb = Image.fromarray(np.asarray(figure.canvas.buffer_rgba())).convert("RGB")
        quantized = rgb.quantize(colors=256, dither=Image.Dither.NONE)
        self.indices = np.asarray(quantized)
        self.palette = np.asarray(quantized.getpalette()[:768], dtype=np.float32).reshape(-1, 3)
        self.palette[self.indices[0, 0]] = 255  # the corner is the figure's white: keep it exact
        self.palette_norms = (self.palette**2).sum(axis=1)

    def png(self, point) -> bytes:
        canvas = self.figure.canvas
        canvas.restore_region(self.background)
        self.marker.set_data([point[0]], [point[1]])
        self.axes.draw_artist(self.marker)
        frame = np.asarray(canvas.buffer_rgba())
        height, width = self.indices.shape
        box = self.marker.get_window_extent(canvas.get_renderer())
        left, right = max(int(box.x0) - 3, 0), min(int(box.x1) + 4, width)
        top, bottom = max(height - int(box.y1) - 4, 0), min(height - int(box.y0) + 3, height)
        indices = self.indices.copy()
        if left < right and top < bottom:
            region = frame[top:bottom, left:right, :3].astype(np.float32)
            # The nearest palette colour: argmin of |c - p|² = |c|² - 2 c·p + |p|² over p.
            distances = self.palette_norms - 2 * region @ self.palette.T
            indices[top:bottom, left:right] = distances.argmin(axis=-1)
        image = Image.fromarray(indices.astype(np.uint8), mode="P")
        image.putpalette(self.palette.astype(np.uint8).tobytes())
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", compress_level=1)
        return buffer.getvalue()


class _DescribedImage(widgets.Image):
    """An Image widget whose ``tooltip`` becomes the ``<img>`` title, its text alternative.

    The widget front ends set that title only on widgets with an empty ``description``, a trait
    Image lacks (a tooltip alone makes its view fail to render), so this adds the trait.
    """

    description = Unicode("").tag(sync=True)


class LatentExplorer(widgets.HBox):
    """Sliders for z, the decoded digit g(z), and z marked on the latent scatter.

    ``sliders`` (one ``FloatSlider`` per coordinate), ``digit_image`` and ``scatter_image``
    (``Image`` widgets, ``None`` when there is no scatter) are the parts; ``z`` is the current
    code.
    """

    def __init__(self, decoder, inputs: ExplorerInputs):
        self._decode = tf.function(
            lambda z: decoder(z, training=False),
            input_signature=[tf.TensorSpec((1, inputs.latent_dim), tf.float32)],
        )
        self.sliders = [
            widgets.FloatSlider(
                value=float(inputs.start[index]),
                min=float(lo),
                max=float(hi),
                step=float(step),
                description=f"z{subscript(index + 1)}",
                readout_format=".2f",
                continuous_update=True,
                layout=widgets.Layout(width="290px"),
                style={"description_width": "2em"},
            )
            for index, ((lo, hi), step) in enumerate(zip(inputs.ranges, inputs.steps, strict=True))
        ]
        self.digit_image = _DescribedImage(
            format="png",
            tooltip=DIGIT_ALT,
            layout=widgets.Layout(width=f"{DIGIT_SIDE_PX}px", height=f"{DIGIT_SIDE_PX}px"),
        )
        scatter = latent_scatter_figure(inputs)
        self._scatter = None if scatter is None else _MarkedScatter(*scatter, self.z)
        self.scatter_image = (
            None if scatter is None else _DescribedImage(format="png", tooltip=SCATTER_ALT)
        )
        self._show()
        for slider in self.sliders:
            slider.observe(self._show, names="value")

        left = widgets.VBox(
            [widgets.HTML("<b>decoded image g(z)</b>"), self.digit_image, *self.sliders],
            layout=widgets.Layout(align_items="center"),
        )
        super().__init__(
            [left] if self.scatter_image is None else [left, self.scatter_image],
            layout=widgets.Layout(flex_flow="row wrap", align_items="flex-start"),
        )
        self.add_class("latent-explorer-widget")

    @property
    def z(self) -> np.ndarray:
        return np.array([slider.value for slider in self.sliders], dtype=np.float32)

    def _show(self, change=None):
        z = self.z
        pixels = self._decode(tf.constant(z[None, :]))
        self.digit_image.value = digit_png(pixels.numpy()[0])
        if self._scatter is not None:
            self.scatter_image.value = self._scatter.png(z[:2])


def latent_explorer(decoder, latents=None, labels=None, ranges=None) -> LatentExplorer:
    """An ipywidgets explorer of ``decoder``: choose z with sliders, see g(z) and where z lies.

    ``latents`` (codes of the test digits, shape ``(n, latent_dim)``) set the slider ranges and
    are drawn as a scatter coloured by ``labels``; ``ranges=[(lo, hi), ...]`` sets the ranges
    instead (the scatter needs latents). Needs a running kernel; for a page without one, see
    :func:`course_utils.static_latent_explorer`.
    """
    return LatentExplorer(decoder, check_explorer_inputs(decoder, latents, labels, ranges))
