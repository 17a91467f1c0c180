"""The built website, page by page in headless Chromium: self-contained, accessible, working.

The `site` fixture opens every HTML page of _build/html once over the loopback server, waits for
MathJax and the widget manager, runs axe-core, saves a full-page screenshot into
_build/screenshots, and records what it saw: at 1280 px, at a phone's 390 px (its exercise
solutions opened), and in the theme's dark mode. Each test then checks one property on every page
and names the pages and elements that fail.
"""

import ast
import json
import posixpath
import re
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

pytestmark = pytest.mark.browser  # headless Chromium on the built book

ROOT = Path(__file__).resolve().parents[1]
WIDGET_VIEW = 'script[type="application/vnd.jupyter.widget-view+json"]'
# TeX that MathJax should have typeset: $...$ (as MyST's dollarmath reads it), \( \[ \begin{
RAW_TEX = re.compile(r"(?<![\\$])\$[^\s$](?:[^$\n]*[^\s$\\])?\$|\\\(|\\\[|\\begin\{")
LAB_PATHS = {"jupyterlab": "lab/tree", "classic": "tree"}
PHONE = {"width": 390, "height": 844}
# The chapters' figures are drawn at matplotlib's 100 dpi, with text of at least 9 pt (12.5 px as
# drawn: test_figure_text_is_drawn_at_9_points_or_more). Shown at 65% of that size or more
# (course.css, _ext/figure_frames.py), the text is at least 8 px high.
FIGURE_DPI = 100
MIN_FIGURE_FONT_PT = 9
MIN_TEXT_PX = 8
# Matplotlib's named font sizes, in points (its default is 10 pt).
NAMED_FONT_SIZES = {"xx-small": 5.79, "x-small": 6.94, "small": 8.33, "medium": 10, "large": 12}
# course.css's scroll shadows are background gradients, behind which axe-core cannot work out a
# text's contrast (it only says "needs review"): the audits run on the plain colours beneath them.
PLAIN_BACKGROUNDS = (
    ".bd-article :is(pre, mjx-container, .pst-scrollable-table-container, "
    "div.cell_output > div.output.text_html) { background-image: none !important; }"
)
# What TensorFlow, absl and oneDNN print at start-up; none of it belongs on a page.
LOG_NOISE = re.compile(
    r"absl::InitializeLog|^[IWE]\d{4} \d\d:\d\d:\d\d|oneDNN custom operations|"
    r"cpu_feature_guard|This TensorFlow binary is optimized",
    re.MULTILINE,
)
# Paths of the machine that built the book: its home, the repository, temporary folders.
MACHINE_PATH = re.compile(
    "|".join(re.escape(str(path)) for path in (Path.home(), ROOT) if len(path.parts) > 1)
    + r"|/(?:root|home|Users|tmp|work)/[\w.-]+"
)


@dataclass(repr=False)
class PageVisit:
    path: str  # relative to _build/html, e.g. "book/intro.html"
    requests: list[str]
    failed_requests: list[str]
    console_errors: list[str]
    prose: str  # the page's text outside code and typeset math
    unlabelled_images: list[str]  # <img> whose alt is missing, empty or just its file name
    unlabelled_canvases: list[str]
    math_elements: int
    typeset_math_elements: int
    math_errors: list[str]
    saved_widget_views: int
    rendered_widget_views: int
    widget_errors: list[str]
    header_links: dict[str, str]  # label of a header button ("Binder") -> absolute URL
    text: str  # everything the page shows, code and outputs included
    long_lines: list[str]  # lines of code or output longer than 79 characters
    scrolling_blocks: list[str]  # code or output blocks that scroll sideways at 1280 px
    axe_violations: list[dict]
    phone_overflow_px: int  # how far the page scrolls sideways at a phone's 390 px
    phone_cut_blocks: list[str]  # wider than their box at 390 px with no scroll shadow
    phone_axe_violations: list[dict]  # axe-core at 390 px (scrolling boxes need a tab stop)
    phone_figure_scales: list[tuple[str, float]]  # each figure's shown size / drawn size at 390 px
    dark_axe_violations: list[dict]  # axe-core in the theme's dark mode
    dark_figures_on_dark: list[str]  # figures without a light background in dark mode

    def __repr__(self) -> str:  # pytest prints the `site` argument of a failing test
        return f"PageVisit({self.path!r})"


