"""course_utils/training.py: fitting a recipe (the autoencoder's, through the steps chapter 3
shows), and the autoencoder's cache entries."""

import dataclasses
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

from course_utils import data, model_store, training
from course_utils.data import fetch_mnist, load_mnist
from course_utils.recipes import DEFAULT_RECIPE, VAE_RECIPE, Recipe
from course_utils.training import reconstruction_mse

# Small, quick recipes: the same code path as the chapters' on a fraction of the data. SMALL learns
# something in 3 epochs; QUICK takes a few steps, for what the cache does with a model.
SMALL = Recipe(hidden=(32,), batch_size=200, epochs=3, learning_rate=3e-3)
QUICK = Recipe(hidden=(16,), batch_size=500, epochs=1, learning_rate=3e-3)


@pytest.fixture(scope="module")
def small_data():
    (x_train, _), (x_test, _) = load_mnist(digits=(1, 5, 6))
    return x_train[:2000], x_test[:500]


def test_training_lowers_the_loss(small_data):
    x_train, x_test = small_data
    trained = training.train(SMALL, x_train, x_val=x_test, verbose=0)
    losses = trained.history["loss"]
    assert len(losses) == 3 and losses[-1] < 0.8 * losses[0]
    assert len(trained.history["val_loss"]) == 3
    untrained = training.build_autoencoder(hidden=(32,))[2]
    assert reconstruction_mse(trained.autoencoder, x_test) < reconstruction_mse(untrained, x_test)


def test_same_seed_same_losses_other_seed_other_losses(small_data):
    x_train = small_data[0][:1000]
    first = training.train(QUICK, x_train, verbose=0).history["loss"]
    again = training.train(QUICK, x_train, verbose=0).history["loss"]
    other = training.train(dataclasses.replace(QUICK, seed=1), x_train, verbose=0).history["loss"]
    assert first == again
    assert first != other


def test_reconstruction_mse_is_the_mean_squared_pixel_error():
    class Halve:
        def __call__(self, x, training=False):
            return x / 2

    x = np.random.default_rng(0).random((2500, 784), dtype=np.float32)
    assert reconstruction_mse(Halve(), x) == pytest.approx(float(np.mean((x / 2) ** 2)), rel=1e-5)


def test_only_an_autoencoders_recipe_trains_an_autoencoder(small_data):
    with pytest.raises(ValueError, match=r"recipe must be a Recipe \(e.g. course_utils.DEFAULT_"):
        training.train(VAE_RECIPE, small_data[0], verbose=0)
    with pytest.raises(ValueError, match="recipe must be a Recipe"):
        training.trained_autoencoder(VAE_RECIPE, verbose=0)


def test_trained_autoencoder_trains_once_then_loads_the_same_model(
    private_model_cache, quick_training_split, monkeypatch
):
    recipe = dataclasses.replace(QUICK, fused_adam=True)
    calls = []
    real_train = training.train
    monkeypatch.setattr(training, "train", lambda *a, **k: calls.append(1) or real_train(*a, **k))

    first = training.trained_autoencoder(recipe, verbose=0)
    second = training.trained_autoencoder(recipe, verbose=0)
    assert len(calls) == 1  # the second call loaded the cached model
    assert second.history == first.history and set(first.history) == {"loss", "val_loss"}
    (record,) = private_model_cache.glob("autoencoder-*.json")
    settings = json.loads(record.read_text())["settings"]  # what the entry's key hashes
    assert settings["recipe"] == json.loads(json.dumps(dataclasses.asdict(recipe)))
    assert settings["data"] == data.training_split_identity(recipe.digits)
    z = np.array([[2.0, -4.0], [0.0, 0.0]], dtype=np.float32)
    np.testing.assert_array_equal(np.asarray(second.decoder(z)), np.asarray(first.decoder(z)))
    x_test = quick_training_split[1][0][:50]
    np.testing.assert_array_equal(
        np.asarray(second.autoencoder(x_test)), np.asarray(first.autoencoder(x_test))
    )
    np.testing.assert_array_equal(
        np.asarray(second.encoder(x_test)), np.asarray(first.encoder(x_test))
    )
    assert second.autoencoder.get_layer("encoder") is second.encoder

    training.trained_autoencoder(dataclasses.replace(recipe, seed=7), verbose=0)
    assert len(calls) == 2  # a changed recipe never loads the other model


def test_a_model_trained_by_hand_and_saved_is_what_trained_autoencoder_loads(
    private_model_cache, quick_training_split, monkeypatch
):
    (x_train, _), (x_val, _) = quick_training_split  # what trained_autoencoder(QUICK) trains on
    by_hand = training.train(QUICK, x_train, x_val=x_val, verbose=0)
    assert training.save_to_cache(by_hand) is None  # a chapter's page shows no path
    monkeypatch.setattr(
        training, "train", lambda *a, **k: pytest.fail("trained again instead of loading")
    )
    loaded = training.trained_autoencoder(QUICK, verbose=0)
    assert loaded.history == by_hand.history
    np.testing.assert_array_equal(
        np.asarray(loaded.autoencoder(x_val[:20])), np.asarray(by_hand.autoencoder(x_val[:20]))
    )


def test_a_diverging_training_stops_with_a_clear_error_and_caches_nothing(
    private_model_cache, quick_training_split
):
    with pytest.raises(
        training.TrainingDivergedError,
        match=r"loss became nan in epoch 1\. Lower the learning rate \(it is 1e\+06",
    ):
        training.trained_autoencoder(dataclasses.replace(QUICK, learning_rate=1e6), verbose=0)
    assert not private_model_cache.exists() or list(private_model_cache.iterdir()) == []


