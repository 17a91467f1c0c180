"""The draw-a-digit explorer in headless Chromium, drawn on with the mouse.

- Chapter 6's own explorer (built by the chapter's code, with its model and threshold) on a page
  of its own: after each stroke, the page's 28×28 image is what ``preprocess_drawing`` makes of
  the pad's ink, and its code, reconstruction, error and verdict are Keras' on that image (codes
  and pixels within 0.01); every test-digit button gives its image and its error; Clear empties
  it; the keyboard and a finger work; no request leaves the page and axe finds nothing
  serious, at 1280 and 390 pixels.
- Without DecompressionStream (an old browser) it says why it cannot run, with no script error.
- On the built chapter 6 page: the chapter's weights and threshold, Keras' numbers for a drawn 7,
  screenshots in the theme's light and dark modes and on a phone.
- In a live JupyterLab running chapter 6: the cell's output draws and answers the same way.

Screenshots go to _build/screenshots.
"""

import json
import re
from pathlib import Path

import numpy as np
import pytest
from test_browser_explorer import (  # the latent explorers' browser helpers
    jupyter_lab_serving,
    open_page,
    run_all_cells,
    serious_violations,
    wait_for_idle_kernel,
    watch,
)

from course_utils import trained_autoencoder
from course_utils.explorer import draw
from course_utils.explorer.static import dense_layers, unpack_weights

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "book" / "06_autoencoders_at_work.ipynb"
TOLERANCE = 0.01  # max |z| and pixel difference, page against Keras
PHONE = {"width": 390, "height": 844}
# Strokes as lists of points, in fractions of the pad's side.
DRAWINGS = {
    "1": [[(0.55, 0.12), (0.5, 0.5), (0.44, 0.88)]],
    "7": [[(0.28, 0.2), (0.72, 0.2), (0.42, 0.86)]],
    "0": [
        [
            (0.5 + 0.22 * np.sin(angle), 0.5 - 0.33 * np.cos(angle))
            for angle in np.linspace(0, 2 * np.pi, 24)
        ]
    ],
    "sloppy 1": [
        [(0.5, 0.15), (0.47, 0.85)],
        [(0.38, 0.3), (0.5, 0.15)],
        [(0.3, 0.86), (0.7, 0.86)],
    ],
    "small 5 in a corner": [
        [(0.3, 0.05), (0.1, 0.05), (0.08, 0.18), (0.25, 0.2), (0.28, 0.3), (0.08, 0.35)]
    ],
}
STATE = """(root) => {
  const element = document.getElementById(root), state = element.drawExplorer;
  const pixels = (selector) => {  // the pad's alpha (its ink), the other canvases' red (grey)
    const canvas = element.querySelector(selector), channel = selector.endsWith("pad") ? 3 : 0;
    const rgba = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    return Array.from({length: rgba.length / 4}, (_, k) => rgba[4 * k + channel]);
  };
  const marker = element.querySelector(".latent-explorer-marker");
  return {
    ink: pixels("canvas.draw-explorer-pad"),
    x: state && Array.from(state.x), z: state && Array.from(state.z),
    reconstruction: state && Array.from(state.reconstruction),
    error: state && state.error, flagged: state && state.flagged,
    shownX: pixels("canvas.draw-explorer-input"),
    shownReconstruction: pixels("canvas.draw-explorer-reconstruction"),
    marker: marker.getAttribute("transform"), markerShown: marker.style.visibility !== "hidden",
    result: element.querySelector(".draw-explorer-result").textContent,
  };
}"""
NEXT_FRAME = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"


@pytest.fixture(scope="module")
def chapter_explorer(chapter_code):
    """Chapter 6's explorer, model and threshold, made by the chapter's own code."""
    names = chapter_code(
        "06_autoencoders_at_work", ["model", "errors", "pca_errors", "threshold", "explorer"]
    )
    return names["explorer"], names["model"], names["threshold"]


def draw_strokes(page, root, strokes):
    """Clear the pad, then draw ``strokes`` with the mouse (down, moves, up)."""
    page.click(f"#{root} .draw-explorer-clear")
    pad = page.locator(f"#{root} canvas.draw-explorer-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    for stroke in strokes:
        points = [(box["x"] + u * box["width"], box["y"] + v * box["height"]) for u, v in stroke]
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point, steps=6)
        page.mouse.up()
    page.evaluate(NEXT_FRAME)


def touch_strokes(page, root, strokes):
    """Clear the pad, then draw ``strokes`` with a finger (touch events, as a phone sends)."""
    page.click(f"#{root} .draw-explorer-clear")
    pad = page.locator(f"#{root} canvas.draw-explorer-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    session = page.context.new_cdp_session(page)
    session.send("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 1})
    for stroke in strokes:
        for kind, (u, v) in zip(
            ["touchStart"] + ["touchMove"] * (len(stroke) - 1), stroke, strict=True
        ):
            point = {"x": box["x"] + u * box["width"], "y": box["y"] + v * box["height"]}
            session.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [point]})
        session.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    session.detach()
    page.evaluate(NEXT_FRAME)


