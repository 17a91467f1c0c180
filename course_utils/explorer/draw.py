"""Draw a digit: the autoencoder's encoder, decoder and anomaly verdict, in the reader's browser.

``draw_explorer(model, threshold, latents=z_test, labels=y_test, examples=(x_test, y_test))``
returns a :class:`DrawExplorer`, whose ``_repr_html_`` (also ``.html``) is one self-contained HTML
fragment, like the static latent explorer's (:mod:`.static`): the reader draws a digit on a pad
(mouse, finger or pen) or starts from a test digit (buttons, so that the keyboard is enough), and
the page shows

- the drawing as the network sees it: a 28×28 image made as MNIST's digits were made
  (:func:`preprocess_drawing`, which the page's script repeats step by step);
- its code z = f(x), marked on the scatter of ``latents`` (the test digits' codes);
- its reconstruction g(f(x)) and the reconstruction error (the mean squared error over the 784
  pixels) against the anomaly ``threshold``, with the verdict in words.

The encoder's and the decoder's weights are packed as the static latent explorer packs its
decoder's (:func:`.static.pack_weights`), in float16 unless that moves a code or a reconstructed
pixel by more than ``PAGE_TOLERANCE``; layers with few weights (the code layers) stay float32,
which costs nothing. The page carries no other copy of the model and loads nothing.

The script and style are ``draw_explorer.js`` (after ``shared.js``, what the two explorers'
scripts share) and ``draw_explorer.css`` (after ``latent_explorer.css``, whose rules draw the
scatter), inlined into each fragment.

DOM contract (``{id}`` is unique per instance)::

    div.draw-explorer#{id}                 root; data-started="true" once the script ran,
                                           data-ready="true" once the weights are unpacked; its
                                           property drawExplorer holds the last update:
                                           {x, z, reconstruction, error, flagged}, or null when
                                           the pad is blank
      canvas.draw-explorer-pad             PAD_SIDE × PAD_SIDE pad; the ink is its alpha channel
      canvas.draw-explorer-input           28×28: the preprocessed drawing x, grey 255·(1 − x)
      canvas.draw-explorer-reconstruction  28×28: g(f(x)), drawn alike
      button.draw-explorer-clear           empties the pad
      button.draw-explorer-example         data-example = k: paints example k on the pad
      p.draw-explorer-result               z, the error, the threshold and the verdict (polite
                                           live region); data-verdict="usual" or "unusual"
      svg .latent-explorer-marker          z on the scatter (hidden while the pad is blank)
      p.draw-explorer-status               shown until the weights are unpacked, says why if
                                           they cannot be (no JavaScript, an old browser)

Every update (read the pad, preprocess, encode, decode, redraw) is one User Timing measure
named ``draw-explorer-update``, which benchmarks/draw_pad.py collects.
"""

from __future__ import annotations

import base64
import html
import math
import uuid
from typing import NamedTuple

import numpy as np

from .. import checks
from ..images import check_images
from .shared import IMAGE_SIDE, check_inputs_for_sizes
from .static import (
    _asset,
    check_element_id,
    dense_layers,
    forward,
    inline_script,
    packed_layers,
    scatter_markup,
    script_safe_json,
)

MNIST_BOX = 20  # MNIST fitted each digit into a MNIST_BOX × MNIST_BOX box, keeping its aspect
MNIST_CENTRE = 14  # ...then put its centre of mass at this row and column (pixel centres 0..27)
PAD_SIDE = 280  # the pad's pixels (and CSS pixels): a test digit is painted 10 × 10 per pixel
DIGIT_PX = 4 * IMAGE_SIDE  # the side of x and g(f(x)) on screen: two of them beside the pad
PEN_WIDTH = 26  # pad pixels: a 7 drawn across the pad gets about the ink of a test 7
PAGE_TOLERANCE = 0.005  # max |z| and pixel difference accepted from float16 weights
SMALL_LAYER_SHARE = 0.01  # layers with at most this share of a network's weights stay float32
PROBES = 256  # decoded latents on which the float16 weights are checked
EXAMPLE_CANDIDATES = 20  # test images per digit among which an example is chosen
VERDICTS = ("looks like the training digits", "flagged as unusual")

