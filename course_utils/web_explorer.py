"""The latent explorer without a kernel: self-contained HTML and JavaScript for the static book.

``static_latent_explorer(decoder, latents=z_test, labels=y_test)`` returns a
:class:`StaticLatentExplorer`, whose ``_repr_html_`` (also ``.html``) is one HTML fragment holding
the decoder's weights, a small forward pass in JavaScript, the sliders, the decoded image and the
latent scatter. It works wherever an HTML output's inline ``<script>`` runs (the Jupyter Book page,
JupyterLab, Colab), offline, loading nothing from anywhere. Only decoders made of ``Dense`` layers
(relu, sigmoid, tanh or linear) can be exported.

DOM contract (``{id}`` is unique per instance, ``{k}`` is 1, 2, … per latent coordinate)::

    div.latent-explorer#{id}                  root; data-latent-dim, data-ready="true" once the script ran
      canvas.latent-explorer-digit            28×28 canvas: pixel value p drawn as grey 255·(1 − p)
      input[type=range].latent-explorer-slider#{id}-z{k}   one per coordinate, data-dim = k − 1,
                                              with <label for> and <output> showing the value
      p.latent-explorer-z                     the current z as text
      img.latent-explorer-scatter             the test digits' codes (no scatter for 1-D codes or
      svg .latent-explorer-marker             without latents) and the marker at (z1, z2)
      p.latent-explorer-status                shown until the script runs (says why if it cannot)

Changing a slider (an ``input`` event) redraws the digit and moves the marker.

Weights are stored as base64 little-endian float16 when that keeps every decoded pixel within
``FLOAT16_TOLERANCE`` of the decoder's own output over the slider ranges (it halves the page),
else as float32.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
import uuid

import keras
import numpy as np

from .widgets import IMAGE_SIDE, check_explorer_inputs, latent_scatter_figure

ACTIVATIONS = ("relu", "sigmoid", "tanh", "linear")
FLOAT16_TOLERANCE = 0.002  # max abs pixel error accepted from rounding the weights to float16
DIGIT_SIDE_PX = 168
SCATTER_DPI = 200  # drawn at twice its CSS size (100 px per inch): sharp on high-density screens
ELEMENT_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")  # safe in HTML attributes, CSS and JavaScript


def check_element_id(element_id: str) -> str:
    """``element_id`` if it is a plain HTML id (a letter, then letters, digits, ``_`` or ``-``),
    which the page can use as is in attributes, selectors and script; else a ``ValueError``."""
    if not isinstance(element_id, str) or not ELEMENT_ID.fullmatch(element_id):
        raise ValueError("element_id must start with a letter and hold only letters, digits, '_' "
                         f"and '-' (e.g. 'explorer-1'); got {element_id!r}")
    return element_id


def script_safe_json(value) -> str:
    """``value`` as JSON that can sit inside a ``<script>`` element: ``<``, ``>`` and ``&`` are
    written as ``\\u`` escapes, so no string in it can close the element or open a comment."""
    text = json.dumps(value, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def dense_layers(decoder) -> list[tuple[np.ndarray, np.ndarray, str]]:
    """``(kernel, bias, activation)`` of each layer of a decoder made only of ``Dense`` layers."""
    layers = [layer for layer in decoder.layers if not isinstance(layer, keras.layers.InputLayer)]
    exported = []
    for layer in layers:
        if not isinstance(layer, keras.layers.Dense):
            raise ValueError(f"static_latent_explorer can only export Dense layers; layer {layer.name!r} "
                             f"is a {type(layer).__name__}. Use latent_explorer (needs a kernel) instead")
        activation = getattr(layer.activation, "__name__", str(layer.activation))
        if activation not in ACTIVATIONS:
            raise ValueError(f"static_latent_explorer supports the activations {', '.join(ACTIVATIONS)}; "
                             f"layer {layer.name!r} uses {activation!r}")
        kernel = np.asarray(layer.kernel, dtype=np.float32)
        bias = np.asarray(layer.bias, dtype=np.float32) if layer.use_bias else np.zeros(kernel.shape[1], np.float32)
        exported.append((kernel, bias, activation))
    return exported


def forward(layers, codes) -> np.ndarray:
    """The decoder's output for ``codes`` computed from exported layers (what the page's script does)."""
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


def _storage_dtype(decoder, layers, ranges) -> str:
    """float16 when the rounded weights decode within FLOAT16_TOLERANCE of the decoder, else float32."""
    codes = np.random.default_rng(0).uniform(ranges[:, 0], ranges[:, 1], size=(256, len(ranges))).astype(np.float32)
    expected = np.asarray(decoder(codes, training=False), dtype=np.float64)
    rounded = [(k.astype(np.float16).astype(np.float32), b.astype(np.float16).astype(np.float32), a)
               for k, b, a in layers]
    error = np.max(np.abs(np.clip(forward(rounded, codes), 0, 1) - np.clip(expected, 0, 1)))
    return "float16" if error <= FLOAT16_TOLERANCE else "float32"


def _base64(array: np.ndarray, dtype: str) -> str:
    little_endian = {"float16": "<f2", "float32": "<f4"}[dtype]
    return base64.b64encode(np.ascontiguousarray(array, dtype=little_endian).tobytes()).decode()


class StaticLatentExplorer:
    """The explorer as one self-contained HTML fragment (``html``), shown by Jupyter and the book."""

    def __init__(self, decoder, inputs, element_id=None):
        self.element_id = (f"latent-explorer-{uuid.uuid4().hex[:12]}" if element_id is None
                           else check_element_id(element_id))
        self.inputs = inputs
        self.layers = dense_layers(decoder)
        self.weights_dtype = _storage_dtype(decoder, self.layers, inputs.ranges)
        self.html = self._render()

    def _repr_html_(self) -> str:
        return self.html

    def _model_json(self, scatter) -> str:
        model = {
            "dtype": self.weights_dtype,
            "layers": [
                {"inputs": int(kernel.shape[0]), "units": int(kernel.shape[1]), "activation": activation,
                 "kernel": _base64(kernel, self.weights_dtype), "bias": _base64(bias, self.weights_dtype)}
                for kernel, bias, activation in self.layers
            ],
            "scatter": scatter,
        }
        return script_safe_json(model)

    def _scatter_html(self):
        drawn = latent_scatter_figure(self.inputs, dpi=SCATTER_DPI)
        if drawn is None:
            return "", None
        figure, axes = drawn
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=SCATTER_DPI)
        width, height = (figure.get_size_inches() * SCATTER_DPI).round().astype(int)
        box = axes.get_window_extent()  # display pixels, origin at the bottom left
        scatter = {
            "xlim": list(axes.get_xlim()), "ylim": list(axes.get_ylim()),
            "box": [box.x0, height - box.y1, box.x1, height - box.y0],  # left, top, right, bottom
        }
        source = base64.b64encode(buffer.getvalue()).decode()
        alt = ("Scatter of the test digits' codes, z1 across and z2 up, coloured by digit; "
               "a ring marks the chosen z.")
        markup = f"""
  <figure class="latent-explorer-scatter-figure" style="max-width: {width // 2}px">
    <div class="latent-explorer-scatter-frame">
      <img class="latent-explorer-scatter" src="data:image/png;base64,{source}" alt="{html.escape(alt)}"
           width="{width // 2}" height="{height // 2}">
      <!-- The marker of the kernel explorer at SCATTER_DPI: 14 pt across, a 2.5 pt ring, a 5 pt halo. -->
      <svg class="latent-explorer-overlay" viewBox="0 0 {width} {height}" aria-hidden="true">
        <g class="latent-explorer-marker">
          <circle r="19" fill="none" stroke="white" stroke-width="14"/>
          <circle r="19" fill="none" stroke="black" stroke-width="7"/>
        </g>
      </svg>
    </div>
  </figure>"""
        return markup, scatter

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
                zip(ranges.tolist(), steps.tolist(), _snap(start, ranges, steps).tolist()), start=1)
        )
        scatter_markup, scatter = self._scatter_html()
        return f"""<div class="latent-explorer" id="{root}" data-latent-dim="{self.inputs.latent_dim}">
