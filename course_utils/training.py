"""Training recipes, reproducible training, test MSE, and a cache of trained models.

A :class:`Recipe` is the whole configuration of a training run, checked when it is made.
:func:`train` runs it (same recipe and seed, same loss curve on the same machine) after checking
its data, and stops with an error if the loss becomes NaN; :func:`trained_autoencoder` loads the
model a chapter needs from the cache when that exact recipe was trained on that exact data
before, and trains and saves it otherwise. A damaged or mismatched cache entry is removed and
trained again, and a cache that cannot be written costs only the caching (a
:class:`CacheWarning` says so, in one line naming the file).
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import json
import math
import numbers
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from . import checks
from ._files import describe_disk_error, disk_error, publish_file, remove_stale_temporaries
from .data import (
    MNIST_FILES,
    VALIDATION_FRACTION,
    VALIDATION_SEED,
    cache_dir,
    load_mnist,
    split_validation,
)
from .images import IMAGE_PIXELS, check_images
from .model_store import CacheWarning
from .models import build_autoencoder, split_autoencoder

CACHE_FORMAT = 3  # bump when what is saved, or how a recipe trains, changes


def _whole_number(name: str, value, minimum: int) -> int:
    """``value`` as an ``int`` (numpy integers too) if it is a whole number ≥ ``minimum``."""
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, numbers.Integral)
        or value < minimum
    ):
        raise ValueError(f"{name} must be a whole number ≥ {minimum}; got {value!r}")
    return int(value)


def _real_number(name: str, value) -> float:
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
    ):
        raise ValueError(f"{name} must be a finite number; got {value!r}")
    return float(value)


def _flag(name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def _activation_name(value) -> str | None:
    allowed = (
        "output_activation must be None (a linear output) or the name of a Keras "
        "activation such as 'sigmoid', 'relu' or 'tanh'"
    )
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{allowed}; got {value!r}")
    try:
        keras.activations.get(value)
    except ValueError:
        raise ValueError(f"{allowed}; got {value!r}, which Keras does not know") from None
    return value


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

    def __post_init__(self):
        """Check every field now, not deep inside training; numpy numbers become Python ones."""
        digits = checks.digits(self.digits)
        checked = {
            "digits": None if digits is None else tuple(int(digit) for digit in digits),
            "latent_dim": _whole_number("latent_dim", self.latent_dim, 1),
            "hidden": self._checked_hidden(),
            "output_activation": _activation_name(self.output_activation),
            "learning_rate": _real_number("learning_rate", self.learning_rate),
            "cosine_decay": _flag("cosine_decay", self.cosine_decay),
            "warmup_fraction": _real_number("warmup_fraction", self.warmup_fraction),
            "batch_size": _whole_number("batch_size", self.batch_size, 1),
            "epochs": _whole_number("epochs", self.epochs, 1),
            "seed": _whole_number("seed", self.seed, 0),
            "jit_compile": _flag("jit_compile", self.jit_compile),
            "steps_per_execution": _whole_number(
                "steps_per_execution", self.steps_per_execution, 1
            ),
            "fused_adam": _flag("fused_adam", self.fused_adam),
        }
        if checked["learning_rate"] <= 0:
            raise ValueError(f"learning_rate must be > 0 (e.g. 1e-3); got {self.learning_rate!r}")
        if not 0 <= checked["warmup_fraction"] < 1:
            raise ValueError(f"warmup_fraction must be in [0, 1), got {self.warmup_fraction}.")
        if checked["warmup_fraction"] and not checked["cosine_decay"]:
            raise ValueError(
                "warmup_fraction needs cosine_decay=True (the warm-up leads into the decay)."
            )
        if checked["seed"] >= 2**32:
            raise ValueError(f"seed must be below 2**32; got {self.seed!r}")
        for name, value in checked.items():
            object.__setattr__(self, name, value)

    def _checked_hidden(self) -> tuple[int, ...]:
        if isinstance(self.hidden, (str, bytes)) or not hasattr(self.hidden, "__iter__"):
            raise ValueError(
                f"hidden must be a tuple of layer sizes, e.g. (500, 300); got {self.hidden!r}"
            )
        return tuple(_whole_number("each hidden layer size", units, 1) for units in self.hidden)

    def cache_key(self) -> str:
        """A hash of the whole recipe, the data it trains on and the library versions."""
        identity = {
            "recipe": dataclasses.asdict(self),
            "data": training_data_identity(self.digits),
            "keras": keras.__version__,
            "backend": keras.backend.backend(),
            "format": CACHE_FORMAT,
        }
        return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]


def training_data_identity(digits) -> dict:
    """What :func:`training_data` trains on: MNIST's training files (by SHA-256), the digits
    kept, and the validation split held out of them."""
    return {
        "mnist_sha256": {
            name: sha for name, sha in MNIST_FILES.items() if name.startswith("train")
        },
        "digits": "all" if digits is None else list(digits),
        "validation": {
            "fraction": VALIDATION_FRACTION,
            "seed": VALIDATION_SEED,
            "stratified": True,
        },
    }


def training_data(recipe: Recipe):
    """``(x_train, x_val)``: the images :func:`trained_autoencoder` trains and validates on —
    ``recipe.digits`` of MNIST's training files, split by :func:`split_validation`."""
    (x, y), _ = load_mnist(recipe.digits)
    (x_train, _), (x_val, _) = split_validation(x, y, VALIDATION_FRACTION, VALIDATION_SEED)
    return x_train, x_val


