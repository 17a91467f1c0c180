"""course_utils.explorer.kernel: the latent explorer as ipywidgets in a kernel."""

import io

import numpy as np
import pytest
from PIL import Image

from course_utils import LatentExplorer, build_autoencoder, latent_explorer
from course_utils.explorer.shared import DIGIT_ALT, DIGIT_SCALE, SCATTER_ALT


@pytest.fixture(scope="module")
def decoder():
    _, decoder, _ = build_autoencoder(latent_dim=2, hidden=(32,), output_activation="sigmoid")
    return decoder


@pytest.fixture(scope="module")
def latents():
    rng = np.random.default_rng(0)
    codes = rng.normal(size=(300, 2)).astype(np.float32) * [3.0, 2.0]
    labels = rng.choice([1, 5, 6], size=300).astype(np.uint8)
    return codes, labels


def png_pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.int16)


def test_sliders_span_the_latents_and_start_at_their_median(decoder, latents):
    codes, labels = latents
    explorer = latent_explorer(decoder, latents=codes, labels=labels)
    assert isinstance(explorer, LatentExplorer)
    np.testing.assert_allclose(
        [(s.min, s.max) for s in explorer.sliders],
        np.stack([codes.min(axis=0), codes.max(axis=0)], axis=1),
        rtol=1e-6,
    )
    np.testing.assert_allclose(explorer.z, np.median(codes, axis=0), rtol=1e-5)


def test_given_ranges_set_the_sliders(decoder, latents):
    explorer = latent_explorer(decoder, latents=latents[0], ranges=[(-1, 1), (0, 10)])
    assert [(s.min, s.max) for s in explorer.sliders] == [(-1, 1), (0, 10)]
    alone = latent_explorer(decoder, ranges=[(-1, 1), (0, 10)])
    np.testing.assert_allclose(alone.z, [0, 5])
    assert alone.scatter_image is None  # nothing to scatter without latents


def test_digit_image_is_the_decoded_z_in_gray_r(decoder, latents):
    explorer = latent_explorer(decoder, latents=latents[0], labels=latents[1])
    explorer.sliders[0].value = 1.25
    explorer.sliders[1].value = -0.5
    expected = np.asarray(decoder(np.float32([[1.25, -0.5]]), training=False))[0].reshape(28, 28)
    shown = png_pixels(explorer.digit_image.value)[::DIGIT_SCALE, ::DIGIT_SCALE, 0]
    assert shown.shape == (28, 28)
    np.testing.assert_allclose(shown, np.round(255 * (1 - expected)), atol=1)


def test_a_slider_move_updates_the_same_widgets_in_place(decoder, latents):
    explorer = latent_explorer(decoder, latents=latents[0], labels=latents[1])
    children, digit, scatter = explorer.children, explorer.digit_image, explorer.scatter_image
    before_digit, before_scatter = digit.value, scatter.value
    explorer.sliders[0].value = explorer.sliders[0].max
    assert explorer.children == children
    assert (digit.tooltip, scatter.tooltip) == (DIGIT_ALT, SCATTER_ALT)  # the images' titles
    assert explorer.digit_image is digit and explorer.scatter_image is scatter
    assert digit.value != before_digit
    assert scatter.value != before_scatter


def test_the_marker_moves_to_z_and_nothing_else_changes(decoder, latents):
    explorer = latent_explorer(decoder, latents=latents[0], labels=latents[1])
    axes = explorer._scatter.axes
    height = png_pixels(explorer.scatter_image.value).shape[0]

    def marker_pixel():
        x, y = axes.transData.transform(explorer.z[:2])
        return np.array([height - y, x])  # (row, column) from the top left

    old_place, old_frame = marker_pixel(), png_pixels(explorer.scatter_image.value)
    first, second = explorer.sliders
    first.value = first.min + 0.2 * (first.max - first.min)
    second.value = second.max - 0.2 * (second.max - second.min)
    new_place, new_frame = marker_pixel(), png_pixels(explorer.scatter_image.value)
    assert np.linalg.norm(new_place - old_place) > 50

    changed = np.argwhere(np.any(new_frame != old_frame, axis=-1))
    near_old = np.linalg.norm(changed - old_place, axis=1) < 20
    near_new = np.linalg.norm(changed - new_place, axis=1) < 20
    assert near_new.sum() > 30 and near_old.sum() > 30
    assert np.all(near_old | near_new)
    # The marker is a black ring: dark pixels around the new place.
    row, column = new_place.astype(int)
    ring = new_frame[row - 12 : row + 13, column - 12 : column + 13]
    assert (ring.max(axis=-1) < 60).sum() > 40


def test_one_dimensional_codes_get_a_slider_and_no_scatter():
    _, decoder, _ = build_autoencoder(latent_dim=1, hidden=(8,), output_activation="sigmoid")
    explorer = latent_explorer(decoder, latents=np.linspace(-2, 2, 50)[:, None])
    assert len(explorer.sliders) == 1 and explorer.scatter_image is None
    before = explorer.digit_image.value
    explorer.sliders[0].value = 2.0
    assert explorer.digit_image.value != before


def test_bad_input_is_refused_with_the_shared_checks_message(decoder):
    with pytest.raises(ValueError, match="pass latents"):
        latent_explorer(decoder)
