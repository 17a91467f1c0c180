"""Tests of course_utils/model_store.py: cached_fit trains once, heals and survives its cache."""

import errno
import os
import warnings

import keras
import numpy as np
import pytest

from course_utils import model_store, training

RNG = np.random.default_rng(0)
IMAGES = RNG.uniform(0, 1, size=(64, 16)).astype("float32")
SETTINGS = {"data": "64 uniform images", "epochs": 1, "seed": 0}


@pytest.fixture
def model_cache(tmp_path, monkeypatch):
    """An empty model cache in tmp_path (never the user's)."""
    folder = tmp_path / "models"
    monkeypatch.setattr(training, "model_cache_dir", lambda: folder)
    return folder


def small_model(activation="relu"):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input(shape=(16,)),
            keras.layers.Dense(4, activation=activation),
            keras.layers.Dense(16),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    return model


class Fits:
    """A ``fit`` for cached_fit that counts its calls."""

    def __init__(self, model):
        self.model, self.calls = model, 0

    def __call__(self):
        self.calls += 1
        return self.model.fit(IMAGES, IMAGES, epochs=2, batch_size=32, verbose=0)


def cache_warnings(warned):
    return [w for w in warned if issubclass(w.category, model_store.CacheWarning)]


def test_the_first_call_trains_and_the_next_loads_the_same_weights(model_cache):
    first = small_model()
    fits = Fits(first)
    history = model_store.cached_fit(first, "toy", SETTINGS, fits)
    assert fits.calls == 1 and len(history["loss"]) == 2
    second = small_model()
    again = Fits(second)
    with warnings.catch_warnings():  # nothing printed on a chapter's page
        warnings.simplefilter("error")
        assert model_store.cached_fit(second, "toy", SETTINGS, again) == history
    assert again.calls == 0
    for trained, loaded in zip(first.get_weights(), second.get_weights(), strict=True):
        np.testing.assert_array_equal(trained, loaded)


@pytest.mark.parametrize(
    "change",
    [
        lambda: ("toy", {**SETTINGS, "seed": 1}, small_model()),
        lambda: ("other-toy", SETTINGS, small_model()),
        lambda: ("toy", SETTINGS, small_model(activation="tanh")),
    ],
    ids=["settings", "name", "layers"],
)
def test_other_settings_a_name_or_layers_train_anew(model_cache, change):
    model_store.cached_fit(small_model(), "toy", SETTINGS, Fits(small_model()))
    name, settings, model = change()
    fits = Fits(model)
    model_store.cached_fit(model, name, settings, fits)
    assert fits.calls == 1


@pytest.mark.parametrize("damage", ["weights", "history"])
def test_a_damaged_entry_is_removed_and_trained_again_with_one_warning(model_cache, damage):
    model_store.cached_fit(small_model(), "toy", SETTINGS, Fits(small_model()))
    suffix = "weights.npz" if damage == "weights" else "history.json"
    (target,) = model_cache.glob(f"toy-*.{suffix}")
    target.write_bytes(target.read_bytes()[:40])  # truncated
    model = small_model()
    fits = Fits(model)
    with pytest.warns(model_store.CacheWarning) as warned:
        history = model_store.cached_fit(model, "toy", SETTINGS, fits)
    (warning,) = cache_warnings(warned)
    assert "damaged model cache entry" in str(warning.message) and "\n" not in str(warning.message)
    assert fits.calls == 1 and len(history["loss"]) == 2
    fresh = Fits(small_model())
    model_store.cached_fit(small_model(), "toy", SETTINGS, fresh)  # healed: loads now
    assert fresh.calls == 0


def test_a_models_folder_that_is_a_file_keeps_the_trained_model(model_cache):
    model_cache.parent.mkdir(parents=True, exist_ok=True)
    model_cache.write_text("a file where the models folder should be")
    model = small_model()
    before = [w.copy() for w in model.get_weights()]
    with pytest.warns(model_store.CacheWarning) as warned:
        history = model_store.cached_fit(model, "toy", SETTINGS, Fits(model))
    (warning,) = cache_warnings(warned)
    assert "is a file" in str(warning.message) and "not cached" in str(warning.message)
    assert len(history["loss"]) == 2
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))


@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EROFS])
def test_a_full_or_read_only_disk_keeps_the_trained_model(model_cache, monkeypatch, error):
    def refuse(temporary, target):
        raise OSError(error, os.strerror(error), str(target))

    monkeypatch.setattr(training, "publish_file", refuse)
    model = small_model()
    with pytest.warns(model_store.CacheWarning) as warned:
        history = model_store.cached_fit(model, "toy", SETTINGS, Fits(model))
    assert len(cache_warnings(warned)) == 1 and len(history["loss"]) == 2
    assert list(model_cache.iterdir()) == []  # no temporary file left behind


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"name": "../escape"}, "name must be letters"),
        ({"settings": [1, 2]}, "settings must be a dict"),
        ({"settings": {"data": np.zeros(2)}}, "settings must hold only numbers"),
        ({"fit": "fit"}, "fit must be a function"),
        ({"model": keras.Sequential()}, "model has no weights yet"),
    ],
)
def test_bad_arguments_get_a_clear_error(model_cache, arguments, message):
    model = small_model()
    given = {"model": model, "name": "toy", "settings": SETTINGS, "fit": Fits(model)}
    with pytest.raises(ValueError, match=message):
        model_store.cached_fit(**{**given, **arguments})
    assert not model_cache.exists()