def data_fingerprint(x_train, x_val=None) -> str:
    """A SHA-256 of the training (and validation) images as float32, to recognise the data."""
    digest = hashlib.sha256()
    for x in (x_train, x_val):
        if x is not None:
            array = np.ascontiguousarray(x, dtype=np.float32)
            digest.update(repr(array.shape).encode())
            digest.update(array.data)
    return digest.hexdigest()


# The original recipe of the course: linear output, Adam 1e-3, batch 50, 10 epochs.
REFERENCE_RECIPE = Recipe()
# What the chapters train: more accurate than the reference in less than half its time. A sigmoid
# keeps pixels in [0, 1]; a larger, decaying step size needs fewer epochs; several steps per call
# cut the per-step overhead; the fused Adam update makes one pass over the weights instead of a
# dozen. XLA (jit_compile) would be faster still, but compiling costs about 150 MB more at peak,
# which a 1 GB Binder cannot spare. See benchmarks/training.py and benchmarks/memory.py.
DEFAULT_RECIPE = Recipe(
    output_activation="sigmoid",
    learning_rate=6e-3,
    cosine_decay=True,
    warmup_fraction=0.1,
    batch_size=50,
    epochs=6,
    jit_compile=False,
    steps_per_execution=32,
    fused_adam=True,
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
            raise ValueError(
                "FusedAdam has no AMSGrad variant; use keras.optimizers.Adam(amsgrad=True)."
            )

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        index = self._get_variable_index(variable)
        step = tf.cast(self.iterations + 1, dtype)
        tf.raw_ops.ResourceApplyAdam(
            var=variable.handle,
            m=self._momentums[index].handle,
            v=self._velocities[index].handle,
            beta1_power=tf.pow(tf.cast(self.beta_1, dtype), step),
            beta2_power=tf.pow(tf.cast(self.beta_2, dtype), step),
            lr=tf.cast(learning_rate, dtype),
            beta1=tf.cast(self.beta_1, dtype),
            beta2=tf.cast(self.beta_2, dtype),
            epsilon=tf.cast(self.epsilon, dtype),
            grad=tf.cast(gradient, dtype),
        )


@dataclass
class TrainedAutoencoder:
    """A trained model's parts, its loss history, its recipe, and which data trained it
    (:func:`data_fingerprint` of the training and validation images; ``None`` if unknown)."""

    encoder: keras.Model
    decoder: keras.Model
    autoencoder: keras.Model
    history: dict[str, list[float]]
    recipe: Recipe
    data: str | None = None


class TrainingDivergedError(FloatingPointError):
    """The loss became NaN or infinite: the model is useless and is not cached."""


class _StopOnNaN(keras.callbacks.Callback):
    """Stop training with a clear error at the end of an epoch whose loss is not finite.

    (Keras' ``TerminateOnNaN`` stops silently and leaves a NaN model that looks trained.)
    """

    def __init__(self, recipe: Recipe):
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


def train(recipe: Recipe, x_train, x_val=None, verbose="auto") -> TrainedAutoencoder:
    """Build and train the autoencoder ``recipe`` describes on ``x_train``.

    Shown in chapter 3, which writes the steps in plain Keras on the page (a test proves they
    are the same): seed, build, ``compile`` with the squared loss, ``fit(x, x)``; ``x_val``
    (if given) is what Keras reports as ``val_loss``.
    Both are checked first (:func:`check_images`); a loss that becomes NaN stops training with
    a :class:`TrainingDivergedError`.
    """
    x_train = check_images(x_train, "x_train")
    if x_val is not None:
        x_val = check_images(x_val, "x_val")
    keras.utils.set_random_seed(recipe.seed)
    encoder, decoder, autoencoder = build_autoencoder(
        latent_dim=recipe.latent_dim,
        input_dim=x_train.shape[1],
        hidden=recipe.hidden,
        output_activation=recipe.output_activation,
    )
    autoencoder.compile(
        optimizer=recipe_optimizer(recipe, len(x_train)),
        loss="mse",
        jit_compile=recipe.jit_compile,
        steps_per_execution=recipe.steps_per_execution,
    )
    images = tf.constant(x_train)  # one TensorFlow copy, as input and as target
    val_images = None if x_val is None else tf.constant(x_val)  # the same for validation
    history = autoencoder.fit(
        images,
        images,
        batch_size=recipe.batch_size,
        epochs=recipe.epochs,
        validation_data=None if val_images is None else (val_images, val_images),
        verbose=verbose,
        callbacks=[_StopOnNaN(recipe)],
    )
    return TrainedAutoencoder(
        encoder,
        decoder,
        autoencoder,
        history.history,
        recipe,
        data=data_fingerprint(x_train, x_val),
    )


def recipe_optimizer(recipe: Recipe, images: int):
    """The recipe's Adam (TensorFlow's fused kernel or Keras' own) with its learning rate over a
    run of ``recipe.epochs`` on ``images`` training images."""
    steps = recipe.epochs * math.ceil(images / recipe.batch_size)
    adam = FusedAdam if recipe.fused_adam else keras.optimizers.Adam
    return adam(_learning_rate(recipe, steps))


def _learning_rate(recipe: Recipe, steps: int):
    """The recipe's learning rate: a constant, or a schedule over the run's ``steps``.
    (The recipe checked its warm-up when it was made.)"""
    if not recipe.cosine_decay:
        return recipe.learning_rate
    warmup_steps = round(recipe.warmup_fraction * steps)
    if warmup_steps == 0:
        return keras.optimizers.schedules.CosineDecay(recipe.learning_rate, steps)
    return keras.optimizers.schedules.CosineDecay(
        0.0,
        steps - warmup_steps,
        warmup_target=recipe.learning_rate,
        warmup_steps=warmup_steps,
    )


def reconstruction_mse(autoencoder, x, batch_size=1024) -> float:
    """Mean squared error of ``autoencoder``'s reconstructions of ``x`` (pixels in [0, 1])."""
    total = 0.0
    for start in range(0, len(x), batch_size):
        batch = x[start : start + batch_size]
        total += float(np.sum((np.asarray(autoencoder(batch, training=False)) - batch) ** 2))
    return total / x.size


def model_cache_dir() -> Path:
    """The folder of trained models, inside the data cache."""
    return cache_dir() / "models"


def _cache_paths(recipe: Recipe) -> tuple[Path, Path]:
    """The entry's model file and its record (recipe, data, history) beside it."""
    model_path = model_cache_dir() / f"autoencoder-{recipe.cache_key()}.keras"
    return model_path, model_path.with_suffix(".json")


def _record(recipe: Recipe, history: dict) -> dict:
    """What is stored beside a cached model: what made it, and its loss curve."""
    return {
        "format": CACHE_FORMAT,
        "recipe": json.loads(json.dumps(dataclasses.asdict(recipe))),
        "data": training_data_identity(recipe.digits),
        "keras": keras.__version__,
        "history": history,
    }


def _loss_curve_problem(history) -> str | None:
    """Why ``history`` is not a usable loss curve (``None`` when it is one)."""
    if (
        not isinstance(history, dict)
        or not isinstance(history.get("loss"), list)
        or not history["loss"]
    ):
        return "its history has no loss curve"
    for name, values in history.items():
        if (
            not isinstance(values, list)
            or len(values) != len(history["loss"])
            or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values)
        ):
            return f"its history's {name!r} is not one finite number per epoch"
    return None


