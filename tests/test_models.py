"""course_utils/models.py: the course's networks have the layers the chapters write."""

import keras
import numpy as np
import pytest

from course_utils.models import (
    Sampling,
    architecture_table,
    build_autoencoder,
    build_classifier,
    build_vae,
    kl_divergence,
    split_autoencoder,
)


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


@pytest.mark.parametrize(
    "build, arguments, message",
    [
        (build_autoencoder, {"latent_dim": 0}, "latent_dim must be a whole number ≥ 1"),
        (build_autoencoder, {"hidden": (500, -1)}, "each hidden layer size"),
        (build_autoencoder, {"input_dim": 0}, "input_dim must be a whole number ≥ 1"),
        (build_classifier, {"classes": 1}, "classes must be a whole number ≥ 2"),
        (build_classifier, {"classes": 3, "hidden": "256"}, "hidden must be a tuple"),
    ],
)
def test_builders_refuse_impossible_sizes(build, arguments, message):
    with pytest.raises(ValueError, match=message):
        build(**arguments)


def test_the_classifier_is_relu_layers_then_a_softmax_over_the_classes():
    model = build_classifier(3, hidden=(16, 8))
    assert [(layer.units, layer.activation.__name__) for layer in model.layers] == [
        (16, "relu"),
        (8, "relu"),
        (3, "softmax"),
    ]
    probabilities = np.asarray(model(np.zeros((2, 784), np.float32)))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-6)


def test_sampling_draws_from_the_normal_with_the_given_mean_and_variance():
    keras.utils.set_random_seed(0)
    count = 50_000
    mean = np.tile(np.float32([1.5, -2.0, 0.0]), (count, 1))
    sigma = np.float32([0.5, 2.0, 1.0])
    log_var = np.tile(np.log(sigma**2), (count, 1)).astype(np.float32)
    sampling = Sampling()
    draws = np.asarray(sampling([mean, log_var]))
    assert draws.shape == (count, 3)
    # The standard error of a mean of 50,000 draws is sigma / 224: 5 of them is a safe margin.
    np.testing.assert_allclose(draws.mean(axis=0), mean[0], atol=5 * sigma.max() / np.sqrt(count))
    np.testing.assert_allclose(draws.std(axis=0), sigma, rtol=0.02)
    assert abs(np.corrcoef(draws.T)[0, 1]) < 0.02  # independent coordinates
    again = np.asarray(sampling([mean, log_var]))
    assert not np.allclose(again, draws)  # new noise at every call
    # Gradients reach the mean and the log-variance (the reparameterisation trick).
    import tensorflow as tf

    mean_t, log_var_t = tf.Variable(mean[:10]), tf.Variable(log_var[:10])
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(sampling([mean_t, log_var_t]))
    gradients = tape.gradient(total, [mean_t, log_var_t])
    np.testing.assert_allclose(gradients[0], np.ones((10, 3)))
    assert np.all(np.isfinite(gradients[1])) and np.any(np.asarray(gradients[1]) != 0)


@pytest.mark.parametrize(
    "mean, sigma", [([0.0, 0.0], [1.0, 1.0]), ([1.0, -0.5], [0.3, 1.7]), ([2.5], [0.05])]
)
def test_closed_form_kl_matches_a_monte_carlo_estimate(mean, sigma):
    mean, sigma = np.array(mean), np.array(sigma)
    closed = float(np.asarray(kl_divergence(np.float32([mean]), np.float32([np.log(sigma**2)])))[0])
    z = np.random.default_rng(0).normal(mean, sigma, size=(400_000, len(mean)))
    log_q = np.sum(
        -0.5 * ((z - mean) / sigma) ** 2 - np.log(sigma) - 0.5 * np.log(2 * np.pi), axis=1
    )
    log_p = np.sum(-0.5 * z**2 - 0.5 * np.log(2 * np.pi), axis=1)
    monte_carlo = np.mean(log_q - log_p)
    standard_error = np.std(log_q - log_p) / np.sqrt(len(z))
    assert closed == pytest.approx(monte_carlo, abs=5 * standard_error + 1e-4)
    if np.all(mean == 0) and np.all(sigma == 1):
        assert closed == pytest.approx(0.0, abs=1e-6)


def test_the_loss_sums_over_pixels_and_code_then_averages_over_the_batch():
    encoder, decoder, model = build_vae(hidden=(8,))
    rng = np.random.default_rng(0)
    x = rng.random((4, 784)).astype(np.float32)
    x_hat = rng.uniform(0.05, 0.95, (4, 784)).astype(np.float32)
    z_mean, z_log_var = rng.normal(size=(2, 4, 2)).astype(np.float32)
    loss = float(model.compute_loss(x, None, (x_hat, z_mean, z_log_var)))
    cross_entropy = -(x * np.log(x_hat) + (1 - x) * np.log(1 - x_hat)).sum(axis=1).mean()
    kl = (-0.5 * (1 + z_log_var - z_mean**2 - np.exp(z_log_var))).sum(axis=1).mean()
    assert loss == pytest.approx(cross_entropy + kl, rel=1e-4)
    assert float(model.reconstruction_tracker.result()) == pytest.approx(cross_entropy, rel=1e-4)
    model.kl_weight = 4.0
    assert float(model.compute_loss(x, None, (x_hat, z_mean, z_log_var))) == pytest.approx(
        cross_entropy + 4 * kl, rel=1e-4
    )


def test_build_vae_has_the_autoencoders_layer_sizes_with_two_code_outputs():
    encoder, decoder, model = build_vae(latent_dim=2)
    ae_encoder, ae_decoder, _ = build_autoencoder(latent_dim=2, output_activation="sigmoid")
    dense = [layer for layer in encoder.layers if isinstance(layer, keras.layers.Dense)]
    assert [layer.units for layer in dense] == [500, 300, 2, 2]
    assert [layer.name for layer in dense[2:]] == ["z_mean", "z_log_var"]
    assert [(layer.units, layer.activation.__name__) for layer in decoder.layers] == [
        (layer.units, layer.activation.__name__) for layer in ae_decoder.layers
    ]
    assert encoder.count_params() == ae_encoder.count_params() + 300 * 2 + 2
    images = np.random.default_rng(0).random((3, 784), dtype=np.float32)
    x_hat, z_mean, z_log_var = model(images)
    assert tuple(x_hat.shape) == (3, 784) and tuple(z_mean.shape) == tuple(z_log_var.shape) == (
        3,
        2,
    )


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"latent_dim": 0}, "latent_dim"),
        ({"latent_dim": 2.5}, "latent_dim"),
        ({"hidden": "500"}, "hidden"),
        ({"hidden": (500, 0)}, "hidden"),
        ({"input_dim": -1}, "input_dim"),
        ({"kl_weight": -1.0}, "kl_weight"),
        ({"kl_weight": float("nan")}, "kl_weight"),
    ],
)
def test_build_vae_refuses_impossible_sizes(arguments, message):
    with pytest.raises(ValueError, match=message):
        build_vae(**arguments)
