"""Chapter 5's variational autoencoder, repeated for the model cache and Binder's image.

The chapter writes the Keras code on its page: an encoder with a mean and a log-variance output,
the :class:`Sampling` layer (the reparameterisation trick), the decoder, and a :class:`VAE` model
whose loss is the reconstruction term plus the KL divergence to N(0, I). This module repeats that
code (the course's tests prove it is the same: same layers, same losses on a small subset), so
that :func:`trained_vae` can train and cache the chapter's VAE outside the chapter.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import keras
import numpy as np
from keras import ops

from . import model_store
from .images import check_images
from .training import DEFAULT_RECIPE, Recipe, recipe_optimizer, training_data

CACHE_KIND = "vae"
CACHE_PARTS = ("encoder", "decoder")


@keras.saving.register_keras_serializable(package="course_utils")
class Sampling(keras.layers.Layer):
    """The reparameterisation trick: ``z = mean + exp(log_var / 2) * epsilon``, with
    epsilon ~ N(0, I)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator()

    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


def kl_divergence(z_mean, z_log_var):
    """KL(N(mean, diag(exp(log_var))) ‖ N(0, I)) per example, in closed form (summed over axes)."""
    return -0.5 * ops.sum(1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=1)


def reconstruction_loss(x, x_hat):
    """−log p(x | z) for Bernoulli pixels per example: binary cross-entropy summed over pixels."""
    return ops.sum(ops.binary_crossentropy(x, x_hat), axis=1)


