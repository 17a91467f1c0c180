"""Latency of one latent-explorer update (slider change → updated images), beside the reference way.

Run: .venv/bin/python benchmarks/slider.py
Goal: median <= 10 ms on the 2-core machine. The explorer (course_utils.latent_explorer) calls a
compiled decoder and redraws only the marker on a cached scatter, updating its Image widgets in
place. The reference is the plain notebook way: per move, ``decoder.predict(z)`` and a new
matplotlib figure (the digit beside the marked scatter) rendered to PNG, then closed.
Both run on the trained decoder of the chapters; the last line is machine-readable.
"""

import io
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from course_utils import (
    latent_explorer,
    load_mnist,
    plot_latent_scatter,
    show_digit,
    trained_autoencoder,
)  # noqa: E402

EXPLORER_UPDATES = 500
REFERENCE_UPDATES = 40


def slider_positions(count, seed=0):
    """(slider index, fraction of its range) per move: both sliders, spread over their ranges."""
    rng = np.random.default_rng(seed)
    return list(zip(np.arange(count) % 2, rng.uniform(0.0, 1.0, count), strict=False))


def time_explorer(decoder, codes, labels):
    explorer = latent_explorer(decoder, latents=codes, labels=labels)
    seconds = []
    for index, fraction in slider_positions(EXPLORER_UPDATES):
        slider = explorer.sliders[index]
        target = slider.min + fraction * (slider.max - slider.min)
        before = explorer.digit_image.value
        start = time.perf_counter()
        slider.value = target  # the observer decodes and sets the images before this returns
        seconds.append(time.perf_counter() - start)
        assert explorer.digit_image.value is not before
    return np.array(seconds) * 1e3


def time_reference(decoder, codes, labels):
    low, high = codes.min(axis=0), codes.max(axis=0)
    z = np.float32((low + high) / 2)[None, :]
    seconds = []
    for index, fraction in slider_positions(REFERENCE_UPDATES):
        z[0, index] = low[index] + fraction * (high[index] - low[index])
        start = time.perf_counter()
        image = decoder.predict(z, verbose=0)[0]
        fig, (ax_image, ax_map) = plt.subplots(1, 2, figsize=(7.5, 4), width_ratios=(1, 1.4))
        show_digit(ax_image, image, title="decoded image g(z)")
        plot_latent_scatter(codes, labels, ax=ax_map)
        ax_map.plot(
            *z[0],
            "o",
            markersize=14,
            markerfacecolor="none",
            markeredgecolor="black",
            markeredgewidth=2.5,
        )
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        plt.close(fig)
        seconds.append(time.perf_counter() - start)
    return np.array(seconds) * 1e3


def time_predict(decoder, codes):
    seconds = []
    for z in codes[:REFERENCE_UPDATES, None, :]:
        start = time.perf_counter()
        decoder.predict(z, verbose=0)
        seconds.append(time.perf_counter() - start)
    return np.array(seconds) * 1e3


def describe(name, milliseconds):
    print(
        f"{name:34s} median {np.median(milliseconds):7.1f} ms   "
        f"p90 {np.percentile(milliseconds, 90):7.1f} ms"
        f"   ({len(milliseconds)} moves)",
        flush=True,
    )


def main():
    model = trained_autoencoder(verbose=0)
    (_, _), (x_test, y_test) = load_mnist(model.recipe.digits)
    codes = np.asarray(model.encoder(x_test, training=False))
    explorer_ms = time_explorer(model.decoder, codes, y_test)
    describe("explorer (compiled decoder, blit)", explorer_ms)
    reference_ms = time_reference(model.decoder, codes, y_test)
    describe("reference (predict + new figure)", reference_ms)
    describe("  of which decoder.predict alone", time_predict(model.decoder, codes))
    print(
        f"update_ms_median={np.median(explorer_ms):.1f} "
        f"reference_ms_median={np.median(reference_ms):.1f}"
    )


if __name__ == "__main__":
    main()