def html_pages(build_dir: Path) -> list[str]:
    """Every page of the site (the theme's `_static/*.html` are template fragments, not pages)."""
    return sorted(
        path.relative_to(build_dir).as_posix()
        for path in build_dir.rglob("*.html")
        if path.relative_to(build_dir).parts[0] not in {"_static", "_sources"}
    )


@pytest.fixture(scope="module")
def site(built_book, site_url, browser, screenshot_dir, axe_violations) -> dict[str, PageVisit]:
    return {
        path: _visit(browser, site_url, path, screenshot_dir, axe_violations)
        for path in html_pages(built_book)
    }


def _visit(browser, site_url: str, path: str, screenshot_dir: Path, axe_violations) -> PageVisit:
    page = browser.new_page()
    requests, failed, console_errors = [], [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("requestfailed", lambda request: failed.append(f"{request.url} ({request.failure})"))
    page.on(
        "response",
        lambda response: (
            response.status >= 400 and failed.append(f"{response.url} (HTTP {response.status})")
        ),
    )
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and console_errors.append(f"{message.text} at {message.location.get('url')}")
        ),
    )
    page.on("pageerror", lambda error: console_errors.append(f"uncaught {error}"))
    try:
        _load(page, f"{site_url}/{path}")  # networkidle again: fonts the math and widgets asked for
        seen = page.evaluate(_SEE_PAGE, WIDGET_VIEW)
        violations = _audit(page, axe_violations)
        name = path.removesuffix(".html").replace("/", "__")
        page.screenshot(path=screenshot_dir / f"{name}.png", full_page=True)
        page.set_viewport_size(PHONE)
        page.wait_for_timeout(300)  # the theme's layout reacts to the resize
        phone_overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        page.screenshot(path=screenshot_dir / f"{name}__phone.png")
        phone = page.evaluate(_SEE_PHONE)
        phone_violations = _audit(page, axe_violations)
    finally:
        page.close()
    page = browser.new_page()
    try:
        page.emulate_media(color_scheme="dark")  # the theme's "auto" mode follows it
        _load(page, f"{site_url}/{path}")
        dark_figures = page.evaluate(_SEE_DARK_FIGURES)
        dark_violations = _audit(page, axe_violations)
        page.screenshot(path=screenshot_dir / f"{name}__dark.png", full_page=True)
    finally:
        page.close()
    return PageVisit(
        path=path,
        requests=requests,
        failed_requests=failed,
        console_errors=console_errors,
        axe_violations=violations,
        phone_overflow_px=phone_overflow,
        phone_cut_blocks=phone["cut"],
        phone_axe_violations=phone_violations,
        phone_figure_scales=[tuple(figure) for figure in phone["figures"]],
        dark_axe_violations=dark_violations,
        dark_figures_on_dark=dark_figures,
        **seen,
    )


def _audit(page, axe_violations) -> list[dict]:
    """axe-core's violations on the page, with the scroll shadows set aside while it looks."""
    style = page.add_style_tag(content=PLAIN_BACKGROUNDS)
    try:
        return axe_violations(page)
    finally:
        style.evaluate("element => element.remove()")


def _load(page, url: str) -> None:
    page.goto(url, wait_until="networkidle")
    page.evaluate(
        "async () => { if (window.MathJax?.startup?.promise) await MathJax.startup.promise; }"
    )
    _wait_for_widgets(page)
    page.wait_for_load_state("networkidle")


