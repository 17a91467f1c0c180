"""Chapter 7's models: the code-size sweep's dense autoencoders and the convolutional autoencoder.

The sweep trains chapter 2's dense autoencoder with codes of :data:`CODE_SIZES` numbers, once per
seed of :data:`SEEDS`, with :data:`SWEEP_RECIPE`: chapter 3's recipe with 3 epochs of 100-image
batches instead of 6 of 50, so that its 18 models train in a few minutes on a small CPU. The
convolutional autoencoder (:func:`build_conv_autoencoder`) trains with the same recipe, at the
code sizes :data:`CONV_CODE_SIZES`.

Chapter 7's page writes the convolutional layers and the training in Keras; the functions here
repeat that code (tests/test_code_size.py proves that they build the same layers and train to
the same weights) so that ``python -m course_utils model`` can train every model of the chapter
into the model cache ahead of time, where the chapter's ``cached_fit`` finds them. Each model's
cache entry is decided by its network, its recipe and the numbers of training and validation
images.
"""

from __future__ import annotations

import dataclasses
import gc
import math
from dataclasses import dataclass

from . import DEFAULT_RECIPE, Recipe, checks  # public names: wherever the package keeps them
from .images import IMAGE_PIXELS, check_images

CODE_SIZES = (1, 2, 4, 8, 16, 32)  # the sweep's code sizes k
SEEDS = (0, 1, 2)  # one model of each size per seed: the spread over seeds
CONV_CODE_SIZES = (2, 16)  # the convolutional autoencoder's, compared with the dense one's
# Chapter 3's recipe with half the epochs and twice the batch: a third of the training time.
SWEEP_RECIPE = dataclasses.replace(DEFAULT_RECIPE, epochs=3, batch_size=100)
NETWORKS = ("dense", "conv")


def check_code_size(code_size) -> int:
    """``code_size`` as an ``int`` if it is a whole number from 1 to 784, else a ``ValueError``."""
    try:
        return checks.whole_number("code size", code_size, 1, below=IMAGE_PIXELS + 1)
    except ValueError:
        raise ValueError(
            f"a code size must be a whole number from 1 to {IMAGE_PIXELS} (a code no longer "
            f"than the {IMAGE_PIXELS}-pixel image it encodes); got {code_size!r}"
        ) from None


def _sequence(name: str, values, example: str) -> tuple:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise ValueError(f"{name} must be a list such as {example}; got {values!r}")
    chosen = tuple(values)
    if not chosen:
        raise ValueError(f"{name} is empty: name at least one, e.g. {example}")
    if len(set(chosen)) != len(chosen):
        raise ValueError(
            f"{name} must be distinct (a repeat trains the same model); got {values!r}"
        )
    return chosen


def sweep_recipe(code_size, seed=0) -> Recipe:
    """The sweep's recipe for a code of ``code_size`` numbers and the seed ``seed``."""
    try:
        seed = checks.whole_number("seed", seed, 0)
    except ValueError:
        raise ValueError(f"a seed must be a whole number >= 0, e.g. 0; got {seed!r}") from None
    return dataclasses.replace(SWEEP_RECIPE, latent_dim=check_code_size(code_size), seed=seed)


def sweep_recipes(code_sizes=CODE_SIZES, seeds=SEEDS) -> list[Recipe]:
    """One recipe per code size and seed, code size first: what the chapter's sweep trains."""
    code_sizes = _sequence("code_sizes", code_sizes, "(1, 2, 4)")
    seeds = _sequence("seeds", seeds, "(0, 1, 2)")
    return [sweep_recipe(code_size, seed) for code_size in code_sizes for seed in seeds]