PAD_ALT = "Drawing pad: draw a digit here with a mouse, a finger or a pen"
INPUT_ALT = "Your drawing as the network sees it: a 28×28 image made as MNIST's digits were made"
RECONSTRUCTION_ALT = "The autoencoder's reconstruction g(f(x)) of that 28×28 image"
SCATTER_ALT = (
    "The test digits' codes, z1 across and z2 up, coloured by digit; a ring marks the code "
    "z = f(x) of the drawn digit"
)


class Example(NamedTuple):
    """A test digit the reader can start from: its label, whether the autoencoder saw that digit
    in training (``None`` when unknown) and its flat 28×28 image."""

    label: str
    seen: bool | None
    image: np.ndarray


def preprocess_drawing(drawing) -> np.ndarray:
    """A drawing as MNIST's digits were made: a flat 28×28 float32 image (784 values in [0, 1]).

    ``drawing`` is a 2-D array of ink, 0 (paper) to 1 (ink), of any size. As MNIST did: the
    bounding box of the ink is fitted into a 20×20 box keeping its aspect ratio, anti-aliased
    (each new pixel is the average of the ink it covers), then placed in the 28×28 image so that
    its centre of mass falls within half a pixel of row and column 14 (whole pixels, as MNIST's
    digits' centres of mass do); ink placed outside the image is cut off, as in MNIST (107 of
    its 10,000 test digits touch the edge). A blank drawing gives a blank image. The draw
    explorer's script does the same, step for step.
    """
    ink = np.asarray(drawing, dtype=np.float64)
    if ink.ndim != 2 or 0 in ink.shape:
        raise ValueError(
            f"drawing must be a 2-D array of ink values (height, width); got shape {ink.shape}"
        )
    if not np.isfinite(ink).all() or ink.min() < 0 or ink.max() > 1:
        raise ValueError(
            "drawing must hold finite ink values in [0, 1] (0 paper, 1 ink); they range from "
            f"{np.nanmin(ink):g} to {np.nanmax(ink):g} (0-255 values: divide them by 255)"
        )
    rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if len(rows) == 0:
        return np.zeros(IMAGE_SIDE * IMAGE_SIDE, np.float32)
    crop = ink[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1]
    height, width = crop.shape
    longest = max(height, width)
    fitted_height = max(1, math.floor(height * MNIST_BOX / longest + 0.5))
    fitted_width = max(1, math.floor(width * MNIST_BOX / longest + 0.5))
    fitted = area_weights(height, fitted_height) @ crop @ area_weights(width, fitted_width).T
    mass = fitted.sum()
    top = _placement(fitted.sum(axis=1) @ np.arange(fitted_height) / mass)
    left = _placement(fitted.sum(axis=0) @ np.arange(fitted_width) / mass)
    margin = MNIST_BOX  # room for the fitted digit wherever it goes, then cut to 28 × 28
    framed = np.zeros((IMAGE_SIDE + 2 * margin,) * 2)
    top, left = margin + top, margin + left
    framed[top : top + fitted_height, left : left + fitted_width] = fitted
    return framed[margin:-margin, margin:-margin].ravel().astype(np.float32)


def area_weights(size: int, new_size: int) -> np.ndarray:
    """The ``(new_size, size)`` matrix that resamples ``size`` pixels to ``new_size`` by area:
    new pixel i averages old pixels over [i·size/new_size, (i+1)·size/new_size)."""
    edges = np.arange(new_size + 1) * size / new_size
    pixels = np.arange(size)
    covered = np.minimum(pixels + 1, edges[1:, None]) - np.maximum(pixels, edges[:-1, None])
    return np.clip(covered, 0, None) * new_size / size


