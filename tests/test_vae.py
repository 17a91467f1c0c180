import dataclasses

import keras
import numpy as np
import pytest

from course_utils import build_autoencoder, load_mnist, training, vae
from course_utils.training import Recipe
from course_utils.vae import (
    VAE_RECIPE,
    Sampling,
    build_vae,
    kl_divergence,
    load_vae_from_cache,
    save_vae_to_cache,
    train_vae,
    trained_vae,
)

SMALL = dataclasses.replace(VAE_RECIPE, hidden=(64, 32), epochs=2)


@pytest.fixture(scope="module")
def small_data():
    (x_train, _), (x_test, _) = load_mnist(digits=(1, 5, 6))
    return x_train[:1500], x_test[:300]


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(training, "model_cache_dir", lambda: tmp_path)
    return tmp_path


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


def test_training_functions_refuse_bad_recipes_and_data(small_data, empty_cache):
    x_train, _ = small_data
    with pytest.raises(ValueError, match="VAERecipe"):
        train_vae(Recipe(), x_train, verbose=0)
    with pytest.raises(ValueError, match="VAERecipe"):
        trained_vae(Recipe(), verbose=0)
    with pytest.raises(ValueError, match="sigmoid"):
        train_vae(dataclasses.replace(SMALL, output_activation=None), x_train, verbose=0)
    with pytest.raises(ValueError, match=r"shape \(n, 784\)"):
        train_vae(SMALL, x_train[0], verbose=0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        train_vae(SMALL, x_train * 255, verbose=0)
    with pytest.raises(ValueError, match=r"x_val.*pixels up to 255"):  # checked before training
        train_vae(SMALL, x_train, x_val=x_train[:50] * 255, verbose=0)
    with pytest.raises(ValueError, match="VAERecipe"):
        save_vae_to_cache(build_vae()[2], {}, Recipe())


def test_cache_key_covers_the_kl_weight_and_differs_from_the_autoencoders():
    keys = {
        VAE_RECIPE.cache_key(),
        dataclasses.replace(VAE_RECIPE, kl_weight=4.0).cache_key(),
        dataclasses.replace(VAE_RECIPE, seed=1).cache_key(),
        SMALL.cache_key(),
        training.DEFAULT_RECIPE.cache_key(),
    }
    assert len(keys) == 5


def test_trained_vae_trains_once_then_loads_the_same_model(empty_cache, monkeypatch):
    calls = []
    real_train = vae.train_vae
    monkeypatch.setattr(vae, "train_vae", lambda *a, **k: calls.append(1) or real_train(*a, **k))
    first = trained_vae(SMALL, verbose=0)
    second = trained_vae(SMALL, verbose=0)
    assert len(calls) == 1
    assert sorted(p.name for p in empty_cache.iterdir()) == sorted(
        f"vae-{SMALL.cache_key()}.{part}"
        for part in ("history.json", "encoder.keras", "decoder.keras")
    )
    assert second.history == first.history
    assert set(first.history) == {
        "loss",
        "reconstruction",
        "kl",
        "val_loss",
        "val_reconstruction",
        "val_kl",
    }
    z = np.float32([[0.0, 0.0], [1.5, -2.0]])
    np.testing.assert_array_equal(np.asarray(second.decoder(z)), np.asarray(first.decoder(z)))
    (_, _), (x_test, _) = load_mnist(digits=(1, 5, 6))
    for a, b in zip(second.encoder(x_test[:20]), first.encoder(x_test[:20]), strict=False):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))

    # load_vae_from_cache fills a freshly built VAE with those weights; other layer sizes are
    # refused.
    keras.utils.set_random_seed(5)
    _, decoder, fresh = build_vae(hidden=SMALL.hidden)
    assert load_vae_from_cache(fresh, SMALL) == first.history
    np.testing.assert_array_equal(np.asarray(decoder(z)), np.asarray(first.decoder(z)))
    with pytest.raises(ValueError, match="shapes"):
        load_vae_from_cache(build_vae(hidden=(16,))[2], SMALL)
    assert load_vae_from_cache(fresh, dataclasses.replace(SMALL, seed=3)) is None


def test_chapter_5_builds_and_trains_the_vae_with_the_code_it_shows(
    chapter_code, small_data, empty_cache
):
    """The chapter's layers, VAE class, compile and fit on the page, and build_vae/train_vae
    (VAE_RECIPE) give the same layers and the same losses: save_vae_to_cache(..., VAE_RECIPE) in
    the chapter stores what the recipe names, and trained_vae() is the chapter's VAE."""
    x_train, x_val = small_data[0][:1000], small_data[1][:200]
    page = chapter_code(
        "05_variational_autoencoder",
        ["draws", "encoder", "decoder", "vae", "learning_rate", "history"],
        x_train=x_train,
        x_val=x_val,
    )
    encoder, decoder, _ = build_vae(latent_dim=2)

    def layers(model):
        return [
            (layer.name, layer.units, layer.activation.__name__)
            for layer in model.layers
            if isinstance(layer, keras.layers.Dense)
        ]

    assert layers(page["encoder"]) == layers(encoder) and layers(page["decoder"]) == layers(decoder)
    assert page["vae"].kl_weight == VAE_RECIPE.kl_weight
    assert (page["epochs"], page["batch_size"]) == (VAE_RECIPE.epochs, VAE_RECIPE.batch_size)
    package = train_vae(VAE_RECIPE, x_train, x_val=x_val, verbose=0)
    assert page["history"] == package.history
    z = np.float32([[0.5, -1.0]])
    np.testing.assert_array_equal(page["decoder"](z), package.decoder(z))
    # The page saved its VAE under VAE_RECIPE in the (temporary) cache.
    assert load_vae_from_cache(build_vae()[2], VAE_RECIPE) == page["history"]


def test_chapter_5_trains_its_one_epoch_vaes_on_the_page_once_per_machine(
    chapter_code, small_data, empty_cache, monkeypatch
):
    """The bug section and the exercises train the page's own VAE class (one_epoch_vae, with
    cached_fit): the averaged loss is the summed one divided by 784, and a second call loads the
    cached weights instead of training."""
    x_train, x_val = small_data[0][:1000], small_data[1][:200]
    page = chapter_code(
        "05_variational_autoencoder",
        ["draws", "encoder", "vae", "learning_rate", "summed"],
        x_train=x_train,
        x_val=x_val,
    )
    summed, averaged = page["summed"], page["averaged"]
    assert type(summed) is page["VAE"] and type(averaged) is page["PixelMeanVAE"]
    assert summed.kl_weight == averaged.kl_weight == 1.0
    x = x_val[:16]
    x_hat = np.asarray(summed.decoder(summed.encoder(x)[0]))
    np.testing.assert_allclose(
        784 * np.asarray(averaged.reconstruction_loss(x, x_hat)),
        np.asarray(summed.reconstruction_loss(x, x_hat)),
        rtol=1e-5,
    )
    assert len(list(empty_cache.glob("chapter5-vae-*.weights.npz"))) == 2

    def no_training(*args, **kwargs):
        raise AssertionError("a cached one-epoch VAE was trained again")

    monkeypatch.setattr(keras.Model, "fit", no_training)
    again = page["one_epoch_vae"]()
    for loaded, trained in zip(again.get_weights(), summed.get_weights(), strict=True):
        np.testing.assert_array_equal(loaded, trained)