class VAE(keras.Model):
    """Encoder, sampling and decoder, trained on reconstruction + ``kl_weight`` × KL (chapter 5)."""

    def __init__(self, encoder, decoder, kl_weight=1.0, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.kl_weight = kl_weight
        self.sampling = Sampling()
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")

    def call(self, x):
        z_mean, z_log_var = self.encoder(x)
        z = self.sampling([z_mean, z_log_var])
        return self.decoder(z), z_mean, z_log_var

    def compute_loss(self, x, y=None, y_pred=None, sample_weight=None, training=True):
        x_hat, z_mean, z_log_var = y_pred
        reconstruction = ops.mean(reconstruction_loss(x, x_hat))
        kl = ops.mean(kl_divergence(z_mean, z_log_var))
        self.reconstruction_tracker.update_state(reconstruction)
        self.kl_tracker.update_state(kl)
        return reconstruction + self.kl_weight * kl


def build_vae(latent_dim=2, input_dim=784, hidden=(500, 300), kl_weight=1.0):
    """``(encoder, decoder, vae)``: chapter 5's layers, the autoencoder's sizes with two code
    outputs.

    The encoder maps an image to ``[z_mean, z_log_var]`` (ReLU layers of sizes ``hidden``, then two
    linear layers of size ``latent_dim``); the decoder maps ``z`` back through the sizes in reverse
    to 784 sigmoid pixels.
    """
    _check_sizes(latent_dim, input_dim, hidden)
    if not (isinstance(kl_weight, (int, float)) and math.isfinite(kl_weight) and kl_weight >= 0):
        raise ValueError(
            f"kl_weight must be a finite number >= 0 (1 is the VAE's loss); got {kl_weight!r}"
        )
    image = keras.Input(shape=(input_dim,), name="image")
    features = image
    for index, units in enumerate(hidden, start=1):
        features = keras.layers.Dense(units, activation="relu", name=f"hidden_{index}")(features)
    z_mean = keras.layers.Dense(latent_dim, name="z_mean")(features)
    z_log_var = keras.layers.Dense(latent_dim, name="z_log_var")(features)
    encoder = keras.Model(image, [z_mean, z_log_var], name="encoder")
    decoder = keras.Sequential(
        [keras.Input(shape=(latent_dim,), name="code")]
        + [
            keras.layers.Dense(units, activation="relu", name=f"hidden_{index}")
            for index, units in enumerate(reversed(hidden), start=1)
        ]
        + [keras.layers.Dense(input_dim, activation="sigmoid", name="reconstruction")],
        name="decoder",
    )
    return encoder, decoder, VAE(encoder, decoder, kl_weight=kl_weight)


def _check_sizes(latent_dim, input_dim, hidden):
    def positive_int(value):
        return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 1

    if not positive_int(latent_dim):
        raise ValueError(f"latent_dim must be a whole number >= 1; got {latent_dim!r}")
    if not positive_int(input_dim):
        raise ValueError(f"input_dim must be a whole number >= 1; got {input_dim!r}")
    if isinstance(hidden, (str, bytes)) or not all(positive_int(units) for units in tuple(hidden)):
        raise ValueError(
            f"hidden must be a sequence of layer sizes >= 1, e.g. (500, 300); got {hidden!r}"
        )


@dataclass(frozen=True)
class VAERecipe(Recipe):
    """Everything that determines a trained VAE: an autoencoder :class:`Recipe` and the KL
    weight."""

    kl_weight: float = 1.0

    def cache_key(self) -> str:
        return model_store.settings_key(CACHE_KIND, dataclasses.asdict(self))


# The chapter's VAE: the autoencoder's layer sizes and training recipe (chapter 3), the VAE's loss.
VAE_RECIPE = VAERecipe(**dataclasses.asdict(DEFAULT_RECIPE), kl_weight=1.0)


@dataclass
class TrainedVAE:
    encoder: keras.Model
    decoder: keras.Model
    vae: VAE
    history: dict[str, list[float]]
    recipe: VAERecipe


def _check_recipe(recipe) -> None:
    if not isinstance(recipe, VAERecipe):
        raise ValueError(
            "recipe must be a VAERecipe (e.g. course_utils.VAE_RECIPE); "
            f"got {type(recipe).__name__}"
        )
    if recipe.output_activation != "sigmoid":
        raise ValueError(
            "a VAERecipe needs output_activation='sigmoid': the reconstruction term is "
            f"a cross-entropy of pixels in [0, 1]; got {recipe.output_activation!r}"
        )
    if recipe.jit_compile:
        raise ValueError("VAERecipe does not support jit_compile=True")


def train_vae(recipe: VAERecipe, x_train, x_val=None, verbose="auto") -> TrainedVAE:
    """Build and train the VAE ``recipe`` describes on ``x_train`` (chapter 5's code); ``x_val``
    (if given) is what Keras reports as ``val_reconstruction`` and ``val_kl``. Both are checked
    first (:func:`check_images`)."""
    _check_recipe(recipe)
    x_train = check_images(x_train, "x_train")
    if x_val is not None:
        x_val = check_images(x_val, "x_val")
    keras.utils.set_random_seed(recipe.seed)
    encoder, decoder, vae = build_vae(
        latent_dim=recipe.latent_dim,
        input_dim=x_train.shape[1],
        hidden=recipe.hidden,
        kl_weight=recipe.kl_weight,
    )
    vae.compile(
        optimizer=recipe_optimizer(recipe, len(x_train)),
        steps_per_execution=recipe.steps_per_execution,
    )
    history = vae.fit(
        x_train,
        batch_size=recipe.batch_size,
        epochs=recipe.epochs,
        validation_data=None if x_val is None else (x_val,),
        verbose=verbose,
    )
    return TrainedVAE(encoder, decoder, vae, history.history, recipe)


def save_vae_to_cache(vae, history, recipe: VAERecipe = VAE_RECIPE) -> None:
    """Keep a trained ``vae``'s encoder and decoder and its ``history`` in the model cache."""
    _check_recipe(recipe)
    history = getattr(history, "history", history)
    model_store.save_entry(
        CACHE_KIND, recipe.cache_key(), {"encoder": vae.encoder, "decoder": vae.decoder}, history
    )


def load_vae_from_cache(vae, recipe: VAERecipe = VAE_RECIPE):
    """Put the cached weights of ``recipe``'s VAE into ``vae`` and return its history, or return
    ``None`` (leaving ``vae`` untouched) when this machine has not trained that recipe yet."""
    _check_recipe(recipe)
    entry = model_store.load_entry(CACHE_KIND, recipe.cache_key(), CACHE_PARTS)
    if entry is None:
        return None
    models, history = entry
    for part in CACHE_PARTS:
        target, cached = getattr(vae, part), models[part]
        shapes = [w.shape for w in target.get_weights()], [w.shape for w in cached.get_weights()]
        if shapes[0] != shapes[1]:
            raise ValueError(
                f"the cached {part} of this recipe has weights of shapes {shapes[1]}, "
                f"but this VAE's {part} has {shapes[0]}: build the recipe's layers"
            )
        target.set_weights(cached.get_weights())
    return history


def trained_vae(recipe: VAERecipe = VAE_RECIPE, verbose="auto") -> TrainedVAE:
    """The VAE trained by ``recipe`` (chapter 5's by default): loaded from the cache, or trained on
    the training digits less the validation split and cached."""
    _check_recipe(recipe)
    entry = model_store.load_entry(CACHE_KIND, recipe.cache_key(), CACHE_PARTS)
    if entry is not None:
        models, history = entry
        vae = VAE(models["encoder"], models["decoder"], kl_weight=recipe.kl_weight)
        return TrainedVAE(models["encoder"], models["decoder"], vae, history, recipe)
    x_train, x_val = training_data(recipe)  # the autoencoder's images, the same split
    trained = train_vae(recipe, x_train, x_val=x_val, verbose=verbose)
    save_vae_to_cache(trained.vae, trained.history, recipe)
    return trained