def _placement(centre_of_mass: float) -> int:
    """The first row (or column) of the fitted digit that puts its centre of mass nearest to
    MNIST_CENTRE. The centre is first rounded to 1e-6, so that this script and the page's, which
    add up in different orders, agree on a digit whose centre lies on a half pixel."""
    centre = math.floor(centre_of_mass * 1e6 + 0.5) / 1e6
    return math.floor(MNIST_CENTRE - centre + 0.5)


def on_the_pad(image) -> np.ndarray:
    """A flat 28×28 image as the page paints it on the pad to start from: each pixel a
    PAD_SIDE/28-pixel square of ink (preprocessing it gives the image back, for most digits)."""
    scale = PAD_SIDE // IMAGE_SIDE
    square = np.asarray(image, dtype=np.float64).reshape(IMAGE_SIDE, IMAGE_SIDE)
    return np.kron(square, np.ones((scale, scale)))


class DrawExplorer:
    """The draw-a-digit explorer as one self-contained HTML fragment (``html``).

    ``encoder`` and ``decoder`` are the networks' Dense layers (``(kernel, bias, activation)``,
    from :func:`.static.dense_layers`; the page keeps them, the object does not), ``inputs`` the
    checked latents of the scatter, ``examples`` the test digits to start from. ``storage``
    names the dtype of each layer's weights in the page (``{"encoder": [...], "decoder":
    [...]}``) and ``example_errors`` the examples' reconstruction errors, computed here in full
    precision.
    """

    def __init__(self, encoder, decoder, threshold: float, inputs, examples=(), element_id=None):
        self.element_id = (
            f"draw-explorer-{uuid.uuid4().hex[:12]}"
            if element_id is None
            else check_element_id(element_id)
        )
        self.threshold, self.inputs, self.examples = threshold, inputs, list(examples)
        self.example_errors = reconstruction_errors(
            encoder, decoder, [example.image for example in self.examples]
        ).tolist()
        self.storage = _storage(encoder, decoder, _probes(decoder, inputs, self.examples))
        self.html = self._render(encoder, decoder)  # the layers stay in the page, not here

    def _repr_html_(self) -> str:
        return self.html

    @property
    def decimals(self) -> int:
        """Decimals that show the threshold with at least three significant digits (and 4)."""
        return max(4, 2 - math.floor(math.log10(self.threshold)))

    def _model_json(self, scatter, encoder, decoder) -> str:
        return script_safe_json(
            {
                "encoder": _segments(encoder, self.storage["encoder"]),
                "decoder": _segments(decoder, self.storage["decoder"]),
                "threshold": self.threshold,
                "decimals": self.decimals,
                "verdicts": VERDICTS,
                "mnist": {"side": IMAGE_SIDE, "box": MNIST_BOX, "centre": MNIST_CENTRE},
                "pen": PEN_WIDTH,
                "examples": [
                    base64.b64encode(np.round(example.image * 255).astype(np.uint8)).decode()
                    for example in self.examples
                ],
                "scatter": scatter,
            }
        )

    def _buttons(self) -> str:
        groups = {True: [], False: [], None: []}
        for index, example in enumerate(self.examples):
            kind = {True: " (seen in training)", False: " (unseen)", None: ""}[example.seen]
            name = html.escape(f"Start from test digit {example.label}{kind}")
            groups[example.seen].append(
                f'<button type="button" class="draw-explorer-example" data-example="{index}" '
                f'aria-label="{name}" disabled>{html.escape(example.label)}</button>'
            )
        words = {True: "seen", False: "unseen", None: "test digits"}
        spans = [
            f'        <span class="draw-explorer-group">{words[seen]}: {" ".join(buttons)}</span>'
            for seen, buttons in groups.items()
            if buttons
        ]
        start = '        <span class="draw-explorer-start">Start from a test digit:</span>'
        return "\n".join([start, *spans] if spans else [])

    def _scores_table(self) -> str:
        """The examples' errors and verdicts as a table: what the buttons show, in words."""
        if not self.examples:
            return ""
        rows = "\n".join(
            f"        <tr><td>{html.escape(example.label)}</td>"
            f"<td>{ {True: 'seen', False: 'unseen', None: ''}[example.seen] }</td>"
            f"<td>{error:.{self.decimals}f}</td><td>{VERDICTS[error > self.threshold]}</td></tr>"
            for example, error in zip(self.examples, self.example_errors, strict=True)
        )
        return f"""
  <details class="draw-explorer-scores">
    <summary>The test digits' scores, in a table</summary>
    <table>
      <thead><tr><th scope="col">test digit</th><th scope="col">in training</th>
        <th scope="col">reconstruction error</th><th scope="col">verdict</th></tr></thead>
      <tbody>
{rows}
      </tbody>
    </table>
  </details>"""

    def _render(self, encoder, decoder) -> str:
        """The fragment, in ASCII: its text's other characters as character references (the
        inlined script and style are ASCII), so that Python holds it in one byte a character."""
        markup = self._markup(encoder, decoder)
        return markup.encode("ascii", "xmlcharrefreplace").decode("ascii")

    def _markup(self, encoder, decoder) -> str:
        root = self.element_id
        scatter_html, scatter = scatter_markup(self.inputs, SCATTER_ALT)
        threshold = f"{self.threshold:.{self.decimals}f}"
        digit = f'width="{IMAGE_SIDE}" height="{IMAGE_SIDE}" role="img"'
        sizes = f"--draw-explorer-pad-side: {PAD_SIDE}px; --draw-explorer-digit-side: {DIGIT_PX}px"
        model = self._model_json(scatter, encoder, decoder)
        return f"""<div class="draw-explorer" id="{root}" style="{sizes}">
<style>{_asset("latent_explorer.css")}
{_asset("draw_explorer.css")}</style>
  <p class="draw-explorer-help">Draw a large digit in the box with a mouse, a finger or a pen,
    or start from a test digit. The explorer shows the 28×28 image the network receives, x,
    its reconstruction g(f(x)), the code z = f(x) on the map of the test digits' codes, and
    whether the reconstruction error is above the threshold of {threshold}.</p>
  <div class="draw-explorer-columns">
    <div class="draw-explorer-drawing">
      <figure>
        <canvas class="draw-explorer-pad" width="{PAD_SIDE}" height="{PAD_SIDE}" role="img"
                aria-label="{html.escape(PAD_ALT)}"></canvas>
        <figcaption>your drawing</figcaption>
      </figure>
      <div class="draw-explorer-controls">
        <button type="button" class="draw-explorer-clear" disabled>Clear</button>
{self._buttons()}
      </div>
      <p class="draw-explorer-result" aria-live="polite"></p>
      <p class="draw-explorer-status">This explorer needs JavaScript. In Jupyter, run the cell
        (or trust the notebook) to use it.</p>
    </div>
    <div class="draw-explorer-outputs">
      <div class="draw-explorer-digits">
        <figure>
          <canvas class="draw-explorer-input" {digit}
                  aria-label="{html.escape(INPUT_ALT)}"></canvas>
          <figcaption>what the network sees, x</figcaption>
        </figure>
        <figure>
          <canvas class="draw-explorer-reconstruction" {digit}
                  aria-label="{html.escape(RECONSTRUCTION_ALT)}"></canvas>
          <figcaption>its reconstruction g(f(x))</figcaption>
        </figure>
      </div>{scatter_html}
    </div>
  </div>{self._scores_table()}
<script type="application/json" class="draw-explorer-model">{model}</script>
{inline_script(root, ("shared.js", "draw_explorer.js"), "startDrawExplorer")}
</div>"""