def _wait_for_widgets(page) -> None:
    """Wait until the widget manager has drawn every saved widget view (it does so on "load")."""
    try:
        page.wait_for_function(
            """(selector) => [...document.querySelectorAll(selector)].every(
                   view => view.previousElementSibling?.matches(".widget-subarea")
                           && view.previousElementSibling.querySelector(".jupyter-widgets"))""",
            arg=WIDGET_VIEW,
            timeout=20_000,
        )
    except Exception:  # the widget test reports what is missing
        pass


_SEE_PAGE = """(widgetView) => {
    const outside = (node, selector) => !node.parentElement?.closest(selector);
    const texts = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        if (outside(walker.currentNode, "pre, code, script, style, noscript, textarea, mjx-container"))
            texts.push(walker.currentNode.textContent);
    }
    const fileName = (url) => url.split("/").pop();
    const unlabelledImages = [...document.querySelectorAll("img")]
        .filter(img => {
            const alt = (img.getAttribute("alt") || "").trim();
            const src = img.getAttribute("src") || "";
            return !alt || alt === src || alt === fileName(src) || /\\.(png|jpe?g|gif|svg|webp)$/i.test(alt);
        })
        .map(img => img.getAttribute("src"));
    const unlabelledCanvases = [...document.querySelectorAll("canvas")]
        .filter(canvas => !(canvas.getAttribute("aria-label") || "").trim()
                          && !canvas.getAttribute("aria-labelledby")
                          && !canvas.textContent.trim())
        .map(canvas => canvas.outerHTML.slice(0, 200));
    const math = [...document.querySelectorAll(".math")];
    const views = [...document.querySelectorAll(widgetView)];
    const headerLinks = {};
    for (const link of document.querySelectorAll(".article-header-buttons a[href]"))
        headerLinks[link.textContent.trim()] = link.href;
    return {
        prose: texts.join(" "),
        unlabelled_images: unlabelledImages,
        unlabelled_canvases: unlabelledCanvases,
        math_elements: math.length,
        typeset_math_elements: math.filter(element => element.querySelector("mjx-container")).length,
        math_errors: [...document.querySelectorAll("mjx-merror")].map(error => error.textContent),
        saved_widget_views: views.length,
        rendered_widget_views: views.filter(view => view.previousElementSibling?.matches(".widget-subarea")
            && view.previousElementSibling.querySelector(".jupyter-widgets")).length,
        widget_errors: [...document.querySelectorAll(".jupyter-widgets-error-widget")]
            .map(error => error.textContent.trim().slice(0, 300)),
        header_links: headerLinks,
        text: document.body.innerText,
        long_lines: [...document.querySelectorAll("pre")]
            .flatMap(block => block.textContent.split("\\n"))
            .filter(line => line.length > 79),
        scrolling_blocks: [...document.querySelectorAll("pre, div.highlight, div.output")]
            .filter(block => block.scrollWidth > block.clientWidth + 1)
            .map(block => block.textContent.trim().split("\\n")[0].slice(0, 100)),
    };
}"""


# At 390 px, with every exercise solution opened: the blocks that are wider than their box (code,
# outputs, display equations, tables, figure frames) and do not both scroll and show the scroll
# shadow of course.css (gradients, some moving with the content); and each figure's shown width
# against its drawn width (its width attribute: _ext/figure_frames.py, the explorer's scatter).
_SEE_PHONE = """() => {
    for (const details of document.querySelectorAll("details")) details.open = true;
    const name = (element) => `${element.tagName.toLowerCase()}.${[...element.classList].join(".")}`
        + ` "${element.textContent.trim().slice(0, 60)}"`;
    const cut = [];
    const blocks = 'pre, mjx-container[display="true"], .pst-scrollable-table-container, '
        + ".figure-frame, .cell_output .output:not(.widget-subarea *, .widget-subarea)";
    for (const block of document.querySelectorAll(`.bd-article :is(${blocks})`)) {
        if (!block.clientWidth || block.scrollWidth <= block.clientWidth + 1) continue;
        const style = getComputedStyle(block);
        const scrolls = ["auto", "scroll"].includes(style.overflowX);
        const shadow = style.backgroundImage.includes("radial-gradient")
            && style.backgroundAttachment.includes("local");
        if (!scrolls || !shadow)
            cut.push(`${name(block)}: ${block.scrollWidth} px in ${block.clientWidth} px, `
                     + `overflow-x ${style.overflowX}, ${shadow ? "" : "no "}scroll shadow`);
    }
    const figures = [];
    for (const img of document.querySelectorAll(".bd-article :is(.cell_output, figure) img")) {
        if (!img.clientWidth || !img.naturalWidth) continue;
        const drawn = Number(img.getAttribute("width")) || img.naturalWidth;
        figures.push([(img.getAttribute("alt") || img.src).slice(0, 80), img.clientWidth / drawn]);
    }
    return {cut, figures};
}"""

