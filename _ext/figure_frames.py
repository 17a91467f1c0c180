"""Notebook figures that stay readable on a phone: each one's <img> goes into a frame that knows
its drawn size.

A chapter's figure is a PNG drawn at 100 dpi with text of at least 9 pt, 12.5 px high as drawn
(``tests/test_site.py`` checks both). Shrunk to a 390 px phone's column, a 10-inch figure would
show that text 4 px high. So each figure's ``<img>`` gets its width and height (the page reserves
its space before it loads) and the custom property ``--figure-width``, and sits in a
``<span class="figure-frame">``; ``book/_static/course.css`` lets a figure shrink to the column,
but never below 65% of its drawn size (text 8 px high), and a wider figure scrolls sideways in its
frame, with a shadow on the side where more of it is.
"""

import re
import struct
from pathlib import Path

from sphinx.application import Sphinx

# An <img> of a figure the build copied into _images (notebook outputs and glued figures).
FIGURE_IMG = re.compile(r'<img (?P<before>[^>]*?)src="(?P<src>[^"]*_images/(?P<name>[^"/]+\.png))"'
                        r'(?P<after>[^>]*?)\s*/?>')


def png_size(path: Path) -> tuple[int, int]:
    """``(width, height)`` from a PNG's header."""
    with open(path, "rb") as file:
        header = file.read(24)
    if header[:8] != b"\x89PNG\r\n\x1a\n" or header[12:16] != b"IHDR":
        raise ValueError(f"{path} is not a PNG file")
    return struct.unpack(">II", header[16:24])


def frame_figures(app: Sphinx, pagename, templatename, context, doctree) -> None:
    body = context.get("body")
    if not body or "_images/" not in body:
        return
    sources = {name: Path(app.srcdir, source) for source, name in app.builder.images.items()}

    def framed(match: re.Match) -> str:
        source = sources.get(match["name"])
        if source is None or not source.is_file() or "width=" in match[0]:
            return match[0]
        width, height = png_size(source)
        return (
            f'<span class="figure-frame"><img {match["before"]}src="{match["src"]}"'
            f'{match["after"]} width="{width}" height="{height}" '
            f'style="--figure-width: {width}px" /></span>'
        )

    context["body"] = FIGURE_IMG.sub(framed, body)


def setup(app: Sphinx) -> dict:
    app.connect("html-page-context", frame_figures)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
