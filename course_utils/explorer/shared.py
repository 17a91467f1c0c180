"""What both latent explorers share: their input checks, slider ranges, sizes, marker and texts.

The kernel explorer (:mod:`.kernel`) and the static one (:mod:`.static`) show the same things the
same size, so every size, the marker's geometry and the alternative texts are defined here, once.
Nothing here imports TensorFlow, Keras or ipywidgets; matplotlib loads when a scatter is drawn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

IMAGE_SIDE = 28  # a decoded digit is IMAGE_SIDE × IMAGE_SIDE pixels
DIGIT_SCALE = 6  # ...shown with each pixel DIGIT_SCALE × DIGIT_SCALE screen pixels wide
DIGIT_SIDE_PX = IMAGE_SIDE * DIGIT_SCALE  # 168: the digit's side on screen
SLIDER_STEPS = 200  # positions per slider
SCATTER_POINTS = 3000  # at most this many latents are drawn on the scatter
SCATTER_SIZE = (4.0, 3.6)  # inches
SCREEN_DPI = 100  # CSS pixels per inch of the scatter: 400×360 on screen
# The marker ringing z on the scatter, in points: a black ring on a white halo.
MARKER_DIAMETER_PT = 14
MARKER_RING_PT = 2.5
MARKER_HALO_PT = 5

DIGIT_ALT = "The decoded image g(z) for the z chosen with the sliders"
SCATTER_ALT = (
    "The test digits' codes, z1 across and z2 up, coloured by digit; a ring marks the chosen z"
)


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
    return check_inputs_for_sizes(*decoder_sizes(decoder), latents, labels, ranges)


def decoder_sizes(decoder) -> tuple[int, int]:
    """``(code size, output size)`` of a built Keras decoder mapping codes to flat images."""
    try:
        input_shape, output_shape = decoder.input_shape, decoder.output_shape
    except (AttributeError, ValueError) as error:
        raise ValueError(
            "the decoder must be a built Keras model (e.g. starting with keras.Input), so that "
            f"its code size is known; got {type(decoder).__name__}"
        ) from error
    if len(input_shape) != 2 or len(output_shape) != 2:
        raise ValueError(
            "the decoder must map codes (batch, latent_dim) to flat images (batch, 784); "
            f"its shapes are {input_shape} → {output_shape}"
        )
    return input_shape[1], output_shape[1]


def check_inputs_for_sizes(
    input_size, output_size, latents=None, labels=None, ranges=None
) -> ExplorerInputs:
    """:func:`check_explorer_inputs` for a decoder from ``input_size`` to ``output_size`` values."""
    pixels = IMAGE_SIDE * IMAGE_SIDE
    if output_size != pixels:
        raise ValueError(
            f"the decoder must output {pixels} pixels (a {IMAGE_SIDE}×{IMAGE_SIDE} image); "
            f"its output has {output_size} values per code"
        )
    if latents is None and ranges is None:
        raise ValueError(
            "pass latents (an (n, latent_dim) array of codes) or ranges "
            "(one (lo, hi) pair per latent coordinate), or both"
        )
    if latents is not None:
        latents = _check_latents(latents, input_size)
    if labels is not None:
        if latents is None:
            raise ValueError("labels colour the latent scatter, so they need latents too")
        labels = np.asarray(labels).reshape(-1)
        if len(labels) != len(latents):
            raise ValueError(
                f"labels must have one entry per latent code: {len(labels)} "
                f"labels for {len(latents)} codes"
            )

    if ranges is None:
        ranges = np.stack([latents.min(axis=0), latents.max(axis=0)], axis=1).astype(np.float64)
        if np.any(ranges[:, 0] == ranges[:, 1]):
            raise ValueError(
                "the latents do not vary along every coordinate, so they give an "
                "empty slider range; pass ranges=[(lo, hi), ...] instead"
            )
    else:
        ranges = _check_ranges(ranges, input_size)

    if latents is not None:
        start = np.clip(np.median(latents, axis=0), ranges[:, 0], ranges[:, 1])
    else:
        start = ranges.mean(axis=1)
    return ExplorerInputs(ranges=ranges, start=start, latents=latents, labels=labels)


def _check_latents(latents, input_size: int) -> np.ndarray:
    latents = np.asarray(latents, dtype=np.float32)
    if latents.ndim != 2 or len(latents) == 0:
        raise ValueError(
            f"latents must be a non-empty (n, latent_dim) array; got shape {latents.shape}"
        )
    if latents.shape[1] != input_size:
        raise ValueError(
            f"the decoder takes codes of size {input_size}, but latents have "
            f"{latents.shape[1]} columns: encode with the matching encoder"
        )
    bad_rows = np.flatnonzero(~np.isfinite(latents).all(axis=1))
    if len(bad_rows):
        raise ValueError(
            f"latents contain NaN or infinite values (rows {bad_rows[:5].tolist()}, "
            f"{len(bad_rows)} in all); drop or fix them first"
        )
    return latents


def _check_ranges(ranges, latent_dim: int) -> np.ndarray:
    try:
        array = np.asarray(ranges, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"ranges must be numbers, one (lo, hi) pair per latent coordinate; got {ranges!r}"
        ) from error
    if array.ndim != 2 or array.shape[1] != 2:
        raise ValueError(
            f"ranges must be one (lo, hi) pair per latent coordinate; got shape {array.shape}"
        )
    if len(array) != latent_dim:
        raise ValueError(
            f"the decoder takes codes of size {latent_dim}, so ranges needs "
            f"{latent_dim} (lo, hi) pairs; got {len(array)}"
        )
    for index, (lo, hi) in enumerate(array):
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise ValueError(f"ranges[{index}] = ({lo}, {hi}) is not finite: give real numbers")
        if not lo < hi:
            raise ValueError(
                f"ranges[{index}] = ({lo}, {hi}) is reversed or empty: each range needs lo < hi"
            )
    return array


def latent_scatter_figure(inputs: ExplorerInputs, dpi=SCREEN_DPI):
    """The scatter of ``inputs.latents`` (first two coordinates) on a pyplot-free figure.

    The axes span the slider ranges (and a little more), so the marker never leaves the
    picture. Returns ``(figure, axes)``, or ``None`` when there is nothing to draw (no latents,
    or 1-D codes).
    """
    if inputs.latents is None or inputs.latent_dim < 2:
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from ..plots import plot_latent_scatter

    codes, labels = inputs.latents[:, :2], inputs.labels
    if len(codes) > SCATTER_POINTS:  # a fixed subsample: the picture is the same every run
        keep = np.sort(np.random.default_rng(0).choice(len(codes), SCATTER_POINTS, replace=False))
        codes = codes[keep]
        labels = None if labels is None else labels[keep]
    figure = Figure(figsize=SCATTER_SIZE, dpi=dpi, facecolor="white")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    plot_latent_scatter(codes, labels, ax=axes, legend_fontsize=9)
    margins = 0.03 * (inputs.ranges[:2, 1] - inputs.ranges[:2, 0])
    axes.set_xlim(inputs.ranges[0, 0] - margins[0], inputs.ranges[0, 1] + margins[0])
    axes.set_ylim(inputs.ranges[1, 0] - margins[1], inputs.ranges[1, 1] + margins[1])
    axes.set_title("z among the test digits' codes", fontsize=10)
    figure.tight_layout()
    return figure, axes


def subscript(number: int) -> str:
    """``12`` as ``₁₂``, for the sliders' names z₁, z₂, …"""
    return str(number).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
