import dataclasses
import errno
import json
import os
import shutil
import stat
import subprocess
import sys
import time
import warnings

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
    assert reconstruction_mse(trained.autoencoder, x_test) < reconstruction_mse(
        untrained_encoder_decoder, x_test
    )


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
    assert float(
        training._learning_rate(Recipe(learning_rate=6e-3, cosine_decay=True), 100)(0)
    ) == pytest.approx(6e-3)
    assert training._learning_rate(Recipe(learning_rate=6e-3), 100) == 6e-3


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"warmup_fraction": 0.1}, "needs cosine_decay=True"),
        ({"cosine_decay": True, "warmup_fraction": 1.0}, r"in \[0, 1\), got 1.0"),
        ({"cosine_decay": True, "warmup_fraction": 1.5}, r"in \[0, 1\), got 1.5"),
        ({"cosine_decay": True, "warmup_fraction": -0.1}, r"in \[0, 1\), got -0.1"),
        ({"epochs": 0}, "epochs must be a whole number ≥ 1; got 0"),
        ({"epochs": 2.5}, "epochs must be a whole number ≥ 1; got 2.5"),
        ({"learning_rate": -1e-3}, r"learning_rate must be > 0 \(e.g. 1e-3\); got -0.001"),
        ({"learning_rate": 0}, "learning_rate must be > 0"),
        ({"learning_rate": float("nan")}, "learning_rate must be a finite number"),
        ({"learning_rate": "1e-3"}, "learning_rate must be a finite number"),
        ({"batch_size": 0}, "batch_size must be a whole number ≥ 1; got 0"),
        ({"steps_per_execution": 0}, "steps_per_execution must be a whole number ≥ 1; got 0"),
        ({"latent_dim": 0}, "latent_dim must be a whole number ≥ 1; got 0"),
        ({"latent_dim": True}, "latent_dim must be a whole number"),
        ({"hidden": (500, 0)}, "each hidden layer size must be a whole number ≥ 1; got 0"),
        ({"hidden": 500}, r"hidden must be a tuple of layer sizes, e.g. \(500, 300\)"),
        ({"output_activation": "bogus"}, "name of a Keras activation such as 'sigmoid'.*'bogus'"),
        ({"output_activation": 1}, "output_activation must be None"),
        ({"digits": (1, 11)}, "integers 0-9"),
        ({"seed": -1}, "seed must be a whole number ≥ 0"),
        ({"fused_adam": "yes"}, "fused_adam must be True or False"),
        ({"cosine_decay": 1}, "cosine_decay must be True or False"),
    ],
)
def test_a_recipe_that_cannot_train_is_refused_when_it_is_made(fields, message):
    with pytest.raises(ValueError, match=message):
        Recipe(**fields)
    with pytest.raises(ValueError, match=message):  # dataclasses.replace checks too
        dataclasses.replace(SMALL, **fields)


def test_numpy_numbers_in_a_recipe_become_python_numbers():
    recipe = Recipe(
        digits=np.array([1, 5, 6]),
        latent_dim=np.int64(2),
        hidden=np.array([64, 32]),
        batch_size=np.int32(100),
        epochs=np.int64(3),
        learning_rate=np.float32(3e-3),
        fused_adam=np.bool_(False),
    )
    assert recipe.digits == (1, 5, 6) and recipe.hidden == (64, 32)
    assert type(recipe.latent_dim) is int and type(recipe.epochs) is int
    assert type(recipe.learning_rate) is float and type(recipe.fused_adam) is bool
    assert (
        recipe.cache_key()
        == dataclasses.replace(SMALL, learning_rate=float(np.float32(3e-3))).cache_key()
    )
    encoder, _, _ = training.build_autoencoder(latent_dim=recipe.latent_dim, hidden=recipe.hidden)
    assert encoder.output_shape == (None, 2)


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
        return [
            op.type for op in graph.get_operations() if "Apply" in op.type or "Assign" in op.type
        ]

    assert "ResourceApplyAdam" not in update_ops(keras.optimizers.Adam())
    fused = update_ops(training.FusedAdam())
    assert fused.count("ResourceApplyAdam") == 1
    assert (
        "AssignAddVariableOp" not in fused and "AssignSubVariableOp" not in fused
    )  # no separate m, v, w passes


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
        return value + (max(value) + 1,)
    return "tanh" if value is None else None


