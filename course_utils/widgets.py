"""The latent explorer in a kernel: one slider per latent coordinate, the decoded digit, and the
current point on the latent scatter of the test digits.

``latent_explorer(decoder, latents=z_test, labels=y_test)`` returns a :class:`LatentExplorer`, an
ipywidgets box. Moving a slider decodes the new ``z`` and updates the two images in place (the same
``Image`` widgets get new PNG bytes; no figure is created per move). It stays fast enough for
dragging: the decoder is a compiled ``tf.function`` (no ``predict``), and the scatter is drawn
once, then only the marker is redrawn (matplotlib blitting) and the frame is encoded with the
background's colour palette, which is several times quicker than a full-colour PNG.

:func:`check_explorer_inputs` and :func:`latent_scatter_figure` are shared with the browser-side
explorer in :mod:`.web_explorer`.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
import tensorflow as tf
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patheffects import withStroke
from PIL import Image
from traitlets import Unicode

from .plots import plot_latent_scatter

IMAGE_SIDE = 28
DIGIT_SCALE = 6  # the 28×28 digit is shown at 168×168 screen pixels
SLIDER_STEPS = 200  # positions per slider
SCATTER_POINTS = 3000  # at most this many latents are drawn on the scatter
SCATTER_SIZE = (4.0, 3.6)  # inches; 400×360 pixels at 100 dpi


@dataclass(frozen=True)
class ExplorerInputs:
    """The checked inputs of an explorer: what the sliders span and what the scatter shows."""

    ranges: np.ndarray  # (latent_dim, 2): lo < hi per latent coordinate
    start: np.ndarray  # (latent_dim,): the first z shown
    latents: np.ndarray | None  # (n, latent_dim) codes for the scatter
    labels: np.ndarray | None  # (n,) digit per code

    @property
    def latent_dim(self) -> int:
        return len(self.ranges)

    @property
    def steps(self) -> np.ndarray:
        return (self.ranges[:, 1] - self.ranges[:, 0]) / SLIDER_STEPS


def check_explorer_inputs(decoder, latents=None, labels=None, ranges=None) -> ExplorerInputs:
    """Check an explorer's arguments and derive slider ranges and the starting point.

    The sliders span ``ranges`` when given, else each coordinate's min..max over ``latents``.
    The start is the latents' median (clipped into the ranges), else the ranges' centre.
    Raises ``ValueError`` saying what is wrong and what to pass instead.
    """
    input_size, output_size = _decoder_sizes(decoder)
    if output_size != IMAGE_SIDE * IMAGE_SIDE:
        raise ValueError(
            f"the decoder must output {IMAGE_SIDE * IMAGE_SIDE} pixels (a {IMAGE_SIDE}×{IMAGE_SIDE} "
            f"image); its output has {output_size} values per code"
        )
    if latents is None and ranges is None:
        raise ValueError("pass latents (an (n, latent_dim) array of codes) or ranges "
                         "(one (lo, hi) pair per latent coordinate), or both")

    if latents is not None:
        latents = np.asarray(latents, dtype=np.float32)
        if latents.ndim != 2 or len(latents) == 0:
            raise ValueError(f"latents must be a non-empty (n, latent_dim) array; got shape {latents.shape}")
        if latents.shape[1] != input_size:
            raise ValueError(f"the decoder takes codes of size {input_size}, but latents have "
                             f"{latents.shape[1]} columns: encode with the matching encoder")
        bad_rows = np.flatnonzero(~np.isfinite(latents).all(axis=1))
        if len(bad_rows):
            raise ValueError(f"latents contain NaN or infinite values (rows {bad_rows[:5].tolist()}, "
                             f"{len(bad_rows)} in all); drop or fix them first")
    if labels is not None:
        if latents is None:
            raise ValueError("labels colour the latent scatter, so they need latents too")
        labels = np.asarray(labels).reshape(-1)
        if len(labels) != len(latents):
            raise ValueError(f"labels must have one entry per latent code: {len(labels)} labels "
                             f"for {len(latents)} codes")

    if ranges is None:
        ranges = np.stack([latents.min(axis=0), latents.max(axis=0)], axis=1).astype(np.float64)
        if np.any(ranges[:, 0] == ranges[:, 1]):
            raise ValueError("the latents do not vary along every coordinate, so they give an empty "
                             "slider range; pass ranges=[(lo, hi), ...] instead")
    else:
        ranges = _check_ranges(ranges, input_size)

    if latents is not None:
        start = np.clip(np.median(latents, axis=0), ranges[:, 0], ranges[:, 1])
    else:
        start = ranges.mean(axis=1)
    return ExplorerInputs(ranges=ranges, start=start, latents=latents, labels=labels)


def _decoder_sizes(decoder) -> tuple[int, int]:
    try:
        input_shape, output_shape = decoder.input_shape, decoder.output_shape
    except (AttributeError, ValueError) as error:
        raise ValueError("the decoder must be a built Keras model (e.g. starting with keras.Input), "
                         f"so that its code size is known; got {type(decoder).__name__}") from error
    if len(input_shape) != 2 or len(output_shape) != 2:
        raise ValueError(f"the decoder must map codes (batch, latent_dim) to flat images (batch, 784); "
                         f"its shapes are {input_shape} → {output_shape}")
    return input_shape[1], output_shape[1]


def _check_ranges(ranges, latent_dim: int) -> np.ndarray:
    try:
        array = np.asarray(ranges, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"ranges must be numbers, one (lo, hi) pair per latent coordinate; got {ranges!r}") from error
    if array.ndim != 2 or array.shape[1] != 2:
        raise ValueError(f"ranges must be one (lo, hi) pair per latent coordinate; got shape {array.shape}")
    if len(array) != latent_dim:
        raise ValueError(f"the decoder takes codes of size {latent_dim}, so ranges needs {latent_dim} "
                         f"(lo, hi) pairs; got {len(array)}")
    for index, (lo, hi) in enumerate(array):
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise ValueError(f"ranges[{index}] = ({lo}, {hi}) is not finite: give real numbers")
        if not lo < hi:
            raise ValueError(f"ranges[{index}] = ({lo}, {hi}) is reversed or empty: each range needs lo < hi")
    return array


def latent_scatter_figure(inputs: ExplorerInputs, dpi=100):
    """The scatter of ``inputs.latents`` (first two coordinates) on a pyplot-free figure.

    The axes span the slider ranges (and a little more), so the marker never leaves the picture. Returns
    ``(figure, axes)``, or ``None`` when there is nothing to draw (no latents, or 1-D codes).
    """
    if inputs.latents is None or inputs.latent_dim < 2:
        return None
    codes, labels = inputs.latents[:, :2], inputs.labels
    if len(codes) > SCATTER_POINTS:  # a fixed subsample: the picture is the same every run
        keep = np.sort(np.random.default_rng(0).choice(len(codes), SCATTER_POINTS, replace=False))
        codes = codes[keep]
        labels = None if labels is None else labels[keep]
    figure = Figure(figsize=SCATTER_SIZE, dpi=dpi, facecolor="white")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    plot_latent_scatter(codes, labels, ax=axes, legend_fontsize=8)
    margins = 0.03 * (inputs.ranges[:2, 1] - inputs.ranges[:2, 0])
    axes.set_xlim(inputs.ranges[0, 0] - margins[0], inputs.ranges[0, 1] + margins[0])
    axes.set_ylim(inputs.ranges[1, 0] - margins[1], inputs.ranges[1, 1] + margins[1])
    axes.set_title("z among the test digits' codes", fontsize=10)
    figure.tight_layout()
    return figure, axes


def digit_png(pixels) -> bytes:
    """A flat 784-pixel image (values in [0, 1]) as an enlarged grey PNG, 0 white and 1 black."""
    grey = np.round(255 * (1 - np.clip(np.asarray(pixels, dtype=np.float32), 0, 1)))
    image = Image.fromarray(grey.astype(np.uint8).reshape(IMAGE_SIDE, IMAGE_SIDE), mode="L")
    side = IMAGE_SIDE * DIGIT_SCALE
    buffer = io.BytesIO()
    image.resize((side, side), Image.Resampling.NEAREST).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


class _MarkedScatter:
    """The latent scatter drawn once; :meth:`png` redraws only the marker at a new point."""

    def __init__(self, figure, axes, point):
        self.figure, self.axes = figure, axes
        (self.marker,) = axes.plot(
            [point[0]], [point[1]], "o", markersize=14, markerfacecolor="none", markeredgecolor="black",
            markeredgewidth=2.5, animated=True, path_effects=[withStroke(linewidth=5, foreground="white")],
        )
        figure.canvas.draw()
        self.background = figure.canvas.copy_from_bbox(figure.bbox)
        # A full-colour PNG of this size takes ~10 ms to encode, a 256-colour one ~1 ms. So the
        # background is reduced to a palette once; each frame only maps the marker's pixels onto it.
        rgb = Image.fromarray(np.asarray(figure.canvas.buffer_rgba())).convert("RGB")
        quantized = rgb.quantize(colors=256, dither=Image.Dither.NONE)
        self.indices = np.asarray(quantized)
        self.palette = np.asarray(quantized.getpalette()[:768], dtype=np.float32).reshape(-1, 3)
        self.palette[self.indices[0, 0]] = 255  # the corner is the figure's white: keep it exact
        self.palette_norms = (self.palette ** 2).sum(axis=1)

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


def _subscript(number: int) -> str:
    return str(number).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


class LatentExplorer(widgets.HBox):
    """Sliders for z, the decoded digit g(z), and z marked on the latent scatter.

    ``sliders`` (one ``FloatSlider`` per coordinate), ``digit_image`` and ``scatter_image``
    (``Image`` widgets, ``None`` when there is no scatter) are the parts; ``z`` is the current code.
    """

    def __init__(self, decoder, inputs: ExplorerInputs):
        latent_dim = inputs.latent_dim
        self._decode = tf.function(
            lambda z: decoder(z, training=False),
            input_signature=[tf.TensorSpec((1, latent_dim), tf.float32)],
        )
        self.sliders = [
            widgets.FloatSlider(
                value=float(inputs.start[index]), min=float(lo), max=float(hi), step=float(step),
                description=f"z{_subscript(index + 1)}", readout_format=".2f", continuous_update=True,
                layout=widgets.Layout(width="290px"), style={"description_width": "2em"},
            )
            for index, ((lo, hi), step) in enumerate(zip(inputs.ranges, inputs.steps))
        ]
        side = IMAGE_SIDE * DIGIT_SCALE
        self.digit_image = _DescribedImage(
            format="png", layout=widgets.Layout(width=f"{side}px", height=f"{side}px"),
            tooltip="The decoded image g(z) for the z chosen with the sliders",
        )
        scatter = latent_scatter_figure(inputs)
        self._scatter = None if scatter is None else _MarkedScatter(*scatter, self.z)
        self.scatter_image = None if scatter is None else _DescribedImage(
            format="png", tooltip="The test digits' codes, z1 across and z2 up, coloured by digit; "
                                  "a ring marks the chosen z",
        )
        self._show()
        for slider in self.sliders:
            slider.observe(self._show, names="value")

        left = widgets.VBox(
            [widgets.HTML("<b>decoded image g(z)</b>"), self.digit_image, *self.sliders],
            layout=widgets.Layout(align_items="center"),
        )
        super().__init__([left] if self.scatter_image is None else [left, self.scatter_image],
                         layout=widgets.Layout(flex_flow="row wrap", align_items="flex-start"))
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
