"""Figures the chapters show: digit images, loss curves, reconstructions, latent scatters."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

DIGIT_COLORS = {1: "tab:blue", 5: "tab:orange", 6: "tab:green"}


def digit_color(digit: int) -> str:
    return DIGIT_COLORS.get(int(digit), f"C{int(digit)}")


def show_digit(ax, image, title=None):
    """Draw one 28×28 image (or a flat 784 vector) in grey, without axes."""
    ax.imshow(np.asarray(image).reshape(28, 28), cmap="gray_r", vmin=0.0, vmax=1.0)
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title, fontsize=9)


def show_digits(images, titles=None, columns=10, size=1.1):
    """A grid of digit images with optional titles; returns the figure."""
    images = np.asarray(images)
    rows = -(-len(images) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(columns * size, rows * size * 1.15),
                             squeeze=False)
    for index, ax in enumerate(axes.flat):
        if index < len(images):
            show_digit(ax, images[index], None if titles is None else titles[index])
        else:
            ax.axis("off")
    fig.tight_layout()
    return fig


def plot_loss_curve(history, ax=None):
    """Training (and validation, when present) loss per epoch."""
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


def show_reconstructions(originals, *reconstructions, labels=None, row_titles=None):
    """Inputs on the top row and each set of reconstructions on a row below; returns the figure."""
    rows = [originals, *reconstructions]
    if row_titles is None:
        row_titles = ("input", "reconstruction") if len(rows) == 2 else None
    count = len(originals)
    fig, axes = plt.subplots(len(rows), count, figsize=(count * 1.1, len(rows) * 1.3), squeeze=False)
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
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 5))
    if labels is None:
        ax.scatter(codes[:, 0], codes[:, 1], s=point_size, alpha=alpha, color="tab:gray",
                   label="test digits", rasterized=True)
    else:
        for digit in np.unique(labels):
            chosen = labels == digit
            ax.scatter(codes[chosen, 0], codes[chosen, 1], s=point_size, alpha=alpha,
                       color=digit_color(digit), label=f"digit {digit}", rasterized=True)
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    ax.legend(markerscale=4, loc="best", fontsize=legend_fontsize)
    ax.grid(alpha=0.3)
    return ax


def show_manifold(decoder, z1_range, z2_range, steps=15, batch_size=256):
    """Decode a ``steps × steps`` grid of latent points and tile the images; returns the figure.

    Rows go from high ``z_2`` (top) to low ``z_2`` (bottom), like the scatter's y axis.
    """
    z1 = np.linspace(*z1_range, steps, dtype=np.float32)
    z2 = np.linspace(*z2_range, steps, dtype=np.float32)[::-1]
    grid = np.stack(np.meshgrid(z1, z2), axis=-1).reshape(-1, 2)
    canvas = np.zeros((steps * 28, steps * 28), dtype=np.float32)
    for start in range(0, len(grid), batch_size):
        images = np.asarray(decoder(grid[start:start + batch_size], training=False))
        for offset, image in enumerate(images):
            row, column = divmod(start + offset, steps)
            canvas[row * 28:(row + 1) * 28, column * 28:(column + 1) * 28] = image.reshape(28, 28)
    # Each tile is centred on the latent point it decodes.
    half_z1 = (z1[-1] - z1[0]) / (2 * (steps - 1))
    half_z2 = (z2[0] - z2[-1]) / (2 * (steps - 1))
    fig, ax = plt.subplots(figsize=(7, 7))
    ax.imshow(canvas, cmap="gray_r", vmin=0, vmax=1, aspect="auto",
              extent=(z1[0] - half_z1, z1[-1] + half_z1, z2[-1] - half_z2, z2[0] + half_z2))
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    return fig