def test_cache_key_covers_the_whole_recipe():
    keys = {REFERENCE_RECIPE.cache_key(), DEFAULT_RECIPE.cache_key()}
    for field in dataclasses.fields(Recipe):
        change = {field.name: changed(getattr(SMALL, field.name))}
        if field.name == "warmup_fraction":  # a warm-up leads into a cosine decay
            change = {"warmup_fraction": 0.5, "cosine_decay": True}
        keys.add(dataclasses.replace(SMALL, **change).cache_key())
    keys.add(SMALL.cache_key())
    assert len(keys) == 2 + len(dataclasses.fields(Recipe)) + 1
    assert (
        SMALL.cache_key()
        == Recipe(hidden=(64, 32), batch_size=100, epochs=3, learning_rate=3e-3).cache_key()
    )


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
    assert saved == sorted(
        [f"autoencoder-{recipe.cache_key()}.keras", f"autoencoder-{recipe.cache_key()}.json"]
    )
    assert second.history == first.history
    z = np.array([[2.0, -4.0], [0.0, 0.0]], dtype=np.float32)
    np.testing.assert_array_equal(np.asarray(second.decoder(z)), np.asarray(first.decoder(z)))
    (_, _), (x_test, _) = load_mnist(digits=(1, 5, 6))
    np.testing.assert_array_equal(
        np.asarray(second.autoencoder(x_test[:50])), np.asarray(first.autoencoder(x_test[:50]))
    )
    np.testing.assert_array_equal(
        np.asarray(second.encoder(x_test[:50])), np.asarray(first.encoder(x_test[:50]))
    )

    training.trained_autoencoder(dataclasses.replace(recipe, seed=7), verbose=0)
    assert len(calls) == 2  # a changed recipe never loads the other model


def test_a_model_trained_by_hand_and_saved_is_what_trained_autoencoder_loads(tmp_path, monkeypatch):
    monkeypatch.setattr(training, "model_cache_dir", lambda: tmp_path)
    recipe = dataclasses.replace(SMALL, epochs=1)
    x_train, x_val = training.training_data(recipe)  # what trained_autoencoder(recipe) trains on
    x_test, _ = load_mnist(digits=(1, 5, 6))[1]
    by_hand = training.train(recipe, x_train, x_val=x_val, verbose=0)
    assert training.save_to_cache(by_hand) is None  # a chapter's page shows no path
    assert (tmp_path / f"autoencoder-{recipe.cache_key()}.keras").is_file()
    monkeypatch.setattr(
        training, "train", lambda *a, **k: pytest.fail("trained again instead of loading")
    )
    loaded = training.trained_autoencoder(recipe, verbose=0)
    assert loaded.history == by_hand.history
    np.testing.assert_array_equal(
        np.asarray(loaded.autoencoder(x_test[:20])), np.asarray(by_hand.autoencoder(x_test[:20]))
    )


CONCURRENT_SCRIPT = """
from course_utils import training
recipe = training.Recipe(hidden=(64, 32), batch_size=100, epochs=1)
training.trained_autoencoder(recipe, verbose=0)
"""


def test_two_processes_filling_the_cache_at_once_leave_a_loadable_model(tmp_path):
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
    assert sorted(p.suffix for p in models.iterdir()) == [".json", ".keras"]
    (model_file,) = models.glob("*.keras")
    loaded = keras.saving.load_model(model_file, safe_mode=True)
    assert loaded.count_params() == training.build_autoencoder(hidden=(64, 32))[2].count_params()


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


