"""course_utils.explorer.shared: the checks both latent explorers make of what they are given."""

import numpy as np
import pytest

from course_utils import build_autoencoder
from course_utils.explorer.shared import check_explorer_inputs


@pytest.fixture(scope="module")
def decoder():
    _, decoder, _ = build_autoencoder(latent_dim=2, hidden=(32,), output_activation="sigmoid")
    return decoder


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({}, "pass latents"),
        ({"latents": np.zeros((5, 3))}, "codes of size 2, but latents have 3 columns"),
        ({"latents": np.zeros((0, 2))}, "non-empty"),
        ({"latents": np.array([[0, 1], [np.nan, 2]])}, "NaN"),
        ({"latents": np.ones((5, 2))}, "empty slider range"),
        ({"latents": np.zeros((5, 2)), "labels": [1, 5]}, "one entry per latent code"),
        ({"labels": [1, 5], "ranges": [(0, 1), (0, 1)]}, "need latents"),
        ({"ranges": [(0, 1)]}, r"needs 2 \(lo, hi\) pairs"),
        ({"ranges": [(0, 1), (3, -3)]}, r"ranges\[1\] = \(3.0, -3.0\) is reversed or empty"),
        ({"ranges": [(0, 1), (2, 2)]}, "reversed or empty"),
        ({"ranges": [(0, np.nan), (0, 1)]}, "not finite"),
        ({"ranges": [(0, 1, 2), (0, 1, 2)]}, "one \\(lo, hi\\) pair"),
        ({"ranges": "wide"}, "ranges must be"),
    ],
)
def test_bad_input_is_a_clear_error(decoder, kwargs, message):
    with pytest.raises(ValueError, match=message):
        check_explorer_inputs(decoder, **kwargs)


def test_decoders_that_do_not_fit_are_refused():
    _, small_images, _ = build_autoencoder(latent_dim=2, input_dim=100, hidden=(8,))
    with pytest.raises(ValueError, match="784 pixels"):
        check_explorer_inputs(small_images, ranges=[(0, 1), (0, 1)])
    with pytest.raises(ValueError, match="built Keras model"):
        check_explorer_inputs(lambda z: z, ranges=[(0, 1), (0, 1)])
