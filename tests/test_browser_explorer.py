"""The latent explorers in headless Chromium.

- The static explorer on its own page: sliders set to several z draw, on the canvas, what the
  Python decoder computes for those z (within 0.01), with float16 and float32 weights, two on one
  page, with no request leaving the page and no serious accessibility violation.
- Without DecompressionStream (an old browser) it says why it cannot run, with no script error.
- The same on the built chapter 4 page, with the chapters' trained decoder.
- The kernel explorer in a live JupyterLab running chapter 4: moving a slider changes the image.

Screenshots go to _build/screenshots.
"""

import contextlib
import json
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from course_utils import build_autoencoder, load_mnist, static_latent_explorer, trained_autoencoder
from course_utils.explorer import static as web_explorer
from course_utils.explorer.shared import check_explorer_inputs, latent_scatter_figure

# Headless Chromium and JupyterLab, on the explorers of the built book and its models.
pytestmark = [pytest.mark.browser, pytest.mark.book_models]

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "book" / "04_latent_space.ipynb"
PIXEL_TOLERANCE = 0.01

SET_Z = """([root, z]) => {
  const sliders = document.querySelectorAll(`#${root} input.latent-explorer-slider`);
  sliders.forEach((slider, k) => {
    slider.value = String(z[k]);
    slider.dispatchEvent(new Event("input", {bubbles: true}));
  });
  return Array.from(sliders, (slider) => slider.valueAsNumber);  // as snapped to the step by the browser
}"""
READ_DIGIT = """(root) => {
  const canvas = document.querySelector(`#${root} canvas.latent-explorer-digit`);
  const rgba = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  return Array.from({length: rgba.length / 4}, (_, k) => rgba[4 * k]);
}"""
MARKER = """(root) => document.querySelector(`#${root} .latent-explorer-marker`).getAttribute("transform")"""


@pytest.fixture(scope="module")
def chapter_model():
    """The chapter's trained autoencoder and its test codes, as chapter 4 computes them."""
    model = trained_autoencoder(verbose=0)
    (_, _), (x_test, y_test) = load_mnist(digits=(1, 5, 6))
    return model, np.asarray(model.encoder(x_test, training=False)), y_test


def watch(page):
    """Lists that fill with the page's requests and its console errors."""
    requests, errors = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    return requests, errors


def open_page(page, tmp_path, title, body):
    """Open a page of its own (a file) holding ``body``; the lists of ``watch``."""
    document = tmp_path / "page.html"
    document.write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{title}</title></head><body><main><h1>{title}</h1>{body}</main></body></html>"
    )
    requests, errors = watch(page)
    page.goto(document.as_uri())
    return requests, errors


def max_pixel_error(page, root, decoder, latent_points) -> float:
    """Move the explorer ``root`` to each z; the largest |canvas pixel − Python decoder pixel|."""
    worst = 0.0
    for z in latent_points:
        snapped = page.evaluate(SET_Z, [root, [float(v) for v in z]])
        np.testing.assert_allclose(snapped, z, atol=0.6 * _step(page, root))
        grey = np.array(page.evaluate(READ_DIGIT, root), dtype=np.float64)
        shown = 1 - grey / 255
        expected = np.clip(np.asarray(decoder(np.float32([snapped]), training=False))[0], 0, 1)
        worst = max(worst, float(np.max(np.abs(shown - expected))))
    return worst


def _step(page, root) -> float:
    return page.evaluate(
        f"() => Math.max(...Array.from(document.querySelectorAll('#{root} input'), s => +s.step))"
    )


def embedded_weights(page, root) -> list[np.ndarray]:
    model = json.loads(
        page.eval_on_selector(f"#{root} script.latent-explorer-model", "e => e.textContent")
    )
    return [array.ravel() for layer in web_explorer.unpack_weights(model) for array in layer[:2]]


def assert_marker_at_z(page, root, decoder, codes, labels):
    """The marker sits where matplotlib puts the slider's z on the scatter image."""
    z = page.evaluate(SET_Z, [root, np.median(codes, axis=0).tolist()])
    figure, axes = latent_scatter_figure(
        check_explorer_inputs(decoder, codes, labels), dpi=web_explorer.SCATTER_DPI
    )
    x, y = axes.transData.transform(z)
    expected = np.array([x, figure.bbox.height - y])
    shown = np.array(
        page.evaluate(MARKER, root).removeprefix("translate(").removesuffix(")").split(),
        dtype=float,
    )
    np.testing.assert_allclose(shown, expected, atol=1.0)