# --- Bad data and diverging training (issue 14, item 9) ---------------------------------------


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


@pytest.fixture
def quick_training_data(monkeypatch, small_data):
    """trained_autoencoder's data, cut to 2000 + 500 images so that each retraining is quick
    (the cache checks it against the same function, so everything stays consistent)."""
    monkeypatch.setattr(training, "training_data", lambda recipe: small_data)
    return small_data


@pytest.fixture
def model_cache(tmp_path, monkeypatch, quick_training_data):
    """An empty model cache in tmp_path (never the shared one), and a count of trainings."""
    folder = tmp_path / "models"
    monkeypatch.setattr(training, "model_cache_dir", lambda: folder)
    trainings = []
    real_train = training.train
    monkeypatch.setattr(
        training, "train", lambda *a, **k: trainings.append(a[0]) or real_train(*a, **k)
    )
    return folder, trainings


QUICK = dataclasses.replace(SMALL, epochs=1)


@pytest.fixture(scope="module")
def quick_entry(tmp_path_factory, small_data):
    """A cache entry of QUICK, trained once for the module; tests damage copies of it."""
    folder = tmp_path_factory.mktemp("quick-entry") / "models"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(training, "training_data", lambda recipe: small_data)
        patch.setattr(training, "model_cache_dir", lambda: folder)
        trained = training.trained_autoencoder(QUICK, verbose=0)
    return folder, trained.history


@pytest.fixture
def filled_model_cache(model_cache, quick_entry):
    """``model_cache`` holding a copy of the QUICK entry; also gives its history."""
    folder, trainings = model_cache
    shutil.copytree(quick_entry[0], folder)
    return folder, trainings, quick_entry[1]


def test_a_diverging_training_stops_with_a_clear_error_and_caches_nothing(model_cache):
    folder, _ = model_cache
    with pytest.raises(
        training.TrainingDivergedError,
        match=r"loss became nan in epoch 1\. Lower the learning rate "
        r"\(it is 1e\+06",
    ):
        training.trained_autoencoder(dataclasses.replace(QUICK, learning_rate=1e6), verbose=0)
    assert not folder.exists() or list(folder.iterdir()) == []


def test_a_nan_history_is_never_cached(model_cache, small_data):
    folder, _ = model_cache
    trained = training.train(QUICK, small_data[0], verbose=0)
    with pytest.raises(ValueError, match="'loss' is not one finite number per epoch"):
        training.save_to_cache(trained.autoencoder, {"loss": [float("nan")]}, QUICK)
    assert not folder.exists()


# --- The model cache heals, never loses a model, and does not lie (items 1-4) ------------------


def cache_warnings(warned):
    """The CacheWarnings among what ``pytest.warns`` recorded (TensorFlow adds others)."""
    return [warning for warning in warned if issubclass(warning.category, training.CacheWarning)]


def cache_files(folder):
    return sorted(path.name for path in folder.iterdir())


def scramble(path):
    content = bytearray(path.read_bytes())
    for index in range(200, len(content), 997):
        content[index] ^= 0x5A
    path.write_bytes(bytes(content))


