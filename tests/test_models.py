import keras
import numpy as np
import pytest

from course_utils import architecture_table, build_autoencoder, split_autoencoder


def test_seed_architecture_shapes_and_parameter_counts():
    encoder, decoder, autoencoder = build_autoencoder(latent_dim=2)
    assert [layer.units for layer in encoder.layers] == [500, 300, 2]
    assert [layer.units for layer in decoder.layers] == [300, 500, 784]
    assert encoder.count_params() == 784 * 500 + 500 + 500 * 300 + 300 + 300 * 2 + 2 == 543_402
    assert decoder.count_params() == 2 * 300 + 300 + 300 * 500 + 500 + 500 * 784 + 784 == 544_184
    assert autoencoder.count_params() == 543_402 + 544_184
    images = np.random.default_rng(0).random((7, 784), dtype=np.float32)
    codes = encoder(images)
    assert tuple(codes.shape) == (7, 2)
    assert tuple(decoder(codes).shape) == (7, 784)
    np.testing.assert_allclose(autoencoder(images), decoder(encoder(images)), rtol=1e-5, atol=1e-6)


def test_activations_relu_hidden_linear_code():
    encoder, decoder, _ = build_autoencoder(output_activation="sigmoid")
    assert [layer.activation.__name__ for layer in encoder.layers] == ["relu", "relu", "linear"]
    assert [layer.activation.__name__ for layer in decoder.layers] == ["relu", "relu", "sigmoid"]


@pytest.mark.parametrize("latent_dim", [1, 3, 8])
def test_latent_size_is_a_parameter(latent_dim):
    encoder, decoder, autoencoder = build_autoencoder(latent_dim=latent_dim, hidden=(64,))
    assert encoder.output_shape == (None, latent_dim)
    assert decoder.input_shape == (None, latent_dim)
    assert split_autoencoder(autoencoder) == (encoder, decoder)


def test_architecture_table_lists_every_layer_with_the_models_own_counts():
    encoder, decoder, _ = build_autoencoder()
    html = architecture_table(encoder, decoder).data
    assert html.count("<tr>") == 1 + len(encoder.layers) + len(decoder.layers) + 2
    for layer in encoder.layers + decoder.layers:
        assert f">{layer.count_params():,}</td>" in html
    assert "<strong>543,402</strong>" in html and "<strong>544,184</strong>" in html
    assert ">sigmoid<" not in html  # the default output is linear


def _layers(model):
    return [
        (layer.units, layer.activation.__name__, layer.count_params()) for layer in model.layers
    ]


def test_build_autoencoder_builds_the_layers_chapter_2_writes_in_keras(chapter_code):
    page = chapter_code("02_autoencoders", ["encoder", "decoder", "autoencoder"])
    encoder, decoder, autoencoder = build_autoencoder(latent_dim=2, output_activation="sigmoid")
    assert _layers(page["encoder"]) == _layers(encoder)
    assert _layers(page["decoder"]) == _layers(decoder)
    assert page["autoencoder"].count_params() == autoencoder.count_params()
    assert page["encoder"].input_shape == encoder.input_shape == (None, 784)
    # The page's autoencoder is the decoder applied to the encoder's output.
    images = np.random.default_rng(0).random((3, 784), dtype=np.float32)
    np.testing.assert_allclose(
        page["autoencoder"](images), page["decoder"](page["encoder"](images)), rtol=1e-6
    )


PAYLOAD = "<img src=x onerror=window.__pwned=1>"


def test_architecture_table_escapes_model_and_layer_names():
    """Names go into the table as text: a name that is markup is shown, never parsed.
    (Keras refuses '/' in names, so no closing tag; an opening one is enough to run script.)"""
    encoder = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(2, name=PAYLOAD + "&")],
        name="<svg onload=window.__pwned=2>",
    )
    html = architecture_table(encoder).data
    assert "<img" not in html and "<svg" not in html
    assert "&lt;img src=x onerror=window.__pwned=1&gt;&amp;" in html
    assert "&lt;svg onload=window.__pwned=2&gt; total" in html
