import numpy as np
import pytest

from course_utils import classifier as classifier_module
from course_utils import load_mnist, split_validation, trained_classifier, training
from course_utils.classifier import (
    CLASSIFIER_RECIPE,
    ClassifierRecipe,
    build_classifier,
    train_classifier,
)

TINY = ClassifierRecipe(hidden=(16,), epochs=1)


@pytest.fixture(scope="module")
def data():
    return load_mnist(digits=(1, 5, 6))


def test_the_chapters_classifier_recognises_at_least_99_percent_of_the_test_digits(data):
    (_, _), (x_test, y_test) = data
    classifier = trained_classifier(verbose=0)
    accuracy = classifier.accuracy(x_test, y_test)
    print(f"classifier test accuracy {accuracy:.4f}")
    assert accuracy >= 0.99
    digits, confidence = classifier.predict(x_test[:100])
    assert set(digits.tolist()) <= {1, 5, 6} and np.all((confidence > 1 / 3) & (confidence <= 1))
    probabilities = classifier.probabilities(x_test[:100])
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)


def test_trained_classifier_trains_once_then_loads_the_same_model(tmp_path, monkeypatch, data):
    monkeypatch.setattr(training, "model_cache_dir", lambda: tmp_path)
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
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [
            f"classifier-{TINY.cache_key()}.history.json",
            f"classifier-{TINY.cache_key()}.model.keras",
        ]
    )
    (_, _), (x_test, _) = data
    np.testing.assert_array_equal(
        second.probabilities(x_test[:50]), first.probabilities(x_test[:50])
    )
    assert second.history == first.history and "val_accuracy" in first.history
    assert second.digits == (1, 5, 6)


def test_the_cache_key_covers_the_whole_recipe():
    keys = {
        CLASSIFIER_RECIPE.cache_key(),
        TINY.cache_key(),
        ClassifierRecipe(seed=1).cache_key(),
        ClassifierRecipe(epochs=5).cache_key(),
        ClassifierRecipe(digits=(1, 6)).cache_key(),
        ClassifierRecipe(learning_rate=1e-3).cache_key(),
        ClassifierRecipe(batch_size=32).cache_key(),
    }
    assert len(keys) == 7


@pytest.mark.parametrize(
    "recipe, message",
    [
        (ClassifierRecipe(digits=(1,)), "two or more distinct digits"),
        (ClassifierRecipe(digits=(1, 1)), "two or more distinct digits"),
        (ClassifierRecipe(digits=(1, 12)), "two or more distinct digits"),
        (ClassifierRecipe(hidden=(0,)), "hidden"),
        (ClassifierRecipe(epochs=0), "epochs"),
        ("default", "ClassifierRecipe"),
    ],
)
def test_impossible_recipes_are_refused(recipe, message):
    with pytest.raises(ValueError, match=message):
        build_classifier(recipe)
    with pytest.raises(ValueError, match=message):
        trained_classifier(recipe, verbose=0)


def test_bad_images_and_labels_are_refused(data):
    (x_train, y_train), _ = data
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
