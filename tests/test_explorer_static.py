"""course_utils.explorer.static: the latent explorer as one self-contained HTML fragment."""

import base64
import json
import re
import subprocess
import sys
import zlib
from html.parser import HTMLParser
from importlib import resources

import keras
import numpy as np
import pytest

from course_utils import StaticLatentExplorer, build_autoencoder, static_latent_explorer
from course_utils.explorer import static as web_explorer
from course_utils.explorer.shared import DIGIT_ALT, DIGIT_SIDE_PX, SCATTER_ALT
from course_utils.explorer.static import dense_layers, forward

MODEL_SCRIPT = r'<script type="application/json" class="latent-explorer-model">(.*?)</script>'


@pytest.fixture(scope="module")
def decoder():
    _, decoder, _ = build_autoencoder(latent_dim=2, hidden=(32, 16), output_activation="sigmoid")
    return decoder


@pytest.fixture(scope="module")
def latents():
    rng = np.random.default_rng(1)
    return rng.normal(size=(400, 2)).astype(np.float32) * 3, rng.choice([1, 5, 6], size=400)


def embedded_model(html: str) -> dict:
    return json.loads(re.search(MODEL_SCRIPT, html, re.S).group(1))


def decode_weights(model: dict) -> list:
    """The embedded layers, unpacked here independently of static.unpack_weights: base64, zlib,
    then the bytes of each value gathered back from the shuffled planes."""
    dtype = {"float16": "<f2", "float32": "<f4"}[model["dtype"]]
    planes = np.frombuffer(zlib.decompress(base64.b64decode(model["weights"])), np.uint8)
    size = np.dtype(dtype).itemsize
    values = np.stack(np.split(planes, size), axis=1).copy().view(dtype).ravel()
    layers = []
    for layer in model["layers"]:
        kernel_size = layer["inputs"] * layer["units"]
        kernel = values[:kernel_size].reshape(layer["inputs"], layer["units"])
        bias, values = (
            values[kernel_size : kernel_size + layer["units"]],
            values[kernel_size + layer["units"] :],
        )
        layers.append((kernel, bias))
    assert len(values) == 0, "values left over after the last layer"
    return layers


class Elements(HTMLParser):
    def __init__(self, html):
        super().__init__()
        self.elements = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def test_embedded_weights_round_trip_to_the_decoders(decoder, latents):
    explorer = static_latent_explorer(decoder, latents=latents[0], labels=latents[1])
    assert isinstance(explorer, StaticLatentExplorer) and explorer._repr_html_() == explorer.html
    model = embedded_model(explorer.html)
    dense = [layer for layer in decoder.layers if isinstance(layer, keras.layers.Dense)]
    assert [
        (exported["inputs"], exported["units"], exported["activation"])
        for exported in model["layers"]
    ] == [(layer.kernel.shape[0], layer.units, layer.activation.__name__) for layer in dense]
    for (kernel, bias), layer in zip(decode_weights(model), dense, strict=True):
        np.testing.assert_allclose(kernel, np.asarray(layer.kernel), rtol=1e-3, atol=1e-7)
        np.testing.assert_allclose(bias, np.asarray(layer.bias), rtol=1e-3, atol=1e-7)


def test_the_exported_forward_pass_is_the_decoder(decoder):
    codes = np.random.default_rng(2).normal(size=(64, 2)).astype(np.float32) * 5
    np.testing.assert_allclose(
        forward(dense_layers(decoder), codes), np.asarray(decoder(codes, training=False)), atol=1e-5
    )


def test_packed_weights_unpack_to_the_layers_and_take_fewer_bytes(decoder):
    layers = dense_layers(decoder)
    for dtype in ("float16", "float32"):
        packed = web_explorer.pack_weights(layers, dtype)
        model = {
            "dtype": dtype,
            "weights": packed,
            "layers": [
                {"inputs": k.shape[0], "units": k.shape[1], "activation": a} for k, _, a in layers
            ],
        }
        unpacked = web_explorer.unpack_weights(model)
        assert [layer.activation for layer in unpacked] == [layer.activation for layer in layers]
        for (kernel, bias, _), original in zip(unpacked, layers, strict=True):
            exact = dtype == "float32"
            np.testing.assert_allclose(
                kernel, original.kernel, rtol=0 if exact else 1e-3, atol=1e-7
            )
            np.testing.assert_allclose(bias, original.bias, rtol=0 if exact else 1e-3, atol=1e-7)
        plain = sum(
            4 / 3 * part.size * (2 if dtype == "float16" else 4)
            for layer in layers
            for part in layer[:2]
        )
        assert len(packed) < 0.95 * plain  # deflating the shuffled bytes saves at least 5 %
    model["layers"] = model["layers"][:-1]
    with pytest.raises(ValueError, match="the packed weights hold .* values; the layers need"):
        web_explorer.unpack_weights(model)


