"""The book's figures, re-encoded with one byte a pixel once the site is written.

Matplotlib's PNGs hold 4 bytes a pixel for a few hundred colours; ``course_utils.png.compact_png``
stores them as greys or with a palette (the build's log and benchmarks/page_size.py say how many kB
that saves). It runs on the copies in ``_images`` when the build finishes, so the notebooks and the
execution cache keep matplotlib's own files. Rewriting a compacted file again leaves it as it is,
at once (greys and palettes are not read further).
"""

from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

from course_utils.png import compact_png

logger = logging.getLogger(__name__)


def compact_figures(app: Sphinx, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    before = after = 0
    for path in sorted(Path(app.outdir, "_images").glob("*.png")):
        original = path.read_bytes()
        compact = compact_png(original)
        before, after = before + len(original), after + len(compact)
        if compact is not original:
            path.write_bytes(compact)
    logger.info(f"compact_figures: the figures take {after / 1e3:.0f} kB ({before / 1e3:.0f} kB)")


def setup(app: Sphinx) -> dict:
    app.connect("build-finished", compact_figures)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
