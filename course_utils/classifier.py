"""A digit classifier that judges generated images (chapter 5), trained and cached like the models.

``trained_classifier()`` returns a small dense network on MNIST digits 1, 5 and 6 (784→256→3,
softmax, :func:`course_utils.models.build_classifier`), trained on
:func:`course_utils.data.training_split`, so that it never saw a test image, and kept in the
model cache (:mod:`.model_store`). Importing this module loads no TensorFlow; building a model
does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import checks, data, model_store
from .images import check_images
from .recipes import CLASSIFIER_RECIPE, ClassifierRecipe


@dataclass
class TrainedClassifier:
    """The classifier, the digits its outputs stand for (in order), its history (metric → one
    float per epoch) and recipe. A model from the cache is not compiled."""

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


def train_classifier(
    recipe: ClassifierRecipe, x_train, y_train, x_val=None, y_val=None, verbose="auto"
) -> TrainedClassifier:
    """Train ``recipe``'s classifier on images ``x_train`` with digit labels ``y_train`` (and
    report ``val_accuracy`` on ``x_val``, ``y_val`` if given). Refuses (``ValueError``) images
    that :func:`course_utils.images.check_images` refuses, and labels that are not one of the
    recipe's digits per image."""
    import keras

    from .training import fit_recipe

    checks.instance("recipe", recipe, ClassifierRecipe, "CLASSIFIER_RECIPE")
    x_train = check_images(x_train, "x_train")
    digits = _digits(recipe)
    if len(np.asarray(y_train).reshape(-1)) != len(x_train):
        raise ValueError("y_train must have one label per training image")
    validation = None
    if x_val is not None:
        validation = (check_images(x_val, "x_val"), _classes(y_val, digits, "y_val"))
    keras.utils.set_random_seed(recipe.seed)
    model = _built(recipe)
    history = fit_recipe(
        model,
        recipe,
        x_train,
        _classes(y_train, digits, "y_train"),
        validation_data=validation,
        verbose=verbose,
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return TrainedClassifier(model, digits, history, recipe)


def trained_classifier(
    recipe: ClassifierRecipe = CLASSIFIER_RECIPE, verbose="auto"
) -> TrainedClassifier:
    """The classifier ``recipe`` describes: loaded from the model cache, or trained on
    :func:`course_utils.data.training_split` and cached. Cache faults warn
    (:class:`CacheWarning`) and never lose the model (:mod:`.model_store`)."""

    def train_it():
        (x_train, y_train), (x_val, y_val) = data.training_split(recipe.digits)
        trained = train_classifier(recipe, x_train, y_train, x_val, y_val, verbose=verbose)
        return {"model": trained.model}, trained.history

    models, history = model_store.load_or_train(_entry(recipe), train_it)
    return TrainedClassifier(models["model"], _digits(recipe), history, recipe)


def _digits(recipe: ClassifierRecipe) -> tuple[int, ...]:
    """The digits the classifier's outputs stand for, in order."""
    return tuple(sorted(recipe.digits)) if recipe.digits is not None else checks.DIGITS


def _classes(labels, digits, name) -> np.ndarray:
    """Each digit label's output index; ``ValueError`` for a digit not among ``digits``."""
    labels = np.asarray(labels).reshape(-1)
    unknown = sorted(set(labels.tolist()) - set(digits))
    if unknown:
        raise ValueError(f"{name} holds digits {unknown} that the recipe's digits {digits} do not")
    return np.searchsorted(digits, labels)


def _built(recipe: ClassifierRecipe):
    from .models import build_classifier

    return build_classifier(len(_digits(recipe)), recipe.hidden)


def _entry(recipe: ClassifierRecipe) -> model_store.Entry:
    """The model cache's entry of ``recipe``'s classifier: the recipe and its training data."""
    checks.instance("recipe", recipe, ClassifierRecipe, "CLASSIFIER_RECIPE")
    return model_store.Entry(
        "classifier", recipe.cache_settings(), lambda: {"model": _built(recipe)}
    )