<style>{_CSS}</style>
  <div class="latent-explorer-controls">
    <figure class="latent-explorer-digit-figure">
      <canvas class="latent-explorer-digit" width="{IMAGE_SIDE}" height="{IMAGE_SIDE}" role="img"
              aria-label="The decoded image g(z) for the chosen z"></canvas>
      <figcaption>decoded image g(z)</figcaption>
    </figure>
{sliders}
    <p class="latent-explorer-z"></p>
    <p class="latent-explorer-status">This explorer needs JavaScript. In Jupyter, run the cell
      (or trust the notebook) to use it.</p>
  </div>{scatter_markup}
<script type="application/json" class="latent-explorer-model">{self._model_json(scatter)}</script>
<script>({_SCRIPT})(document.currentScript ? document.currentScript.parentElement
                   : document.getElementById({json.dumps(root)}));</script>
</div>"""


def _snap(values, ranges, steps):
    """Values moved onto the sliders' grid, as the browser would move them."""
    return ranges[:, 0] + np.round((values - ranges[:, 0]) / steps) * steps


def static_latent_explorer(decoder, latents=None, labels=None, ranges=None) -> StaticLatentExplorer:
    """A kernel-free explorer of ``decoder`` for the static book (and any notebook front end).

    Same arguments and checks as :func:`course_utils.latent_explorer`; the decoder's weights are
    embedded in the HTML and decoded in the reader's browser.
    """
    inputs = check_explorer_inputs(decoder, latents, labels, ranges)
    return StaticLatentExplorer(decoder, inputs)


