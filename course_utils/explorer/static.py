"""The latent explorer without a kernel: self-contained HTML and JavaScript for the static book.

``static_latent_explorer(decoder, latents=z_test, labels=y_test)`` returns a
:class:`StaticLatentExplorer`, whose ``_repr_html_`` (also ``.html``) is one HTML fragment holding
the decoder's weights, a small forward pass in JavaScript, the sliders, the decoded image and the
latent scatter. It works wherever an HTML output's inline ``<script>`` runs (the Jupyter Book page,
JupyterLab, Colab), offline, loading nothing from anywhere. Only decoders made of ``Dense`` layers
(relu, sigmoid, tanh or linear) can be exported; ``decoder`` may also be those layers' weights,
a list of ``(kernel, bias, activation)``, in which case neither TensorFlow nor ipywidgets loads.

The script and the style sheet are the package files ``latent_explorer.js`` (after ``shared.js``,
what it shares with the draw explorer's script) and ``latent_explorer.css``, inlined into each
fragment so that the page stays self-contained.

DOM contract (``{id}`` is unique per instance, ``{k}`` is 1, 2, … per latent coordinate)::

    div.latent-explorer#{id}                  root; data-latent-dim; data-started="true" once the script
                                              ran, data-ready="true" once the weights are unpacked
      canvas.latent-explorer-digit            28×28 canvas: pixel value p drawn as grey 255·(1 − p)
      input[type=range].latent-explorer-slider#{id}-z{k}   one per coordinate, data-dim = k − 1,
                                              with <label for> and <output> showing the value
      p.latent-explorer-z                     the current z as text
      img.latent-explorer-scatter             the test digits' codes (no scatter for 1-D codes or
      svg .latent-explorer-marker             without latents) and the marker at (z1, z2)
      p.latent-explorer-status                shown until the weights are unpacked (says why if they
                                              cannot be: no JavaScript, no DecompressionStream)

Changing a slider (an ``input`` event) redraws the digit and moves the marker.

The weights are packed into one base64 string (:func:`pack_weights`; :func:`unpack_weights` reads
it back): every kernel and bias in order, as little-endian float16 when that keeps every decoded
pixel within ``FLOAT16_TOLERANCE`` of the full-precision forward pass over the slider ranges (it
halves the page), else float32; byte-shuffled (all first bytes, then all second bytes, …), which
puts the exponents together; and deflated (zlib). The browser inflates them with its
``DecompressionStream``, so the page carries about 15 % fewer bytes than the plain values.
"""  # noqa: E501 (the DOM contract's lines)

from __future__ import annotations

import base64
import functools
import html
import io
import json
import re
import uuid
import zlib
from importlib import resources
from typing import NamedTuple

import numpy as np

from ..png import compact_png
from .shared import (
    DIGIT_ALT,
    DIGIT_SIDE_PX,
    IMAGE_SIDE,
    MARKER_DIAMETER_PT,
    MARKER_HALO_PT,
    MARKER_RING_PT,
    SCATTER_ALT,
    SCREEN_DPI,
    ExplorerInputs,
    check_explorer_inputs,
    check_inputs_for_sizes,
    latent_scatter_figure,
)

ACTIVATIONS = ("relu", "sigmoid", "tanh", "linear")
FLOAT16_TOLERANCE = 0.002  # max abs pixel error accepted from rounding the weights to float16
SCATTER_DPI = 2 * SCREEN_DPI  # drawn at twice its CSS size: sharp on high-density screens
ELEMENT_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")  # safe in HTML attributes, CSS and JavaScript
POINTS_PER_INCH = 72


class DenseLayer(NamedTuple):
    kernel: np.ndarray  # (inputs, units), float32
    bias: np.ndarray  # (units,), float32
    activation: str  # one of ACTIVATIONS