def check_against_keras(state, model, threshold) -> tuple[float, float]:
    """The page's image is ``preprocess_drawing`` of its pad; its code, reconstruction, error
    and verdict are Keras' on that image; the canvases show them. Returns the largest |z| and
    pixel differences."""
    ink = np.array(state["ink"], dtype=np.float64).reshape(draw.PAD_SIDE, draw.PAD_SIDE) / 255
    x = np.array(state["x"])
    np.testing.assert_allclose(x, draw.preprocess_drawing(ink), atol=1e-6)
    z = np.asarray(model.encoder(x[None, :].astype(np.float32), training=False))[0]
    rebuilt = np.asarray(model.decoder(z[None, :], training=False))[0]
    error = float(np.mean((rebuilt - x) ** 2))
    z_difference = float(np.abs(np.array(state["z"]) - z).max())
    pixel_difference = float(np.abs(np.array(state["reconstruction"]) - rebuilt).max())
    assert z_difference <= TOLERANCE and pixel_difference <= TOLERANCE
    assert state["error"] == pytest.approx(error, abs=1e-4)
    assert state["flagged"] == (error > threshold)
    verdict = draw.VERDICTS[int(state["flagged"])]
    assert state["result"].endswith(verdict) and f"{threshold:.4f}" in state["result"]
    for shown, values in (("shownX", x), ("shownReconstruction", rebuilt)):
        grey = 1 - np.array(state[shown]) / 255
        assert np.abs(grey - np.clip(values, 0, 1)).max() <= TOLERANCE
    assert state["markerShown"]
    return z_difference, pixel_difference


def test_drawn_digits_get_keras_codes_reconstructions_and_verdicts(
    page, tmp_path, chapter_explorer, screenshot_dir, axe_violations
):
    explorer, model, threshold = chapter_explorer
    root = explorer.element_id
    requests, errors = open_page(page, tmp_path, "Draw a digit", explorer.html)
    page.wait_for_selector(f"#{root}[data-ready]")
    assert not page.is_visible(f"#{root} .draw-explorer-status")

    first = page.evaluate(STATE, root)  # it starts from the first test digit
    np.testing.assert_allclose(first["x"], explorer.examples[0].image, atol=1e-6)
    buttons = page.locator(f"#{root} button.draw-explorer-example")
    assert buttons.count() == len(explorer.examples) == 10
    for index, example in enumerate(explorer.examples):
        buttons.nth(index).focus()
        page.keyboard.press("Enter")  # the keyboard is enough
        state = page.evaluate(STATE, root)
        np.testing.assert_allclose(state["x"], example.image, atol=1e-6)
        assert state["error"] == pytest.approx(explorer.example_errors[index], abs=1e-4)
        check_against_keras(state, model, threshold)

    worst = np.zeros(2)
    verdicts, markers = {}, set()
    for name, strokes in DRAWINGS.items():
        draw_strokes(page, root, strokes)
        state = page.evaluate(STATE, root)
        worst = np.maximum(worst, check_against_keras(state, model, threshold))
        verdicts[name] = (round(state["error"], 4), state["flagged"])
        markers.add(state["marker"])
    print(f"drawn digits: (error, flagged) {verdicts}")
    print(f"max |z difference| {worst[0]:.5f}, max pixel difference {worst[1]:.5f} (page vs Keras)")
    assert len(markers) == len(DRAWINGS)  # the ring moved with every drawing
    page.locator(f"#{root}").screenshot(path=screenshot_dir / "draw_explorer_standalone.png")

    page.click(f"#{root} .draw-explorer-clear")
    page.evaluate(NEXT_FRAME)
    blank = page.evaluate(STATE, root)
    assert blank["x"] is None and not any(blank["ink"]) and not blank["markerShown"]
    assert "blank" in blank["result"] and set(blank["shownX"]) == {255}

    assert serious_violations(axe_violations(page, [[".draw-explorer"]])) == []
    page.set_viewport_size(PHONE)
    draw_strokes(page, root, DRAWINGS["7"])
    with_mouse = np.array(page.evaluate(STATE, root)["x"])
    touch_strokes(page, root, DRAWINGS["7"])  # the whole stroke: the page does not pan instead
    by_finger = page.evaluate(STATE, root)
    check_against_keras(by_finger, model, threshold)
    assert np.abs(np.array(by_finger["x"]) - with_mouse).mean() < 0.01
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.locator(f"#{root}").screenshot(path=screenshot_dir / "draw_explorer_phone.png")
    assert errors == []
    assert all(url.startswith(("file:", "data:", "blob:")) for url in requests), requests


