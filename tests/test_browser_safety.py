"""Strings that reach the course's HTML are shown, never run, in Chromium.

A model and a layer named like script-running markup are rendered by ``architecture_table`` next to
a static latent explorer; the same payloads, inserted raw, do run in this browser (the control), so
finding no run after escaping means the escaping works. Ids that could break out of the explorer's
markup or script are refused before any HTML is made.
"""

import json

import keras
import pytest

from course_utils import StaticLatentExplorer, architecture_table, build_autoencoder
from course_utils.explorer.shared import check_explorer_inputs

pytestmark = pytest.mark.browser  # headless Chromium

PAYLOADS = {
    "layer": "<img src=x onerror=window.__ran.push('layer')>",
    "model": "<svg onload=window.__ran.push('model')>",
}
ID_PAYLOADS = [
    "</script><script>window.__ran.push('id')</script>",
    "x\" onmouseover=\"window.__ran.push('id')",
    "x\"><img src=x onerror=window.__ran.push('id')>",
]
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>payloads</title>
<script>window.__ran = [];</script></head><body>{body}</body></html>"""


def run_page(page, body: str) -> list:
    """Load ``body`` and return what the payloads pushed (they push their name when they run)."""
    page.set_content(PAGE.format(body=body), wait_until="load")
    page.wait_for_timeout(200)  # onerror of a broken image fires after load in some builds
    return page.evaluate("window.__ran")


def test_the_payloads_do_run_when_inserted_raw(page):
    """The control: without escaping, both payloads run script in this Chromium."""
    assert sorted(run_page(page, PAYLOADS["layer"] + PAYLOADS["model"])) == ["layer", "model"]


def test_named_payloads_are_shown_as_text_and_run_nothing(page):
    encoder = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(2, name=PAYLOADS["layer"])], name=PAYLOADS["model"]
    )
    _, decoder, _ = build_autoencoder(latent_dim=2, hidden=(16,), output_activation="sigmoid")
    inputs = check_explorer_inputs(decoder, ranges=[(0, 1), (0, 1)])
    explorer = StaticLatentExplorer(decoder, inputs, element_id="safe-explorer")
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    ran = run_page(page, architecture_table(encoder).data + explorer.html)
    assert ran == []
    page.wait_for_selector("#safe-explorer[data-ready]")  # the explorer's own script did run
    cells = page.eval_on_selector_all(
        ".architecture-table td", "cells => cells.map((cell) => cell.textContent)"
    )
    assert PAYLOADS["model"] in cells and PAYLOADS["layer"] in cells
    assert page.locator(".architecture-table img, .architecture-table svg").count() == 0
    assert errors == []


@pytest.mark.parametrize("element_id", ID_PAYLOADS)
def test_id_payloads_are_refused_before_any_html_is_made(page, element_id):
    _, decoder, _ = build_autoencoder(latent_dim=2, hidden=(16,))
    inputs = check_explorer_inputs(decoder, ranges=[(0, 1), (0, 1)])
    with pytest.raises(ValueError, match="element_id must start with a letter"):
        StaticLatentExplorer(decoder, inputs, element_id=element_id)
    # The control: inserted as the explorer used to insert it (an attribute, and JSON in a
    # script), the same id runs script, on load or when the pointer passes over it.
    raw = (
        f'<div class="latent-explorer" id="{element_id}">explorer</div>'
        f"<script>document.getElementById({json.dumps(element_id)});</script>"
    )
    page.set_content(PAGE.format(body=raw), wait_until="load")
    page.evaluate(
        "document.querySelectorAll('div').forEach("
        "(div) => div.dispatchEvent(new MouseEvent('mouseover', {bubbles: true})))"
    )
    page.wait_for_timeout(200)
    assert "id" in page.evaluate("window.__ran")
