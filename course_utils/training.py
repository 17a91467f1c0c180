"""Training recipes, reproducible training, test MSE, and a cache of trained models.

A :class:`Recipe` is the whole configuration of a training run. :func:`train` runs it
(same recipe and seed, same loss curve on the same machine); :func:`trained_autoencoder`
loads the model a chapter needs from the cache when that exact recipe was trained
before, and trains and saves it otherwise.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from .data import cache_dir, load_mnist, split_validation
from .models import build_autoencoder, split_autoencoder

CACHE_FORMAT = 3  # bump when what is saved, how a recipe trains, or its data changes


@dataclass(frozen=True)
class Recipe:
    """Everything that determines a trained autoencoder."""

    digits: tuple[int, ...] = (1, 5, 6)
    latent_dim: int = 2
    hidden: tuple[int, ...] = (500, 300)
    output_activation: str | None = None
    learning_rate: float = 1e-3
    cosine_decay: bool = False  # decay the learning rate to 0 over the run
    warmup_fraction: float = 0.0  # with cosine_decay: share of the steps that raise it from 0 first
    batch_size: int = 50
    epochs: int = 10
    seed: int = 0
    jit_compile: bool = False  # compile the training step with XLA
    steps_per_execution: int = 1  # training steps per call into TensorFlow
    fused_adam: bool = False  # update the weights with TensorFlow's one-pass Adam kernel

    def cache_key(self) -> str:
        """A hash of the whole recipe and the library versions that train it."""
        identity = {
            "recipe": dataclasses.asdict(self),
            "keras": keras.__version__,
            "backend": keras.backend.backend(),
            "format": CACHE_FORMAT,
        }
        return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]


# The original recipe of the course: linear output, Adam 1e-3, batch 50, 10 epochs.
REFERENCE_RECIPE = Recipe()
# What the chapters train: more accurate than the reference in less than half its time. A sigmoid
# keeps pixels in [0, 1]; a larger, decaying step size needs fewer epochs; several steps per call
# cut the per-step overhead; the fused Adam update makes one pass over the weights instead of a
# dozen. XLA (jit_compile) would be faster still, but compiling costs about 150 MB more at peak,
# which a 1 GB Binder cannot spare. See benchmarks/training.py and benchmarks/memory.py.
DEFAULT_RECIPE = Recipe(
    output_activation="sigmoid", learning_rate=6e-3, cosine_decay=True, warmup_fraction=0.1,
    batch_size=50, epochs=6, jit_compile=False, steps_per_execution=32, fused_adam=True,
)


@keras.saving.register_keras_serializable(package="course_utils")
class FusedAdam(keras.optimizers.Adam):
    """``keras.optimizers.Adam`` whose update is TensorFlow's fused ``ResourceApplyAdam`` kernel.

    The arithmetic is Keras' own, but Keras 3 spells it as about a dozen element-wise operations,
    each a pass over every weight; the fused kernel makes one. For this model that is a quarter
    of the training time on a small CPU, without the memory XLA needs to compile.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.amsgrad:
            raise ValueError("FusedAdam has no AMSGrad variant; use keras.optimizers.Adam(amsgrad=True).")

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        index = self._get_variable_index(variable)
        step = tf.cast(self.iterations + 1, dtype)
        tf.raw_ops.ResourceApplyAdam(
            var=variable.handle, m=self._momentums[index].handle, v=self._velocities[index].handle,
            beta1_power=tf.pow(tf.cast(self.beta_1, dtype), step),
            beta2_power=tf.pow(tf.cast(self.beta_2, dtype), step),
            lr=tf.cast(learning_rate, dtype), beta1=tf.cast(self.beta_1, dtype),
            beta2=tf.cast(self.beta_2, dtype), epsilon=tf.cast(self.epsilon, dtype),
            grad=tf.cast(gradient, dtype),
        )


@dataclass
class TrainedAutoencoder:
    encoder: keras.Model
    decoder: keras.Model
    autoencoder: keras.Model
    history: dict[str, list[float]]
    recipe: Recipe


