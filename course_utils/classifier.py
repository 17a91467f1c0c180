"""A digit classifier that judges generated images (chapter 5), trained and cached like the models.

``trained_classifier()`` returns a small dense network on MNIST digits 1, 5 and 6 (784→256→3,
softmax), trained on the training digits less the validation split, so that it never saw a test
image, and kept in the model cache under a hash of everything that determines it.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from . import model_store
from .images import check_images

CACHE_KIND = "classifier"


@dataclass(frozen=True)
class ClassifierRecipe:
    """Everything that determines the trained classifier."""

    digits: tuple[int, ...] = (1, 5, 6)
    hidden: tuple[int, ...] = (256,)
    learning_rate: float = 2e-3
    batch_size: int = 64
    epochs: int = 6  # 6 rather than 4: higher validation accuracy, for a few seconds more
    seed: int = 0

    def cache_key(self) -> str:
        return model_store.settings_key(CACHE_KIND, dataclasses.asdict(self))


CLASSIFIER_RECIPE = ClassifierRecipe()


@dataclass
class TrainedClassifier:
    """The classifier, the digits its outputs stand for (in order), its history and recipe."""

    model: object
    digits: tuple[int, ...]
    history: dict[str, list[float]]
    recipe: ClassifierRecipe

    def probabilities(self, images) -> np.ndarray:
        """``(n, len(digits))`` class probabilities of flat images in [0, 1]."""
        images = check_images(images, "images")
        # Direct calls, not predict(): no tf.function retraced (and warned about) per input size.
        return np.concatenate(
            [
                np.asarray(self.model(images[start : start + 1024], training=False))
                for start in range(0, len(images), 1024)
            ]
        ).astype(np.float64)

    def predict(self, images) -> tuple[np.ndarray, np.ndarray]:
        """``(digit, confidence)`` per image: the most probable digit and its probability."""
        probabilities = self.probabilities(images)
        return np.asarray(self.digits)[probabilities.argmax(axis=1)], probabilities.max(axis=1)

    def accuracy(self, images, labels) -> float:
        """The share of ``images`` whose predicted digit is their label."""
        labels = np.asarray(labels).reshape(-1)
        if len(labels) != len(images):
            raise ValueError(f"one label per image: {len(labels)} labels for {len(images)} images")
        return float(np.mean(self.predict(images)[0] == labels))


def _check_recipe(recipe):
    if not isinstance(recipe, ClassifierRecipe):
        raise ValueError(f"recipe must be a ClassifierRecipe; got {type(recipe).__name__}")
    digits = recipe.digits
    if (
        len(digits) < 2
        or len(set(digits)) != len(digits)
        or not all(isinstance(d, int) and 0 <= d <= 9 for d in digits)
    ):
        raise ValueError(f"a classifier needs two or more distinct digits 0-9; got {digits!r}")
    if not all(isinstance(units, int) and units >= 1 for units in recipe.hidden):
        raise ValueError(f"hidden must be layer sizes >= 1; got {recipe.hidden!r}")
    if recipe.epochs < 1 or recipe.batch_size < 1 or not recipe.learning_rate > 0:
        raise ValueError("epochs and batch_size must be >= 1 and learning_rate > 0")


def build_classifier(recipe: ClassifierRecipe = CLASSIFIER_RECIPE):
    """The Keras classifier: ReLU layers of sizes ``recipe.hidden``, then a softmax over the
    digits."""
    import keras

    _check_recipe(recipe)
    return keras.Sequential(
        [keras.Input(shape=(784,), name="image")]
        + [
            keras.layers.Dense(units, activation="relu", name=f"hidden_{index}")
            for index, units in enumerate(recipe.hidden, start=1)
        ]
        + [keras.layers.Dense(len(recipe.digits), activation="softmax", name="digit")],
        name="classifier",
    )


def train_classifier(
    recipe: ClassifierRecipe, x_train, y_train, x_val=None, y_val=None, verbose="auto"
) -> TrainedClassifier:
    """Train ``recipe``'s classifier on images ``x_train`` with digit labels ``y_train``."""
    import keras

    from .training import FusedAdam

    _check_recipe(recipe)
    x_train = check_images(x_train, "x_train")
    digits = tuple(sorted(recipe.digits))

    def classes(labels, name):
        labels = np.asarray(labels).reshape(-1)
        unknown = sorted(set(labels.tolist()) - set(digits))
        if unknown:
            raise ValueError(
                f"{name} holds digits {unknown} that the recipe's digits {digits} do not"
            )
        return np.searchsorted(digits, labels)

    if len(np.asarray(y_train).reshape(-1)) != len(x_train):
        raise ValueError("y_train must have one label per training image")
    validation = None if x_val is None else (check_images(x_val, "x_val"), classes(y_val, "y_val"))
    keras.utils.set_random_seed(recipe.seed)
    model = build_classifier(recipe)
    steps = recipe.epochs * math.ceil(len(x_train) / recipe.batch_size)
    model.compile(
        optimizer=FusedAdam(keras.optimizers.schedules.CosineDecay(recipe.learning_rate, steps)),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=32,
    )
    history = model.fit(
        x_train,
        classes(y_train, "y_train"),
        batch_size=recipe.batch_size,
        epochs=recipe.epochs,
        validation_data=validation,
        verbose=verbose,
    )
    return TrainedClassifier(model, digits, history.history, recipe)


def trained_classifier(
    recipe: ClassifierRecipe = CLASSIFIER_RECIPE, verbose="auto"
) -> TrainedClassifier:
    """The classifier ``recipe`` describes: loaded from the model cache, or trained and cached."""
    from .data import load_mnist, split_validation

    _check_recipe(recipe)
    key = recipe.cache_key()
    entry = model_store.load_entry(CACHE_KIND, key, ("model",))
    if entry is not None:
        models, history = entry
        return TrainedClassifier(models["model"], tuple(sorted(recipe.digits)), history, recipe)
    (x_train, y_train), _ = load_mnist(recipe.digits)
    (x_train, y_train), (x_val, y_val) = split_validation(x_train, y_train)
    trained = train_classifier(recipe, x_train, y_train, x_val, y_val, verbose=verbose)
    model_store.save_entry(CACHE_KIND, key, {"model": trained.model}, trained.history)
    return trained
