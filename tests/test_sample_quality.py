import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from course_utils.sample_quality import SampleQuality, nearest_distances, sample_quality


class FixedClassifier:
    """Gives the probabilities it was made with, whatever the images."""

    def __init__(self, probabilities, digits=(1, 5, 6)):
        self.digits = digits
        self._probabilities = np.asarray(probabilities, dtype=np.float64)

    def probabilities(self, images):
        return self._probabilities[: len(images)]


def test_nearest_distances_match_scikit_learn_in_any_batch_size():
    rng = np.random.default_rng(0)
    reference = rng.random((700, 784), dtype=np.float32)
    samples = rng.random((130, 784), dtype=np.float32)
    expected = NearestNeighbors(n_neighbors=1).fit(reference).kneighbors(samples)[0][:, 0]
    for batch_size in (1, 7, 256, 1000):
        np.testing.assert_allclose(
            nearest_distances(samples, reference, batch_size=batch_size), expected, rtol=1e-4
        )


def test_known_samples_give_known_numbers():
    reference = np.zeros((3, 4), dtype=np.float32)
    reference[1] = 1.0
    reference[2, 0] = 0.5
    # Two exact copies (distance 0), one at 0.3 from reference[0] along one pixel, one all-0.5 image
    # (distance 1 from both reference[0] and reference[1]).
    images = np.array([reference[1], reference[2], [0, 0.3, 0, 0], [0.5] * 4], dtype=np.float32)
    probabilities = [[0.95, 0.03, 0.02], [0.1, 0.85, 0.05], [0.05, 0.05, 0.9], [0.4, 0.3, 0.3]]
    quality = sample_quality(images, FixedClassifier(probabilities), reference)
    assert isinstance(quality, SampleQuality) and quality.count == 4
    assert quality.confident_share == pytest.approx(0.5)  # 0.95 and 0.9 reach the threshold
    assert quality.digit_shares == pytest.approx({1: 0.5, 5: 0.25, 6: 0.25})
    assert quality.mean_nearest_distance == pytest.approx(
        (0 + 0 + 0.3 + np.sqrt(0.75)) / 4, abs=1e-6
    )
    assert sample_quality(
        images, FixedClassifier(probabilities), reference, threshold=0.5
    ).confident_share == pytest.approx(0.75)


def test_copies_of_the_training_images_are_at_distance_zero():
    reference = np.random.default_rng(1).random((50, 784), dtype=np.float32)
    copies = reference[[3, 3, 10, 49]]
    quality = sample_quality(copies, FixedClassifier(np.full((4, 3), 1 / 3)), reference)
    assert quality.mean_nearest_distance == pytest.approx(0.0, abs=1e-3)
    assert quality.confident_share == 0.0


GOOD = np.full((2, 4), 0.5, dtype=np.float32)
CLASSIFIER = FixedClassifier([[1.0, 0, 0], [0, 1.0, 0]])


@pytest.mark.parametrize(
    "images, classifier, reference, threshold, message",
    [
        (np.zeros((0, 4)), CLASSIFIER, GOOD, 0.9, "non-empty"),
        (np.zeros(4), CLASSIFIER, GOOD, 0.9, r"\(n, pixels\)"),
        (np.full((2, 4), np.nan), CLASSIFIER, GOOD, 0.9, "NaN"),
        ([["a", "b"]], CLASSIFIER, GOOD, 0.9, "numbers"),
        (GOOD * 255, CLASSIFIER, GOOD, 0.9, "0-255 values"),
        (GOOD, CLASSIFIER, GOOD - 1, 0.9, r"reference must have pixels in \[0, 1\]"),
        (GOOD, CLASSIFIER, np.zeros((3, 5)), 0.9, "same size"),
        (GOOD, CLASSIFIER, GOOD, 0.0, "threshold"),
        (GOOD, CLASSIFIER, GOOD, 1.5, "threshold"),
        (GOOD, CLASSIFIER, GOOD, "high", "threshold"),
        (GOOD, object(), GOOD, 0.9, "classifier must have"),
        (GOOD, FixedClassifier([[0.5, 0.5]] * 2), GOOD, 0.9, "shape"),
    ],
)
def test_bad_inputs_are_refused_with_a_clear_message(
    images, classifier, reference, threshold, message
):
    with pytest.raises(ValueError, match=message):
        sample_quality(images, classifier, reference, threshold=threshold)


def test_nearest_distances_refuses_a_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size"):
        nearest_distances(GOOD, GOOD, batch_size=0)