def test_float16_only_when_it_stays_within_tolerance(decoder, latents, monkeypatch):
    assert static_latent_explorer(decoder, latents=latents[0]).weights_dtype == "float16"
    monkeypatch.setattr(web_explorer, "FLOAT16_TOLERANCE", 0.0)
    explorer = static_latent_explorer(decoder, latents=latents[0])
    assert explorer.weights_dtype == "float32"
    (kernel, _), *_ = decode_weights(embedded_model(explorer.html))
    np.testing.assert_array_equal(kernel, np.asarray(decoder.layers[0].kernel))


def test_sliders_are_labelled_ranges_with_unique_ids(decoder, latents):
    one, two = (
        static_latent_explorer(decoder, latents=latents[0], labels=latents[1]) for _ in range(2)
    )
    elements = Elements(one.html + two.html).elements
    ids = [attrs["id"] for _, attrs in elements if "id" in attrs]
    assert len(ids) == len(set(ids)) == 6  # per explorer: the root and two sliders
    sliders = [attrs for tag, attrs in elements if tag == "input"]
    assert all(attrs["type"] == "range" for attrs in sliders) and len(sliders) == 4
    labelled = {attrs["for"] for tag, attrs in elements if tag == "label"}
    assert labelled == {attrs["id"] for attrs in sliders}
    low, high = latents[0].min(axis=0), latents[0].max(axis=0)
    for dim, attrs in enumerate(sliders[:2]):
        assert float(attrs["min"]) == pytest.approx(low[dim])
        assert float(attrs["max"]) == pytest.approx(high[dim])
        assert float(attrs["min"]) <= float(attrs["value"]) <= float(attrs["max"])
    roots = [attrs for tag, attrs in elements if attrs.get("class") == "latent-explorer"]
    assert [attrs["data-latent-dim"] for attrs in roots] == ["2", "2"]


def test_the_page_loads_nothing_from_elsewhere(decoder, latents):
    html = static_latent_explorer(decoder, latents=latents[0], labels=latents[1]).html
    elements = Elements(html).elements
    sources = [
        attrs.get("src") or attrs["href"]
        for _, attrs in elements
        if "src" in attrs or "href" in attrs
    ]
    assert sources and all(source.startswith("data:image/png;base64,") for source in sources)
    assert "http:" not in html and "https:" not in html and "@import" not in html


def test_the_package_script_and_style_are_inlined(decoder):
    html = static_latent_explorer(decoder, ranges=[(0, 1), (0, 1)], element_id="ex-1").html
    files = resources.files("course_utils.explorer")
    script = files.joinpath("latent_explorer.js").read_text()
    style = files.joinpath("latent_explorer.css").read_text()
    assert script in html and style in html
    for text in (script, style):  # neither may end its element early
        assert "</" not in text and "<!--" not in text
    root = next(attrs for _, attrs in Elements(html).elements if attrs.get("id") == "ex-1")
    assert f"--latent-explorer-digit-side: {DIGIT_SIDE_PX}px" in root["style"]


def test_both_images_carry_the_explorers_shared_texts(decoder, latents):
    elements = Elements(static_latent_explorer(decoder, latents=latents[0]).html).elements
    assert [attrs["aria-label"] for tag, attrs in elements if tag == "canvas"] == [DIGIT_ALT]
    assert [attrs["alt"] for tag, attrs in elements if tag == "img"] == [SCATTER_ALT]