def dense_layers(decoder) -> list[DenseLayer]:
    """The ``(kernel, bias, activation)`` of each layer of a decoder made only of ``Dense`` layers.

    Layers are recognised by their class names, so that this module needs no Keras import.
    """
    exported = []
    for layer in decoder.layers:
        kinds = {cls.__name__ for cls in type(layer).__mro__}
        if "InputLayer" in kinds:
            continue
        if "Dense" not in kinds:
            raise ValueError(
                f"the static explorers can only export Dense layers; layer {layer.name!r} is a "
                f"{type(layer).__name__} (latent_explorer, in a kernel, takes any decoder)"
            )
        activation = getattr(layer.activation, "__name__", str(layer.activation))
        kernel = np.asarray(layer.kernel, dtype=np.float32)
        bias = (
            np.asarray(layer.bias, dtype=np.float32)
            if layer.use_bias
            else np.zeros(kernel.shape[1], np.float32)
        )
        exported.append(_checked_layer(kernel, bias, activation, layer.name))
    return exported


def _checked_layer(kernel, bias, activation, name) -> DenseLayer:
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"the static explorers support the activations "
            f"{', '.join(ACTIVATIONS)}; layer {name!r} uses {activation!r}"
        )
    kernel, bias = np.asarray(kernel, np.float32), np.asarray(bias, np.float32)
    if kernel.ndim != 2 or bias.shape != (kernel.shape[1],):
        raise ValueError(
            f"layer {name!r}: the kernel must be (inputs, units) and the bias "
            f"(units,); got {kernel.shape} and {bias.shape}"
        )
    return DenseLayer(kernel, bias, activation)


def _given_layers(layers) -> list[DenseLayer]:
    checked = [_checked_layer(*layer, name=f"#{index}") for index, layer in enumerate(layers)]
    if not checked:
        raise ValueError("give at least one (kernel, bias, activation) layer")
    for index, (before, after) in enumerate(zip(checked[:-1], checked[1:], strict=True), start=1):
        if before.kernel.shape[1] != after.kernel.shape[0]:
            raise ValueError(
                f"layer #{index} takes {after.kernel.shape[0]} inputs but layer "
                f"#{index - 1} gives {before.kernel.shape[1]}"
            )
    return checked


def forward(layers, codes) -> np.ndarray:
    """The decoder's output for ``codes`` from exported layers (what the page's script does)."""
    values = np.asarray(codes, dtype=np.float64)
    for kernel, bias, activation in layers:
        values = values @ kernel.astype(np.float64) + bias
        if activation == "relu":
            values = np.maximum(values, 0)
        elif activation == "sigmoid":
            values = 1 / (1 + np.exp(-values))
        elif activation == "tanh":
            values = np.tanh(values)
    return values


def _storage_dtype(layers, ranges) -> str:
    """float16 when the rounded weights decode within FLOAT16_TOLERANCE, else float32."""
    codes = np.random.default_rng(0).uniform(ranges[:, 0], ranges[:, 1], size=(256, len(ranges)))
    rounded = [
        (kernel.astype(np.float16), bias.astype(np.float16), activation)
        for kernel, bias, activation in layers
    ]
    error = np.max(
        np.abs(np.clip(forward(rounded, codes), 0, 1) - np.clip(forward(layers, codes), 0, 1))
    )
    return "float16" if error <= FLOAT16_TOLERANCE else "float32"


LITTLE_ENDIAN = {"float16": "<f2", "float32": "<f4"}


def pack_weights(layers, dtype: str) -> str:
    """Every kernel (row-major) and bias of ``layers`` in order, as little-endian ``dtype``,
    byte-shuffled and deflated, in base64: what the page's script unpacks."""
    values = np.concatenate([np.ravel(part) for layer in layers for part in layer[:2]])
    raw = np.ascontiguousarray(values, dtype=LITTLE_ENDIAN[dtype])
    shuffled = raw.view(np.uint8).reshape(-1, raw.itemsize).T.tobytes()
    return base64.b64encode(zlib.compress(shuffled, 9)).decode()


def packed_layers(layers, dtype: str) -> dict:
    """``layers`` as the page's script reads them: ``dtype``, the packed ``weights`` and each
    layer's sizes and activation (``unpack_weights`` reads it back)."""
    return {
        "dtype": dtype,
        "weights": pack_weights(layers, dtype),
        "layers": [
            {"inputs": int(kernel.shape[0]), "units": int(kernel.shape[1]), "activation": name}
            for kernel, _, name in layers
        ],
    }


