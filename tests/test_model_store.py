"""course_utils/model_store.py: one cache for every kind of model, which heals damaged entries and
never loses a trained model.

The fault tests run for each kind the store keeps: the autoencoder, the VAE, the classifier and a
chapter's own model (cached_fit). Training is replaced by building the kind's real Keras models
with new weights (the kinds' own test files train for real): what is tested is what the cache
does with them.
"""

import dataclasses
import errno
import json
import os
import stat
import time
import warnings
from collections.abc import Callable

import keras
import numpy as np
import pytest

from course_utils import _files, classifier, model_store, training, vae
from course_utils.classifier import TrainedClassifier
from course_utils.models import build_autoencoder, build_classifier, build_vae
from course_utils.recipes import ClassifierRecipe, Recipe, VAERecipe
from course_utils.training import TrainedAutoencoder
from course_utils.vae import TrainedVAE

TINY_AUTOENCODER = Recipe(hidden=(8,), epochs=1)
TINY_VAE = VAERecipe(hidden=(8,), epochs=1)
TINY_CLASSIFIER = ClassifierRecipe(hidden=(8,), epochs=1)
PAGE_SETTINGS = {"data": "64 uniform images", "epochs": 1, "seed": 0}


def page_model(activation="relu"):
    """A chapter's small model, built anew as a chapter's page does on each run."""
    model = keras.Sequential(
        [
            keras.Input(shape=(16,)),
            keras.layers.Dense(4, activation=activation),
            keras.layers.Dense(16),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    return model


@dataclasses.dataclass
class Kind:
    """One kind of cached model: ``get()`` gives its result (loaded or trained), ``weights`` what
    the result holds, ``trainings`` counts the trainings; ``old_files`` are what an older version
    of the course cached for it."""

    name: str
    get: Callable
    weights: Callable
    trainings: list
    old_files: tuple


def new_weights(trainings: list, recipe) -> None:
    """A training: counted, and each one gives other weights."""
    trainings.append(recipe)
    keras.utils.set_random_seed(len(trainings))


def autoencoder_kind(monkeypatch) -> Kind:
    trainings = []

    def train(recipe, x_train, x_val=None, verbose="auto"):
        new_weights(trainings, recipe)
        encoder, decoder, autoencoder = build_autoencoder(hidden=recipe.hidden)
        return TrainedAutoencoder(encoder, decoder, autoencoder, HISTORY, recipe)

    monkeypatch.setattr(training, "train", train)
    return Kind(
        "autoencoder",
        lambda: training.trained_autoencoder(TINY_AUTOENCODER, verbose=0),
        lambda result: result.autoencoder.get_weights(),
        trainings,
        ("autoencoder-0123456789abcdef.keras", "autoencoder-0123456789abcdef.json"),
    )


def vae_kind(monkeypatch) -> Kind:
    trainings = []

    def train_vae(recipe, x_train, x_val=None, verbose="auto"):
        new_weights(trainings, recipe)
        encoder, decoder, model = build_vae(hidden=recipe.hidden)
        return TrainedVAE(encoder, decoder, model, HISTORY, recipe)

    monkeypatch.setattr(vae, "train_vae", train_vae)
    return Kind(
        "vae",
        lambda: vae.trained_vae(TINY_VAE, verbose=0),
        lambda result: result.encoder.get_weights() + result.decoder.get_weights(),
        trainings,
        tuple(
            f"vae-0123456789abcdef.{part}"
            for part in ("encoder.keras", "decoder.keras", "history.json")
        ),
    )


def classifier_kind(monkeypatch) -> Kind:
    trainings = []

    def train_classifier(recipe, x_train, y_train, x_val=None, y_val=None, verbose="auto"):
        new_weights(trainings, recipe)
        model = build_classifier(3, hidden=recipe.hidden)
        return TrainedClassifier(model, (1, 5, 6), HISTORY, recipe)

    monkeypatch.setattr(classifier, "train_classifier", train_classifier)
    return Kind(
        "classifier",
        lambda: classifier.trained_classifier(TINY_CLASSIFIER, verbose=0),
        lambda result: result.model.get_weights(),
        trainings,
        ("classifier-0123456789abcdef.model.keras", "classifier-0123456789abcdef.history.json"),
    )


def page_kind(monkeypatch) -> Kind:
    trainings = []

    def get():
        model = page_model()

        def fit():
            new_weights(trainings, PAGE_SETTINGS)
            model.set_weights([np.random.normal(size=w.shape) for w in model.get_weights()])
            return HISTORY

        model_store.cached_fit(model, "page-model", PAGE_SETTINGS, fit)
        return model

    return Kind(
        "page-model",
        get,
        lambda model: model.get_weights(),
        trainings,
        ("page-model-0123456789abcdef.weights.npz", "page-model-0123456789abcdef.history.json"),
    )


HISTORY = {"loss": [0.5], "val_loss": [0.6]}
KINDS = {
    "autoencoder": autoencoder_kind,
    "vae": vae_kind,
    "classifier": classifier_kind,
    "page model": page_kind,
}


@pytest.fixture(params=KINDS)
def kind(request, monkeypatch, quick_training_split) -> Kind:
    return KINDS[request.param](monkeypatch)


def cache_warnings(warned):
    """The CacheWarnings among what ``pytest.warns`` recorded (TensorFlow adds others)."""
    return [w for w in warned if issubclass(w.category, model_store.CacheWarning)]


def same_weights(first, second) -> bool:
    return len(first) == len(second) and all(
        np.array_equal(a, b) for a, b in zip(first, second, strict=True)
    )


def entry_files(folder, kind: Kind):
    """The entry's record and weights (the one entry of the kind in the cache)."""
    (record,) = folder.glob(f"{kind.name}-????????????????.json")
    return record, record.with_suffix(".npz")


def test_each_kind_trains_once_then_loads_the_same_weights(kind, private_model_cache):
    trained = kind.get()
    with warnings.catch_warnings():  # nothing printed on a chapter's page
        warnings.simplefilter("error")
        loaded = kind.get()
    assert len(kind.trainings) == 1
    assert same_weights(kind.weights(loaded), kind.weights(trained))
    record, weights = entry_files(private_model_cache, kind)
    assert sorted(path.name for path in private_model_cache.iterdir()) == [
        record.name,
        weights.name,
    ]
    assert json.loads(record.read_text())["history"] == HISTORY


def scramble(path):
    content = bytearray(path.read_bytes())
    for index in range(100, len(content), 97):
        content[index] ^= 0x5A
    path.write_bytes(bytes(content))


def edit_record(record, **changes):
    record.write_text(json.dumps({**json.loads(record.read_text()), **changes}))


def other_shapes(weights):
    with np.load(weights) as stored:
        arrays = {name: np.zeros(stored[name].shape + (2,)) for name in stored.files}
    np.savez(weights, **arrays)


DAMAGES = {  # what happens to the entry's (record, weights) -> what the warning says
    "weights truncated": (
        lambda record, weights: weights.write_bytes(weights.read_bytes()[:300]),
        "its weights are not a readable .npz file",
    ),
    "weights scrambled": (lambda record, weights: scramble(weights), "not a readable .npz"),
    "weights empty": (lambda record, weights: weights.write_bytes(b""), "not a readable .npz"),
    "weights of other shapes": (
        lambda record, weights: other_shapes(weights),
        "its weights do not fit the models' layers",
    ),
    "record not JSON": (
        lambda record, weights: record.write_text('{"format": 4, "hist'),
        "is not readable JSON",
    ),
    "record missing": (lambda record, weights: record.unlink(), "is missing"),
    "record of other settings": (
        lambda record, weights: edit_record(record, settings={"recipe": "another"}),
        "was saved for another settings",
    ),
    "record of other layers": (
        lambda record, weights: edit_record(record, layers={}),
        "was saved for another layers",
    ),
    "history of NaN": (
        lambda record, weights: edit_record(record, history={"loss": [float("nan")]}),
        "its history's 'loss' is not one finite number per epoch",
    ),
    "history without loss": (
        lambda record, weights: edit_record(record, history={"val_loss": [0.1]}),
        "its history has no loss curve",
    ),
}


@pytest.mark.parametrize("damage", ["weights truncated", "record not JSON"])
def test_each_kind_heals_damaged_weights_and_a_bad_record(kind, private_model_cache, damage):
    healing(kind, private_model_cache, damage)


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_entry_is_removed_retrained_and_named_in_one_line(
    monkeypatch, quick_training_split, private_model_cache, damage
):
    """Every damage, on the kind that is quickest to build (the store treats all kinds alike)."""
    healing(page_kind(monkeypatch), private_model_cache, damage)


def healing(kind: Kind, private_model_cache, damage: str) -> None:
    """``damage`` the kind's entry: the next call warns in one line, trains again, and the call
    after that loads the new entry without a word."""
    kind.get()
    record, weights = entry_files(private_model_cache, kind)
    apply, reason = DAMAGES[damage]
    apply(record, weights)

    with pytest.warns(model_store.CacheWarning) as warned:
        again = kind.get()
    (warning,) = cache_warnings(warned)
    message = str(warning.message)
    assert "\n" not in message and str(weights) in message and reason in message
    assert "removed it and training again" in message
    assert len(kind.trainings) == 2
    # Healed: the next call loads the new entry, without a warning or training.
    with warnings.catch_warnings():
        warnings.simplefilter("error", model_store.CacheWarning)
        loaded = kind.get()
    assert len(kind.trainings) == 2 and same_weights(kind.weights(loaded), kind.weights(again))
    assert sorted(private_model_cache.iterdir()) == [record, weights]


def test_a_models_folder_that_is_a_file_still_returns_the_trained_model(kind, private_model_cache):
    private_model_cache.parent.mkdir(parents=True, exist_ok=True)
    private_model_cache.write_text("a file where the models folder should be")
    with pytest.warns(model_store.CacheWarning) as warned:
        result = kind.get()
    (warning,) = cache_warnings(warned)
    message = str(warning.message)
    assert "\n" not in message and f"{private_model_cache} is a file, not a folder" in message
    assert "the trained model is returned, not cached" in message
    assert len(kind.trainings) == 1 and kind.weights(result)
    assert private_model_cache.read_text() == "a file where the models folder should be"


@pytest.mark.parametrize(
    "error, reason",
    [
        (errno.ENOSPC, "there is no space left on the disk of {folder}"),
        (errno.EROFS, "{folder} is on a read-only file system"),
        (errno.EACCES, "{folder} is not writable (permission denied)"),
    ],
    ids=["full disk", "read-only disk", "read-only folder"],
)
def test_an_unwritable_cache_still_returns_the_trained_model(
    kind, private_model_cache, monkeypatch, error, reason
):
    """Root writes through permission bits, so the failure is injected where a finished file is
    renamed into the cache, as a full or read-only disk answers there."""

    def refuse(temporary, target):
        raise OSError(error, os.strerror(error), str(target))

    monkeypatch.setattr(_files, "publish_file", refuse)
    with pytest.warns(model_store.CacheWarning) as warned:
        result = kind.get()
    (warning,) = cache_warnings(warned)
    assert reason.format(folder=private_model_cache) in str(warning.message)
    assert len(kind.trainings) == 1 and kind.weights(result)
    assert list(private_model_cache.iterdir()) == []  # no temporary, no record alone


def test_an_older_formats_files_are_removed_with_one_warning(kind, private_model_cache):
    private_model_cache.mkdir(parents=True)
    for name in kind.old_files:
        (private_model_cache / name).write_bytes(b"written by an older course_utils")
    others = ("notes.txt", f"my-{kind.name}-0123456789abcdef.weights.npz")  # not this kind's
    for name in others:
        (private_model_cache / name).write_text("keep")

    with pytest.warns(model_store.CacheWarning) as warned:
        kind.get()
    (warning,) = cache_warnings(warned)
    message = str(warning.message)
    assert f"holds {len(kind.old_files)} files of {kind.name} models in an older format" in message
    assert "removed them" in message and "\n" not in message
    names = {path.name for path in private_model_cache.iterdir()}
    assert not names & set(kind.old_files) and set(others) <= names
    with warnings.catch_warnings():
        warnings.simplefilter("error", model_store.CacheWarning)
        kind.get()
    assert len(kind.trainings) == 1


# --- The store itself ---------------------------------------------------------------------------


def toy_entry(settings=PAGE_SETTINGS, name="toy"):
    return model_store.Entry(name, settings, lambda: {"model": page_model()})


def test_an_entry_is_named_by_everything_that_decides_it(monkeypatch):
    keys = {
        toy_entry().paths(),
        toy_entry({**PAGE_SETTINGS, "seed": 1}).paths(),
        toy_entry(name="other-toy").paths(),
    }
    monkeypatch.setattr(keras, "__version__", "0.0.0")
    keys.add(toy_entry().paths())
    monkeypatch.setattr(model_store, "STORE_FORMAT", 0)
    keys.add(toy_entry().paths())
    assert len(keys) == 5
    # Settings are kept as JSON reads them back: a tuple and its list are the same settings.
    monkeypatch.undo()
    assert toy_entry({"hidden": (8, 4)}).paths() == toy_entry({"hidden": [8, 4]}).paths()


@pytest.mark.parametrize(
    "name, settings, message",
    [
        ("../escape", PAGE_SETTINGS, "name must be letters"),
        ("toy.v2", PAGE_SETTINGS, "name must be letters"),
        ("toy", [1, 2], "settings must be a dict"),
        ("toy", {"data": np.zeros(2)}, "settings must hold only numbers"),
    ],
)
def test_an_entry_it_cannot_store_is_refused(name, settings, message):
    with pytest.raises(ValueError, match=message):
        model_store.Entry(name, settings, dict)


def test_nothing_cached_loads_as_none_and_leaves_the_models_as_they_are(private_model_cache):
    model = page_model()
    before = model.get_weights()
    assert model_store.load(toy_entry(), {"model": model}) is None
    assert same_weights(model.get_weights(), before)


def test_weights_that_do_not_fit_leave_the_models_untouched(private_model_cache):
    trained = page_model()
    model_store.save(toy_entry(), {"model": trained}, HISTORY)
    _, weights = toy_entry().paths()
    with np.load(weights) as stored:
        arrays = {name: stored[name] for name in stored.files}
    arrays["model.3"] = np.zeros(17)  # the last array has the wrong shape
    np.savez(weights, **arrays)
    model = page_model()
    before = model.get_weights()
    with pytest.warns(model_store.CacheWarning, match="do not fit the models' layers"):
        assert model_store.load(toy_entry(), {"model": model}) is None
    assert same_weights(model.get_weights(), before)  # not even the arrays that fit went in


def test_save_refuses_other_layers_and_histories_that_are_not_finite(private_model_cache):
    entry = toy_entry()
    with pytest.raises(ValueError, match=r"its layers are model: 4 tanh, 16 linear, while the "):
        model_store.save(entry, {"model": page_model("tanh")}, HISTORY)
    for history, message in (
        ({"loss": [0.5, float("nan")]}, "'loss' is not one finite number per epoch"),
        ({"loss": [0.5], "val_loss": [0.5, 0.4]}, "'val_loss' is not one finite number"),
        ({"loss": []}, "'loss' is not one finite number per epoch"),
        ([0.5], "its history has no loss curve"),
    ):
        with pytest.raises(ValueError, match=message):
            model_store.save(entry, {"model": page_model()}, history)
    assert not private_model_cache.exists()


def test_a_history_that_is_not_finite_is_never_cached(private_model_cache):
    with pytest.raises(ValueError, match="not one finite number per epoch"):
        model_store.load_or_train(
            toy_entry(), lambda: ({"model": page_model()}, {"loss": [float("inf")]})
        )
    assert not private_model_cache.exists()


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664)])
def test_cached_files_follow_the_umask_so_a_shared_cache_is_readable(
    private_model_cache, umask, mode
):
    previous = os.umask(umask)
    try:
        model_store.save(toy_entry(), {"model": page_model()}, HISTORY)
    finally:
        os.umask(previous)
    modes = [stat.S_IMODE(path.stat().st_mode) for path in private_model_cache.iterdir()]
    assert modes == [mode, mode]


