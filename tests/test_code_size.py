"""Tests of course_utils/code_size.py: chapter 7's sweep recipes and convolutional autoencoder, the
same as the chapter's code, and everything the chapter trains is what `python -m course_utils
model` trains ahead of time."""

import dataclasses
import json
import types

import keras
import nbformat
import numpy as np
import pytest

import course_utils
from course_utils import (
    CODE_SIZES,
    CONV_CODE_SIZES,
    DEFAULT_RECIPE,
    SEEDS,
    SWEEP_RECIPE,
    Recipe,
    build_conv_autoencoder,
    load_mnist,
    model_store,
    sweep_recipe,
    sweep_recipes,
    train_sweep_autoencoder,
    trained_sweep_autoencoder,
)
from course_utils.code_size import chapter_7_models

CHAPTER = "07_code_size"


@pytest.fixture(scope="module")
def small_data():
    (x_train, _), (x_val, _) = load_mnist(digits=(1, 5, 6))
    return x_train[:400], x_val[:100]


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    """An empty model cache in tmp_path (never the user's)."""
    folder = tmp_path / "models"
    monkeypatch.setattr(model_store, "model_cache_dir", lambda: folder)
    return folder


# --- Bad arguments: a clear ValueError, before any data is loaded or model built -------------


@pytest.mark.parametrize("code_size", [0, -2, 785, 2.5, True, "8", None])
def test_a_code_size_outside_1_to_784_is_refused(code_size):
    for call in (
        lambda: build_conv_autoencoder(code_size),
        lambda: sweep_recipe(code_size),
        lambda: sweep_recipes(code_sizes=[2, code_size]),
    ):
        with pytest.raises(ValueError, match=r"code size must be a whole number from 1 to 784"):
            call()


def test_an_empty_or_repeated_list_of_seeds_or_sizes_is_refused():
    with pytest.raises(ValueError, match=r"seeds is empty: name at least one, e\.g\. \(0, 1, 2\)"):
        sweep_recipes(seeds=[])
    with pytest.raises(ValueError, match=r"code_sizes is empty"):
        sweep_recipes(code_sizes=())
    with pytest.raises(ValueError, match=r"seeds must be distinct"):
        sweep_recipes(seeds=(0, 0))
    with pytest.raises(ValueError, match=r"seeds must be a list such as \(0, 1, 2\); got 3"):
        sweep_recipes(seeds=3)
    for seed in (-1, 1.5, True):
        with pytest.raises(ValueError, match=r"a seed must be a whole number >= 0"):
            sweep_recipe(2, seed=seed)


def test_training_refuses_an_unknown_network_a_non_recipe_and_a_code_longer_than_the_image(
    small_data,
):
    x_train, x_val = small_data
    too_long = dataclasses.replace(SWEEP_RECIPE, latent_dim=785)
    for train in (
        lambda network, recipe: train_sweep_autoencoder(network, recipe, x_train, x_val),
        trained_sweep_autoencoder,
    ):
        with pytest.raises(ValueError, match=r"network must be 'dense' or 'conv'; got 'mlp'"):
            train("mlp", SWEEP_RECIPE)
        with pytest.raises(ValueError, match=r"recipe must be a course_utils\.Recipe"):
            train("dense", {"latent_dim": 2})
        with pytest.raises(ValueError, match=r"from 1 to 784 .*; got 785"):
            train("conv", too_long)
    with pytest.raises(ValueError, match=r"x_train"):
        train_sweep_autoencoder("conv", SWEEP_RECIPE, x_train * 255, x_val)


# --- The recipes and the network ---------------------------------------------------------------


def test_the_sweeps_recipe_is_chapter_3s_with_3_epochs_of_100_images():
    changed = {
        field.name
        for field in dataclasses.fields(Recipe)
        if getattr(SWEEP_RECIPE, field.name) != getattr(DEFAULT_RECIPE, field.name)
    }
    assert changed == {"epochs", "batch_size"}
    assert (SWEEP_RECIPE.epochs, SWEEP_RECIPE.batch_size) == (3, 100)
    recipes = sweep_recipes()
    assert [(r.latent_dim, r.seed) for r in recipes] == [(k, s) for k in CODE_SIZES for s in SEEDS]
    assert len(set(recipes)) == len(CODE_SIZES) * len(SEEDS) == 18  # 18 distinct models
    assert sweep_recipe(8, seed=2) == dataclasses.replace(SWEEP_RECIPE, latent_dim=8, seed=2)


@pytest.mark.parametrize("code_size, parameters", [(2, 53_251), (16, 141_073)])
def test_the_convolutional_autoencoder_maps_flat_images_to_a_code_and_back(code_size, parameters):
    encoder, decoder, autoencoder = build_conv_autoencoder(code_size)
    assert autoencoder.count_params() == parameters
    images = np.random.default_rng(0).random((5, 784), dtype=np.float32)
    codes = encoder(images)
    assert tuple(codes.shape) == (5, code_size)
    rebuilt = np.asarray(decoder(codes))
    assert rebuilt.shape == (5, 784) and 0 <= rebuilt.min() and rebuilt.max() <= 1
    np.testing.assert_allclose(autoencoder(images), rebuilt, rtol=1e-5, atol=1e-6)


