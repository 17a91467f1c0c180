import dataclasses
import os
import subprocess
import sys

import keras

import numpy as np
import pytest
import tensorflow as tf

from course_utils import training
from course_utils.data import fetch_mnist, load_mnist
from course_utils.training import DEFAULT_RECIPE, REFERENCE_RECIPE, Recipe, reconstruction_mse

# A small, quick recipe: the same code path as the chapters' on a fraction of the data.
SMALL = Recipe(hidden=(64, 32), batch_size=100, epochs=3, learning_rate=3e-3)


@pytest.fixture(scope="module")
def small_data():
    (x_train, _), (x_test, _) = load_mnist(digits=(1, 5, 6))
    return x_train[:2000], x_test[:500]


def test_training_lowers_the_loss(small_data):
    x_train, x_test = small_data
    trained = training.train(SMALL, x_train, x_val=x_test, verbose=0)
    losses = trained.history["loss"]
    assert len(losses) == 3 and losses[-1] < 0.8 * losses[0]
    untrained_encoder_decoder = training.build_autoencoder(hidden=(64, 32))[2]
    assert reconstruction_mse(trained.autoencoder, x_test) < reconstruction_mse(untrained_encoder_decoder, x_test)


def test_same_seed_same_losses_other_seed_other_losses(small_data):
    x_train, _ = small_data
    first = training.train(SMALL, x_train, verbose=0).history["loss"]
    again = training.train(SMALL, x_train, verbose=0).history["loss"]
    other = training.train(dataclasses.replace(SMALL, seed=1), x_train, verbose=0).history["loss"]
    assert first == again
    assert first != other


def test_warmup_rises_from_zero_to_the_learning_rate_then_decays_to_zero():
    recipe = Recipe(learning_rate=6e-3, cosine_decay=True, warmup_fraction=0.1)
    schedule = training._learning_rate(recipe, steps=100)
    rates = [float(schedule(step)) for step in (0, 5, 10, 55, 100)]
    assert rates == pytest.approx([0.0, 3e-3, 6e-3, 3e-3, 0.0], abs=1e-9)
    assert float(training._learning_rate(Recipe(learning_rate=6e-3, cosine_decay=True), 100)(0)) == pytest.approx(6e-3)
    assert training._learning_rate(Recipe(learning_rate=6e-3), 100) == 6e-3


@pytest.mark.parametrize("recipe, message", [
    (Recipe(warmup_fraction=0.1), "needs cosine_decay=True"),
    (Recipe(cosine_decay=True, warmup_fraction=1.0), r"in \[0, 1\), got 1.0"),
    (Recipe(cosine_decay=True, warmup_fraction=-0.1), r"in \[0, 1\), got -0.1"),
])
def test_a_warmup_that_cannot_work_is_refused_before_training(recipe, message, small_data):
    with pytest.raises(ValueError, match=message):
        training.train(recipe, small_data[0], verbose=0)


def test_fused_adam_updates_the_weights_exactly_as_keras_adam_does():
    rng = np.random.default_rng(0)
    start = rng.normal(size=(30, 20)).astype(np.float32)
    gradients = rng.normal(size=(5, 30, 20)).astype(np.float32)
    schedule = keras.optimizers.schedules.CosineDecay(3e-3, decay_steps=5)
    final_weights = []
    for optimizer in (keras.optimizers.Adam(schedule), training.FusedAdam(schedule)):
        variable = keras.Variable(start)
        for gradient in gradients:
            optimizer.apply_gradients([(gradient, variable)])
        final_weights.append(np.asarray(variable))
    keras_weights, fused_weights = final_weights
    assert np.abs(keras_weights - start).mean() > 1e-3  # the weights moved
    np.testing.assert_allclose(fused_weights, keras_weights, rtol=1e-5, atol=1e-7)


def test_fused_adam_updates_each_weight_with_the_one_fused_kernel():
    def update_ops(optimizer):
        variable = keras.Variable(np.zeros((3, 2), np.float32))
        optimizer.build([variable])

        @tf.function(autograph=False)
        def step(gradient):
            optimizer.apply_gradients([(gradient, variable)])

        graph = step.get_concrete_function(tf.TensorSpec((3, 2), tf.float32)).graph
        return [op.type for op in graph.get_operations() if "Apply" in op.type or "Assign" in op.type]

    assert "ResourceApplyAdam" not in update_ops(keras.optimizers.Adam())
    fused = update_ops(training.FusedAdam())
    assert fused.count("ResourceApplyAdam") == 1
    assert "AssignAddVariableOp" not in fused and "AssignSubVariableOp" not in fused  # no separate m, v, w passes


def test_fused_adam_refuses_amsgrad_rather_than_ignoring_it():
    with pytest.raises(ValueError, match="amsgrad=True"):
        training.FusedAdam(amsgrad=True)


def test_reconstruction_mse_is_the_mean_squared_pixel_error():
    class Halve:
        def __call__(self, x, training=False):
            return x / 2

    x = np.random.default_rng(0).random((2500, 784), dtype=np.float32)
    assert reconstruction_mse(Halve(), x) == pytest.approx(float(np.mean((x / 2) ** 2)), rel=1e-5)