_CSS = """
.latent-explorer { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; margin: 1rem 0; }
.latent-explorer figure { margin: 0; text-align: center; }
.latent-explorer figcaption { font-size: 0.9em; }
.latent-explorer-controls { display: flex; flex-direction: column; align-items: center; gap: 0.3rem; }
.latent-explorer-digit { width: 168px; height: 168px; image-rendering: pixelated; border: 1px solid #767676; }
.latent-explorer-row { display: flex; align-items: center; gap: 0.5rem; }
.latent-explorer-row input { width: 11rem; }
.latent-explorer-row output { min-width: 3rem; text-align: right; font-variant-numeric: tabular-nums; }
.latent-explorer-z { margin: 0.2rem 0; font-variant-numeric: tabular-nums; }
.latent-explorer[data-ready] .latent-explorer-status { display: none; }
.latent-explorer-scatter-figure { flex: 1 1 300px; }
.latent-explorer-scatter-frame { position: relative; }
.latent-explorer-scatter { display: block; width: 100%; height: auto; background: white; }
.latent-explorer-overlay { position: absolute; left: 0; top: 0; width: 100%; height: 100%; pointer-events: none; }
"""

# One function per instance, called with the root element. Kept dependency-free and ES2017.
_SCRIPT = """function (root) {
  if (!root || root.dataset.ready) return;
  const model = JSON.parse(root.querySelector("script.latent-explorer-model").textContent);

  function bytes(text) {
    const binary = atob(text), out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out.buffer;
  }
  function fromHalf(h) {  // IEEE 754 half precision to a number
    const sign = h & 0x8000 ? -1 : 1, exponent = (h >> 10) & 0x1f, fraction = h & 0x3ff;
    if (exponent === 0) return sign * fraction * Math.pow(2, -24);
    if (exponent === 31) return fraction ? NaN : sign * Infinity;
    return sign * (1 + fraction / 1024) * Math.pow(2, exponent - 15);
  }
  function floats(text) {
    if (model.dtype === "float32") return new Float32Array(bytes(text));
    const halves = new Uint16Array(bytes(text)), out = new Float32Array(halves.length);
    for (let i = 0; i < halves.length; i++) out[i] = fromHalf(halves[i]);
    return out;
  }
  const activations = {
    relu: (x) => (x > 0 ? x : 0), sigmoid: (x) => 1 / (1 + Math.exp(-x)),
    tanh: Math.tanh, linear: (x) => x,
  };
  const layers = model.layers.map((layer) => ({
    inputs: layer.inputs, units: layer.units, activation: activations[layer.activation],
    kernel: floats(layer.kernel), bias: floats(layer.bias),
  }));

  function decode(z) {  // the decoder's forward pass; kernels are row-major (inputs × units)
    let values = Float64Array.from(z);
    for (const layer of layers) {
      const out = Float64Array.from(layer.bias);
      for (let i = 0; i < layer.inputs; i++) {
        const x = values[i];
        if (x === 0) continue;
        const row = i * layer.units;
        for (let j = 0; j < layer.units; j++) out[j] += x * layer.kernel[row + j];
      }
      for (let j = 0; j < layer.units; j++) out[j] = layer.activation(out[j]);
      values = out;
    }
    return values;
  }

  const canvas = root.querySelector("canvas.latent-explorer-digit");
  const context = canvas.getContext("2d");
  const image = context.createImageData(canvas.width, canvas.height);
  const sliders = Array.from(root.querySelectorAll("input.latent-explorer-slider"));
  const text = root.querySelector(".latent-explorer-z");
  const marker = root.querySelector(".latent-explorer-marker");
  const scatter = model.scatter;

  function show() {
    const z = sliders.map((slider) => slider.valueAsNumber);
    const pixels = decode(z);
    for (let k = 0; k < pixels.length; k++) {
      const grey = Math.round(255 * (1 - Math.min(1, Math.max(0, pixels[k]))));
      image.data[4 * k] = image.data[4 * k + 1] = image.data[4 * k + 2] = grey;
      image.data[4 * k + 3] = 255;
    }
    context.putImageData(image, 0, 0);
    sliders.forEach((slider, k) => { slider.nextElementSibling.value = z[k].toFixed(2); });
    text.textContent = "z = (" + z.map((v) => v.toFixed(2)).join(", ") + ")";
    if (marker && scatter) {
      const [left, top, right, bottom] = scatter.box, [x0, x1] = scatter.xlim, [y0, y1] = scatter.ylim;
      const x = left + ((z[0] - x0) / (x1 - x0)) * (right - left);
      const y = bottom - ((z[1] - y0) / (y1 - y0)) * (bottom - top);
      marker.setAttribute("transform", "translate(" + x.toFixed(1) + " " + y.toFixed(1) + ")");
    }
  }
  sliders.forEach((slider) => slider.addEventListener("input", show));
  show();
  root.dataset.ready = "true";
}"""