def train(recipe: Recipe, x_train, x_val=None, verbose="auto") -> TrainedAutoencoder:
    """Build and train the autoencoder ``recipe`` describes on ``x_train``.

    The steps are chapter 3's, written there in plain Keras: seed, build, ``compile`` with the
    squared loss, ``fit(x, x)``; ``x_val`` (if given) is what Keras reports as ``val_loss``.
    """
    keras.utils.set_random_seed(recipe.seed)
    encoder, decoder, autoencoder = build_autoencoder(
        latent_dim=recipe.latent_dim, input_dim=x_train.shape[1],
        hidden=recipe.hidden, output_activation=recipe.output_activation,
    )
    steps = recipe.epochs * math.ceil(len(x_train) / recipe.batch_size)
    optimizer = FusedAdam if recipe.fused_adam else keras.optimizers.Adam
    autoencoder.compile(
        optimizer=optimizer(_learning_rate(recipe, steps)), loss="mse",
        jit_compile=recipe.jit_compile, steps_per_execution=recipe.steps_per_execution,
    )
    history = autoencoder.fit(
        x_train, x_train, batch_size=recipe.batch_size, epochs=recipe.epochs,
        validation_data=None if x_val is None else (x_val, x_val), verbose=verbose,
    )
    return TrainedAutoencoder(encoder, decoder, autoencoder, history.history, recipe)


def _learning_rate(recipe: Recipe, steps: int):
    """The recipe's learning rate: a constant, or a schedule over the run's ``steps``."""
    if not 0 <= recipe.warmup_fraction < 1:
        raise ValueError(f"warmup_fraction must be in [0, 1), got {recipe.warmup_fraction}.")
    if recipe.warmup_fraction and not recipe.cosine_decay:
        raise ValueError("warmup_fraction needs cosine_decay=True (the warm-up leads into the decay).")
    if not recipe.cosine_decay:
        return recipe.learning_rate
    warmup_steps = round(recipe.warmup_fraction * steps)
    if warmup_steps == 0:
        return keras.optimizers.schedules.CosineDecay(recipe.learning_rate, steps)
    return keras.optimizers.schedules.CosineDecay(
        0.0, steps - warmup_steps, warmup_target=recipe.learning_rate, warmup_steps=warmup_steps,
    )


def reconstruction_mse(autoencoder, x, batch_size=1024) -> float:
    """Mean squared error of ``autoencoder``'s reconstructions of ``x`` (pixels in [0, 1])."""
    total = 0.0
    for start in range(0, len(x), batch_size):
        batch = x[start:start + batch_size]
        total += float(np.sum((np.asarray(autoencoder(batch, training=False)) - batch) ** 2))
    return total / x.size


def model_cache_dir() -> Path:
    return cache_dir() / "models"


def _cache_paths(recipe: Recipe) -> tuple[Path, Path]:
    model_path = model_cache_dir() / f"autoencoder-{recipe.cache_key()}.keras"
    return model_path, model_path.with_suffix(".history.json")


def save_to_cache(autoencoder, history, recipe: Recipe = DEFAULT_RECIPE) -> None:
    """Keep a trained ``autoencoder`` and its ``history`` (a Keras ``History`` or its dict) in
    the model cache, where ``trained_autoencoder(recipe)`` finds them (shown in chapter 3)."""
    history = getattr(history, "history", history)
    model_path, history_path = _cache_paths(recipe)
    model_path.parent.mkdir(parents=True, exist_ok=True)
    # The history is written first and the model last: the model's presence marks a complete entry.
    _write_atomically(history_path, lambda path: Path(path).write_text(json.dumps(history)))
    _write_atomically(model_path, autoencoder.save)


def trained_autoencoder(recipe: Recipe = DEFAULT_RECIPE, verbose="auto") -> TrainedAutoencoder:
    """The autoencoder trained by ``recipe``: loaded from the cache, or trained and cached.

    It trains on the training digits less the validation split (:func:`split_validation`),
    which gives the history's ``val_loss``, as chapter 3 does.
    """
    model_path, history_path = _cache_paths(recipe)
    if model_path.is_file() and history_path.is_file():
        autoencoder = keras.saving.load_model(model_path, safe_mode=True)
        encoder, decoder = split_autoencoder(autoencoder)
        history = json.loads(history_path.read_text())
        return TrainedAutoencoder(encoder, decoder, autoencoder, history, recipe)

    (x_train, y_train), _ = load_mnist(recipe.digits)
    (x_train, _), (x_val, _) = split_validation(x_train, y_train)
    trained = train(recipe, x_train, x_val=x_val, verbose=verbose)
    save_to_cache(trained.autoencoder, trained.history, recipe)
    return trained


def _write_atomically(target: Path, write) -> None:
    """Call ``write(temporary_path)`` then rename it over ``target``, so readers never see a torn file."""
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=target.suffix)
    os.close(fd)
    try:
        write(temporary)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
