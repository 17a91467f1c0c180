"""course_utils.explorer.draw: MNIST's preprocessing of a drawing, in Python and in the page's
script, and the draw-a-digit explorer's HTML, weights and checks of its arguments."""

import base64
import json
import re
import subprocess
from importlib import resources

import keras
import numpy as np
import pytest
from test_explorer_static import Elements  # the static explorer's tests' HTML parser

from course_utils import DrawExplorer, build_autoencoder, draw_explorer, load_mnist_test
from course_utils.explorer import draw
from course_utils.explorer.draw import MNIST_BOX, MNIST_CENTRE, on_the_pad, preprocess_drawing
from course_utils.explorer.static import dense_layers, forward, unpack_weights

MODEL_SCRIPT = r'<script type="application/json" class="draw-explorer-model">(.*?)</script>'
SCRIPT = resources.files("course_utils.explorer").joinpath("draw_explorer.js")
# Node runs the page's preprocessInk on pads given as JSON (width, height, base64 alpha bytes).
NODE_PREPROCESS = """
const fs = require("fs"), vm = require("vm");
vm.runInThisContext(fs.readFileSync(process.argv[1], "utf8"));
const pads = JSON.parse(fs.readFileSync(0, "utf8")), mnist = JSON.parse(process.argv[2]);
console.log(JSON.stringify(pads.map(({width, height, alpha}) => {
  const rgba = new Uint8ClampedArray(4 * width * height);
  Buffer.from(alpha, "base64").forEach((value, k) => { rgba[4 * k + 3] = value; });
  const image = preprocessInk(rgba, width, height, mnist);
  return image === null ? null : Array.from(image);
})));
"""


@pytest.fixture(scope="module")
def mnist_test():
    return load_mnist_test()


@pytest.fixture(scope="module")
def autoencoder():
    """A small untrained autoencoder (encoder, decoder) with a sigmoid output."""
    encoder, decoder, _ = build_autoencoder(
        latent_dim=2, hidden=(32, 16), output_activation="sigmoid"
    )
    return encoder, decoder


@pytest.fixture(scope="module")
def codes():
    rng = np.random.default_rng(1)
    return rng.normal(size=(300, 2)).astype(np.float32), rng.choice([1, 5, 6], size=300)


def centre_of_mass(image) -> np.ndarray:
    square = np.asarray(image, dtype=np.float64).reshape(28, 28)
    return (
        np.array([square.sum(axis=1) @ np.arange(28), square.sum(axis=0) @ np.arange(28)])
        / square.sum()
    )


def ink_box(image) -> tuple[int, int]:
    """Height and width of the box around an image's non-zero pixels."""
    rows, columns = np.nonzero(np.asarray(image).reshape(28, 28))
    return rows.max() - rows.min() + 1, columns.max() - columns.min() + 1


def strokes(height, width, segments, pen, rng=None) -> np.ndarray:
    """A drawing of round-capped strokes (``segments``: pairs of points, in pixels) with
    antialiased edges, as 8-bit alpha divided by 255, like the page's pad."""
    rows, columns = np.mgrid[0:height, 0:width] + 0.5
    ink = np.zeros((height, width))
    for (r0, c0), (r1, c1) in segments:
        direction = np.array([r1 - r0, c1 - c0], dtype=np.float64)
        length = max(np.hypot(*direction), 1e-9)
        along = np.clip(
            ((rows - r0) * direction[0] + (columns - c0) * direction[1]) / length**2, 0, 1
        )
        distance = np.hypot(rows - r0 - along * direction[0], columns - c0 - along * direction[1])
        ink = np.maximum(ink, np.clip(pen / 2 - distance + 0.5, 0, 1))
    return np.round(ink * 255) / 255