DAMAGES = {
    "truncated model": (
        lambda model, record: model.write_bytes(model.read_bytes()[:3000]),
        "Keras cannot load it",
    ),
    "scrambled model": (lambda model, record: scramble(model), "Keras cannot load it"),
    "model is empty": (lambda model, record: model.write_bytes(b""), "Keras cannot load it"),
    "record not JSON": (
        lambda model, record: record.write_text('{"format": 3, "hist'),
        "is not readable JSON",
    ),
    "history is []": (
        lambda model, record: record.write_text(
            json.dumps({**json.loads(record.read_text()), "history": []})
        ),
        "history has no loss curve",
    ),
    "history without loss": (
        lambda model, record: record.write_text(
            json.dumps({**json.loads(record.read_text()), "history": {"val_loss": [0.1]}})
        ),
        "history has no loss curve",
    ),
    "record missing": (lambda model, record: record.unlink(), "is missing"),
}


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_cache_entry_is_removed_retrained_and_named_in_one_line(
    filled_model_cache, damage
):
    folder, trainings, history = filled_model_cache
    model_path, record_path = training._cache_paths(QUICK)
    apply, reason = DAMAGES[damage]
    apply(model_path, record_path)

    with pytest.warns(training.CacheWarning) as warned:
        again = training.trained_autoencoder(QUICK, verbose=0)
    (warning,) = cache_warnings(warned)
    message = str(warning.message)
    assert "\n" not in message and str(model_path) in message and reason in message
    assert "removed it and training again" in message
    assert trainings == [QUICK] and again.history["loss"] == history["loss"]
    # Healed: the next call loads the new entry, without a warning or training.
    with warnings.catch_warnings():
        warnings.simplefilter("error", training.CacheWarning)
        loaded = training.trained_autoencoder(QUICK, verbose=0)
    assert trainings == [QUICK] and loaded.history == again.history
    assert cache_files(folder) == sorted([model_path.name, record_path.name])


def move_entry(source: Recipe, target: Recipe, edit_record=None):
    """Put the cache entry of ``source`` under the key of ``target`` (a lying cache)."""
    for old, new in zip(training._cache_paths(source), training._cache_paths(target), strict=False):
        old.rename(new)
    if edit_record:
        record_path = training._cache_paths(target)[1]
        record_path.write_text(json.dumps(edit_record(json.loads(record_path.read_text()))))


def test_an_entry_saved_under_another_recipes_key_is_not_loaded(filled_model_cache):
    folder, trainings, _ = filled_model_cache
    wider = dataclasses.replace(QUICK, latent_dim=3)
    move_entry(QUICK, wider)
    with pytest.warns(training.CacheWarning, match="was saved for another recipe"):
        model = training.trained_autoencoder(wider, verbose=0)
    assert model.encoder.output_shape == (None, 3) and trainings == [wider]


def test_an_entry_whose_record_was_rewritten_is_checked_against_the_model_itself(
    filled_model_cache,
):
    folder, trainings, _ = filled_model_cache
    wider = dataclasses.replace(QUICK, latent_dim=3)
    move_entry(
        QUICK,
        wider,
        lambda record: {**record, "recipe": json.loads(json.dumps(dataclasses.asdict(wider)))},
    )
    with pytest.warns(
        training.CacheWarning,
        match=r"does not match the recipe: its layers are "
        r"\[64, 32, 2\]",
    ):
        model = training.trained_autoencoder(wider, verbose=0)
    assert model.encoder.output_shape == (None, 3)


def test_an_entry_made_from_other_data_is_not_loaded(filled_model_cache):
    folder, trainings, _ = filled_model_cache

    def other_split(record):
        return {
            **record,
            "data": {
                **record["data"],
                "validation": {"fraction": 0.2, "seed": 0, "stratified": True},
            },
        }

    model_path, record_path = training._cache_paths(QUICK)
    record_path.write_text(json.dumps(other_split(json.loads(record_path.read_text()))))
    with pytest.warns(training.CacheWarning, match="was saved for another data"):
        training.trained_autoencoder(QUICK, verbose=0)
    assert trainings == [QUICK]


def test_the_key_names_the_data_digits_split_and_mnist_files(monkeypatch):
    key = SMALL.cache_key()
    monkeypatch.setattr(training, "VALIDATION_FRACTION", 0.2)
    assert SMALL.cache_key() != key
    monkeypatch.undo()
    monkeypatch.setattr(
        training, "MNIST_FILES", {**training.MNIST_FILES, "train-images-idx3-ubyte": "0" * 64}
    )
    assert SMALL.cache_key() != key
    identity = training.training_data_identity((1, 5, 6))
    assert identity["digits"] == [1, 5, 6] and identity["validation"]["seed"] == 0