def test_stale_temporaries_of_a_killed_save_are_removed(private_model_cache):
    private_model_cache.mkdir(parents=True)
    stale = private_model_cache / ".toy-0123456789abcdef.k1ll3d.npz"
    stale.write_bytes(b"\0" * 1000)
    os.utime(stale, (time.time() - 3600,) * 2)
    model_store.save(toy_entry(), {"model": page_model()}, HISTORY)
    assert not stale.exists() and len(list(private_model_cache.iterdir())) == 2


def test_a_damaged_entry_in_a_folder_that_cannot_delete_is_trained_around(
    private_model_cache, monkeypatch
):
    model_store.save(toy_entry(), {"model": page_model()}, HISTORY)
    record, _ = toy_entry().paths()
    record.write_text("not JSON")
    real_unlink = type(record).unlink

    def refuse(path, missing_ok=False):
        if path.parent == private_model_cache:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_unlink(path, missing_ok=missing_ok)

    monkeypatch.setattr(type(record), "unlink", refuse)
    with pytest.warns(model_store.CacheWarning, match="could not remove it and training again"):
        assert model_store.load(toy_entry()) is None


# --- cached_fit, a chapter's own model ----------------------------------------------------------

IMAGES = np.random.default_rng(0).uniform(0, 1, size=(64, 16)).astype("float32")