def random_drawings(count, seed=0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    drawings = []
    for _ in range(count):
        height, width = rng.integers(60, 300, size=2)
        points = rng.uniform(0, 1, size=(rng.integers(2, 6), 2)) * [height, width]
        drawings.append(
            strokes(
                height, width, list(zip(points[:-1], points[1:], strict=True)), rng.uniform(3, 30)
            )
        )
    return drawings


def test_a_drawing_becomes_a_28_by_28_image_as_mnist_digits_were_made():
    tall = strokes(280, 280, [((40, 140), (240, 100))], pen=26)  # a slanted 1
    image = preprocess_drawing(tall)
    assert image.shape == (784,) and image.dtype == np.float32
    assert 0 <= image.min() and image.max() <= 1
    height, width = ink_box(image)
    assert height == MNIST_BOX and width < MNIST_BOX  # fitted into the 20 × 20 box
    np.testing.assert_allclose(centre_of_mass(image), MNIST_CENTRE, atol=0.5)
    assert np.any((image > 0.05) & (image < 0.95))  # antialiased edges, not only 0 and 1

    wide = np.zeros((100, 300))
    wide[20:80, 0:300] = 1  # a bar 5 times as wide as it is high keeps its aspect
    assert ink_box(preprocess_drawing(wide)) == (MNIST_BOX // 5, MNIST_BOX)
    np.testing.assert_array_equal(preprocess_drawing(np.zeros((50, 80))), np.zeros(784))


def test_where_the_drawing_sits_on_the_pad_and_its_size_do_not_matter():
    small = strokes(280, 280, [((20, 20), (60, 60)), ((60, 60), (20, 90))], pen=6)
    shifted = np.roll(small, (150, 120), axis=(0, 1))
    large = strokes(280, 280, [((50, 50), (150, 150)), ((150, 150), (50, 225))], pen=15)
    np.testing.assert_array_equal(preprocess_drawing(small), preprocess_drawing(shifted))
    assert np.abs(preprocess_drawing(small) - preprocess_drawing(large)).mean() < 0.05


def test_a_mnist_digit_on_the_pad_comes_back_as_it_was(mnist_test):
    """The pad paints a test digit with 10 × 10 squares; preprocessing it again gives the digit
    back exactly when its ink spans 20 pixels (most digits), and always keeps MNIST's properties:
    a 20-pixel box, the centre of mass within half a pixel of the centre (unless ink was cut at
    the edge, as MNIST cut it), nearly the same image."""
    images = mnist_test[0][::25]
    again = np.array([preprocess_drawing(on_the_pad(image)) for image in images])
    spans_20 = np.array([max(ink_box(image)) == MNIST_BOX for image in images])
    exact = np.abs(again - images).max(axis=1) < 1e-6
    assert spans_20.mean() > 0.85 and exact[spans_20].mean() > 0.95
    for redone in again:
        square = redone.reshape(28, 28)
        if not (square[[0, -1]].any() or square[:, [0, -1]].any()):
            assert max(ink_box(redone)) == MNIST_BOX
            np.testing.assert_allclose(centre_of_mass(redone), MNIST_CENTRE, atol=0.5 + 1e-6)
    assert np.abs(again - images).mean(axis=1).max() < 0.05


def test_a_digit_drawn_at_another_scale_comes_back(mnist_test):
    """A test digit enlarged 7.3 times, each new pixel the average of what it covers (as a
    canvas draws), comes back as it was: the preprocessing undoes the scale and the place, up to
    a pixel's shift where the centre of mass lies near a half pixel."""
    from PIL import Image

    same = []
    for image in mnist_test[0][:400:10]:
        square = Image.fromarray(np.uint8(np.round(image.reshape(28, 28) * 255)))
        big = np.asarray(square.resize((204, 204), Image.Resampling.BOX)) / 255
        again = preprocess_drawing(np.pad(big, ((30, 46), (55, 21)))).reshape(28, 28)
        shifts = [(rows, columns) for rows in (-1, 0, 1) for columns in (-1, 0, 1)]
        closeness = {
            shift: np.corrcoef(np.roll(again, shift, axis=(0, 1)).ravel(), image)[0, 1]
            for shift in shifts
        }
        assert max(closeness.values()) > 0.99
        same.append(closeness[0, 0] > 0.99)
    assert np.mean(same) >= 0.9


def test_the_pages_script_preprocesses_exactly_as_python_does(mnist_test):
    drawings = random_drawings(40) + [on_the_pad(image) for image in mnist_test[0][:10]]
    single = np.zeros((280, 280))
    single[279, 0] = 128 / 255  # one grey pixel in a corner
    drawings += [single, np.zeros((28, 28)), np.ones((3, 500))]
    pads = [
        {
            "width": drawing.shape[1],
            "height": drawing.shape[0],
            "alpha": base64.b64encode(np.uint8(np.round(drawing * 255)).tobytes()).decode(),
        }
        for drawing in drawings
    ]
    mnist = {"side": 28, "box": MNIST_BOX, "centre": MNIST_CENTRE}
    result = subprocess.run(
        ["node", "-e", NODE_PREPROCESS, str(SCRIPT), json.dumps(mnist)],
        input=json.dumps(pads),
        capture_output=True,
        text=True,
        check=True,
    )
    for drawing, shown in zip(drawings, json.loads(result.stdout), strict=True):
        expected = preprocess_drawing(drawing)
        if shown is None:
            assert not expected.any()
        else:
            np.testing.assert_allclose(shown, expected, atol=1e-6)


@pytest.mark.parametrize(
    ("drawing", "message"),
    [
        (np.zeros((2, 3, 4)), r"2-D array of ink values \(height, width\); got shape \(2, 3, 4\)"),
        (np.zeros((0, 5)), "got shape"),
        (np.full((5, 5), 255.0), r"range from 255 to 255 \(0-255 values: divide them by 255\)"),
        (np.array([[0.5, np.nan]]), "finite ink values in"),
        (-np.ones((3, 3)), "in \\[0, 1\\]"),
    ],
)
def test_a_drawing_that_is_not_ink_in_0_1_is_refused(drawing, message):
    with pytest.raises(ValueError, match=message):
        preprocess_drawing(drawing)


def embedded_model(html: str) -> dict:
    return json.loads(re.search(MODEL_SCRIPT, html, re.S).group(1))


def unpacked(segments) -> list:
    return [layer for segment in segments for layer in unpack_weights(segment)]


def test_the_page_carries_the_encoder_and_decoder(autoencoder, codes, monkeypatch):
    encoder, decoder = autoencoder
    explorer = draw_explorer((encoder, decoder), 0.05, latents=codes[0], labels=codes[1])
    assert isinstance(explorer, DrawExplorer) and explorer._repr_html_() == explorer.html
    model = embedded_model(explorer.html)
    for name, network in (("encoder", encoder), ("decoder", decoder)):
        exported = dense_layers(network)
        shown = unpacked(model[name])
        assert [layer.activation for layer in shown] == [layer.activation for layer in exported]
        for (kernel, bias, _), original in zip(shown, exported, strict=True):
            np.testing.assert_allclose(kernel, original.kernel, rtol=1e-3, atol=1e-7)
            np.testing.assert_allclose(bias, original.bias, rtol=1e-3, atol=1e-7)
    # The code layers are tiny: float32. The others float16, as they keep within tolerance.
    assert explorer.storage == {
        "encoder": ["float16", "float16", "float32"],
        "decoder": ["float32", "float16", "float16"],
    }
    assert [segment["dtype"] for segment in model["encoder"]] == ["float16", "float32"]
    monkeypatch.setattr(draw, "PAGE_TOLERANCE", 0.0)
    exact = draw_explorer((encoder, decoder), 0.05, latents=codes[0])
    assert set(exact.storage["encoder"] + exact.storage["decoder"]) == {"float32"}
    (kernel, _, _), *_ = unpacked(embedded_model(exact.html)["encoder"])
    np.testing.assert_array_equal(kernel, np.asarray(encoder.layers[0].kernel))


def test_the_page_and_python_compute_the_same_codes_and_errors(mnist_test, autoencoder, codes):
    """The exported forward pass is Keras' (what the browser test compares with), and the
    examples' errors are the explorer's own reconstruction errors."""
    encoder, decoder = autoencoder
    images = mnist_test[0][:64]
    z = forward(dense_layers(encoder), images)
    np.testing.assert_allclose(z, np.asarray(encoder(images)), atol=1e-5)
    explorer = draw_explorer(
        (encoder, decoder), 0.05, latents=codes[0], labels=codes[1], examples=mnist_test
    )
    rebuilt = np.asarray(decoder(encoder(np.array([e.image for e in explorer.examples]))))
    keras_errors = np.mean((rebuilt - [e.image for e in explorer.examples]) ** 2, axis=1)
    np.testing.assert_allclose(explorer.example_errors, keras_errors, rtol=1e-4)


def test_one_typical_example_per_digit_seen_digits_first(mnist_test, autoencoder, codes):
    encoder, decoder = autoencoder
    explorer = draw_explorer(
        (encoder, decoder), 0.05, latents=codes[0], labels=codes[1], examples=mnist_test
    )
    assert [(e.label, e.seen) for e in explorer.examples] == [
        ("1", True), ("5", True), ("6", True),
        *((str(d), False) for d in (0, 2, 3, 4, 7, 8, 9)),
    ]  # fmt: skip
    images, labels = mnist_test
    for example in explorer.examples:  # a test image of that digit, which the pad gives back
        assert any(
            np.array_equal(example.image, image)
            for image in images[labels == int(example.label)][:20]
        )
        np.testing.assert_allclose(
            preprocess_drawing(on_the_pad(example.image)), example.image, atol=1e-6
        )
    buttons = [a for tag, a in Elements(explorer.html).elements if "data-example" in a]
    assert [b["aria-label"] for b in buttons][:4] == [
        "Start from test digit 1 (seen in training)",
        "Start from test digit 5 (seen in training)",
        "Start from test digit 6 (seen in training)",
        "Start from test digit 0 (unseen)",
    ]
    model = embedded_model(explorer.html)
    first = np.frombuffer(base64.b64decode(model["examples"][0]), np.uint8)
    np.testing.assert_array_equal(first, np.round(explorer.examples[0].image * 255))


def test_every_control_and_image_is_labelled(autoencoder, codes, mnist_test):
    explorer = draw_explorer(
        autoencoder, 0.0412, latents=codes[0], labels=codes[1], examples=mnist_test
    )
    elements = Elements(explorer.html).elements
    assert [a["aria-label"] for tag, a in elements if tag == "canvas"] == [
        draw.PAD_ALT,
        draw.INPUT_ALT,
        draw.RECONSTRUCTION_ALT,
    ]
    assert [a["alt"] for tag, a in elements if tag == "img"] == [draw.SCATTER_ALT]
    assert all(tag != "button" or a.get("type") == "button" for tag, a in elements)
    assert "threshold of 0.0412" in explorer.html  # the text alternative names the threshold
    assert "Start from a test digit" in explorer.html
    assert "Start from" not in draw_explorer(autoencoder, 0.05, latents=codes[0]).html
    assert "<table>" in explorer.html and explorer.html.count("<tr><td>") == 10
    ids = [a["id"] for _, a in elements if "id" in a]
    assert len(ids) == len(set(ids)) == 1


def test_the_threshold_keeps_three_significant_digits(autoencoder, codes):
    for threshold, shown in ((0.0563, "0.0563"), (0.000123, "0.000123"), (2.5, "2.5000")):
        html = draw_explorer(autoencoder, threshold, latents=codes[0]).html
        assert f"threshold of {shown}." in html


def test_labels_reaching_the_page_are_escaped(autoencoder, codes, mnist_test):
    images = mnist_test[0][:40]
    labels = np.where(np.arange(40) % 2, "<img src=x onerror=alert(1)>", "a&b")
    explorer = draw_explorer(autoencoder, 0.05, latents=codes[0], examples=(images, labels))
    assert "<img src=x" not in explorer.html
    assert "&lt;img src=x onerror=alert(1)&gt;" in explorer.html and "a&amp;b" in explorer.html


def test_the_page_loads_nothing_from_elsewhere_and_inlines_its_script(autoencoder, codes):
    html = draw_explorer(autoencoder, 0.05, latents=codes[0], labels=codes[1]).html
    sources = [
        a.get("src") or a["href"] for _, a in Elements(html).elements if "src" in a or "href" in a
    ]
    assert sources and all(source.startswith("data:image/png;base64,") for source in sources)
    files = resources.files("course_utils.explorer")
    for name in ("shared.js", "draw_explorer.js", "draw_explorer.css", "latent_explorer.css"):
        text = files.joinpath(name).read_text()
        assert text in html and "</" not in text and "<!--" not in text
    assert html.isascii() and "28&#215;28" in html  # 1 byte a character in Python


def test_a_model_without_an_encoder_is_refused(autoencoder, codes):
    encoder, decoder = autoencoder
    with pytest.raises(ValueError, match="encoder and decoder: pass what trained_autoencoder"):
        draw_explorer(decoder, 0.05, latents=codes[0])
    with pytest.raises(ValueError, match="without an encoder"):
        draw_explorer(
            keras.Sequential([keras.Input((784,)), keras.layers.Dense(784)]), 0.05, codes[0]
        )


def test_networks_that_do_not_fit_are_refused(autoencoder, codes):
    encoder, decoder = autoencoder
    other_encoder, other_decoder, _ = build_autoencoder(latent_dim=3, hidden=(8,))
    with pytest.raises(ValueError, match="codes of size 3 but the decoder takes 2"):
        draw_explorer((other_encoder, decoder), 0.05, latents=codes[0])
    conv = keras.Sequential(
        [keras.Input((784,)), keras.layers.Reshape((784, 1)), keras.layers.Conv1D(1, 3),
         keras.layers.Flatten(), keras.layers.Dense(2)]
    )  # fmt: skip
    with pytest.raises(ValueError, match="runs the encoder in the page: .*only export Dense"):
        draw_explorer((conv, decoder), 0.05, latents=codes[0])
    with pytest.raises(ValueError, match="must be a built Keras model"):
        draw_explorer((object(), decoder), 0.05, latents=codes[0])


@pytest.mark.parametrize("threshold", [0, -0.1, float("nan"), float("inf"), "0.05", None, True])
def test_a_threshold_that_is_not_a_positive_finite_number_is_refused(autoencoder, codes, threshold):
    with pytest.raises(ValueError, match="threshold must be a positive finite number"):
        draw_explorer(autoencoder, threshold, latents=codes[0])


@pytest.mark.parametrize(
    ("latents", "message"),
    [
        (np.zeros((10, 3)), "takes codes of size 2, but latents have 3 columns"),
        (np.zeros(10), r"non-empty \(n, latent_dim\) array; got shape \(10,\)"),
        (np.full((4, 2), np.nan), "NaN"),
        (None, "draw_explorer needs latents"),
    ],
)
def test_latents_of_the_wrong_shape_are_refused(autoencoder, latents, message):
    with pytest.raises(ValueError, match=message):
        draw_explorer(autoencoder, 0.05, latents=latents)


def test_examples_must_be_images_with_labels(autoencoder, codes):
    with pytest.raises(ValueError, match="one label per image: 3 labels for 2 images"):
        draw_explorer(autoencoder, 0.05, codes[0], examples=(np.zeros((2, 784)), [1, 2, 3]))
    with pytest.raises(ValueError, match="look like 0-255 values"):
        draw_explorer(autoencoder, 0.05, codes[0], examples=(np.full((2, 784), 200), [1, 2]))
    with pytest.raises(ValueError, match=r"a pair \(images, labels\)"):
        draw_explorer(autoencoder, 0.05, codes[0], examples=np.zeros((2, 784)))


def test_element_ids_are_checked_as_the_latent_explorers_are(autoencoder, codes):
    with pytest.raises(ValueError, match="element_id must start with a letter"):
        draw_explorer(autoencoder, 0.05, codes[0], element_id='x" onmouseover="alert(1)')
    assert 'id="draw-1"' in draw_explorer(autoencoder, 0.05, codes[0], element_id="draw-1").html
