"""Latency of one update of the draw-a-digit explorer in headless Chromium, beside the static
latent explorer's slider update in the same browser.

Run: .venv/bin/python benchmarks/draw_pad.py
Goal: median <= 5 ms per stroke update on the 2-core machine (issue 24).

One page holds both explorers of the chapters' trained autoencoder. The mouse draws strokes on
the pad (Playwright's mouse: down, moves, up); each update of the page (read the pad, preprocess
to 28×28, encode, decode, redraw the two images, the marker and the verdict) is timed by the
explorer itself, as the User Timing measure ``draw-explorer-update``, which a PerformanceObserver
collects. The baseline is the static latent explorer of chapters 4 and 5 in the same page: the
time to dispatch a slider's ``input`` event, whose handler decodes z and redraws g(z) and the
marker (the kernel explorer's own figure is benchmarks/slider.py's). The last line is
machine-readable.
"""

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from course_utils import (  # noqa: E402
    draw_explorer,
    load_mnist,
    load_mnist_test,
    split_validation,
    static_latent_explorer,
    trained_autoencoder,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

STROKES = 40
MOVES_PER_STROKE = 25
SLIDER_MOVES = 500
COLLECT = """() => {
  window.__updates = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.__updates.push(entry.duration);
  }).observe({entryTypes: ["measure"]});
}"""
MOVE_SLIDERS = """(moves) => {
  const sliders = document.querySelectorAll("input.latent-explorer-slider"), times = [];
  for (let k = 0; k < moves; k++) {
    const slider = sliders[k % sliders.length];
    slider.value = String(+slider.min + Math.random() * (slider.max - slider.min));
    const start = performance.now();
    slider.dispatchEvent(new Event("input"));
    times.push(performance.now() - start);
  }
  return times;
}"""


def explorers_page(directory: Path) -> Path:
    """Both explorers of the trained autoencoder on one page; the threshold as chapter 6
    chooses it (the validation errors' 95th percentile)."""
    model = trained_autoencoder(verbose=0)
    (x_train, y_train), _ = load_mnist(model.recipe.digits)
    _, (x_val, _) = split_validation(x_train, y_train)
    x_test, y_test = load_mnist_test()
    rebuilt = np.asarray(model.autoencoder(x_val, training=False))
    threshold = np.quantile(np.mean((rebuilt - x_val) ** 2, axis=1), 0.95)
    seen = np.isin(y_test, model.recipe.digits)
    codes = np.asarray(model.encoder(x_test[seen], training=False))
    draw = draw_explorer(
        model, threshold, latents=codes, labels=y_test[seen], examples=(x_test, y_test)
    )
    sliders = static_latent_explorer(model.decoder, latents=codes, labels=y_test[seen])
    page = directory / "explorers.html"
    page.write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>benchmark</title>"
        f"</head><body>{draw.html}{sliders.html}</body></html>"
    )
    return page


def strokes(count, seed=0):
    """Random strokes across the pad, as fractions of its side: (start, end) points."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0.1, 0.9, size=(count, 2, 2))


def time_drawing(page) -> np.ndarray:
    box = page.locator("canvas.draw-explorer-pad").bounding_box()
    page.evaluate("window.__updates.length = 0")
    for start, end in strokes(STROKES):
        page.mouse.move(box["x"] + start[0] * box["width"], box["y"] + start[1] * box["height"])
        page.mouse.down()
        page.mouse.move(
            box["x"] + end[0] * box["width"],
            box["y"] + end[1] * box["height"],
            steps=MOVES_PER_STROKE,
        )
        page.mouse.up()
        page.wait_for_timeout(50)  # the last frame's update
    return np.array(page.evaluate("window.__updates"))


def describe(name, milliseconds):
    print(
        f"{name:44s} median {np.median(milliseconds):6.2f} ms   "
        f"p90 {np.percentile(milliseconds, 90):6.2f} ms   ({len(milliseconds)} updates)",
        flush=True,
    )


def main():
    with tempfile.TemporaryDirectory() as directory, sync_playwright() as playwright:
        document = explorers_page(Path(directory))
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.add_init_script(f"({COLLECT})()")
        page.goto(document.as_uri())
        page.wait_for_selector(".draw-explorer[data-ready]")
        page.wait_for_selector(".latent-explorer[data-ready]")
        page.locator(".draw-explorer").scroll_into_view_if_needed()
        page.click(".draw-explorer-clear")
        draw_ms = time_drawing(page)
        slider_ms = np.array(page.evaluate(MOVE_SLIDERS, SLIDER_MOVES))
        browser.close()
    describe("draw explorer: stroke update (mouse)", draw_ms)
    describe("static latent explorer: slider update", slider_ms)
    print(
        f"draw_update_ms_median={np.median(draw_ms):.2f} "
        f"slider_update_ms_median={np.median(slider_ms):.2f}"
    )


if __name__ == "__main__":
    main()