def serious_violations(violations) -> list[str]:
    return [
        f"{v['id']}: {v['help']} ({', '.join(node['target'] for node in v['nodes'])})"
        for v in violations
        if v["impact"] in {"serious", "critical"}
    ]


def test_static_explorer_draws_what_the_decoder_computes(
    page, tmp_path, chapter_model, screenshot_dir, monkeypatch, axe_violations
):
    model, codes, labels = chapter_model
    trained = static_latent_explorer(model.decoder, latents=codes, labels=labels)
    _, small_decoder, _ = build_autoencoder(latent_dim=2, hidden=(24,), output_activation="sigmoid")
    monkeypatch.setattr(web_explorer, "FLOAT16_TOLERANCE", 0.0)  # the float32 path too
    small = static_latent_explorer(small_decoder, ranges=[(-3, 3), (-2, 5)])
    assert (trained.weights_dtype, small.weights_dtype) == ("float16", "float32")
    requests, errors = open_page(page, tmp_path, "Latent explorer", trained.html + small.html)
    page.wait_for_selector(f"#{small.element_id}[data-ready]")

    low, high = codes.min(axis=0), codes.max(axis=0)
    points = [
        low + fraction * (high - low)
        for fraction in ([0.1, 0.2], [0.5, 0.5], [0.9, 0.05], [0.3, 0.95])
    ]
    marker_before = page.evaluate(MARKER, trained.element_id)
    small_before = page.evaluate(READ_DIGIT, small.element_id)
    trained_error = max_pixel_error(page, trained.element_id, model.decoder, points)
    assert page.evaluate(MARKER, trained.element_id) != marker_before
    assert_marker_at_z(page, trained.element_id, model.decoder, codes, labels)
    assert (
        page.evaluate(READ_DIGIT, small.element_id) == small_before
    )  # the other explorer is untouched
    small_error = max_pixel_error(
        page, small.element_id, small_decoder, [(-2.5, 4.0), (1.0, -1.0), (3, 5)]
    )
    print(
        f"max abs pixel difference, browser vs Python: trained (float16) {trained_error:.4f}, "
        f"small (float32) {small_error:.4f}; page {len(trained.html)} bytes"
    )
    assert trained_error <= PIXEL_TOLERANCE and small_error <= PIXEL_TOLERANCE
    assert page.inner_text(f"#{trained.element_id} .latent-explorer-z").startswith("z = (")
    assert not page.is_visible(f"#{trained.element_id} .latent-explorer-status")

    page.screenshot(path=screenshot_dir / "latent_explorer_standalone.png", full_page=True)
    assert errors == []
    assert all(url.startswith(("file:", "data:")) for url in requests), requests
    assert serious_violations(axe_violations(page)) == []


def test_static_explorer_says_why_in_a_browser_that_cannot_inflate(page, tmp_path):
    """Without DecompressionStream (browsers before 2023) the explorer explains itself instead of
    failing silently, and raises no script error."""
    _, decoder, _ = build_autoencoder(latent_dim=2, hidden=(8,), output_activation="sigmoid")
    explorer = static_latent_explorer(decoder, ranges=[(-1, 1), (-1, 1)])
    document = tmp_path / "old_browser.html"
    document.write_text(f"<!doctype html><html lang='en'><body>{explorer.html}</body></html>")
    page.add_init_script("delete window.DecompressionStream")
    _, errors = watch(page)
    page.goto(document.as_uri())
    status = page.locator(f"#{explorer.element_id} .latent-explorer-status")
    status.wait_for()
    assert "DecompressionStream" in status.inner_text() and status.is_visible()
    assert page.get_attribute(f"#{explorer.element_id}", "data-ready") is None
    assert errors == []


