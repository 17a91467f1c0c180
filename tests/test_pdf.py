"""The PDF edition: `make pdf` prints the singlehtml build with Chromium; poppler-utils (pdfinfo,
pdftotext, pdfimages, pdftoppm) read back what it printed."""

import importlib.util
import re
import subprocess
from pathlib import Path

import nbformat
import pytest
import yaml

pytestmark = [pytest.mark.notebooks, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
CHAPTERS = [entry["file"] for entry in TOC["chapters"]]
PDF = ROOT / "_build" / "pdf" / CONFIG["sphinx"]["config"]["print_edition_pdf"]
SINGLE_PAGE = ROOT / "_build" / "singlehtml" / "index.html"
GOAL_MB = 15
MM = 72 / 25.4  # points
MARGIN = {"top": 16 * MM, "side": 16 * MM, "bottom": 18 * MM}  # book/_static/print.css's @page

_spec = importlib.util.spec_from_file_location("print_pdf", ROOT / "scripts" / "print_pdf.py")
print_pdf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(print_pdf)


@pytest.fixture(scope="module")
def book_pdf(built_book) -> Path:
    """`make pdf`, as the README says, after the website (which gets a copy); reports the PDF's
    pages and size."""
    result = subprocess.run(["make", "pdf"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    print(result.stdout.splitlines()[-1])  # "<path>: N pages, M MB"
    return PDF


def run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def page_count(pdf: Path) -> int:
    return int(re.search(r"^Pages:\s+(\d+)", run("pdfinfo", str(pdf)), re.MULTILINE).group(1))


def page_text(pdf: Path, page: int, *options: str) -> str:
    return run("pdftotext", *options, "-f", str(page), "-l", str(page), str(pdf), "-")


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def destinations(pdf: Path) -> dict[str, tuple[int, float]]:
    """Named destination -> (page, height of its top above the page's bottom, in points)."""
    listing = run("pdfinfo", "-dests", str(pdf))
    found = re.findall(r'^\s*(\d+) \[ XYZ\s+\S+\s+(\S+)\s+\S+\s*\] "(.*)"$', listing, re.M)
    return {name: (int(page), float(top)) for page, top, name in found}


def chapter_title(entry: str) -> str:
    if entry.endswith("references"):
        return "References"
    notebook = nbformat.read(ROOT / f"{entry}.ipynb", as_version=4)
    heading = next(c.source for c in notebook.cells if c.cell_type == "markdown")
    return heading.splitlines()[0].removeprefix("# ").strip()


def test_the_pdf_is_within_its_size_goal(book_pdf):
    size_mb = book_pdf.stat().st_size / 1e6
    print(f"{page_count(book_pdf)} pages, {size_mb:.1f} MB (goal <= {GOAL_MB} MB)")
    assert page_count(book_pdf) > 40 and size_mb <= GOAL_MB


def test_every_chapter_starts_a_new_page_in_order_under_its_title(book_pdf):
    dests = destinations(book_pdf)
    page_height = float(re.search(r"Page size:\s+\S+ x (\S+)", run("pdfinfo", str(book_pdf)))[1])
    starts = []
    for number, entry in enumerate(CHAPTERS, start=1):
        page, top = dests[f"print-{number}"]  # the chapter's heading
        assert top > page_height - MARGIN["top"] - 40, f"{entry} starts low on page {page}"
        text = squeezed(page_text(book_pdf, page))
        assert text.startswith(squeezed(chapter_title(entry))), (entry, text[:80])
        starts.append(page)
    assert starts == sorted(set(starts)), starts


def test_the_contents_link_every_chapter_with_its_page_number(book_pdf):
    dests = destinations(book_pdf)
    contents = page_text(book_pdf, 2, "-layout") + page_text(book_pdf, 3, "-layout")
    lines = [re.sub(r"\s+", " ", line).strip() for line in contents.splitlines()]
    for number, entry in enumerate(CHAPTERS, start=1):
        page = dests[f"print-{number}"][0]
        title = chapter_title(entry)
        assert any(line.startswith(title[:40]) and line.endswith(f" {page}") for line in lines), (
            f"no contents line for {title!r} on page {page}"
        )
    # The links: pdftohtml turns each link annotation into an <a href> to its target page.
    xml = run("pdftohtml", "-xml", "-i", "-stdout", "-f", "2", "-l", "3", str(book_pdf))
    targets = {int(page) for page in re.findall(r'<a href="[^"]*#(\d+)"', xml)}
    assert {dests[f"print-{n}"][0] for n in range(1, len(CHAPTERS) + 1)} <= targets


def test_page_numbers_are_in_the_footer(book_pdf):
    """The text in each page's bottom margin is its number (none on the title page)."""
    width, height = map(
        float, re.search(r"Page size:\s+(\S+) x (\S+)", run("pdfinfo", str(book_pdf))).groups()
    )
    bottom = [
        "-x",
        "0",
        "-y",
        str(int(height - MARGIN["bottom"])),
        "-W",
        str(int(width)),
        "-H",
        str(int(MARGIN["bottom"])),
    ]
    for page in range(1, page_count(book_pdf) + 1):
        footer = page_text(book_pdf, page, *bottom).split()
        assert footer == ([] if page == 1 else [str(page)]), (page, footer)


def test_glued_numbers_and_math_are_rendered(book_pdf):
    text = run("pdftotext", str(book_pdf), "-")
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", SINGLE_PAGE.read_text()))
    glued = re.search(r"mean squared error of\s+(0\.\d{4})\s+per pixel", page)
    assert glued, "chapter 3 does not quote its test MSE"
    number = re.escape(glued.group(1))
    assert re.search(rf"mean\s+squared\s+error\s+of\s+{number}\s+per\s+pixel", text)
    assert "{glue" not in text
    for tex in (r"\(", r"\[", r"\frac", r"\mathbb", "$$"):
        assert tex not in text, f"untypeset math: {tex}"
    references = "Reducing the dimensionality of data with neural networks"
    assert references in re.sub(r"\s+", " ", text)


def shown_code_lines(entry: str):
    notebook = nbformat.read(ROOT / f"{entry}.ipynb", as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code" and "remove-cell" not in cell.metadata.get("tags", []):
            for line in cell.source.splitlines():
                if line.strip():
                    yield line


def test_every_code_line_is_printed_whole_inside_the_margins(book_pdf):
    text = squeezed(run("pdftotext", "-layout", str(book_pdf), "-"))  # a comment stays in its line
    for entry in [e for e in CHAPTERS if (ROOT / f"{e}.ipynb").exists()]:
        missing = [line for line in shown_code_lines(entry) if squeezed(line) not in text]
        assert missing == [], f"{entry}: code lines not in the PDF, or cut: {missing[:3]}"
    bbox = run("pdftotext", "-bbox", str(book_pdf), "-")
    width = float(re.search(r'<page width="([\d.]+)"', bbox)[1])
    outside = [
        word
        for x_min, x_max, word in re.findall(
            r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)<', bbox
        )
        if float(x_min) < MARGIN["side"] - 1 or float(x_max) > width - MARGIN["side"] + 1
    ]
    assert outside == [], f"words past the margins: {outside[:10]}"


def test_each_page_of_the_website_offers_the_pdf_in_its_download_menu(book_pdf, built_book):
    copy = built_book / book_pdf.name
    assert copy.read_bytes() == book_pdf.read_bytes()
    for page in ["book/intro.html", *(f"{entry}.html" for entry in CHAPTERS)]:
        html = (built_book / page).read_text()
        link = re.search(r'<a href="([^"]+)"[^>]*download-book-pdf-button', html)
        assert link, f"{page}: no PDF in the download menu"
        assert (built_book / page).parent.joinpath(link.group(1)).resolve() == copy.resolve()


FIGURE = re.compile(
    r'<figure[^>]*id="([^"]+)".*?<span class="caption-number">(Fig\. \d+) </span>'
    r'<span class="caption-text">([^<]{1,30})',
    re.S,
)


def test_every_figure_is_on_one_page_with_its_caption(book_pdf):
    """A figure's top (its named destination) and its caption are on the same page. (Chromium
    never splits an image itself; a figure could still lose its caption to the next page.)"""
    dests = destinations(book_pdf)
    figures = FIGURE.findall(SINGLE_PAGE.read_text())
    assert len(figures) >= 20
    for figure_id, number, caption in figures:
        page = dests[figure_id][0]
        text = re.sub(r"\s+", " ", page_text(book_pdf, page))
        assert f"{number} {caption.split()[0]}" in text, f"{figure_id}: caption not on page {page}"


def test_interactive_outputs_become_a_still_a_sentence_and_a_link(book_pdf):
    text = re.sub(r"\s+", " ", run("pdftotext", str(book_pdf), "-"))
    html = SINGLE_PAGE.read_text()
    owner, name = CONFIG["repository"]["url"].removesuffix(".git").split("/")[-2:]
    site = f"https://{owner}.github.io/{name}/"
    for marker, start in [
        ('<div class="latent-explorer"', "On paper this explorer shows where it starts."),
        ('<script type="application/vnd.jupyter.widget-view+json"', "On paper, as on the"),
    ]:
        assert html.count(marker) >= 2, marker
        assert text.count(start) == html.count(marker), start
    xml = run("pdftohtml", "-xml", "-i", "-stdout", str(book_pdf))
    links = set(re.findall(r'<a href="(' + re.escape(site) + r'book/[^"]+)"', xml))
    assert links == {
        f"{site}book/04_latent_space.html",
        f"{site}book/05_variational_autoencoder.html",
    }


@pytest.fixture(scope="module")
def dark_mode_page(book_pdf, browser):
    """The print edition as Chromium prints it for a reader who prefers dark mode (in conftest's
    Chromium: one Playwright per test session)."""
    with print_pdf.serve(SINGLE_PAGE.parent) as url:
        page = print_pdf.open_edition(browser, url, color_scheme="dark")
        yield page
        page.close()


LUMINANCE = """(selector) => {
    const colours = getComputedStyle(document.querySelector(selector));
    const luminance = (css) => {
        const [r, g, b] = css.match(/[\\d.]+/g).map(Number);
        return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
    };
    return [luminance(colours.backgroundColor), luminance(colours.color)];
}"""


def test_print_is_light_whatever_the_dark_mode_and_shows_no_controls(dark_mode_page):
    page = dark_mode_page
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    background, text = page.evaluate(LUMINANCE, "body")
    assert background > 0.95 and text < 0.3
    code_background, code_text = page.evaluate(LUMINANCE, "div.cell_input .highlight")
    assert code_background > 0.85 and code_text < 0.4
    shown = page.evaluate(
        """() => [...document.querySelectorAll(`.cell_output input, .cell_output button,
            .widget-slider, .latent-explorer-row`)].filter((e) => e.checkVisibility()).length"""
    )
    assert shown == 0
    assert page.evaluate("document.querySelectorAll('.latent-explorer canvas').length") >= 2


def test_a_page_of_the_website_prints_light_in_dark_mode_and_turns_dark_again(site_url, page):
    """print-light.js: the theme's light colours from `beforeprint` to `afterprint`."""
    page.emulate_media(color_scheme="dark")
    page.goto(f"{site_url}/book/04_latent_space.html", wait_until="load")
    page.wait_for_function("document.documentElement.dataset.theme === 'dark'")
    code = "div.cell_input .highlight"
    dark_code = page.evaluate(LUMINANCE, code)[0]
    page.emulate_media(media="print", color_scheme="dark")
    page.evaluate("dispatchEvent(new Event('beforeprint'))")
    printed = page.evaluate(LUMINANCE, "body")[0], page.evaluate(LUMINANCE, code)[0]
    page.evaluate("dispatchEvent(new Event('afterprint'))")
    after = page.evaluate("document.documentElement.dataset.theme")
    assert dark_code < 0.3 and printed[0] > 0.95 and printed[1] > 0.85 and after == "dark"


def test_printed_pages_are_light(book_pdf, tmp_path):
    """Pages rendered back to pixels (pdftoppm): white paper, dark ink."""
    for page in (1, 9):
        run(
            "pdftoppm",
            "-gray",
            "-r",
            "20",
            "-f",
            str(page),
            "-l",
            str(page),
            str(book_pdf),
            str(tmp_path / "page"),
        )
    from PIL import Image

    for image in tmp_path.glob("page*.pgm"):
        pixels = Image.open(image).get_flattened_data()
        assert sum(pixels) / len(pixels) > 200, image.name