# In dark mode: the figures whose nearest painted background (their own, or a frame's) is dark.
_SEE_DARK_FIGURES = """() => {
    const luminance = (color) => {
        const [r, g, b, a = 1] = color.match(/[\\d.]+/g).map(Number);
        return a === 0 ? null : (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
    };
    const dark = [];
    for (const img of document.querySelectorAll(".bd-article :is(.cell_output, figure) img")) {
        let light = null;
        for (let element = img; element && light === null; element = element.parentElement) {
            const shade = luminance(getComputedStyle(element).backgroundColor);
            if (shade !== null) light = shade > 0.6;
        }
        if (!light) dark.push((img.getAttribute("alt") || img.src).slice(0, 80));
    }
    return dark;
}"""


def _failures(site: dict[str, PageVisit], items) -> str:
    """One line per failing item, `page: item`, for an assertion message."""
    lines = [f"{path}: {item}" for path, visit in site.items() for item in items(visit)]
    return "\n".join(lines)


def _book_config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def _toc_files() -> list[str]:
    """The documents of _toc.yml, without suffix (e.g. "book/02_autoencoders")."""

    def walk(node):
        if isinstance(node, dict):
            for key in ("root", "file"):
                if key in node:
                    yield node[key]
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    return list(dict.fromkeys(walk(yaml.safe_load((ROOT / "_toc.yml").read_text()))))


def _chapter_notebooks() -> list[str]:
    return [file for file in _toc_files() if (ROOT / f"{file}.ipynb").exists()]


def test_every_document_of_the_toc_is_a_page_of_the_site(site):
    missing = [file for file in _toc_files() if f"{file}.html" not in site]
    assert not missing, f"documents of _toc.yml without a page in _build/html: {missing}"


def test_pages_load_nothing_from_another_host(site):
    def external(visit):
        for url in visit.requests:
            parts = urlsplit(url)
            if parts.scheme in {"http", "https", "ws", "wss"} and parts.hostname != "127.0.0.1":
                yield url

    message = _failures(site, external)
    assert not message, "requests that left the site:\n" + message


def test_every_request_succeeds(site):
    message = _failures(site, lambda visit: visit.failed_requests)
    assert not message, "failed requests (favicon included):\n" + message


def test_no_console_errors(site):
    message = _failures(site, lambda visit: visit.console_errors)
    assert not message, "console errors and uncaught exceptions:\n" + message


def test_math_is_typeset(site):
    assert any(visit.math_elements for visit in site.values()), "no page has math: the intro should"
    untypeset = _failures(
        site,
        lambda visit: (
            [
                f"{visit.math_elements - visit.typeset_math_elements} of {visit.math_elements} math elements "
                "not typeset by MathJax"
            ]
            if visit.typeset_math_elements < visit.math_elements
            else []
        ),
    )
    assert not untypeset, untypeset
    errors = _failures(site, lambda visit: visit.math_errors)
    assert not errors, "TeX errors MathJax shows in place of the formula:\n" + errors


def test_no_raw_tex_left_in_the_text(site):
    def raw_tex(visit):
        for match in RAW_TEX.finditer(visit.prose):
            yield repr(" ".join(visit.prose[max(match.start() - 60, 0) : match.end() + 60].split()))

    message = _failures(site, raw_tex)
    assert not message, "TeX left as text (not typeset):\n" + message


