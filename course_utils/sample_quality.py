"""How good is a generator? Numbers about its samples instead of a look at a few (chapter 5).

:func:`sample_quality` reports, for a set of generated images:

- the share that a digit classifier recognises with confidence >= ``threshold``;
- the mix of digits the classifier sees in them, to compare with the real digits' mix;
- the mean Euclidean distance from each image to its nearest training image, so that a generator
  that copies its training images shows (a copy is at distance 0; real test digits give the
  scale of "new but realistic").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import checks
from .images import check_images


@dataclass(frozen=True)
class SampleQuality:
    count: int  # images measured
    confident_share: float  # share classified with confidence >= threshold
    digit_shares: dict  # digit -> share of the images classified as that digit
    mean_nearest_distance: float  # mean distance to the nearest reference (training) image


def nearest_distances(samples, reference, batch_size=64) -> np.ndarray:
    """Euclidean distance from each row of ``samples`` to its nearest row of ``reference``: one
    float64 per sample. Refuses (``ValueError``) arrays that are not flat images in [0, 1], rows of
    different sizes and a ``batch_size`` that is not a whole number ≥ 1.

    The nearest row is found ``batch_size`` samples at a time with
    ``|a − b|² = |a|² − 2 a·b + |b|²``, then its distance measured directly; memory grows with one
    ``batch_size × len(reference)`` array, never with ``len(samples) × len(reference) × pixels``
    (benchmarks/README.md: why 64 rows).
    """
    samples = check_images(samples, "samples", pixels=None)
    reference = check_images(reference, "reference", pixels=None)
    if reference.shape[1] != samples.shape[1]:
        raise ValueError(
            f"reference images have {reference.shape[1]} pixels, the samples "
            f"{samples.shape[1]}: compare images of the same size"
        )
    batch_size = checks.whole_number("batch_size", batch_size, 1)
    reference_norms = np.einsum("ij,ij->i", reference, reference)
    nearest = np.empty(len(samples), dtype=np.float64)
    for start in range(0, len(samples), batch_size):
        batch = samples[start : start + batch_size]
        # |a − b|² less |a|², the same along a row: one (batch, reference) array, updated in place
        squared = batch @ reference.T
        squared *= -2.0
        squared += reference_norms
        closest = reference[squared.argmin(axis=1)]
        # The expansion loses digits to cancellation (a copy would come out at ~0.004, not 0):
        # measure the distance to the nearest image found directly.
        nearest[start : start + batch_size] = np.linalg.norm(
            batch.astype(np.float64) - closest.astype(np.float64), axis=1
        )
    return nearest


def sample_quality(images, classifier, reference, threshold=0.9) -> SampleQuality:
    """Measure generated ``images`` (flat, pixels in [0, 1]) with a digit ``classifier`` and the
    ``reference`` (training) images; returns a :class:`SampleQuality`.

    ``classifier`` needs ``digits`` (its classes, in order) and ``probabilities(images)`` returning
    one row of class probabilities per image, as :func:`course_utils.trained_classifier` gives.
    Refuses (``ValueError``) images that are not flat images in [0, 1], a ``threshold`` outside
    (0, 1] and a classifier without those two, or whose probabilities are of another shape.
    """
    images = check_images(images, "images", pixels=None)
    threshold = checks.finite_number("threshold", threshold, above=0, maximum=1)
    if not (hasattr(classifier, "digits") and callable(getattr(classifier, "probabilities", None))):
        raise ValueError(
            "classifier must have digits and probabilities(images), "
            "like course_utils.trained_classifier()"
        )
    probabilities = np.asarray(classifier.probabilities(images), dtype=np.float64)
    digits = tuple(classifier.digits)
    if probabilities.shape != (len(images), len(digits)):
        raise ValueError(
            f"the classifier gave probabilities of shape {probabilities.shape}, "
            f"expected {(len(images), len(digits))}"
        )
    predicted = probabilities.argmax(axis=1)
    return SampleQuality(
        count=len(images),
        confident_share=float(np.mean(probabilities.max(axis=1) >= threshold)),
        digit_shares={
            int(digit): float(np.mean(predicted == index)) for index, digit in enumerate(digits)
        },
        mean_nearest_distance=float(np.mean(nearest_distances(images, reference))),
    )