def _segments(layers, dtypes) -> list[dict]:
    """Runs of consecutive layers with the same dtype, each packed as the static explorer packs
    its decoder (``packed_layers``): what the page's script unpacks, one run at a time."""
    segments, start = [], 0
    for end in range(1, len(layers) + 1):
        if end == len(layers) or dtypes[end] != dtypes[start]:
            segments.append(packed_layers(layers[start:end], dtypes[start]))
            start = end
    return segments


def _probes(decoder, inputs, examples) -> np.ndarray:
    """Images on which the float16 weights are checked: test digits to start from, and the
    decoder's images of (at most PROBES) latents of the scatter."""
    step = max(1, math.ceil(len(inputs.latents) / PROBES))
    decoded = np.clip(forward(decoder, inputs.latents[::step]), 0, 1)
    return np.concatenate([decoded, *(example.image[None, :] for example in examples)])


def _storage(encoder, decoder, probes) -> dict[str, list[str]]:
    """Each layer's dtype in the page: float32 for small layers, float16 for the others when that
    keeps every code and reconstructed pixel of ``probes`` within PAGE_TOLERANCE; else float32."""
    dtypes = {}
    for name, layers in (("encoder", encoder), ("decoder", decoder)):
        sizes = [layer.kernel.size + layer.bias.size for layer in layers]
        dtypes[name] = [
            "float32" if size <= SMALL_LAYER_SHARE * sum(sizes) else "float16" for size in sizes
        ]

    def stored(layers, kinds):
        return [
            (kernel.astype(kind), bias.astype(kind), activation)
            for (kernel, bias, activation), kind in zip(layers, kinds, strict=True)
        ]

    codes = forward(encoder, probes)
    stored_codes = forward(stored(encoder, dtypes["encoder"]), probes)
    pixels = forward(decoder, codes)
    stored_pixels = forward(stored(decoder, dtypes["decoder"]), stored_codes)
    if max(np.abs(stored_codes - codes).max(), np.abs(stored_pixels - pixels).max()) > (
        PAGE_TOLERANCE
    ):
        dtypes = {name: ["float32"] * len(kinds) for name, kinds in dtypes.items()}
    return dtypes