def check_page_explorer(page, site_url, chapter, decoder, points, screenshot, axe_violations):
    """Open ``chapter``'s page and check its one static explorer: it carries ``decoder``'s weights,
    draws what Keras computes at ``points`` within PIXEL_TOLERANCE, moves its marker, is accessible
    (with the kernel explorer's saved snapshot beside it) and loads nothing from elsewhere. The
    explorer's root id, after ``screenshot(root)`` has set the sliders and taken the picture."""
    requests, errors = watch(page)
    page.goto(f"{site_url}/book/{chapter}.html")
    page.wait_for_selector(".latent-explorer[data-ready]")
    (root,) = page.eval_on_selector_all(".latent-explorer", "roots => roots.map((root) => root.id)")

    trained = [array.ravel() for layer in web_explorer.dense_layers(decoder) for array in layer[:2]]
    embedded = embedded_weights(page, root)
    assert [array.shape for array in embedded] == [array.shape for array in trained]
    for shown, weights in zip(embedded, trained, strict=False):
        np.testing.assert_allclose(shown, weights, rtol=1e-3, atol=1e-7)

    page.locator(f"#{root}").scroll_into_view_if_needed()
    marker_before = page.evaluate(MARKER, root)
    error = max_pixel_error(page, root, decoder, points)
    print(f"{chapter}: max abs pixel difference, browser vs Python decoder {error:.4f}")
    assert error <= PIXEL_TOLERANCE
    assert page.evaluate(MARKER, root) != marker_before
    screenshot(root)

    assert (
        serious_violations(
            axe_violations(page, [[".latent-explorer"], [".latent-explorer-widget"]])
        )
        == []
    )
    assert errors == []
    assert all(url.startswith((site_url, "data:", "blob:")) for url in requests), requests


def test_chapter_4_page_explorer_runs_the_trained_decoder(
    page, site_url, chapter_model, screenshot_dir, axe_violations
):
    """Chapter 4's static explorer carries the chapters' decoder (trained_autoencoder())."""
    model, codes, _ = chapter_model
    low, high = codes.min(axis=0), codes.max(axis=0)
    points = [
        low + fraction * (high - low)
        for fraction in ([0.15, 0.1], [0.4, 0.6], [0.7, 0.2], [0.95, 0.9])
    ]

    def screenshot(root):
        page.evaluate(SET_Z, [root, [float(v) for v in np.median(codes, axis=0)]])
        page.locator(f"#{root}").screenshot(path=screenshot_dir / "latent_explorer_chapter_4.png")

    check_page_explorer(
        page, site_url, "04_latent_space", model.decoder, points, screenshot, axe_violations
    )


# JupyterLab settings for a test run: render every cell (no windowing, so all prompts are in the
# page), start the notebook's kernel without asking, and do not ask about news.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "windowingMode": "none",
        "autoStartDefaultKernel": True,
    },
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
}
PROMPTS = """() => Array.from(document.querySelectorAll(".jp-CodeCell .jp-InputPrompt"), (p) => p.textContent.trim())"""


@contextlib.contextmanager
def jupyter_lab_serving(home: Path, notebook: Path):
    """JupyterLab on 127.0.0.1 serving a copy of ``notebook`` (so that autosave never writes
    outputs into book/), with LAB_SETTINGS; yields the notebook's URL."""
    root = home / "root"
    root.mkdir()
    shutil.copy(notebook, root / notebook.name)
    for name, values in LAB_SETTINGS.items():
        settings = home / "settings" / name
        settings.parent.mkdir(parents=True, exist_ok=True)
        settings.write_text(json.dumps(values))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token = secrets.token_hex(16)
    log = (home / "server.log").open("w")
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("jupyter")),
            "lab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            "--allow-root",
            "--LabApp.extension_manager=readonly",
            "--LabApp.news_url=None",
            f"--LabApp.user_settings_dir={home / 'settings'}",
            f"--LabApp.workspaces_dir={home / 'workspaces'}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=root,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        f"JupyterLab did not start:\n{(home / 'server.log').read_text()[-3000:]}"
                    )
                time.sleep(0.5)
        yield f"{url}/lab/tree/{notebook.name}?token={token}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def jupyter_lab(tmp_path_factory):
    """JupyterLab with a copy of chapter 4."""
    with jupyter_lab_serving(tmp_path_factory.mktemp("jupyter-lab"), CHAPTER) as url:
        yield url


