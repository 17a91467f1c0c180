"""Print the whole book to one PDF with Debian's Chromium: the second half of `make pdf`.

The first half, `jupyter-book build --builder singlehtml`, writes the book as one page (with
_ext/print_edition.py's title page, contents and notes; book/_static/print.css lays it out on A4).
This script serves that page on 127.0.0.1, opens it in /usr/bin/chromium (never a downloaded
browser), waits until MathJax, the latent explorers, the saved widgets, images and fonts are drawn
(scripts/print_pdf.js), and prints it until its contents are right: a printing tells on which page
each chapter and section starts (the PDF's named destinations, read with poppler's pdfinfo), and
the next one writes those numbers into the contents (and checks them). The PDF goes to
_build/pdf/, named by `print_edition_pdf` in _config.yml, with a copy in _build/html/ when the
website is built there, for its download menu.

    python scripts/print_pdf.py [--site _build/singlehtml] [--out _build/pdf]
"""

import argparse
import contextlib
import functools
import http.server
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PREPARE = Path(__file__).with_suffix(".js")
READY_TIMEOUT_MS = 120_000
# Printings until the contents' page numbers are those of the pages: the first finds them; writing
# them in can reflow a line or two (a new glyph's metrics), which the next printing checks.
PRINTINGS = 4
DESTINATION = re.compile(r'^\s*(\d+) \[ XYZ\s+\S+\s+\S+\s+\S+\s*\] "(.*)"$', re.MULTILINE)


def pdf_name() -> str:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    return config["sphinx"]["config"]["print_edition_pdf"]


@contextlib.contextmanager
def serve(directory: Path):
    """``directory`` over HTTP on 127.0.0.1 (an ephemeral port): yields its URL."""
    handler = functools.partial(QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def open_edition(browser, url: str, color_scheme: str = "light"):
    """A Chromium page showing the print edition at ``url`` as it prints, ready to print."""
    page = browser.new_page()
    page.emulate_media(media="print", color_scheme=color_scheme)
    page.goto(url, wait_until="load")
    page.add_script_tag(path=str(PREPARE))
    page.evaluate("printEdition.prepare()")
    try:
        page.wait_for_function("printEdition.pending().length === 0", timeout=READY_TIMEOUT_MS)
    except Exception as error:
        pending = page.evaluate("printEdition.pending()")
        raise SystemExit(
            f"{url}: still drawing after {READY_TIMEOUT_MS // 1000} s: {', '.join(pending)}"
        ) from error
    return page


def destinations(pdf: Path) -> dict[str, int]:
    """Each named destination of the PDF (an element id of the page) -> its page number."""
    listing = subprocess.run(
        ["pdfinfo", "-dests", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    return {name: int(page) for page, name in DESTINATION.findall(listing)}


def print_book(site: Path, out: Path, color_scheme: str = "light") -> Path:
    from playwright.sync_api import sync_playwright

    index = site / "index.html"
    if not index.is_file():
        raise SystemExit(f"{index} is missing: build it with `make pdf`")
    for tool in (CHROMIUM, shutil.which("pdfinfo")):
        if not tool or not Path(tool).exists():
            raise SystemExit(
                "Chromium and poppler's pdfinfo are needed: run `make browser` "
                "(apt-get install chromium poppler-utils)"
            )
    out.mkdir(parents=True, exist_ok=True)
    pdf = out / pdf_name()
    with serve(site) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = open_edition(browser, url, color_scheme)
            options = dict(
                prefer_css_page_size=True, print_background=True, outline=True, tagged=True
            )
            pages = {}
            for _ in range(PRINTINGS):
                page.evaluate("(pages) => printEdition.numberContents(pages)", pages)
                page.pdf(path=str(pdf), **options)
                pages, before = destinations(pdf), pages
                if pages == before:
                    break
            else:
                moved = sorted(name for name in pages if pages[name] != before.get(name))
                raise SystemExit(f"the contents' page numbers did not settle: {moved[:5]}")
        finally:
            browser.close()
    if (BUILD / "html" / "index.html").is_file():
        shutil.copyfile(pdf, BUILD / "html" / pdf.name)
    return pdf


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=BUILD / "singlehtml")
    parser.add_argument("--out", type=Path, default=BUILD / "pdf")
    args = parser.parse_args(argv)
    pdf = print_book(args.site, args.out)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    pages = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1)
    print(f"{pdf}: {pages} pages, {pdf.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
