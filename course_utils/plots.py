"""Figures the chapters show: digit images, loss curves, reconstructions, latent scatters.

Each function checks its input first and says, in a ``ValueError``, what is wrong and what to
pass instead (rather than failing deep inside numpy or matplotlib).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from . import checks
from .images import IMAGE_PIXELS, IMAGE_SIDE

DIGIT_COLORS = {1: "tab:blue", 5: "tab:orange", 6: "tab:green"}
# Pixels are drawn on [0, 1]. A linear decoder overshoots (more so far from the data's codes);
# beyond this, the images are almost surely 0-255 values, which would all draw black.
LARGEST_PLAUSIBLE_PIXEL = 10.0


def digit_color(digit: int) -> str:
    """The colour of ``digit`` in every figure of the course."""
    return DIGIT_COLORS.get(int(digit), f"C{int(digit)}")


def check_digit_images(images, what="images") -> np.ndarray:
    """``images`` as a float array of shape ``(n, 784)``, if they are drawable digit images:
    one or more, 784 (28×28) numeric pixels each, on the [0, 1] scale; else a ``ValueError``."""
    try:
        array = np.asarray(images, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"{what} must be an array of images with 784 numeric pixels each "
            "(n × 784 or n × 28 × 28)"
        ) from None
    if array.size == 0:
        raise ValueError(f"{what} is empty: pass at least one image")
    if (
        array.ndim < 1
        or array.size % IMAGE_PIXELS
        or array.shape[-1] not in (IMAGE_PIXELS, IMAGE_SIDE)
    ):
        raise ValueError(
            f"{what} must have 784 pixels (28×28) per image, as an (n, 784) or "
            f"(n, 28, 28) array; got shape {array.shape}"
        )
    array = array.reshape(-1, IMAGE_PIXELS)
    finite = array[np.isfinite(array)]
    if finite.size and finite.max() > LARGEST_PLAUSIBLE_PIXEL:
        raise ValueError(
            f"{what} has pixels up to {finite.max():g}; pixels are drawn on the "
            "scale 0 (white) to 1 (black), so 0-255 images would all look black: "
            "divide them by 255 first"
        )
    return array


def show_digit(ax, image, title=None):
    """Draw one 28×28 image (or a flat 784 vector) in grey, without axes."""
    image = check_digit_images(image, "the image")
    if len(image) != 1:
        raise ValueError(f"show_digit draws one image; got {len(image)} (use show_digits)")
    ax.imshow(image.reshape(IMAGE_SIDE, IMAGE_SIDE), cmap="gray_r", vmin=0.0, vmax=1.0)
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title, fontsize=9)


def show_digits(images, titles=None, columns=10, size=1.1):
    """A grid of digit images with optional titles; returns the figure."""
    images = check_digit_images(images)
    columns = checks.whole_number("columns", columns, 1)
    if titles is not None and len(titles) != len(images):
        raise ValueError(
            f"titles must have one entry per image: {len(titles)} titles for {len(images)} images"
        )
    rows = -(-len(images) // columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(columns * size, rows * size * 1.15), squeeze=False
    )
    for index, ax in enumerate(axes.flat):
        if index < len(images):
            show_digit(ax, images[index], None if titles is None else titles[index])
        else:
            ax.axis("off")
    fig.tight_layout()
    return fig


def plot_loss_curve(history, ax=None):
    """Training (and validation, when present) loss per epoch, from a Keras ``History`` or its
    dict (``{"loss": [...], "val_loss": [...]}``)."""
    history = getattr(history, "history", history)
    if not hasattr(history, "get") or not _is_curve(history.get("loss")):
        raise ValueError(
            "plot_loss_curve needs a history with a 'loss' list, one number per "
            "epoch, e.g. trained.history or fit(...).history; got "
            f"{_short(history)}"
        )
    if "val_loss" in history and (
        not _is_curve(history["val_loss"]) or len(history["val_loss"]) != len(history["loss"])
    ):
        raise ValueError(
            f"the history's 'val_loss' must be one number per epoch, as 'loss' "
            f"({len(history['loss'])}); got {_short(history['val_loss'])}"
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    epochs = np.arange(1, len(history["loss"]) + 1)
    ax.plot(epochs, history["loss"], "o-", label="training loss")
    if "val_loss" in history:
        ax.plot(epochs, history["val_loss"], "s--", label="validation loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean squared error")
    ax.set_xticks(epochs)
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def _is_curve(values) -> bool:
    """Whether ``values`` is a non-empty sequence of real numbers."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return array.ndim == 1 and len(array) > 0


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def show_reconstructions(originals, *reconstructions, labels=None, row_titles=None):
    """Inputs on the top row and each set of reconstructions on a row below; returns the figure."""
    originals = check_digit_images(originals, "originals")
    reconstructions = [
        check_digit_images(images, f"reconstructions[{index}]")
        for index, images in enumerate(reconstructions)
    ]
    count = len(originals)
    for index, images in enumerate(reconstructions):
        if len(images) != count:
            raise ValueError(
                f"each set of reconstructions needs one image per original: "
                f"reconstructions[{index}] has {len(images)}, originals {count}"
            )
    rows = [originals, *reconstructions]
    if labels is not None and len(labels) != count:
        raise ValueError(f"labels must have one entry per original: {len(labels)} for {count}")
    if row_titles is None:
        row_titles = ("input", "reconstruction") if len(rows) == 2 else None
    elif len(row_titles) != len(rows):
        raise ValueError(f"row_titles needs one title per row ({len(rows)}); got {len(row_titles)}")
    fig, axes = plt.subplots(
        len(rows), count, figsize=(count * 1.1, len(rows) * 1.3), squeeze=False
    )
    for row, images in enumerate(rows):
        for column in range(count):
            title = f"digit {labels[column]}" if row == 0 and labels is not None else None
            show_digit(axes[row, column], images[column], title)
        if row_titles is not None:
            axes[row, 0].set_ylabel(row_titles[row], fontsize=9)
    fig.tight_layout()
    return fig


