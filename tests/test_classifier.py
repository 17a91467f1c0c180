"""course_utils/classifier.py: the digit classifier of chapter 5, trained, cached and asked."""

import json

import numpy as np
import pytest

from course_utils import classifier as classifier_module
from course_utils import data, load_mnist, split_validation, trained_classifier
from course_utils.classifier import train_classifier
from course_utils.recipes import DEFAULT_RECIPE, ClassifierRecipe

TINY = ClassifierRecipe(hidden=(16,), epochs=1)


@pytest.fixture(scope="module")
def mnist():
    return load_mnist(digits=(1, 5, 6))


@pytest.mark.training
def test_the_chapters_classifier_recognises_at_least_99_percent_of_the_test_digits(mnist):
    (_, _), (x_test, y_test) = mnist
    classifier = trained_classifier(verbose=0)  # the full recipe, trained in a private cache
    accuracy = classifier.accuracy(x_test, y_test)
    print(f"classifier test accuracy {accuracy:.4f}")
    assert accuracy >= 0.99
    digits, confidence = classifier.predict(x_test[:100])
    assert set(digits.tolist()) <= {1, 5, 6} and np.all((confidence > 1 / 3) & (confidence <= 1))
    probabilities = classifier.probabilities(x_test[:100])
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)


def test_trained_classifier_trains_once_then_loads_the_same_model(
    private_model_cache, quick_training_split, monkeypatch
):
    calls = []
    real_train = classifier_module.train_classifier
    monkeypatch.setattr(
        classifier_module,
        "train_classifier",
        lambda *a, **k: calls.append(1) or real_train(*a, **k),
    )
    first = trained_classifier(TINY, verbose=0)
    second = trained_classifier(TINY, verbose=0)
    assert len(calls) == 1
    (record,) = private_model_cache.glob("classifier-*.json")
    settings = json.loads(record.read_text())["settings"]  # what the entry's key hashes
    assert settings["recipe"]["hidden"] == [16] and settings["recipe"]["epochs"] == 1
    assert settings["data"] == data.training_split_identity(TINY.digits)
    x_val = quick_training_split[1][0]
    np.testing.assert_array_equal(second.probabilities(x_val[:50]), first.probabilities(x_val[:50]))
    assert second.history == first.history and "val_accuracy" in first.history
    assert second.digits == (1, 5, 6)


def test_only_a_classifiers_recipe_makes_a_classifier(mnist):
    (x_train, y_train), _ = mnist
    with pytest.raises(ValueError, match=r"recipe must be a ClassifierRecipe \(e.g. course_utils"):
        trained_classifier(DEFAULT_RECIPE, verbose=0)
    with pytest.raises(ValueError, match="recipe must be a ClassifierRecipe"):
        train_classifier("default", x_train[:10], y_train[:10], verbose=0)


def test_bad_images_and_labels_are_refused(mnist):
    (x_train, y_train), _ = mnist
    (x_small, y_small), _ = split_validation(x_train[:600], y_train[:600])
    with pytest.raises(ValueError, match="holds digits"):
        train_classifier(TINY, x_small, np.where(y_small == 5, 7, y_small), verbose=0)
    with pytest.raises(ValueError, match="one label per"):
        train_classifier(TINY, x_small, y_small[:-1], verbose=0)
    trained = train_classifier(TINY, x_small, y_small, verbose=0)
    with pytest.raises(ValueError, match=r"\(n, 784\)"):
        trained.predict(x_small[0])
    with pytest.raises(ValueError, match=r"\(n, 784\)"):
        trained.probabilities(np.zeros((0, 784)))
    with pytest.raises(ValueError, match="NaN"):
        trained.predict(np.full((2, 784), np.nan))
    with pytest.raises(ValueError, match="0-255 values"):
        trained.accuracy(x_small[:5] * 255, y_small[:5])
    with pytest.raises(ValueError, match="one label per image"):
        trained.accuracy(x_small[:5], y_small[:4])