def test_save_to_cache_refuses_a_model_trained_on_other_data_or_for_another_recipe(
    model_cache, small_data
):
    folder, _ = model_cache
    x_train, x_val = small_data
    on_other_data = training.train(QUICK, x_train[:1000], x_val=x_val, verbose=0)
    with pytest.raises(ValueError, match="trained on other images than trained_autoencoder"):
        training.save_to_cache(on_other_data)
    with pytest.raises(
        ValueError,
        match=r"its layers are \[64, 32, 2\] → \[32, 64, 784\], while "
        r"the recipe builds \[64, 32, 3\]",
    ):
        training.save_to_cache(
            on_other_data.autoencoder,
            on_other_data.history,
            dataclasses.replace(QUICK, latent_dim=3),
        )
    with pytest.raises(ValueError, match="output activation is 'linear'"):
        training.save_to_cache(
            on_other_data.autoencoder,
            on_other_data.history,
            dataclasses.replace(QUICK, output_activation="sigmoid"),
        )
    assert not folder.exists()


def test_a_models_folder_that_is_a_file_still_returns_the_trained_model(model_cache, small_data):
    folder, trainings = model_cache
    folder.write_text("a file where the models folder should be")
    with pytest.warns(training.CacheWarning) as warned:
        model = training.trained_autoencoder(QUICK, verbose=0)
    (warning,) = cache_warnings(warned)
    message = str(warning.message)
    assert "\n" not in message and f"{folder} (or a folder above it) is a file" in message
    assert "the trained model is returned, not cached" in message
    assert reconstruction_mse(model.autoencoder, small_data[1]) < 0.1
    assert folder.read_text() == "a file where the models folder should be"


@pytest.mark.parametrize(
    "error, reason",
    [
        (errno.ENOSPC, "there is no space left on the disk of {folder}"),
        (errno.EROFS, "{folder} is on a read-only file system"),
        (errno.EACCES, "{folder} is not writable (permission denied)"),
    ],
)
def test_an_unwritable_cache_still_returns_the_trained_model(
    model_cache, monkeypatch, error, reason
):
    """Root writes through permission bits, so the failure is injected where the finished
    file is renamed into the cache, as a full or read-only disk answers there."""
    folder, trainings = model_cache

    def refuse(temporary, target):
        raise OSError(error, os.strerror(error), str(target))

    monkeypatch.setattr(training, "publish_file", refuse)
    with pytest.warns(training.CacheWarning) as warned:
        model = training.trained_autoencoder(QUICK, verbose=0)
    (warning,) = cache_warnings(warned)
    assert reason.format(folder=folder) in str(warning.message)
    assert model.history["loss"] and cache_files(folder) == []  # no temporary left behind
    with pytest.raises(training.ModelCacheError, match=str(training._cache_paths(QUICK)[0])):
        training.save_to_cache(model)


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664)])
def test_cached_models_follow_the_umask_so_a_shared_cache_is_readable(model_cache, umask, mode):
    folder, _ = model_cache
    previous = os.umask(umask)
    try:
        training.trained_autoencoder(QUICK, verbose=0)
    finally:
        os.umask(previous)
    modes = [stat.S_IMODE((folder / name).stat().st_mode) for name in cache_files(folder)]
    assert modes == [mode, mode]


def test_stale_temporaries_of_a_killed_save_are_removed(model_cache):
    folder, _ = model_cache
    folder.mkdir()
    stale = folder / ".autoencoder-0123456789abcdef.k1ll3d.keras"
    stale.write_bytes(b"\0" * 1000)
    os.utime(stale, (time.time() - 3600,) * 2)
    training.trained_autoencoder(QUICK, verbose=0)
    assert not stale.exists() and len(cache_files(folder)) == 2