def build_conv_autoencoder(code_size):
    """``(encoder, decoder, autoencoder)`` of chapter 7's convolutional autoencoder.

    Flat 784-pixel images in and out, like the dense model's. The encoder reshapes them to 28 × 28,
    halves the grid twice with strided 3 × 3 convolutions (32 then 64 feature maps, 14 × 14 then
    7 × 7) and maps the result to a linear code of ``code_size`` numbers; the decoder mirrors it
    with transposed convolutions and a sigmoid output.
    """
    import keras

    code_size = check_code_size(code_size)
    encoder = keras.Sequential(
        [
            keras.Input(shape=(IMAGE_PIXELS,)),
            keras.layers.Reshape((28, 28, 1)),
            keras.layers.Conv2D(32, 3, strides=2, padding="same", activation="relu"),
            keras.layers.Conv2D(64, 3, strides=2, padding="same", activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(code_size, name="code"),
        ],
        name="encoder",
    )
    decoder = keras.Sequential(
        [
            keras.Input(shape=(code_size,)),
            keras.layers.Dense(7 * 7 * 64, activation="relu"),
            keras.layers.Reshape((7, 7, 64)),
            keras.layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu"),
            keras.layers.Conv2DTranspose(1, 3, strides=2, padding="same", activation="sigmoid"),
            keras.layers.Reshape((IMAGE_PIXELS,)),
        ],
        name="decoder",
    )
    x = keras.Input(shape=(IMAGE_PIXELS,))
    return encoder, decoder, keras.Model(x, decoder(encoder(x)))


def _build(network: str, code_size: int):
    if network == "conv":
        return build_conv_autoencoder(code_size)
    from . import build_autoencoder

    return build_autoencoder(latent_dim=code_size, output_activation="sigmoid")  # chapter 2's


def _check_network_and_recipe(network, recipe) -> None:
    """A ``ValueError`` unless ``network`` is one of :data:`NETWORKS` and ``recipe`` a
    :class:`Recipe` whose code size fits the image."""
    if network not in NETWORKS:
        raise ValueError(f"network must be 'dense' or 'conv'; got {network!r}")
    if not isinstance(recipe, Recipe):
        raise ValueError(f"recipe must be a course_utils.Recipe, e.g. SWEEP_RECIPE; got {recipe!r}")
    check_code_size(recipe.latent_dim)


@dataclass
class SweepAutoencoder:
    """A trained autoencoder of chapter 7: its parts, loss history, network and recipe."""

    encoder: object
    decoder: object
    autoencoder: object
    history: dict[str, list[float]]
    network: str
    recipe: Recipe


def train_sweep_autoencoder(network, recipe, x_train, x_val) -> SweepAutoencoder:
    """The ``network`` ("dense" or "conv") with a code of ``recipe.latent_dim`` numbers, trained
    with ``recipe`` on ``x_train`` (validated on ``x_val``), once per machine: ``cached_fit``
    loads the weights of an earlier run.

    The same steps as chapter 7's page: seed, build, compile with the recipe's schedule (warm-up
    and cosine decay) and fused Adam, ``fit(x, x)``. The history holds ``loss``, ``val_loss``
    and ``seconds``, each epoch's time measured while it trained.
    """
    import keras
    import tensorflow as tf

    from . import FusedAdam, cached_fit

    _check_network_and_recipe(network, recipe)
    x_train, x_val = check_images(x_train, "x_train"), check_images(x_val, "x_val")
    keras.utils.set_random_seed(recipe.seed)
    encoder, decoder, autoencoder = _build(network, recipe.latent_dim)
    steps = recipe.epochs * math.ceil(len(x_train) / recipe.batch_size)
    warmup = round(recipe.warmup_fraction * steps)
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0, steps - warmup, warmup_target=recipe.learning_rate, warmup_steps=warmup
    )
    autoencoder.compile(
        optimizer=FusedAdam(schedule),
        loss="mse",
        steps_per_execution=recipe.steps_per_execution,
    )

    def fit():
        gc.collect()  # first free the models trained before this one (they refer to themselves)
        images, val_images = tf.constant(x_train), tf.constant(x_val)
        return autoencoder.fit(
            images,
            images,
            batch_size=recipe.batch_size,
            epochs=recipe.epochs,
            validation_data=(val_images, val_images),
            callbacks=[_epoch_seconds()],
            verbose=0,
        )

    # What decides the weights besides the layers (cached_fit reads those from the model).
    settings = {
        "recipe": dataclasses.asdict(recipe),
        "train_images": len(x_train),
        "val_images": len(x_val),
    }
    history = cached_fit(autoencoder, f"{network}_autoencoder", settings, fit)
    return SweepAutoencoder(encoder, decoder, autoencoder, history, network, recipe)


def _epoch_seconds():
    """A Keras callback that adds each epoch's time (training and validation) to the history as
    ``seconds``, as chapter 7's ``EpochSeconds``."""
    import time

    import keras

    class EpochSeconds(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            logs["seconds"] = time.perf_counter() - self.start

    return EpochSeconds()


def trained_sweep_autoencoder(network, recipe) -> SweepAutoencoder:
    """:func:`train_sweep_autoencoder` on the course's training images of ``recipe.digits`` less
    the validation split, as chapter 7 trains them: from the model cache, or trained and cached."""
    from . import load_mnist, split_validation

    _check_network_and_recipe(network, recipe)
    (x, y), _ = load_mnist(recipe.digits)
    (x_train, _), (x_val, _) = split_validation(x, y)
    return train_sweep_autoencoder(network, recipe, x_train, x_val)


def chapter_7_models() -> list[tuple[str, Recipe]]:
    """Every ``(network, recipe)`` chapter 7 trains: the dense sweep, the convolutional models,
    and the dense control with the largest code and chapter 3's full recipe."""
    return (
        [("dense", recipe) for recipe in sweep_recipes()]
        + [("conv", sweep_recipe(code_size)) for code_size in CONV_CODE_SIZES]
        + [("dense", dataclasses.replace(DEFAULT_RECIPE, latent_dim=max(CODE_SIZES)))]
    )