def test_an_old_browser_gets_an_explanation_not_a_dead_pad(page, tmp_path, chapter_explorer):
    explorer, _, _ = chapter_explorer
    page.add_init_script("delete window.DecompressionStream")
    _, errors = open_page(page, tmp_path, "Draw a digit", explorer.html)
    root = explorer.element_id
    status = page.locator(f"#{root} .draw-explorer-status")
    page.wait_for_selector(f"#{root}[data-started]")
    assert "DecompressionStream" in status.inner_text() and status.is_visible()
    assert page.get_attribute(f"#{root}", "data-ready") is None
    assert page.locator(f"#{root} button:disabled").count() == 11  # Clear and the 10 digits
    assert errors == []


def test_chapter_6_page_runs_the_chapters_model(page, site_url, screenshot_dir, axe_violations):
    """The built page's explorer carries trained_autoencoder()'s weights and the threshold the
    chapter printed, answers a drawn 7 as Keras does, and looks right in both of the theme's
    colour modes and on a phone."""
    model = trained_autoencoder(verbose=0)
    requests, errors = watch(page)
    page.goto(f"{site_url}/book/06_autoencoders_at_work.html")
    page.wait_for_selector(".draw-explorer[data-ready]")
    (root,) = page.eval_on_selector_all(".draw-explorer", "roots => roots.map((r) => r.id)")
    embedded = json.loads(
        page.eval_on_selector(f"#{root} script.draw-explorer-model", "e => e.textContent")
    )
    for part in ("encoder", "decoder"):
        shown = [layer for segment in embedded[part] for layer in unpack_weights(segment)]
        for (kernel, bias, _), trained in zip(
            shown, dense_layers(getattr(model, part)), strict=True
        ):
            np.testing.assert_allclose(kernel, trained.kernel, rtol=1e-3, atol=1e-7)
            np.testing.assert_allclose(bias, trained.bias, rtol=1e-3, atol=1e-7)
    printed = re.search(r"threshold: error above (\d\.\d{4})", page.inner_text("main"))
    assert printed and f"{embedded['threshold']:.4f}" == printed.group(1)

    page.locator(f"#{root}").scroll_into_view_if_needed()
    draw_strokes(page, root, DRAWINGS["7"])
    z_difference, pixel_difference = check_against_keras(
        page.evaluate(STATE, root), model, embedded["threshold"]
    )
    print(f"chapter 6 page, a drawn 7: max |z difference| {z_difference:.5f}, ", end="")
    print(f"max pixel difference {pixel_difference:.5f}")
    page.locator(f"#{root}").screenshot(path=screenshot_dir / "draw_explorer_chapter_6.png")
    page.evaluate("document.documentElement.dataset.theme = 'dark'")
    page.locator(f"#{root}").screenshot(path=screenshot_dir / "draw_explorer_chapter_6_dark.png")
    assert serious_violations(axe_violations(page, [[".draw-explorer"]])) == []
    page.evaluate("document.documentElement.dataset.theme = 'light'")
    page.set_viewport_size(PHONE)
    page.locator(f"#{root}").scroll_into_view_if_needed()
    page.locator(f"#{root}").screenshot(path=screenshot_dir / "draw_explorer_chapter_6_phone.png")
    assert errors == []
    assert all(url.startswith((site_url, "data:", "blob:")) for url in requests), requests


@pytest.fixture(scope="module")
def chapter_6_in_jupyter_lab(tmp_path_factory):
    with jupyter_lab_serving(tmp_path_factory.mktemp("jupyter-lab-6"), CHAPTER) as url:
        yield url


def test_the_explorer_works_as_an_output_in_jupyterlab(
    page, chapter_6_in_jupyter_lab, screenshot_dir
):
    model = trained_autoencoder(verbose=0)
    page.set_default_timeout(60_000)
    page.goto(chapter_6_in_jupyter_lab)
    wait_for_idle_kernel(page)
    run_all_cells(page, screenshot_dir)
    page.wait_for_selector(".draw-explorer[data-ready]")
    (root,) = page.eval_on_selector_all(".draw-explorer", "roots => roots.map((r) => r.id)")
    page.locator(f"#{root}").scroll_into_view_if_needed()
    threshold = json.loads(
        page.eval_on_selector(f"#{root} script.draw-explorer-model", "e => e.textContent")
    )["threshold"]
    for name in ("1", "7"):
        draw_strokes(page, root, DRAWINGS[name])
        check_against_keras(page.evaluate(STATE, root), model, threshold)
    page.locator(f"#{root}").screenshot(path=screenshot_dir / "draw_explorer_jupyterlab.png")