def _parts(model):
    """The encoder and decoder of ``model``: an object with ``.encoder`` and ``.decoder`` (what
    trained_autoencoder() returns), or the pair ``(encoder, decoder)``."""
    if isinstance(model, (tuple, list)) and len(model) == 2:
        return model
    encoder, decoder = getattr(model, "encoder", None), getattr(model, "decoder", None)
    if encoder is None or decoder is None:
        raise ValueError(
            "draw_explorer needs the autoencoder's encoder and decoder: pass what "
            "trained_autoencoder() returns (it has .encoder and .decoder), or the pair "
            f"(encoder, decoder); got a {type(model).__name__} without "
            + ("an encoder" if encoder is None else "a decoder")
        )
    return encoder, decoder


def _exported(network, part: str, shape: str):
    """``network``'s Dense layers, if it maps ``shape``; else a ValueError naming ``part``."""
    try:
        input_shape, output_shape = network.input_shape, network.output_shape
    except (AttributeError, ValueError) as error:
        raise ValueError(
            f"the {part} must be a built Keras model mapping {shape}; got {type(network).__name__}"
        ) from error
    if not (isinstance(input_shape, tuple) and isinstance(output_shape, tuple)) or (
        len(input_shape) != 2 or len(output_shape) != 2
    ):
        raise ValueError(
            f"the {part} must map {shape}; its shapes are {input_shape} → {output_shape}"
        )
    try:
        return dense_layers(network)
    except ValueError as error:
        raise ValueError(f"draw_explorer runs the {part} in the page: {error}") from None


def check_threshold(threshold) -> float:
    """``threshold`` as a float if it is a positive finite number; else a ValueError."""
    try:
        return checks.finite_number("threshold", threshold, above=0)
    except ValueError:
        raise ValueError(
            "threshold must be a positive finite number: the reconstruction error above which "
            f"an image is flagged (e.g. a quantile of the validation errors); got {threshold!r}"
        ) from None