def run_all_cells(page, screenshot_dir, timeout_seconds=300):
    """Run > Run All Cells, and wait until every code cell has run (again).

    Right after the notebook opens, JupyterLab may still ask for the kernel, or drop the request
    while the kernel connects: then accept its kernel choice and run all again.
    """
    deadline = time.monotonic() + timeout_seconds
    kernel_dialog = page.locator(".jp-Dialog:has-text('Select Kernel')")
    while True:
        if kernel_dialog.count():
            kernel_dialog.locator(".jp-mod-accept").click()
            kernel_dialog.wait_for(state="detached")
        before = page.evaluate(PROMPTS)
        page.click(".lm-MenuBar-itemLabel:text-is('Run')")
        page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
        asked_at = time.monotonic()
        while True:
            prompts = page.evaluate(PROMPTS)
            if prompts != before and all(re.fullmatch(r"\[\d+\]:", text) for text in prompts):
                return
            if kernel_dialog.count():
                break
            if time.monotonic() - asked_at > 15 and "[*]:" not in prompts:
                break  # nothing is queued or running, yet not every cell ran
            if time.monotonic() > deadline:
                page.screenshot(path=screenshot_dir / "latent_explorer_jupyterlab_stuck.png")
                pytest.fail(f"the notebook did not finish running in JupyterLab; prompts {prompts}")
            page.wait_for_timeout(500)


def run_chapter_until_the_explorer_shows(page, screenshot_dir, attempts=3):
    """Run all cells until the kernel explorer shows.

    On a loaded 2-core machine JupyterLab sometimes opens a second connection to a slow-starting
    kernel and cancels the first one's requests; every widget of that page then shows "Error
    displaying widget: model not found", however often the cells run. Reloading the page (the
    kernel keeps running) cures it, as it does for a reader.
    """
    digit = page.locator(".latent-explorer-widget img.widget-image").first
    for attempt in range(attempts):
        if attempt:
            page.reload()
            wait_for_idle_kernel(page)
        run_all_cells(page, screenshot_dir)
        try:
            digit.wait_for(timeout=20_000)
            return
        except PlaywrightTimeoutError:
            pass
    page.screenshot(path=screenshot_dir / "latent_explorer_jupyterlab_missing.png")
    outputs = page.evaluate(
        "() => Array.from(document.querySelectorAll('.jp-OutputArea-output'), (o) => o.innerText)"
    )
    pytest.fail(
        f"the kernel explorer did not show after {attempts} runs of chapter 4; outputs: {outputs}"
    )


def wait_for_idle_kernel(page):
    page.wait_for_selector(".jp-Notebook .jp-Cell")
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']")


def test_kernel_explorer_in_jupyterlab_updates_the_image(page, jupyter_lab, screenshot_dir):
    page.set_default_timeout(60_000)
    page.goto(jupyter_lab)
    wait_for_idle_kernel(page)
    run_chapter_until_the_explorer_shows(page, screenshot_dir)

    explorer = page.locator(".latent-explorer-widget")
    explorer.scroll_into_view_if_needed()
    digit = explorer.locator("img.widget-image").first
    before = digit.get_attribute("src")
    handle = explorer.locator(".noUi-handle").first
    value_before = handle.get_attribute("aria-valuenow")
    handle.focus()
    for _ in range(10):
        handle.press("ArrowRight")
    page.wait_for_function(
        "([image, old]) => image.getAttribute('src') !== old", arg=[digit.element_handle(), before]
    )
    assert handle.get_attribute("aria-valuenow") != value_before
    page.wait_for_timeout(500)  # let the new image paint before the screenshot
    explorer.screenshot(path=screenshot_dir / "latent_explorer_jupyterlab.png")

    # The static explorer's script ran in JupyterLab too (outputs produced in the session are trusted).
    assert page.locator(".latent-explorer[data-ready]").count() == 1


def test_chapter_5_page_explorer_runs_the_trained_vae_decoder(
    page, site_url, screenshot_dir, axe_violations
):
    """Chapter 5's static explorer carries the VAE's decoder (trained_vae()) and draws what Keras
    computes, within 0.01 per pixel, over the prior's range."""
    from course_utils import trained_vae

    model = trained_vae(verbose=0)
    points = [(-3.0, -2.5), (-0.5, 0.4), (0.0, 0.0), (1.2, -0.8), (2.9, 3.5)]

    def screenshot(root):
        page.evaluate(SET_Z, [root, [0.0, 0.0]])
        page.locator(f"#{root}").screenshot(path=screenshot_dir / "latent_explorer_chapter_5.png")

    check_page_explorer(
        page,
        site_url,
        "05_variational_autoencoder",
        model.decoder,
        points,
        screenshot,
        axe_violations,
    )
