"""What the PDF edition weighs, beside its goal and beside the website it is printed from.

Run after `make pdf`: .venv/bin/python benchmarks/pdf_size.py   (or `make benchmarks`)
Goal: the whole book in at most 15 MB (issue 23).

The baseline is the website's chapters as `make book` built them: each chapter's HTML and the
figures it shows, without the theme, scripts and fonts that every page shares. The PDF holds the
same figures (as Chromium re-encodes them) and typeset text, and no scripts or decoder weights.
"""

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
PDF = BUILD / "pdf" / CONFIG["sphinx"]["config"]["print_edition_pdf"]
GOAL_MB = 15
FIGURE = re.compile(r"_images/([^\"']+\.png)")


def website_bytes() -> int:
    pages = sorted((BUILD / "html" / "book").glob("*.html"))
    figures = {name for page in pages for name in FIGURE.findall(page.read_text())}
    return sum(page.stat().st_size for page in pages) + sum(
        (BUILD / "html" / "_images" / name).stat().st_size for name in figures
    )


def main() -> int:
    if not PDF.is_file():
        print(f"{PDF} is missing: run `make pdf` first", file=sys.stderr)
        return 1
    info = subprocess.run(["pdfinfo", str(PDF)], capture_output=True, text=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))
    images = subprocess.run(["pdfimages", "-list", str(PDF)], capture_output=True, text=True)
    print(f"{'':28} {'MB':>6} {'pages':>6} {'images':>7}")
    print(f"{'PDF edition':28} {PDF.stat().st_size / 1e6:6.2f} {pages:6d}", end=" ")
    print(f"{len(images.stdout.splitlines()) - 2:7d}")
    print(f"{'goal':28} {GOAL_MB:6.2f}")
    if (BUILD / "html" / "book").is_dir():
        print(f"{'website chapters + figures':28} {website_bytes() / 1e6:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