def _layers(model) -> list:
    """Each layer's class and its configuration without its name: what the code decides."""
    described = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            described.append((type(layer).__name__, _layers(layer)))
        else:
            config = {key: value for key, value in layer.get_config().items() if key != "name"}
            described.append((type(layer).__name__, config, layer.count_params()))
    return described


def test_the_package_builds_the_layers_chapter_7_writes_in_keras(chapter_code, small_data):
    x_train, x_val = small_data
    page = chapter_code(
        CHAPTER,
        ["SWEEP_RECIPE", "CODE_SIZES", "SEEDS", "conv_autoencoder", "dense_autoencoder"],
        x_train=x_train,
        x_val=x_val,
    )
    assert page["SWEEP_RECIPE"] == SWEEP_RECIPE
    assert page["CODE_SIZES"] == CODE_SIZES and page["SEEDS"] == SEEDS
    for code_size in (1, 2, 16, 784):
        for ours, theirs in zip(
            page["conv_autoencoder"](code_size), build_conv_autoencoder(code_size), strict=True
        ):
            assert _layers(ours) == _layers(theirs)
        assert _layers(page["dense_autoencoder"](code_size)[2]) == _layers(
            course_utils.build_autoencoder(code_size, output_activation="sigmoid")[2]
        )


@pytest.mark.training  # trains small models: not in `make test-fast`
@pytest.mark.parametrize("network", ["dense", "conv"])
def test_the_package_trains_as_the_chapter_does_and_finds_the_chapters_cache_entry(
    network, chapter_code, small_data, empty_cache, tmp_path, monkeypatch
):
    """The chapter's train_autoencoder and train_sweep_autoencoder give the same losses and
    weights, and share one cache entry: a model the package trained ahead of time (Binder's
    postBuild) is the one the chapter loads."""
    x_train, x_val = small_data
    page = chapter_code(
        CHAPTER, ["train_autoencoder", "conv_autoencoder"], x_train=x_train, x_val=x_val
    )
    builds = {"dense": page["dense_autoencoder"], "conv": page["conv_autoencoder"]}
    recipe = dataclasses.replace(SWEEP_RECIPE, latent_dim=3, epochs=1, seed=4)
    *_, page_model, page_history = page["train_autoencoder"](builds[network], recipe)
    entries = sorted(path.name for path in empty_cache.iterdir())
    assert len(entries) == 2 and entries[0].startswith(f"{network}_autoencoder-")
    cached = train_sweep_autoencoder(network, recipe, x_train, x_val)  # loads the page's entry
    assert sorted(path.name for path in empty_cache.iterdir()) == entries
    for a, b in zip(page_model.get_weights(), cached.autoencoder.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)

    elsewhere = tmp_path / "another-cache"  # an empty cache: the package trains it itself
    monkeypatch.setattr(model_store, "model_cache_dir", lambda: elsewhere)
    trained = train_sweep_autoencoder(network, recipe, x_train, x_val)
    assert list(trained.history) == list(page_history) == ["loss", "val_loss", "seconds"]
    for metric in ("loss", "val_loss"):  # seconds: each run's own time
        np.testing.assert_allclose(trained.history[metric], page_history[metric], rtol=1e-4)
    assert all(seconds > 0 for seconds in trained.history["seconds"])
    for a, b in zip(page_model.get_weights(), trained.autoencoder.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)


@pytest.mark.training  # trains small models: not in `make test-fast`
def test_the_command_line_trains_every_model_the_chapter_trains(
    chapter_code, small_data, monkeypatch
):
    """Run the chapter's training cells with a cached_fit that records what it is asked to train
    instead of training; `python -m course_utils model` (chapter_7_models) asks for the same."""
    x_train, x_val = small_data
    asked = set()

    def recording_fit(model, name, settings, fit):
        asked.add((name, json.dumps(settings, sort_keys=True), model.count_params()))
        return {"loss": [0.02], "val_loss": [0.02], "seconds": [1.0]}

    chapter_3 = types.SimpleNamespace(history={"loss": [0.03], "val_loss": [0.03]})
    monkeypatch.setattr(course_utils, "cached_fit", recording_fit)
    monkeypatch.setattr(course_utils, "trained_autoencoder", lambda **_: chapter_3)
    wanted = ["SWEEP_RECIPE", "train_autoencoder", "conv_autoencoder"]
    page = chapter_code(
        CHAPTER, wanted + ["val_mse", "full_val_mse", "models"], x_train=x_train, x_val=x_val
    )
    assert page["cached_fit"] is recording_fit
    assert page["CONV_CODE_SIZES"] == CONV_CODE_SIZES
    chapter_asks, asked = asked, set()
    for network, recipe in chapter_7_models():
        train_sweep_autoencoder(network, recipe, x_train, x_val)
    assert asked == chapter_asks
    assert len(asked) == len(CODE_SIZES) * len(SEEDS) + len(CONV_CODE_SIZES) + 1


def test_chapter_7_and_chapter_1_draw_pca_with_one_function(repo_root):
    """PCA's curve in chapter 7 and chapter 1 both come from pca_test_mse; neither chapter 7 nor
    the package computes it another way."""
    for chapter in ("01_unsupervised_learning", CHAPTER):
        notebook = nbformat.read(repo_root / "book" / f"{chapter}.ipynb", as_version=4)
        code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
        assert "pca_test_mse(x_train, " in code, chapter
    assert "PCA(" not in code and "decomposition" not in code
    assert "PCA" not in (repo_root / "course_utils" / "code_size.py").read_text()