def _architecture_problem(autoencoder, recipe: Recipe) -> str | None:
    """How ``autoencoder`` differs from what ``recipe`` builds (``None`` when it does not)."""
    try:
        encoder, decoder = split_autoencoder(autoencoder)
        encoder_units = [layer.units for layer in encoder.layers]
        decoder_units = [layer.units for layer in decoder.layers]
        activation = getattr(decoder.layers[-1].activation, "__name__", None)
    except (ValueError, AttributeError, IndexError) as error:
        return f"it is not an autoencoder built by build_autoencoder ({error})"
    expected_encoder = [*recipe.hidden, recipe.latent_dim]
    expected_decoder = [*reversed(recipe.hidden), IMAGE_PIXELS]
    if encoder_units != expected_encoder or decoder_units != expected_decoder:
        return (
            f"its layers are {encoder_units} → {decoder_units}, while the recipe builds "
            f"{expected_encoder} → {expected_decoder}"
        )
    if activation != (recipe.output_activation or "linear"):
        return (
            f"its output activation is {activation!r}, while the recipe's is "
            f"{recipe.output_activation!r}"
        )
    return None


class ModelCacheError(OSError):
    """A trained model could not be written to the model cache (the model itself is fine)."""


def save_to_cache(autoencoder, history=None, recipe: Recipe | None = None) -> None:
    """Keep a trained model in the model cache, where ``trained_autoencoder(recipe)`` finds it
    (shown in chapter 3). It returns nothing, so that a chapter's page shows no path.

    Pass what :func:`train` returned (its recipe, history and data come with it), or an
    ``autoencoder``, its ``history`` (a Keras ``History`` or its dict) and the ``recipe`` that
    trained it on :func:`training_data` (``DEFAULT_RECIPE`` if not given). A model that does not
    fit the recipe, was trained on other data, or whose loss is not finite is refused
    (``ValueError``); a cache that cannot be written raises :class:`ModelCacheError`, saying where
    and why. Either way the model in memory is untouched.
    """
    data = None
    if isinstance(autoencoder, TrainedAutoencoder):
        trained = autoencoder
        if recipe is not None and recipe != trained.recipe:
            raise ValueError(
                f"this model was trained with {trained.recipe}, not with {recipe}: "
                "call save_to_cache(trained) without a recipe"
            )
        autoencoder, history, recipe, data = (
            trained.autoencoder,
            trained.history,
            trained.recipe,
            trained.data,
        )
    recipe = DEFAULT_RECIPE if recipe is None else recipe
    history = getattr(history, "history", history)
    history = json.loads(json.dumps(history, default=float)) if history is not None else None
    problem = _loss_curve_problem(history) or _architecture_problem(autoencoder, recipe)
    if problem is not None:
        raise ValueError(
            f"save_to_cache refuses this model: {problem}. Only a model trained "
            f"by the recipe, with a finite loss, is cached for it"
        )
    if data is not None and data != data_fingerprint(*training_data(recipe)):
        raise ValueError(
            "save_to_cache refuses this model: it was trained on other images than "
            "trained_autoencoder(recipe) trains on (recipe.digits of MNIST's training files less "
            "the split_validation part). Train it on training_data(recipe) to cache it, or keep "
            "it in your notebook"
        )

    model_path, record_path = _cache_paths(recipe)
    try:
        model_path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(model_path.parent, (".autoencoder-",))
        # The record is written first and the model last: the model marks a complete entry.
        record = json.dumps(_record(recipe, history))
        _write_atomically(record_path, lambda path: Path(path).write_text(record))
        _write_atomically(model_path, autoencoder.save)
    except OSError as error:
        raise _cache_write_error(error, model_path) from error


