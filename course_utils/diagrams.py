"""Diagrams drawn by the course itself (no hotlinked images): the encoder/decoder picture.

Apart from :mod:`.plots` because it draws the model's structure, not data: plots show what a
chapter computed (digits, losses, codes); a diagram explains before anything is computed.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch, Rectangle

ENCODER_COLOR = "#4c72b0"
CODE_COLOR = "#c44e52"
DECODER_COLOR = "#55a868"


def draw_autoencoder(
    layer_sizes=(784, 500, 300, 2, 300, 500, 784), image=None, reconstruction=None
):
    """Draw an autoencoder as layers whose heights grow with their widths; returns the figure.

    ``layer_sizes`` lists every layer from input to output, the code in the middle (an odd
    count). ``image`` and ``reconstruction`` (784 pixels each), when given, are drawn at the
    two ends as the input ``x`` and the output ``x̂``.
    """
    sizes = list(layer_sizes)
    if len(sizes) < 3 or len(sizes) % 2 == 0:
        raise ValueError(
            f"layer_sizes needs an odd number (≥ 3) of layers, code in the middle; got {sizes}"
        )
    middle = len(sizes) // 2
    # Heights on a log scale, so that 784 and 2 both stay visible.
    heights = 0.6 + 3.4 * np.log(sizes) / np.log(max(sizes))
    fig, ax = plt.subplots(figsize=(10, 4.4))
    ax.set_xlim(-2.2, len(sizes) + 1.2)
    ax.set_ylim(-3.2, 2.9)
    ax.axis("off")

    for index, (size, height) in enumerate(zip(sizes, heights, strict=False)):
        color = (
            ENCODER_COLOR if index < middle else CODE_COLOR if index == middle else DECODER_COLOR
        )
        ax.add_patch(Rectangle((index - 0.2, -height / 2), 0.4, height, color=color, alpha=0.85))
        ax.text(index, -height / 2 - 0.25, str(size), ha="center", va="top", fontsize=10)
        if index:
            ax.add_patch(
                FancyArrowPatch(
                    (index - 0.78, 0),
                    (index - 0.22, 0),
                    arrowstyle="-|>",
                    mutation_scale=12,
                    color="0.35",
                )
            )

    def bracket(first, last, text, color):
        ax.plot(
            [first - 0.2, first - 0.2, last + 0.2, last + 0.2], [2.25, 2.4, 2.4, 2.25], color=color
        )
        ax.text((first + last) / 2, 2.5, text, ha="center", va="bottom", fontsize=12, color=color)

    bracket(0, middle - 1, "encoder  $z = f(x)$", ENCODER_COLOR)
    ax.text(middle, 2.5, "code $z$", ha="center", va="bottom", fontsize=12, color=CODE_COLOR)
    bracket(middle + 1, len(sizes) - 1, r"decoder  $\hat{x} = g(z)$", DECODER_COLOR)
    ax.text(
        (len(sizes) - 1) / 2,
        -2.85,
        "numbers under the bars: units per layer",
        ha="center",
        fontsize=9,
        color="0.4",
    )

    for picture, x, label in (
        (image, -1.3, "input $x$"),
        (reconstruction, len(sizes) + 0.3, r"output $\hat{x}$"),
    ):
        if picture is None:
            continue
        ax.imshow(
            np.asarray(picture).reshape(28, 28),
            cmap="gray_r",
            vmin=0,
            vmax=1,
            extent=(x - 0.7, x + 0.7, -0.7, 0.7),
            zorder=2,
        )
        ax.text(x, -0.95, label, ha="center", va="top", fontsize=11)
        start, end = (x + 0.75, -0.25) if x < 0 else (len(sizes) - 0.75, x - 0.75)
        ax.add_patch(
            FancyArrowPatch((start, 0), (end, 0), arrowstyle="-|>", mutation_scale=12, color="0.35")
        )
    fig.tight_layout()
    return fig
