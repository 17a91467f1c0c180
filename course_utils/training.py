"""Fitting: the one compile-and-fit that every model of the course trains with, and the
autoencoder's training, test MSE and cache.

:func:`fit_recipe` compiles a model with its recipe's optimiser and fits it for the recipe's
epochs and batches, stopping with a :class:`TrainingDivergedError` when the loss becomes NaN; the
autoencoder (:func:`train`), the VAE and the classifier train with it, and the same recipe and
seed give the same loss curve on the same machine. :func:`trained_autoencoder` loads a recipe's
autoencoder from the model cache (:mod:`.model_store`), or trains and caches it.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from . import checks, data, model_store
from .images import check_images
from .models import build_autoencoder, split_autoencoder
from .optim import recipe_optimizer
from .recipes import DEFAULT_RECIPE, Recipe, TrainingRecipe


class TrainingDivergedError(FloatingPointError):
    """The loss became NaN or infinite: the model is useless and is not cached."""


class _StopOnNaN(keras.callbacks.Callback):
    """Stop training with a clear error at the end of an epoch whose loss is not finite.

    (Keras' ``TerminateOnNaN`` stops silently and leaves a NaN model that looks trained.)
    """

    def __init__(self, recipe: TrainingRecipe):
        super().__init__()
        self.recipe = recipe

    def on_epoch_end(self, epoch, logs=None):
        for name, value in (logs or {}).items():
            if name.endswith("loss") and not math.isfinite(float(value)):
                raise TrainingDivergedError(
                    f"training diverged: {name} became {float(value)} in epoch {epoch + 1}. "
                    f"Lower the learning rate (it is {self.recipe.learning_rate:g}; the course "
                    f"uses 1e-3 to 6e-3) and check the data. Nothing was cached."
                )


def fit_recipe(
    model,
    recipe: TrainingRecipe,
    x,
    y=None,
    validation_data=None,
    verbose="auto",
    **compile_options,
) -> dict:
    """Compile ``model`` with the recipe's optimiser (for ``len(x)`` images), its
    ``steps_per_execution`` and ``compile_options`` (``loss=...``), then fit it on ``x`` (targets
    ``y``, if any) for the recipe's ``epochs`` in batches of ``batch_size``. Returns the history:
    metric → one value per epoch. Raises :class:`TrainingDivergedError` when a loss becomes NaN.
    """
    model.compile(
        optimizer=recipe_optimizer(recipe, x.shape[0]),
        steps_per_execution=recipe.steps_per_execution,
        **compile_options,
    )
    return model.fit(
        x,
        y,
        batch_size=recipe.batch_size,
        epochs=recipe.epochs,
        validation_data=validation_data,
        verbose=verbose,
        callbacks=[_StopOnNaN(recipe)],
    ).history


@dataclass
class TrainedAutoencoder:
    """A trained autoencoder: its parts, its history (metric → one float per epoch), its recipe,
    and ``data_sha256``, the SHA-256 of the training and validation images that trained it
    (``None`` when it came from the cache, whose entries are keyed by their data).

    A model from the cache is not compiled: compile it before ``evaluate`` or ``fit``."""

    encoder: keras.Model
    decoder: keras.Model
    autoencoder: keras.Model
    history: dict[str, list[float]]
    recipe: Recipe
    data_sha256: str | None = None


def train(recipe: Recipe, x_train, x_val=None, verbose="auto") -> TrainedAutoencoder:
    """Build and train the autoencoder ``recipe`` describes on ``x_train``.

    Shown in chapter 3, which writes the steps in plain Keras on the page (a test proves they
    are the same): seed, build, ``compile`` with the squared loss, ``fit(x, x)``; ``x_val``
    (if given) is what Keras reports as ``val_loss``. Both are checked first
    (:func:`course_utils.images.check_images`); a loss that becomes NaN stops training with a
    :class:`TrainingDivergedError`.
    """
    checks.instance("recipe", recipe, Recipe, "DEFAULT_RECIPE")
    x_train = check_images(x_train, "x_train")
    if x_val is not None:
        x_val = check_images(x_val, "x_val")
    keras.utils.set_random_seed(recipe.seed)
    encoder, decoder, autoencoder = _built(recipe)
    images = tf.constant(x_train)  # one TensorFlow copy, as input and as target
    val_images = None if x_val is None else tf.constant(x_val)  # the same for validation
    history = fit_recipe(
        autoencoder,
        recipe,
        images,
        images,
        validation_data=None if val_images is None else (val_images, val_images),
        verbose=verbose,
        loss="mse",
        jit_compile=recipe.jit_compile,
    )
    return TrainedAutoencoder(
        encoder, decoder, autoencoder, history, recipe, data_sha256=_images_sha256(x_train, x_val)
    )


def trained_autoencoder(recipe: Recipe = DEFAULT_RECIPE, verbose="auto") -> TrainedAutoencoder:
    """The autoencoder trained by ``recipe``: loaded from the model cache, or trained on
    :func:`course_utils.data.training_split` (its validation images give the history's
    ``val_loss``, as in chapter 3) and cached. Cache faults warn (:class:`CacheWarning`) and never
    lose the model (:mod:`.model_store`)."""

    def train_it():
        (x_train, _), (x_val, _) = data.training_split(recipe.digits)
        trained = train(recipe, x_train, x_val=x_val, verbose=verbose)
        return {"autoencoder": trained.autoencoder}, trained.history

    models, history = model_store.load_or_train(_entry(recipe), train_it)
    encoder, decoder = split_autoencoder(models["autoencoder"])
    return TrainedAutoencoder(encoder, decoder, models["autoencoder"], history, recipe)


def save_to_cache(autoencoder, history=None, recipe: Recipe | None = None) -> None:
    """Keep a trained model in the model cache, where ``trained_autoencoder(recipe)`` finds it
    (shown in chapter 3). It returns nothing, so that a chapter's page shows no path.

    Pass what :func:`train` returned (its recipe, history and data come with it), or an
    ``autoencoder``, its ``history`` (a Keras ``History`` or its dict) and the ``recipe`` that
    trained it on :func:`course_utils.data.training_split` (``DEFAULT_RECIPE`` if not given).
    Refuses (``ValueError``) a model whose layers are not the recipe's, that was trained on other
    images, or whose loss is not finite; raises :class:`ModelCacheError`, saying where and why,
    when the cache cannot be written. Either way the model in memory is untouched.
    """
    trained_on = None
    if isinstance(autoencoder, TrainedAutoencoder):
        trained = autoencoder
        if recipe is not None and recipe != trained.recipe:
            raise ValueError(
                f"this model was trained with {trained.recipe}, not with {recipe}: "
                "call save_to_cache(trained) without a recipe"
            )
        autoencoder, history, recipe = trained.autoencoder, trained.history, trained.recipe
        trained_on = trained.data_sha256
    recipe = DEFAULT_RECIPE if recipe is None else recipe
    entry = _entry(recipe)
    if trained_on is not None:
        (x_train, _), (x_val, _) = data.training_split(recipe.digits)
        if trained_on != _images_sha256(x_train, x_val):
            raise ValueError(
                "save_to_cache refuses this model: it was trained on other images than "
                "trained_autoencoder(recipe) trains on (recipe.digits of MNIST's training files "
                "less the split_validation part). Train it on training_split(recipe.digits) to "
                "cache it, or keep it in your notebook"
            )
    try:
        model_store.save(entry, {"autoencoder": autoencoder}, history)
    except ValueError as problem:
        raise ValueError(
            f"save_to_cache refuses this model: {problem}. Only a model trained by the recipe, "
            "with a finite loss, is cached for it"
        ) from None


def reconstruction_mse(autoencoder, x, batch_size=1024) -> float:
    """Mean squared error of ``autoencoder``'s reconstructions of ``x`` (pixels in [0, 1])."""
    total = 0.0
    for start in range(0, len(x), batch_size):
        batch = x[start : start + batch_size]
        total += float(np.sum((np.asarray(autoencoder(batch, training=False)) - batch) ** 2))
    return total / x.size


def _built(recipe: Recipe):
    return build_autoencoder(
        latent_dim=recipe.latent_dim,
        hidden=recipe.hidden,
        output_activation=recipe.output_activation,
    )


def _entry(recipe: Recipe) -> model_store.Entry:
    """The model cache's entry of ``recipe``'s autoencoder: the recipe and its training data."""
    checks.instance("recipe", recipe, Recipe, "DEFAULT_RECIPE")
    return model_store.Entry(
        "autoencoder", recipe.cache_settings(), lambda: {"autoencoder": _built(recipe)[2]}
    )


def _images_sha256(x_train, x_val=None) -> str:
    """A SHA-256 of the training (and validation) images as float32, to recognise the data."""
    digest = hashlib.sha256()
    for x in (x_train, x_val):
        if x is not None:
            array = np.ascontiguousarray(x, dtype=np.float32)
            digest.update(repr(array.shape).encode())
            digest.update(array.data)
    return digest.hexdigest()