def changed(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value * 2 + 1
    if isinstance(value, tuple):
        return value + (1,)
    return "tanh" if value is None else None


def test_cache_key_covers_the_whole_recipe():
    keys = {REFERENCE_RECIPE.cache_key(), DEFAULT_RECIPE.cache_key()}
    for field in dataclasses.fields(Recipe):
        new_value = changed(getattr(SMALL, field.name))
        keys.add(dataclasses.replace(SMALL, **{field.name: new_value}).cache_key())
    keys.add(SMALL.cache_key())
    assert len(keys) == 2 + len(dataclasses.fields(Recipe)) + 1
    assert SMALL.cache_key() == Recipe(hidden=(64, 32), batch_size=100, epochs=3, learning_rate=3e-3).cache_key()


def test_trained_model_cache_saves_then_loads_identically(tmp_path, monkeypatch):
    monkeypatch.setattr(training, "model_cache_dir", lambda: tmp_path)
    recipe = dataclasses.replace(SMALL, epochs=1, fused_adam=True)  # its optimiser reloads too
    calls = []
    real_train = training.train
    monkeypatch.setattr(training, "train", lambda *a, **k: calls.append(1) or real_train(*a, **k))

    first = training.trained_autoencoder(recipe, verbose=0)
    second = training.trained_autoencoder(recipe, verbose=0)
    assert len(calls) == 1  # the second call loaded the cached model
    saved = sorted(p.name for p in tmp_path.iterdir())
    assert saved == sorted([f"autoencoder-{recipe.cache_key()}.keras",
                            f"autoencoder-{recipe.cache_key()}.history.json"])
    assert second.history == first.history
    z = np.array([[2.0, -4.0], [0.0, 0.0]], dtype=np.float32)
    np.testing.assert_array_equal(np.asarray(second.decoder(z)), np.asarray(first.decoder(z)))
    (_, _), (x_test, _) = load_mnist(digits=(1, 5, 6))
    np.testing.assert_array_equal(np.asarray(second.autoencoder(x_test[:50])),
                                  np.asarray(first.autoencoder(x_test[:50])))
    np.testing.assert_array_equal(np.asarray(second.encoder(x_test[:50])),
                                  np.asarray(first.encoder(x_test[:50])))

    training.trained_autoencoder(dataclasses.replace(recipe, seed=7), verbose=0)
    assert len(calls) == 2  # a changed recipe never loads the other model


def test_a_model_trained_by_hand_and_saved_is_what_trained_autoencoder_loads(tmp_path, monkeypatch, small_data):
    monkeypatch.setattr(training, "model_cache_dir", lambda: tmp_path)
    recipe = dataclasses.replace(SMALL, epochs=1)
    x_train, x_test = small_data
    by_hand = training.train(recipe, x_train, x_val=x_test, verbose=0)
    training.save_to_cache(by_hand.autoencoder, by_hand.history, recipe)
    monkeypatch.setattr(training, "train", lambda *a, **k: pytest.fail("trained again instead of loading"))
    loaded = training.trained_autoencoder(recipe, verbose=0)
    assert loaded.history == by_hand.history
    np.testing.assert_array_equal(np.asarray(loaded.autoencoder(x_test[:20])),
                                  np.asarray(by_hand.autoencoder(x_test[:20])))



CONCURRENT_SCRIPT = """
from course_utils import training
recipe = training.Recipe(hidden=(64, 32), batch_size=100, epochs=1)
training.trained_autoencoder(recipe, verbose=0)
"""


def test_two_processes_filling_the_cache_at_once_leave_a_loadable_model(tmp_path):
    """Two notebooks training the same recipe at the same time: no torn or temporary file remains."""
    for name, path in fetch_mnist().items():  # the verified files, in a fresh cache
        (tmp_path / name).symlink_to(path)
    env = dict(os.environ, COURSE_UTILS_DATA_DIR=str(tmp_path), TF_CPP_MIN_LOG_LEVEL="2")
    processes = [subprocess.Popen([sys.executable, "-c", CONCURRENT_SCRIPT], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
    for process in processes:
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr[-2000:]
    models = tmp_path / "models"
    assert sorted(p.suffix for p in models.iterdir()) == [".json", ".keras"]
    (model_file,) = models.glob("*.keras")
    loaded = keras.saving.load_model(model_file, safe_mode=True)
    assert loaded.count_params() == training.build_autoencoder(hidden=(64, 32))[2].count_params()



def test_chapter_3_trains_the_default_recipe_with_the_code_it_shows(chapter_code, small_data):
    """The chapter's compile/fit on the page and train(DEFAULT_RECIPE) give the same losses, so
    save_to_cache(..., DEFAULT_RECIPE) in the chapter stores what the recipe names."""
    x_train, x_val = small_data[0][:1000], small_data[1][:200]
    page = chapter_code("03_training", ["autoencoder", "learning_rate", "history"],
                        x_train=x_train, x_val=x_val)
    package = training.train(DEFAULT_RECIPE, x_train, x_val=x_val, verbose=0)
    assert page["history"].history == package.history
    assert page["epochs"] == DEFAULT_RECIPE.epochs and page["batch_size"] == DEFAULT_RECIPE.batch_size
    z = np.zeros((1, 2), dtype=np.float32)
    np.testing.assert_array_equal(page["decoder"](z), package.decoder(z))