def test_every_figure_has_alt_text(site):
    images = _failures(site, lambda visit: visit.unlabelled_images)
    assert not images, (
        "images without alt text (notebook figures: set the cell's metadata "
        '{"mystnb": {"image": {"alt": "..."}}}):\n' + images
    )
    canvases = _failures(site, lambda visit: visit.unlabelled_canvases)
    assert not canvases, (
        "canvases without an accessible name (aria-label or fallback text):\n" + canvases
    )


def _serious(violations):
    for violation in violations:
        if violation["impact"] in {"serious", "critical"}:
            for node in violation["nodes"]:
                yield (
                    f"[{violation['impact']}] {violation['id']}: {violation['help']} "
                    f"at {node['target']}\n    {node['summary']}"
                )


def test_no_serious_or_critical_accessibility_violations_in_dark_mode(site):
    """The theme's dark mode (its "auto" default follows the reader's system): contrast of the
    text on its dark pages and on the light panels it gives outputs (the explorers' labels)."""
    message = _failures(site, lambda visit: _serious(visit.dark_axe_violations))
    assert not message, "axe-core violations in dark mode:\n" + message


def test_no_serious_or_critical_accessibility_violations_on_a_phone(site):
    """At 390 px, with the exercise solutions open: what scrolls sideways can be reached with the
    keyboard, and nothing else goes wrong at that width."""
    message = _failures(site, lambda visit: _serious(visit.phone_axe_violations))
    assert not message, "axe-core violations at 390 px:\n" + message


def test_figures_keep_a_light_background_in_dark_mode(site):
    message = _failures(site, lambda visit: visit.dark_figures_on_dark)
    assert not message, "figures drawn on a dark background in dark mode:\n" + message


def test_nothing_is_cut_on_a_phone_without_a_scroll_shadow(site):
    """At 390 px, code, outputs, equations, tables and figures that are wider than the column
    scroll sideways in their own box, and a shadow shows on the side where more of them is."""
    message = _failures(site, lambda visit: visit.phone_cut_blocks)
    assert not message, "cut at 390 px without a scroll affordance:\n" + message


def test_figure_text_is_readable_on_a_phone(site):
    px_per_pt = FIGURE_DPI / 72
    assert any(visit.phone_figure_scales for visit in site.values()), "no figures measured"

    def small(visit):
        for alt, scale in visit.phone_figure_scales:
            height = MIN_FIGURE_FONT_PT * px_per_pt * scale
            if height < MIN_TEXT_PX:
                yield f"shown at {scale:.0%} of its size, text {height:.1f} px high: {alt}"

    message = _failures(site, small)
    assert not message, f"figure text under {MIN_TEXT_PX} px at 390 px:\n" + message


def _figure_code():
    """``(where, source)`` of every chapter code cell and every module of course_utils."""
    import nbformat

    for notebook in sorted((ROOT / "book").glob("*.ipynb")):
        for index, cell in enumerate(nbformat.read(notebook, as_version=4).cells):
            if cell.cell_type == "code":
                yield f"{notebook.name} cell {index}", cell.source
    for module in sorted((ROOT / "course_utils").rglob("*.py")):
        yield module.relative_to(ROOT).as_posix(), module.read_text()


def test_figure_text_is_drawn_at_9_points_or_more():
    """What the phone test assumes: no figure's code asks for text under MIN_FIGURE_FONT_PT or
    changes matplotlib's defaults (10 pt text, 100 dpi figures)."""
    import matplotlib

    assert matplotlib.rcParams["font.size"] == 10 and matplotlib.rcParams["figure.dpi"] == FIGURE_DPI
    small = []
    for where, source in _figure_code():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.keyword) and node.arg in {"fontsize", "labelsize", "size"}:
                try:
                    value = ast.literal_eval(node.value)
                except ValueError:
                    continue  # a variable: its literal is checked where it is set
                points = NAMED_FONT_SIZES.get(value, value) if isinstance(value, str) else value
                if node.arg != "size" or isinstance(value, str):
                    if isinstance(points, (int, float)) and points < MIN_FIGURE_FONT_PT:
                        small.append(f"{where}: {node.arg}={value!r}")
            if isinstance(node, ast.Attribute) and node.attr in {"rcParams", "rc"}:
                if isinstance(node.value, ast.Name) and node.value.id in {"plt", "matplotlib", "mpl"}:
                    small.append(f"{where}: changes matplotlib's defaults ({node.attr})")
    assert not small, f"figure text under {MIN_FIGURE_FONT_PT} pt:\n" + "\n".join(small)


