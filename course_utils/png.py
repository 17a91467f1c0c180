"""Smaller PNG files for the website: figures stored with one byte a pixel instead of four.

Matplotlib writes every figure as an RGBA PNG, 4 bytes a pixel, although a figure holds a few
hundred colours at most: the grey levels of digit images, a few colours and their antialiased
edges. :func:`compact_png` stores a grey image exactly as greys, an image of at most 256 colours
exactly with a palette, and any other opaque image with the 256 colours that median cut picks,
without dithering (which changes only the edges of overlapping translucent points: the tests bound
how much). It returns the original bytes when they are smaller. The book's figures
(``_ext/compact_figures.py``) and the static explorer's scatter use it; benchmarks/README.md says
how much smaller they get.
"""

from __future__ import annotations

import io

import numpy as np

PALETTE_COLORS = 256


def compact_png(png: bytes) -> bytes:
    """``png`` (a PNG file's bytes) stored as greys or with a palette of at most 256 colours, if
    that is smaller; else ``png`` itself. Refuses (``ValueError``) bytes that are not a PNG."""
    from PIL import Image

    try:
        image = Image.open(io.BytesIO(png))
        image.load()
    except (OSError, ValueError) as error:
        raise ValueError(f"compact_png needs the bytes of a PNG image: {error}") from None
    if image.mode not in ("RGB", "RGBA", "LA"):
        # Greys or a palette already take one byte a pixel (the site's figures after one build);
        # more than 8 bits a channel would lose depth. Nothing to gain, or too much to lose.
        return png
    rgba = np.ascontiguousarray(image.convert("RGBA"))
    opaque = bool(np.all(rgba[..., 3] == 255))
    # Each pixel's 4 bytes as one 32-bit number: far quicker to sort than rows of 4 bytes.
    keys, indices = np.unique(rgba.view(np.uint32).ravel(), return_inverse=True)
    colors = keys.view(np.uint8).reshape(-1, 4)  # RGBA, one row per colour
    if opaque and np.all(colors[:, :3] == colors[:, :1]):  # greys only: one byte a pixel, filtered
        compact = Image.fromarray(rgba[..., 0], "L")
    elif len(colors) <= PALETTE_COLORS:
        compact = Image.fromarray(indices.reshape(rgba.shape[:2]).astype(np.uint8), "P")
        compact.putpalette(colors[:, :3].ravel().tolist(), rawmode="RGB")
        if not opaque:
            compact.info["transparency"] = bytes(colors[:, 3].tolist())
    elif opaque:
        compact = Image.fromarray(rgba[..., :3]).quantize(
            PALETTE_COLORS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
    else:
        return png  # translucent and colourful: a palette would lose too much
    output = io.BytesIO()
    compact.save(output, format="PNG", optimize=True)
    return output.getvalue() if output.tell() < len(png) else png