class Fits:
    """A ``fit`` for cached_fit that trains ``model`` (for real, or only setting new weights if
    not ``real``) and counts its calls."""

    def __init__(self, model, real=False):
        self.model, self.real, self.calls = model, real, 0

    def __call__(self):
        self.calls += 1
        if self.real:
            return self.model.fit(IMAGES, IMAGES, epochs=2, batch_size=32, verbose=0)
        self.model.set_weights([np.full(w.shape, self.calls) for w in self.model.get_weights()])
        return HISTORY


def test_cached_fit_trains_with_the_pages_fit_then_loads_its_weights(private_model_cache):
    keras.utils.set_random_seed(0)
    first = page_model()
    fits = Fits(first, real=True)
    history = model_store.cached_fit(first, "toy", PAGE_SETTINGS, fits)
    assert fits.calls == 1 and len(history["loss"]) == 2
    second = page_model()
    again = Fits(second, real=True)
    assert model_store.cached_fit(second, "toy", PAGE_SETTINGS, again) == history
    assert again.calls == 0 and same_weights(second.get_weights(), first.get_weights())


@pytest.mark.parametrize(
    "change",
    [
        lambda: ("toy", {**PAGE_SETTINGS, "seed": 1}, page_model()),
        lambda: ("other-toy", PAGE_SETTINGS, page_model()),
        lambda: ("toy", PAGE_SETTINGS, page_model(activation="tanh")),
    ],
    ids=["settings", "name", "layers"],
)
def test_cached_fit_trains_anew_for_other_settings_a_name_or_layers(private_model_cache, change):
    model = page_model()
    model_store.cached_fit(model, "toy", PAGE_SETTINGS, Fits(model))
    name, settings, model = change()
    fits = Fits(model)
    model_store.cached_fit(model, name, settings, fits)
    assert fits.calls == 1


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
def test_cached_fit_refuses_bad_arguments_clearly(private_model_cache, arguments, message):
    model = page_model()
    given = {"model": model, "name": "toy", "settings": PAGE_SETTINGS, "fit": Fits(model)}
    with pytest.raises(ValueError, match=message):
        model_store.cached_fit(**{**given, **arguments})
    assert not private_model_cache.exists()