def unpack_weights(model: dict) -> list[DenseLayer]:
    """The layers of an embedded model (the page's JSON), as the page's script unpacks them."""
    itemsize = np.dtype(LITTLE_ENDIAN[model["dtype"]]).itemsize
    shuffled = np.frombuffer(zlib.decompress(base64.b64decode(model["weights"])), np.uint8)
    raw = shuffled.reshape(itemsize, -1).T.copy().view(LITTLE_ENDIAN[model["dtype"]]).ravel()
    values, offset, layers = raw.astype(np.float32), 0, []
    for layer in model["layers"]:
        inputs, units = layer["inputs"], layer["units"]
        kernel = values[offset : offset + inputs * units].reshape(inputs, units)
        bias = values[offset + inputs * units : offset + (inputs + 1) * units]
        layers.append(DenseLayer(kernel, bias, layer["activation"]))
        offset += (inputs + 1) * units
    if offset != len(values):
        raise ValueError(f"the packed weights hold {len(values)} values; the layers need {offset}")
    return layers


@functools.cache
def _asset(name: str) -> str:
    """A front-end file shipped in this package (package data)."""
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def check_element_id(element_id: str) -> str:
    """``element_id`` if it is a plain HTML id (a letter, then letters, digits, ``_`` or ``-``),
    which the page can use as is in attributes, selectors and script; else a ``ValueError``."""
    if not isinstance(element_id, str) or not ELEMENT_ID.fullmatch(element_id):
        raise ValueError(
            "element_id must start with a letter and hold only letters, digits, '_' "
            f"and '-' (e.g. 'explorer-1'); got {element_id!r}"
        )
    return element_id


def script_safe_json(value) -> str:
    """``value`` as JSON that can sit inside a ``<script>`` element: ``<``, ``>`` and ``&`` are
    written as ``\\u`` escapes, so no string in it can close the element or open a comment."""
    text = json.dumps(value, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _px(points: float) -> str:
    return f"{points * SCATTER_DPI / POINTS_PER_INCH:.1f}"


class StaticLatentExplorer:
    """The explorer as one self-contained HTML fragment (``html``), shown by Jupyter and the book.

    ``decoder`` is a Keras decoder of ``Dense`` layers, or their ``(kernel, bias, activation)``.
    """

    def __init__(self, decoder, inputs: ExplorerInputs, element_id=None):
        self.element_id = (
            f"latent-explorer-{uuid.uuid4().hex[:12]}"
            if element_id is None
            else check_element_id(element_id)
        )
        self.inputs = inputs
        self.layers = (
            _given_layers(decoder) if isinstance(decoder, (list, tuple)) else dense_layers(decoder)
        )
        self.weights_dtype = _storage_dtype(self.layers, inputs.ranges)
        self.html = self._render()

    def _repr_html_(self) -> str:
        return self.html

    def _model_json(self, scatter) -> str:
        return script_safe_json(
            {**packed_layers(self.layers, self.weights_dtype), "scatter": scatter}
        )

    def _render(self) -> str:
        root = self.element_id
        ranges, steps, start = self.inputs.ranges, self.inputs.steps, self.inputs.start
        sliders = "\n".join(
            f"""    <div class="latent-explorer-row">
      <label for="{root}-z{k}">z<sub>{k}</sub></label>
      <input type="range" class="latent-explorer-slider" id="{root}-z{k}" data-dim="{k - 1}"
             min="{lo!r}" max="{hi!r}" step="{step!r}" value="{value!r}">
      <output for="{root}-z{k}">{value:.2f}</output>
    </div>"""
            for k, ((lo, hi), step, value) in enumerate(
                zip(
                    ranges.tolist(),
                    steps.tolist(),
                    _snap(start, ranges, steps).tolist(),
                    strict=True,
                ),
                start=1,
            )
        )
        scatter_html, scatter = scatter_markup(self.inputs, SCATTER_ALT)
        latent_dim = self.inputs.latent_dim
        return f"""<div class="latent-explorer" id="{root}" data-latent-dim="{latent_dim}"
     style="--latent-explorer-digit-side: {DIGIT_SIDE_PX}px">
<style>{_asset("latent_explorer.css")}</style>
  <div class="latent-explorer-controls">
    <figure class="latent-explorer-digit-figure">
      <canvas class="latent-explorer-digit" width="{IMAGE_SIDE}" height="{IMAGE_SIDE}" role="img"
              aria-label="{html.escape(DIGIT_ALT)}"></canvas>
      <figcaption>decoded image g(z)</figcaption>
    </figure>
{sliders}
    <p class="latent-explorer-z"></p>
    <p class="latent-explorer-status">This explorer needs JavaScript. In Jupyter, run the cell
      (or trust the notebook) to use it.</p>
  </div>{scatter_html}
<script type="application/json" class="latent-explorer-model">{self._model_json(scatter)}</script>
{inline_script(root, ("shared.js", "latent_explorer.js"), "startLatentExplorer")}
</div>"""


def scatter_markup(inputs: ExplorerInputs, alt: str) -> tuple[str, dict | None]:
    """The latent scatter of ``inputs`` as an ``<img>`` (text alternative ``alt``) under an SVG
    overlay holding the marker, and the geometry the script needs to place the marker (the
    axes' limits and box in the image's pixels); ``("", None)`` when there is no scatter."""
    drawn = latent_scatter_figure(inputs, dpi=SCATTER_DPI)
    if drawn is None:
        return "", None
    figure, axes = drawn
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=SCATTER_DPI)
    width, height = (figure.get_size_inches() * SCATTER_DPI).round().astype(int)
    css_width, css_height = (figure.get_size_inches() * SCREEN_DPI).round().astype(int)
    box = axes.get_window_extent()  # display pixels, origin at the bottom left
    scatter = {
        "xlim": list(axes.get_xlim()),
        "ylim": list(axes.get_ylim()),
        "box": [box.x0, height - box.y1, box.x1, height - box.y0],  # left, top, right, bottom
    }
    source = base64.b64encode(compact_png(buffer.getvalue())).decode()
    radius = _px(MARKER_DIAMETER_PT / 2)
    markup = f"""
  <figure class="latent-explorer-scatter-figure" style="max-width: {css_width}px">
    <div class="latent-explorer-scatter-frame">
      <img class="latent-explorer-scatter" src="data:image/png;base64,{source}"
           alt="{html.escape(alt)}" width="{css_width}" height="{css_height}">
      <svg class="latent-explorer-overlay" viewBox="0 0 {width} {height}" aria-hidden="true">
        <g class="latent-explorer-marker">
          <circle r="{radius}" fill="none" stroke="white" stroke-width="{_px(MARKER_HALO_PT)}"/>
          <circle r="{radius}" fill="none" stroke="black" stroke-width="{_px(MARKER_RING_PT)}"/>
        </g>
      </svg>
    </div>
  </figure>"""
    return markup, scatter