def test_no_serious_or_critical_accessibility_violations(site):
    message = _failures(site, lambda visit: _serious(visit.axe_violations))
    assert not message, "axe-core violations:\n" + message


def test_saved_widgets_render(site):
    pages_with_widgets = [visit for visit in site.values() if visit.saved_widget_views]
    if not pages_with_widgets:
        pytest.skip("no page has saved ipywidgets state")
    unrendered = [
        f"{visit.path}: {visit.rendered_widget_views} of {visit.saved_widget_views} widget views rendered"
        for visit in pages_with_widgets
        if visit.rendered_widget_views < visit.saved_widget_views
    ]
    assert not unrendered, "\n".join(unrendered)
    errors = _failures(site, lambda visit: visit.widget_errors)
    assert not errors, (
        "widgets the manager could not create (the console errors say why):\n" + errors
    )


@pytest.mark.parametrize("notebook", _chapter_notebooks())
def test_launch_and_download_buttons_open_the_chapters_notebook(site, site_url, notebook):
    config = _book_config()
    repository, launch = config["repository"], config["launch_buttons"]
    org, repo = urlsplit(repository["url"]).path.strip("/").removesuffix(".git").split("/")
    branch = repository.get("branch", "main")
    path_in_repo = posixpath.normpath(
        posixpath.join(repository.get("path_to_book") or ".", f"{notebook}.ipynb")
    )
    lab = LAB_PATHS[launch.get("notebook_interface", "classic")]
    links = site[f"{notebook}.html"].header_links

    assert links.get("Binder") == (
        f"{launch['binderhub_url'].rstrip('/')}/v2/gh/{org}/{repo}/{branch}?urlpath={lab}/{path_in_repo}"
    )
    assert links.get("Colab") == (
        f"{launch['colab_url'].rstrip('/')}/github/{org}/{repo}/blob/{branch}/{path_in_repo}"
    )
    download = links.get(".ipynb")
    assert download == f"{site_url}/_sources/{notebook}.ipynb"
    with urllib.request.urlopen(download) as response:
        assert json.loads(response.read()) == json.loads((ROOT / f"{notebook}.ipynb").read_text())


def test_no_log_noise_on_any_page(site):
    message = _failures(
        site,
        lambda visit: [repr(line) for line in visit.text.splitlines() if LOG_NOISE.search(line)],
    )
    assert not message, "TensorFlow/absl/oneDNN log lines on the page:\n" + message


def test_no_page_shows_a_path_of_the_build_machine(site):
    message = _failures(
        site,
        lambda visit: [
            repr(line.strip()) for line in visit.text.splitlines() if MACHINE_PATH.search(line)
        ],
    )
    assert not message, "paths of the machine that built the book:\n" + message


def test_code_and_outputs_fit_79_characters_and_never_scroll_sideways(site):
    long = _failures(site, lambda visit: [repr(line) for line in visit.long_lines])
    assert not long, "code or output lines over 79 characters:\n" + long
    scrolling = _failures(site, lambda visit: [repr(block) for block in visit.scrolling_blocks])
    assert not scrolling, "blocks that scroll sideways at 1280 px:\n" + scrolling


def test_no_page_scrolls_sideways_on_a_phone(site):
    message = _failures(
        site,
        lambda visit: (
            [f"{visit.phone_overflow_px} px too wide at 390 px"]
            if visit.phone_overflow_px > 0
            else []
        ),
    )
    assert not message, message