def _cache_write_error(error: OSError, model_path: Path) -> ModelCacheError:
    local = disk_error(error)
    if isinstance(error, FileExistsError) or (local is not None and local.errno == errno.EEXIST):
        why = f"{model_path.parent} (or a folder above it) is a file, not a folder"
    elif local is not None:
        why = describe_disk_error(local, model_path.parent)
    else:
        why = f"{type(error).__name__}: {error}"
    return ModelCacheError(
        f"could not save {model_path} in the model cache: {why}. Free some space, or set "
        f"COURSE_UTILS_DATA_DIR to a writable folder, to cache models"
    )


class _DamagedEntry(Exception):
    """A cache entry that exists but cannot be trusted; says why."""


def _load_from_cache(recipe: Recipe) -> TrainedAutoencoder | None:
    """The cached model of ``recipe``, or ``None`` if there is none; ``_DamagedEntry`` if the
    entry cannot be read or was not made by this recipe on this data."""
    model_path, record_path = _cache_paths(recipe)
    if not model_path.is_file():
        return None  # nothing cached (a record alone is a save that was interrupted)
    try:
        record = json.loads(record_path.read_text())
    except FileNotFoundError:
        raise _DamagedEntry(f"{record_path.name} is missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _DamagedEntry(f"{record_path.name} is not readable JSON ({error})") from None
    if not isinstance(record, dict):
        raise _DamagedEntry(f"{record_path.name} is not a cache record")
    expected = _record(recipe, None)
    for field in ("format", "recipe", "data"):
        if record.get(field) != expected[field]:
            raise _DamagedEntry(
                f"{record_path.name} was saved for another {field} "
                f"({record.get(field)!r}, expected {expected[field]!r})"
            )
    problem = _loss_curve_problem(record.get("history"))
    if problem:
        raise _DamagedEntry(f"{record_path.name}: {problem}")
    try:
        autoencoder = keras.saving.load_model(model_path, safe_mode=True)
    except Exception as error:  # noqa: BLE001 - a truncated or scrambled file fails in many ways
        said = (str(error).strip().splitlines() or [""])[0][:160]
        if not said or said.startswith("File not found"):  # Keras' words for a damaged zip file
            said = "not a readable .keras file"
        raise _DamagedEntry(f"Keras cannot load it ({type(error).__name__}: {said})") from None
    problem = _architecture_problem(autoencoder, recipe)
    if problem:
        raise _DamagedEntry(f"it does not match the recipe: {problem}")
    encoder, decoder = split_autoencoder(autoencoder)
    return TrainedAutoencoder(encoder, decoder, autoencoder, record["history"], recipe)


def _remove_entry(recipe: Recipe) -> bool:
    """Delete the cache entry of ``recipe``; ``False`` if the cache would not let us."""
    try:
        for path in _cache_paths(recipe):
            path.unlink(missing_ok=True)
    except OSError:
        return False  # a read-only cache: the entry stays, and is trained around each time
    return True


def trained_autoencoder(recipe: Recipe = DEFAULT_RECIPE, verbose="auto") -> TrainedAutoencoder:
    """The autoencoder trained by ``recipe``: loaded from the cache, or trained and cached.

    It trains on the training digits less the validation split (:func:`training_data`), which
    gives the history's ``val_loss``, as chapter 3 does. A damaged cache entry, or one that was
    not made by this recipe, is removed and trained again; a cache that cannot be written still
    returns the trained model. Both warn (:class:`CacheWarning`) in one line naming the file.
    """
    model_path, _ = _cache_paths(recipe)
    try:
        cached = _load_from_cache(recipe)
    except _DamagedEntry as damage:
        removed = "removed it" if _remove_entry(recipe) else "could not remove it"
        warnings.warn(
            f"damaged model cache entry {model_path}: {damage}; {removed} and training again",
            CacheWarning,
            stacklevel=2,
        )
        cached = None
    if cached is not None:
        return cached

    x_train, x_val = training_data(recipe)
    trained = train(recipe, x_train, x_val=x_val, verbose=verbose)
    try:
        save_to_cache(trained)
    except ModelCacheError as error:
        warnings.warn(
            f"{error} (the trained model is returned, not cached; it will "
            f"be trained again next time)",
            CacheWarning,
            stacklevel=2,
        )
    return trained


def _write_atomically(target: Path, write) -> None:
    """Call ``write(temporary_path)`` then rename it over ``target`` with the umask's mode, so
    readers never see a torn file and other users of a shared cache can read it."""
    fd, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.stem}.", suffix=target.suffix
    )
    os.close(fd)
    try:
        write(temporary)
        publish_file(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