def plot_latent_scatter(codes, labels=None, ax=None, point_size=4, alpha=0.5, legend_fontsize=None):
    """2-D codes coloured by digit (grey without ``labels``), with a legend; returns the axes."""
    codes = np.asarray(codes)
    if codes.ndim != 2 or codes.shape[1] != 2:
        raise ValueError(f"plot_latent_scatter needs codes of shape (n, 2); got {codes.shape}")
    if labels is not None:
        labels = np.asarray(labels).reshape(-1)
        if len(labels) != len(codes):
            raise ValueError(
                f"labels must have one entry per code: {len(labels)} labels for {len(codes)} codes"
            )
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 5))
    if labels is None:
        ax.scatter(
            codes[:, 0],
            codes[:, 1],
            s=point_size,
            alpha=alpha,
            color="tab:gray",
            label="test digits",
            rasterized=True,
        )
    else:
        for digit in np.unique(labels):
            chosen = labels == digit
            ax.scatter(
                codes[chosen, 0],
                codes[chosen, 1],
                s=point_size,
                alpha=alpha,
                color=digit_color(digit),
                label=f"digit {digit}",
                rasterized=True,
            )
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    ax.legend(markerscale=4, loc="best", fontsize=legend_fontsize)
    ax.grid(alpha=0.3)
    return ax


def show_manifold(decoder, z1_range, z2_range, steps=15, batch_size=256):
    """Decode a ``steps × steps`` grid of latent points and tile the images; returns the figure.

    Rows go from high ``z_2`` (top) to low ``z_2`` (bottom), like the scatter's y axis.
    """
    steps = checks.whole_number("steps", steps, 2)  # points per side of the grid
    for name, span in (("z1_range", z1_range), ("z2_range", z2_range)):
        try:
            low, high = (float(value) for value in span)
        except (TypeError, ValueError):
            raise ValueError(
                f"{name} must be a (low, high) pair of numbers; got {span!r}"
            ) from None
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise ValueError(f"{name} must be finite with low < high; got {span!r}")
    z1 = np.linspace(*z1_range, steps, dtype=np.float32)
    z2 = np.linspace(*z2_range, steps, dtype=np.float32)[::-1]
    grid = np.stack(np.meshgrid(z1, z2), axis=-1).reshape(-1, 2)
    side = IMAGE_SIDE
    canvas = np.zeros((steps * side, steps * side), dtype=np.float32)
    for start in range(0, len(grid), batch_size):
        codes = grid[start : start + batch_size]
        images = np.asarray(decoder(codes, training=False))
        if images.ndim != 2 or images.shape[1] != IMAGE_PIXELS:
            raise ValueError(
                f"the decoder must turn each 2-D code into 784 pixels; it gave "
                f"shape {images.shape} for {len(codes)} codes"
            )
        for offset, image in enumerate(images):
            row, column = divmod(start + offset, steps)
            canvas[row * side : (row + 1) * side, column * side : (column + 1) * side] = (
                image.reshape(side, side)
            )
    # Each tile is centred on the latent point it decodes.
    half_z1 = (z1[-1] - z1[0]) / (2 * (steps - 1))
    half_z2 = (z2[0] - z2[-1]) / (2 * (steps - 1))
    fig, ax = plt.subplots(figsize=(7, 7))
    ax.imshow(
        canvas,
        cmap="gray_r",
        vmin=0,
        vmax=1,
        aspect="auto",
        extent=(z1[0] - half_z1, z1[-1] + half_z1, z2[-1] - half_z2, z2[0] + half_z2),
    )
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    return fig