def inline_script(root: str, files, start: str) -> str:
    """A ``<script>`` running the package's script ``files`` inside one function (so that their
    names stay out of the page's globals), then ``start(root element)``: the element holding the
    script, or the one with id ``root`` where the script is a copy elsewhere (JupyterLab)."""
    sources = "\n".join(_asset(name) for name in files)
    return f"""<script>(function () {{
{sources}
{start}(document.currentScript ? document.currentScript.parentElement
        : document.getElementById({script_safe_json(root)}));
}})();</script>"""


def _snap(values, ranges, steps):
    """Values moved onto the sliders' grid, as the browser would move them."""
    return ranges[:, 0] + np.round((values - ranges[:, 0]) / steps) * steps


def static_latent_explorer(
    decoder, latents=None, labels=None, ranges=None, element_id=None
) -> StaticLatentExplorer:
    """A kernel-free explorer of ``decoder`` for the static book (and any notebook front end).

    Same arguments and checks as :func:`course_utils.latent_explorer`; the decoder's weights are
    embedded in the HTML and decoded in the reader's browser. ``decoder`` may be a Keras decoder
    of ``Dense`` layers or its layers as ``(kernel, bias, activation)``; ``element_id`` names
    the root element (a letter, then letters, digits, ``_`` or ``-``), else a unique id.
    """
    if isinstance(decoder, (list, tuple)):
        decoder = _given_layers(decoder)
        sizes = (decoder[0].kernel.shape[0], decoder[-1].kernel.shape[1])
        inputs = check_inputs_for_sizes(*sizes, latents, labels, ranges)
    else:
        inputs = check_explorer_inputs(decoder, latents, labels, ranges)
    return StaticLatentExplorer(decoder, inputs, element_id=element_id)
