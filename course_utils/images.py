"""MNIST's image size, and what the course's functions accept as a batch of images.

:data:`IMAGE_SIDE` and :data:`IMAGE_PIXELS` are the one place the size 28 × 28 = 784 is spelled.
Training an autoencoder or a VAE, the classifier and the sample-quality measures all take flat
images with pixels in [0, 1]. They check them with :func:`check_images`, so that a wrong shape,
a NaN or 0–255 pixels get the same message everywhere: it names the argument, says what is wrong
and what to do. Only NumPy is needed: checking images does not load TensorFlow.
"""

from __future__ import annotations

import numpy as np

IMAGE_SIDE = 28  # pixels along each side of an MNIST digit
IMAGE_PIXELS = IMAGE_SIDE * IMAGE_SIDE  # a flattened image


def check_images(images, name: str, pixels: int | None = IMAGE_PIXELS) -> np.ndarray:
    """``images`` as a float32 array (the same array when it is one already), if it is a
    non-empty batch of flat images: shape ``(n, pixels)`` (any number of pixels when ``pixels``
    is None), finite pixels in [0, 1]. Otherwise a ``ValueError`` that says what is wrong and how
    to fix it."""
    try:
        array = np.asarray(images)
    except ValueError as error:
        raise ValueError(
            f"{name} must be an array of images; it could not be read as one ({error})"
        ) from None
    if array.dtype.kind not in "fiu":
        raise ValueError(f"{name} must hold numbers (pixel values); got dtype {array.dtype}")
    if array.ndim != 2 or 0 in array.shape or pixels not in (None, array.shape[1]):
        _refuse_shape(array, name, pixels)
    array = array.astype(np.float32, copy=False)
    # One float64 sum is not finite exactly when a pixel is not, and needs no mask of the images.
    with np.errstate(invalid="ignore"):  # inf - inf: a NaN sum, reported below, not warned
        total = np.sum(array, dtype=np.float64)
    if not np.isfinite(total):
        bad_rows = np.flatnonzero(~np.isfinite(array).all(axis=1))
        raise ValueError(
            f"{name} contains NaN or infinite pixels (rows {bad_rows[:5].tolist()}, "
            f"{len(bad_rows)} in all); drop or fix those images first"
        )
    low, high = array.min(), array.max()
    if high > 1 and high <= 255 and low >= 0:
        raise ValueError(
            f"{name} has pixels up to {high:g}: they look like 0-255 values. The course's "
            f"models take pixels in [0, 1]: pass {name} / 255"
        )
    if low < 0 or high > 1:
        raise ValueError(f"{name} must have pixels in [0, 1]; they range from {low:g} to {high:g}")
    return array


def _refuse_shape(array: np.ndarray, name: str, pixels: int | None):
    side = f"{IMAGE_SIDE}×{IMAGE_SIDE}"
    what = f"flattened {side} images" if pixels == IMAGE_PIXELS else "flat images"
    hint = (
        f"; flatten {side} images with {name}.reshape(len({name}), -1)"
        if pixels == IMAGE_PIXELS and array.ndim == 3 and array.shape[1:] == (IMAGE_SIDE,) * 2
        else ""
    )
    raise ValueError(
        f"{name} must be a non-empty 2-D array of {what}, shape (n, {pixels or 'pixels'}); "
        f"got shape {array.shape}{hint}"
    )
