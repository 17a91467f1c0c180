"""check_images: what the course's functions accept as images, and what they say otherwise."""

import numpy as np
import pytest

from course_utils.images import IMAGE_PIXELS, check_images

IMAGES = np.random.default_rng(0).random((6, IMAGE_PIXELS), dtype=np.float32)


def test_float32_images_come_back_as_the_same_array():
    assert check_images(IMAGES, "x") is IMAGES


@pytest.mark.parametrize("dtype", [np.float64, np.uint8, np.int64])
def test_other_numbers_come_back_as_float32_with_the_same_values(dtype):
    images = (IMAGES > 0.5).astype(dtype)
    checked = check_images(images, "x")
    assert checked.dtype == np.float32
    np.testing.assert_array_equal(checked, images)


def test_a_list_of_rows_is_read_as_images():
    checked = check_images([[0.0, 0.5, 1.0]], "x", pixels=None)
    np.testing.assert_array_equal(checked, np.float32([[0.0, 0.5, 1.0]]))


def test_any_number_of_pixels_when_none_is_asked_for():
    assert check_images(np.zeros((2, 4)), "x", pixels=None).shape == (2, 4)
    with pytest.raises(
        ValueError,
        match=r"x must be a non-empty 2-D array of flat images, "
        r"shape \(n, pixels\); got shape \(4,\)",
    ):
        check_images(np.zeros(4), "x", pixels=None)


@pytest.mark.parametrize(
    "images, message",
    [
        (
            IMAGES.reshape(-1, 28, 28),
            r"shape \(n, 784\); got shape \(6, 28, 28\); flatten 28×28 "
            r"images with x\.reshape\(len\(x\), -1\)",
        ),
        (IMAGES[:, :700], r"shape \(n, 784\); got shape \(6, 700\)$"),
        (IMAGES[:0], r"non-empty 2-D array of flattened 28×28 images"),
        (IMAGES[:, :0], r"got shape \(6, 0\)"),
        (IMAGES.astype(str), r"x must hold numbers \(pixel values\); got dtype <U"),
        (IMAGES > 0.5, "must hold numbers"),
        ([[0.0, 1.0], [0.5]], "x must be an array of images; it could not be read as one"),
    ],
)
def test_what_is_not_a_batch_of_flat_images_is_refused(images, message):
    with pytest.raises(ValueError, match=message):
        check_images(images, "x")


def test_the_rows_with_nan_or_infinite_pixels_are_named():
    images = IMAGES.copy()
    images[[1, 4], 10] = [np.nan, np.inf]
    with pytest.raises(
        ValueError,
        match=r"x contains NaN or infinite pixels \(rows \[1, 4\], "
        r"2 in all\); drop or fix those images first",
    ):
        check_images(images, "x")
    images[[1, 4], 10] = [np.inf, -np.inf]  # whose sum is NaN, not infinite
    with pytest.raises(ValueError, match=r"rows \[1, 4\]"):
        check_images(images, "x")


def test_pixels_outside_0_1_are_refused_and_0_255_values_get_the_fix():
    with pytest.raises(
        ValueError,
        match=r"x has pixels up to 255: they look like 0-255 values\. "
        r".*pass x / 255",
    ):
        check_images(np.round(IMAGES * 255), "x")
    with pytest.raises(ValueError, match=r"x must have pixels in \[0, 1\]; they range from -0\.49"):
        check_images(IMAGES - 0.5, "x")
    images = np.zeros((1, IMAGE_PIXELS))
    images[0, 5] = 300.0
    with pytest.raises(ValueError, match=r"range from 0 to 300"):
        check_images(images, "x")
