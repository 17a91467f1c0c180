"""The strict book build (`jupyter-book build -W -n --keep-going`, as `make book`) and its pages."""

import re
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.notebooks  # the strict build runs every chapter

ROOT = Path(__file__).resolve().parents[1]
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())


def page_text(html: str) -> str:
    article = html[html.index("<article") : html.index("</article>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", article))


def test_every_toc_entry_becomes_a_page(built_book):
    for entry in [TOC["root"]] + [chapter["file"] for chapter in TOC["chapters"]]:
        assert (built_book / f"{entry}.html").is_file(), f"no page for {entry}"
    assert "book/intro.html" in (built_book / "index.html").read_text()


def test_chapters_quote_the_numbers_of_their_own_run(built_book):
    html = (built_book / "book/03_training.html").read_text()
    text = page_text(html)
    assert "{glue" not in html
    mse = re.search(r"mean squared error of\s+(0\.\d{4})\s+per pixel", text)
    assert mse, "chapter 3 does not quote its test MSE"
    # The run's figure is close to the recipe's known result, not a typed-in constant.
    assert 0.020 < float(mse.group(1)) < 0.030
    assert re.search(r"PCA needs\s+\d+\s+components", text)


def test_figures_have_captions_and_solutions_are_hidden(built_book):
    for chapter in sorted((built_book / "book").glob("0*.html")):
        html = chapter.read_text()
        assert html.count("<figcaption") >= 2, f"{chapter.name}: figures without captions"
        assert html.count('class="sd-summary-title') >= 2 or "<details" in html, chapter.name


def test_citations_resolve_to_the_references_page(built_book):
    references = page_text((built_book / "book/references.html").read_text())
    assert "Reducing the dimensionality of data with neural networks" in references
    chapter = (built_book / "book/02_autoencoders.html").read_text()
    assert 'href="references.html#id' in chapter or "references.html#" in chapter


def test_the_intro_quotes_the_configured_repository(built_book):
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    assert url in page_text((built_book / "book/intro.html").read_text())


def test_the_sites_figures_take_one_byte_a_pixel(built_book):
    """_ext/compact_figures.py re-encoded matplotlib's RGBA figures as greys or with a palette."""
    from PIL import Image

    figures = sorted((built_book / "_images").glob("*.png"))
    assert figures, "the site has no figures"
    modes = {path.name: Image.open(path).mode for path in figures}
    assert {name for name, mode in modes.items() if mode not in ("L", "P")} == set()