def test_a_nan_history_is_never_cached(private_model_cache, small_data):
    trained = training.train(QUICK, small_data[0][:500], verbose=0)
    with pytest.raises(ValueError, match="'loss' is not one finite number per epoch"):
        training.save_to_cache(trained.autoencoder, {"loss": [float("nan")]}, QUICK)
    assert not private_model_cache.exists()


def test_save_to_cache_refuses_a_model_trained_on_other_data_or_for_another_recipe(
    private_model_cache, quick_training_split
):
    (x_train, _), (x_val, _) = quick_training_split
    on_other_data = training.train(QUICK, x_train[:1000], x_val=x_val, verbose=0)
    with pytest.raises(ValueError, match="trained on other images than trained_autoencoder"):
        training.save_to_cache(on_other_data)
    with pytest.raises(
        ValueError,
        match=r"its layers are autoencoder: 16 relu, 2 linear, 16 relu, 784 linear, while the "
        r"recipe builds autoencoder: 16 relu, 3 linear, 16 relu, 784 linear",
    ):
        training.save_to_cache(
            on_other_data.autoencoder,
            on_other_data.history,
            dataclasses.replace(QUICK, latent_dim=3),
        )
    with pytest.raises(ValueError, match="784 linear, while the recipe builds .*784 sigmoid"):
        training.save_to_cache(
            on_other_data.autoencoder,
            on_other_data.history,
            dataclasses.replace(QUICK, output_activation="sigmoid"),
        )
    assert not private_model_cache.exists()


CONCURRENT_SCRIPT = """
from course_utils import training
recipe = training.Recipe(hidden=(64, 32), batch_size=100, epochs=1)
training.trained_autoencoder(recipe, verbose=0)
"""


@pytest.mark.training
def test_two_processes_filling_the_cache_at_once_leave_a_loadable_model(tmp_path, monkeypatch):
    """Two notebooks training the same recipe at the same time: no torn or temporary file
    remains."""
    for name, path in fetch_mnist().items():  # the verified files, in a fresh cache
        (tmp_path / name).symlink_to(path)
    env = dict(os.environ, COURSE_UTILS_DATA_DIR=str(tmp_path), TF_CPP_MIN_LOG_LEVEL="2")
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", CONCURRENT_SCRIPT],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr[-2000:]
    models = tmp_path / "models"
    assert sorted(p.suffix for p in models.iterdir()) == [".json", ".npz"]
    monkeypatch.setattr(model_store, "model_cache_dir", lambda: models)
    monkeypatch.setattr(training, "train", lambda *a, **k: pytest.fail("trained again"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", model_store.CacheWarning)
        loaded = training.trained_autoencoder(Recipe(hidden=(64, 32), batch_size=100, epochs=1))
    weights_and_biases = (784 * 64 + 64 * 32 + 32 * 2) * 2 + (64 + 32) * 2 + 2 + 784
    assert loaded.autoencoder.count_params() == weights_and_biases


@pytest.mark.training
def test_chapter_3_trains_the_default_recipe_with_the_code_it_shows(chapter_code, small_data):
    """The chapter's compile/fit on the page and train(DEFAULT_RECIPE) give the same losses, so
    save_to_cache(..., DEFAULT_RECIPE) in the chapter stores what the recipe names."""
    x_train, x_val = small_data[0][:1000], small_data[1][:200]
    page = chapter_code(
        "03_training", ["autoencoder", "learning_rate", "history"], x_train=x_train, x_val=x_val
    )
    package = training.train(DEFAULT_RECIPE, x_train, x_val=x_val, verbose=0)
    assert page["history"].history == package.history
    assert (
        page["epochs"] == DEFAULT_RECIPE.epochs and page["batch_size"] == DEFAULT_RECIPE.batch_size
    )
    z = np.zeros((1, 2), dtype=np.float32)
    np.testing.assert_array_equal(page["decoder"](z), package.decoder(z))


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda x: x * 255, r"pixels up to 255: they look like 0-255 values.*pass x_train / 255"),
        (
            lambda x: np.where(np.arange(x.size).reshape(x.shape) == 1000, np.nan, x),
            r"NaN or infinite pixels \(rows \[1\], 1 in all\)",
        ),
        (lambda x: x - 0.5, r"pixels in \[0, 1\]; they range from -0.5"),
        (lambda x: x.reshape(-1, 28, 28), r"shape \(n, 784\); got shape \(2000, 28, 28\); flatten"),
        (lambda x: x[:, :700], r"got shape \(2000, 700\)"),
        (lambda x: x[:0], r"non-empty 2-D array"),
        (lambda x: x.astype(str), "must hold numbers"),
    ],
)
def test_bad_training_data_is_refused_before_training(small_data, damage, message, monkeypatch):
    monkeypatch.setattr(training, "build_autoencoder", lambda **k: pytest.fail("trained anyway"))
    x_train, x_test = small_data
    with pytest.raises(ValueError, match=message):
        training.train(SMALL, damage(x_train), verbose=0)
    with pytest.raises(ValueError, match=message.replace("x_train", "x_val")):
        training.train(
            SMALL,
            x_train,
            x_val=damage(x_test[:2000] if len(x_test) >= 2000 else x_train),
            verbose=0,
        )
