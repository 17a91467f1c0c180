"""Shared fixtures: the repository and its table of contents, the strictly built book, a loopback
server for it, headless Chromium and axe-core; a private model cache for every test."""

import functools
import http.server
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parents[1]
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
BUILD_DIR = ROOT / "_build"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(items):
    """nbval's items (the chapters themselves) are notebook tests; the slow tests of Python files
    carry their marker where they are defined (markers in pyproject.toml)."""
    for item in items:
        if Path(str(item.path)).suffix == ".ipynb":
            item.add_marker("notebooks")


@pytest.fixture(autouse=True)
def private_model_cache(request, tmp_path_factory, monkeypatch):
    """Every test gets an empty model cache of its own, never the user's: the tests marked
    ``book_models`` read the models the book was built with, in the user's cache."""
    if request.node.get_closest_marker("book_models") or request.node.path.suffix == ".ipynb":
        return None
    from course_utils import model_store

    folder = tmp_path_factory.mktemp("model-cache") / "models"
    monkeypatch.setattr(model_store, "model_cache_dir", lambda: folder)
    return folder


@pytest.fixture(scope="session")
def small_training_split():
    """2,000 training and 500 validation images (with labels) of MNIST's 1, 5 and 6."""
    from course_utils.data import training_split

    (x_train, y_train), (x_val, y_val) = training_split((1, 5, 6))
    return (x_train[:2000], y_train[:2000]), (x_val[:500], y_val[:500])


@pytest.fixture
def quick_training_split(monkeypatch, small_training_split):
    """What the cached models train on, cut to :func:`small_training_split`, so that each
    training in a test takes a second or two (the cache keys the real split: nothing mixes)."""
    from course_utils import data

    monkeypatch.setattr(data, "training_split", lambda digits: small_training_split)
    return small_training_split


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's root folder."""
    return ROOT


@pytest.fixture(scope="session")
def toc() -> dict:
    """The book's table of contents, ``_toc.yml``."""
    return TOC


@pytest.fixture(scope="session")
def built_book() -> Path:
    """The HTML book, built as `make book` builds it: warnings and notebook errors fail."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run(
        [str(jupyter_book), "build", "-W", "-n", "--keep-going", str(ROOT)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, (
        f"strict book build failed:\n{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
    )
    return BUILD_DIR / "html"


@pytest.fixture(scope="session")
def site_url(built_book):
    """The built book served over HTTP on 127.0.0.1 (an ephemeral port)."""
    handler = functools.partial(_QuietHandler, directory=str(built_book))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """Debian's Chromium, headless, with a fresh profile (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium chromium-driver)"
        )
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        yield context
        context.close()


@pytest.fixture
def page(browser):
    page = browser.new_page()
    yield page
    page.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """Where browser tests leave screenshots for review (inside the build folder, not committed)."""
    directory = BUILD_DIR / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


_RUN_AXE = """async (include) => {
    const context = include
        ? {include: include.filter((selector) => document.querySelector(selector[0]))} : document;
    const results = await axe.run(context, {resultTypes: ["violations"]});
    return results.violations.map((violation) => ({
        id: violation.id, impact: violation.impact, help: violation.help,
        nodes: violation.nodes.map((node) => ({target: node.target.join(" "), summary: node.failureSummary})),
    }));
}"""


@pytest.fixture(scope="session")
def axe_violations():
    """``axe_violations(page, include=None)``: axe-core's violations on the page, or only inside the
    elements the ``include`` selectors match, as dicts (id, impact, help, nodes)."""
    assert AXE.exists(), f"{AXE} is missing: run `npm ci` (or `make test`)"

    def run(page, include=None) -> list[dict]:
        page.add_script_tag(path=str(AXE))
        return page.evaluate(_RUN_AXE, include)

    return run


@pytest.fixture(scope="session")
def chapter_code():
    """``chapter_code(chapter, names, **given)``: run the code a chapter shows on the page that
    defines ``names`` (by assignment, ``def`` or ``class``; its import cells first), with the
    variables ``given``; return the namespace.

    This is how tests prove that a package function is the same code as the chapter's lesson.
    """
    import ast

    import nbformat

    def assigned(tree) -> set[str]:
        names = set()
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):  # a def assigns its name
                names.add(node.name)
            targets = node.targets if isinstance(node, ast.Assign) else []
            for target in targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Name):
                        names.add(leaf.id)
        return names

    def run(chapter: str, names, **given) -> dict:
        notebook = nbformat.read(ROOT / "book" / f"{chapter}.ipynb", as_version=4)
        namespace = dict(given)
        wanted = set(names)
        for cell in notebook.cells:
            if cell.cell_type != "code" or "remove-cell" in cell.metadata.get("tags", []):
                continue
            tree = ast.parse(cell.source)
            imports_only = all(isinstance(node, (ast.Import, ast.ImportFrom)) for node in tree.body)
            if imports_only or assigned(tree) & wanted:
                exec(compile(tree, f"{chapter}.ipynb", "exec"), namespace)
        missing = wanted - namespace.keys()
        assert not missing, f"{chapter} defines none of {missing} on the page"
        return namespace

    return run