def pick_examples(images, labels, error, seen_digits=None) -> list[Example]:
    """A typical test image per label of ``labels`` (seen digits first, then in order): of its
    first EXAMPLE_CANDIDATES that the pad gives back unchanged (see :func:`on_the_pad`), the one
    with the median reconstruction ``error`` (a function of a batch of images). ``seen_digits``
    says which labels the autoencoder trained on."""
    images = check_images(images, "the examples' images")
    labels = np.asarray(labels).reshape(-1)
    if len(labels) != len(images):
        raise ValueError(
            f"examples must be (images, labels) with one label per image: {len(labels)} "
            f"labels for {len(images)} images"
        )
    names = np.array([str(label) for label in labels.tolist()], dtype=object)
    seen = None if seen_digits is None else {str(label) for label in seen_digits}
    order = sorted(set(names), key=lambda name: (seen is not None and name not in seen, name))
    kept = {}
    for name in order:
        candidates = images[np.flatnonzero(names == name)[:EXAMPLE_CANDIDATES]]
        returned = [
            np.abs(preprocess_drawing(on_the_pad(image)) - image).max() < 1e-6
            for image in candidates
        ]
        kept[name] = candidates[returned] if any(returned) else candidates
    sizes = [len(group) for group in kept.values()]
    errors = np.split(error(np.concatenate(list(kept.values()))), np.cumsum(sizes)[:-1])
    examples = []
    for (name, group), group_errors in zip(kept.items(), errors, strict=True):
        typical = group[np.argsort(group_errors)[len(group) // 2]]  # the median error's
        examples.append(Example(name, None if seen is None else name in seen, typical))
    return examples


def reconstruction_errors(encoder, decoder, images) -> np.ndarray:
    """Each image's mean squared error between it and g(f(image)), in full precision, from the
    exported layers (what the page computes, and Keras too)."""
    x = np.asarray(images, dtype=np.float64).reshape(-1, IMAGE_SIDE * IMAGE_SIDE)
    return np.mean((forward(decoder, forward(encoder, x)) - x) ** 2, axis=1)


def draw_explorer(
    model, threshold, latents, labels=None, examples=None, element_id=None
) -> DrawExplorer:
    """A kernel-free draw-a-digit explorer of an autoencoder, with its anomaly verdict.

    ``model`` is what :func:`course_utils.trained_autoencoder` returns (or a pair ``(encoder,
    decoder)``), both made of ``Dense`` layers; ``threshold`` the reconstruction error above
    which a drawing is flagged as unusual; ``latents`` the test digits' codes, drawn as a scatter
    coloured by ``labels``, on which the drawing's code is marked. ``examples=(images, labels)``
    adds a button per digit to start from one of its test images; a digit is called seen when it
    is among ``labels`` (the digits of the scatter). ``element_id`` names the root element (a
    letter, then letters, digits, ``_`` or ``-``), else a unique id.
    """
    encoder_model, decoder_model = _parts(model)
    encoder = _exported(encoder_model, "encoder", "images (batch, 784) to codes (batch, d)")
    decoder = _exported(decoder_model, "decoder", "codes (batch, d) to images (batch, 784)")
    if encoder[0].kernel.shape[0] != IMAGE_SIDE * IMAGE_SIDE:
        raise ValueError(
            f"the encoder must take flat 28×28 images (784 values); it takes "
            f"{encoder[0].kernel.shape[0]}"
        )
    latent_dim = encoder[-1].kernel.shape[1]
    if decoder[0].kernel.shape[0] != latent_dim:
        raise ValueError(
            f"the encoder gives codes of size {latent_dim} but the decoder takes "
            f"{decoder[0].kernel.shape[0]}: pass the two halves of one autoencoder"
        )
    threshold = check_threshold(threshold)
    if latents is None:
        raise ValueError(
            "draw_explorer needs latents: the test digits' codes, shape (n, d), for its map"
        )
    inputs = check_inputs_for_sizes(latent_dim, decoder[-1].kernel.shape[1], latents, labels)
    picked = []
    if examples is not None:
        if not (isinstance(examples, (tuple, list)) and len(examples) == 2):
            raise ValueError("examples must be a pair (images, labels), e.g. (x_test, y_test)")
        seen = None if inputs.labels is None else set(inputs.labels.tolist())
        picked = pick_examples(
            *examples, lambda x: reconstruction_errors(encoder, decoder, x), seen_digits=seen
        )
    return DrawExplorer(encoder, decoder, threshold, inputs, picked, element_id=element_id)
