"""course_utils/vae.py: chapter 5's VAE trained, cached, saved and loaded like the chapter does."""

import dataclasses
import json

import keras
import numpy as np
import pytest

from course_utils import data, load_mnist, vae
from course_utils.models import build_vae
from course_utils.recipes import DEFAULT_RECIPE, VAE_RECIPE
from course_utils.vae import load_vae_from_cache, save_vae_to_cache, train_vae, trained_vae

SMALL = dataclasses.replace(VAE_RECIPE, hidden=(16,), epochs=1, batch_size=500)


@pytest.fixture(scope="module")
def small_data():
    (x_train, _), (x_test, _) = load_mnist(digits=(1, 5, 6))
    return x_train[:1500], x_test[:300]


def test_training_functions_refuse_bad_recipes_and_data(small_data):
    x_train, _ = small_data
    with pytest.raises(ValueError, match=r"recipe must be a VAERecipe \(e.g. course_utils.VAE_"):
        train_vae(DEFAULT_RECIPE, x_train, verbose=0)
    with pytest.raises(ValueError, match="VAERecipe"):
        trained_vae(DEFAULT_RECIPE, verbose=0)
    with pytest.raises(ValueError, match=r"shape \(n, 784\)"):
        train_vae(SMALL, x_train[0], verbose=0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        train_vae(SMALL, x_train * 255, verbose=0)
    with pytest.raises(ValueError, match=r"x_val.*pixels up to 255"):  # checked before training
        train_vae(SMALL, x_train, x_val=x_train[:50] * 255, verbose=0)
    with pytest.raises(ValueError, match="VAERecipe"):
        save_vae_to_cache(build_vae()[2], {"loss": [1.0]}, DEFAULT_RECIPE)


def test_trained_vae_trains_once_then_loads_the_same_model(
    private_model_cache, quick_training_split, monkeypatch
):
    calls = []
    real_train = vae.train_vae
    monkeypatch.setattr(vae, "train_vae", lambda *a, **k: calls.append(1) or real_train(*a, **k))
    first = trained_vae(SMALL, verbose=0)
    second = trained_vae(SMALL, verbose=0)
    assert len(calls) == 1
    (record,) = private_model_cache.glob("vae-*.json")
    assert sorted(path.suffix for path in private_model_cache.iterdir()) == [".json", ".npz"]
    settings = json.loads(record.read_text())["settings"]  # what the entry's key hashes
    assert settings["recipe"] == json.loads(json.dumps(dataclasses.asdict(SMALL)))
    assert settings["data"] == data.training_split_identity(SMALL.digits)
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
    with pytest.raises(ValueError, match="its layers are .*, while the recipe builds"):
        load_vae_from_cache(build_vae(hidden=(8,))[2], SMALL)
    assert load_vae_from_cache(fresh, dataclasses.replace(SMALL, seed=3)) is None


@pytest.mark.training
def test_chapter_5_builds_and_trains_the_vae_with_the_code_it_shows(chapter_code, small_data):
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


@pytest.mark.training  # trains two small one-epoch VAEs
def test_chapter_5_trains_its_one_epoch_vaes_on_the_page_once_per_machine(
    chapter_code, small_data, private_model_cache, monkeypatch
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
    assert len(list(private_model_cache.glob("chapter5-vae-*.npz"))) == 2

    def no_training(*args, **kwargs):
        raise AssertionError("a cached one-epoch VAE was trained again")

    monkeypatch.setattr(keras.Model, "fit", no_training)
    again = page["one_epoch_vae"]()
    for loaded, trained in zip(again.get_weights(), summed.get_weights(), strict=True):
        np.testing.assert_array_equal(loaded, trained)
