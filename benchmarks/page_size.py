"""What each chapter's page weighs on the built site, beside what it weighed before packing.

Run after `make book`: .venv/bin/python benchmarks/page_size.py   (or `make benchmarks`)
Goals: the chapter 5 page adds <= 1.5 MB (issue 11); chapter 6, with the draw explorer's encoder
and decoder, <= 2.5 MB transferred (issue 24).

A page is its HTML and the figures it shows (``_images/*.png``); the site's shared theme, scripts
and fonts are not counted. Two figures per page:

- on disk: the bytes of the files;
- transferred: what a reader downloads from a server that gzips HTML (GitHub Pages does; PNG
  files are already compressed and are sent as they are).

The baseline is the same page as the site wrote it before two changes, computed from this build:
the explorers' weights as plain float16 in base64 (instead of byte-shuffled and deflated,
``course_utils/explorer/static.py``), and the figures as matplotlib wrote them (the executed
notebooks in ``_build/jupyter_execute`` hold them; ``_ext/compact_figures.py`` re-encodes the
copies on the site). The baseline keeps the explorer's scatter as it is now (0.14 MB smaller
than it was in chapter 5's HTML).
"""

import base64
import gzip
import hashlib
import json
import re
import sys
from pathlib import Path

import nbformat
import numpy as np

from course_utils.explorer.static import LITTLE_ENDIAN, unpack_weights

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
EXECUTED = ROOT / "_build" / "jupyter_execute" / "book"
GOAL_MB = {"05_variational_autoencoder": 1.5, "06_autoencoders_at_work": 2.5}  # issues 11, 24
MODEL = re.compile(
    r'(<script type="application/json" class="(?:latent|draw)-explorer-model">)(.*?)(</script>)',
    re.S,
)
FIGURE = re.compile(r"_images/([0-9a-f]{64})\.png")


def transferred(html: bytes) -> int:
    return len(gzip.compress(html, compresslevel=6))


def plain_weights(match: re.Match) -> str:
    """An explorer's model JSON with its weights as the site stored them before packing (the
    draw explorer's encoder and decoder are lists of such packed parts)."""
    model = json.loads(match.group(2))
    for packed in [model] if "weights" in model else model["encoder"] + model["decoder"]:
        dtype = LITTLE_ENDIAN[packed["dtype"]]
        for layer, (kernel, bias, _) in zip(packed["layers"], unpack_weights(packed), strict=True):
            layer["kernel"] = base64.b64encode(kernel.astype(dtype).tobytes()).decode()
            layer["bias"] = base64.b64encode(bias.astype(dtype).tobytes()).decode()
        del packed["weights"]
    return match.group(1) + json.dumps(model, separators=(",", ":")) + match.group(3)


def matplotlib_figures(chapter: str) -> dict[str, int]:
    """Bytes of each figure as matplotlib wrote it, by the SHA-256 naming its copy on the site."""
    path = EXECUTED / f"{chapter}.ipynb"
    if not path.exists():
        return {}
    sizes = {}
    for cell in nbformat.read(path, as_version=4).cells:
        for output in cell.get("outputs", []):
            png = output.get("data", {}).get("image/png")
            if png:
                data = base64.b64decode(png)
                sizes[hashlib.sha256(data).hexdigest()] = len(data)
    return sizes


def page_sizes(page: Path) -> dict:
    """Bytes of ``page`` and its figures, on disk and transferred, now and before (the baseline)."""
    html = page.read_bytes()
    figures = sorted(set(FIGURE.findall(html.decode())))
    now = sum((SITE / "_images" / f"{name}.png").stat().st_size for name in figures)
    originals = matplotlib_figures(page.stem)
    before = sum(
        originals.get(name, (SITE / "_images" / f"{name}.png").stat().st_size) for name in figures
    )
    old_html = MODEL.sub(plain_weights, html.decode()).encode()
    return {
        "now": (len(html) + now, transferred(html) + now),
        "before": (len(old_html) + before, transferred(old_html) + before),
    }


def goal_verdict(goal, disk: float, sent: float) -> str:
    if goal is None:
        return ""
    if disk <= goal:
        return f"goal <= {goal}: met"
    if sent <= goal:
        return f"goal <= {goal}: met as transferred, not on disk"
    return f"goal <= {goal}: missed"


def main() -> int:
    pages = sorted((SITE / "book").glob("*.html"))
    if not pages:
        sys.exit(f"no pages in {SITE / 'book'}: run `make book` first")
    print(
        f"{'page (MB)':28s} {'now: disk':>10s} {'transferred':>12s}   "
        f"{'before: disk':>12s} {'transferred':>12s}"
    )
    for page in pages:
        sizes = page_sizes(page)
        (disk, sent), (old_disk, old_sent) = (np.array(sizes[k]) / 1e6 for k in ("now", "before"))
        verdict = goal_verdict(GOAL_MB.get(page.stem), disk, sent)
        print(
            f"{page.stem:28s} {disk:10.2f} {sent:12.2f}   "
            f"{old_disk:12.2f} {old_sent:12.2f}  {verdict}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