def test_the_scatter_geometry_maps_the_ranges_into_the_image(decoder, latents):
    explorer = static_latent_explorer(decoder, ranges=[(-4, 4), (0, 2)], latents=latents[0])
    scatter = embedded_model(explorer.html)["scatter"]
    left, top, right, bottom = scatter["box"]
    assert 0 < left < right and 0 < top < bottom
    assert scatter["xlim"][0] < -4 and scatter["xlim"][1] > 4
    assert scatter["ylim"][0] < 0 and scatter["ylim"][1] > 2
    no_scatter = static_latent_explorer(decoder, ranges=[(-4, 4), (0, 2)])
    assert embedded_model(no_scatter.html)["scatter"] is None


def test_only_dense_decoders_can_be_exported():
    conv = keras.Sequential(
        [
            keras.Input((2,)),
            keras.layers.Dense(784),
            keras.layers.Reshape((784, 1)),
            keras.layers.Conv1D(1, 3, padding="same"),
            keras.layers.Flatten(),
        ]
    )
    with pytest.raises(ValueError, match="only export Dense layers.*Reshape"):
        static_latent_explorer(conv, ranges=[(0, 1), (0, 1)])
    softplus = keras.Sequential([keras.Input((2,)), keras.layers.Dense(784, activation="softplus")])
    with pytest.raises(ValueError, match="uses 'softplus'"):
        static_latent_explorer(softplus, ranges=[(0, 1), (0, 1)])


def test_a_functional_decoder_exports_too(decoder):
    codes = values = keras.Input((2,))
    for layer in decoder.layers:
        values = layer(values)
    functional = keras.Model(codes, values)  # its layers include the InputLayer
    assert [layer.activation for layer in dense_layers(functional)] == ["relu", "relu", "sigmoid"]


def test_bad_input_is_a_clear_error(decoder):
    with pytest.raises(ValueError, match="reversed or empty"):
        static_latent_explorer(decoder, ranges=[(1, 0), (0, 1)])
    with pytest.raises(ValueError, match="NaN"):
        static_latent_explorer(decoder, latents=np.full((3, 2), np.nan))


@pytest.mark.parametrize(
    "element_id",
    [
        "</script><script>window.__pwned=1</script>",
        'x" onmouseover="alert(1)',
        "1st",
        "",
        "a b",
        "quote'",
        "é",
        "a.b",
        7,
    ],
)
def test_element_ids_that_are_not_plain_html_ids_are_refused(decoder, element_id):
    with pytest.raises(ValueError, match=r"element_id must start with a letter .*'explorer-1'"):
        static_latent_explorer(decoder, ranges=[(0, 1), (0, 1)], element_id=element_id)


def test_a_plain_element_id_is_used_as_given(decoder):
    html = static_latent_explorer(decoder, ranges=[(0, 1), (0, 1)], element_id="my_ex-2").html
    assert 'id="my_ex-2"' in html and 'id="my_ex-2-z1"' in html


def test_json_inside_the_page_script_cannot_close_it():
    text = web_explorer.script_safe_json({"name": "</script><!-- & <script>"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"name": "</script><!-- & <script>"}


def test_given_weights_render_without_tensorflow_or_ipywidgets(decoder):
    weights = [
        (layer.kernel.tolist(), layer.bias.tolist(), layer.activation)
        for layer in dense_layers(decoder)
    ]
    script = (
        "import json, sys\n"
        "from course_utils import static_latent_explorer\n"
        "layers = json.load(sys.stdin)\n"
        "explorer = static_latent_explorer(layers, latents=[[0, 0], [1, 2], [-1, 3]])\n"
        "heavy = {'tensorflow', 'keras', 'ipywidgets'} & set(sys.modules)\n"
        "print(json.dumps({'heavy': sorted(heavy), 'html': explorer.html}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(weights),
        capture_output=True,
        text=True,
        check=True,
    )
    rendered = json.loads(result.stdout)
    assert rendered["heavy"] == []
    model = embedded_model(rendered["html"])
    (kernel, _), *_ = decode_weights(model)
    np.testing.assert_allclose(kernel.ravel(), np.ravel(weights[0][0]), rtol=1e-3, atol=1e-7)


def test_given_weights_must_chain():
    wide, narrow = np.zeros((2, 8)), np.zeros((4, 784))
    with pytest.raises(ValueError, match="layer #1 takes 4 inputs but layer #0 gives 8"):
        static_latent_explorer(
            [(wide, np.zeros(8), "relu"), (narrow, np.zeros(784), "sigmoid")],
            ranges=[(0, 1), (0, 1)],
        )
