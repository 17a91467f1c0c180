"""course_utils.plots: the figures the chapters show."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_utils import (
    plot_latent_scatter,
    plot_loss_curve,
    show_digit,
    show_digits,
    show_manifold,
    show_reconstructions,
)


def test_show_digit_draws_28_by_28_in_gray_without_ticks():
    fig = matplotlib.figure.Figure()
    ax = fig.subplots()
    show_digit(ax, np.linspace(0, 1, 784), title="a digit")
    (image,) = ax.images
    assert image.get_array().shape == (28, 28)
    assert image.get_cmap().name == "gray_r" and image.get_clim() == (0.0, 1.0)
    assert list(ax.get_xticks()) == [] and ax.get_title() == "a digit"


def test_show_digits_fills_a_grid_and_hides_the_spare_cells():
    fig = show_digits(np.zeros((13, 784)), titles=[str(i) for i in range(13)], columns=5)
    assert len(fig.axes) == 15
    assert sum(len(ax.images) for ax in fig.axes) == 13
    assert [ax.axison for ax in fig.axes[13:]] == [False, False]


def test_show_reconstructions_one_row_per_set_with_row_titles():
    originals = np.zeros((4, 784))
    fig = show_reconstructions(
        originals,
        originals + 0.5,
        originals + 1,
        labels=[1, 5, 6, 1],
        row_titles=("input", "autoencoder", "PCA"),
    )
    assert len(fig.axes) == 12
    assert [fig.axes[row * 4].get_ylabel() for row in range(3)] == ["input", "autoencoder", "PCA"]
    assert fig.axes[0].get_title() == "digit 1" and fig.axes[4].get_title() == ""
    assert fig.axes[5].images[0].get_array()[0, 0] == 0.5


def test_loss_curve_has_training_and_test_lines_per_epoch():
    ax = plot_loss_curve({"loss": [0.05, 0.03, 0.02], "val_loss": [0.04, 0.03, 0.025]})
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["training loss", "validation loss"]
    assert list(lines[1].get_xdata()) == [1, 2, 3] and list(lines[1].get_ydata()) == [
        0.04,
        0.03,
        0.025,
    ]


def test_latent_scatter_one_group_per_digit_and_rejects_codes_that_are_not_2d():
    codes = np.random.default_rng(0).normal(size=(30, 2))
    labels = np.repeat([1, 5, 6], 10)
    ax = plot_latent_scatter(codes, labels)
    assert [text.get_text() for text in ax.get_legend().get_texts()] == [
        "digit 1",
        "digit 5",
        "digit 6",
    ]
    assert [len(collection.get_offsets()) for collection in ax.collections] == [10, 10, 10]
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        plot_latent_scatter(np.zeros((30, 3)), labels)


def test_manifold_puts_each_decoded_tile_at_its_latent_point():
    # A decoder whose image is uniformly z1 in its top half and z2 in its bottom half.
    def decoder(z, training=False):
        z = np.asarray(z)
        return np.concatenate(
            [np.repeat(z[:, :1], 392, axis=1), np.repeat(z[:, 1:], 392, axis=1)], axis=1
        )

    fig = show_manifold(decoder, (0.0, 0.4), (0.1, 0.9), steps=5)
    ax = fig.axes[0]
    canvas = ax.images[0].get_array()
    assert canvas.shape == (140, 140)
    top_left, bottom_right = canvas[:14, :28], canvas[-14:, -28:]
    assert np.allclose(top_left, 0.0)  # z1 smallest in the left column
    assert np.allclose(canvas[14:28, :28], 0.9)  # z2 largest in the top row
    assert np.allclose(bottom_right, 0.1)
    left, right, bottom, top = ax.images[0].get_extent()
    assert np.allclose([left, right, bottom, top], [-0.05, 0.45, 0.0, 1.0])
    assert ax.get_xlabel() == "$z_1$" and ax.get_ylabel() == "$z_2$"


def test_latent_scatter_without_labels_is_one_grey_group():
    ax = plot_latent_scatter(np.zeros((12, 2)), legend_fontsize=8)
    (collection,) = ax.collections
    assert len(collection.get_offsets()) == 12
    legend_texts = ax.get_legend().get_texts()
    assert [text.get_text() for text in legend_texts] == ["test digits"]
    assert legend_texts[0].get_fontsize() == 8


# --- Bad input is a clear ValueError, not a numpy or matplotlib traceback -------------------


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: show_digits([]), "images is empty: pass at least one image"),
        (
            lambda: show_digits(np.zeros((3, 100))),
            r"784 pixels \(28×28\) per image.*got shape \(3, 100\)",
        ),
        (
            lambda: show_digits(np.zeros((3, 784)), columns=0),
            "columns must be a whole number ≥ 1; got 0",
        ),
        (
            lambda: show_digits(np.zeros((3, 784)), titles=["a"]),
            "one entry per image: 1 titles for 3",
        ),
        (lambda: show_digits([["a"] * 784]), "784 numeric pixels"),
        (lambda: show_digits(np.full((2, 784), 255.0)), "pixels up to 255.*divide them by 255"),
        (lambda: show_digit(plt.figure().subplots(), np.zeros(100)), "784 pixels"),
        (
            lambda: plot_latent_scatter(np.zeros((30, 2)), labels=np.ones(29)),
            "one entry per code: 29 labels for 30 codes",
        ),
        (lambda: plot_loss_curve({}), "needs a history with a 'loss' list"),
        (lambda: plot_loss_curve({"loss": []}), "needs a history with a 'loss' list"),
        (lambda: plot_loss_curve([0.1, 0.2]), "needs a history with a 'loss' list"),
        (
            lambda: plot_loss_curve({"loss": [0.1, 0.2], "val_loss": [0.1]}),
            "'val_loss' must be one",
        ),
        (
            lambda: show_manifold(lambda z, training=False: z, (0, 1), (0, 1), steps=1),
            "steps must be a whole number ≥ 2",
        ),
        (lambda: show_manifold(lambda z, training=False: z, (1, 0), (0, 1)), "low < high"),
        (
            lambda: show_manifold(lambda z, training=False: z, (0, 1), (0, 1), steps=3),
            "decoder must turn each 2-D code into 784 pixels",
        ),
        (
            lambda: show_reconstructions(np.zeros((4, 784)), np.zeros((3, 784))),
            "reconstructions\\[0\\] has 3, originals 4",
        ),
        (
            lambda: show_reconstructions(np.zeros((4, 784)), np.zeros((4, 784)), labels=[1]),
            "labels must have one entry per original",
        ),
    ],
)
def test_bad_plot_input_is_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
    plt.close("all")


def test_0_255_images_are_detected_but_a_linear_decoders_overshoot_is_drawn():
    with pytest.raises(ValueError, match="0-255 images would all look black"):
        show_digits(np.arange(784)[None, :] % 256)
    overshoot = np.linspace(-0.5, 3.0, 784)[None, :]  # what a linear output layer can give
    assert len(show_digits(overshoot, columns=1).axes[0].images) == 1
    assert len(show_reconstructions(np.zeros((2, 784)), np.ones((2, 28, 28))).axes) == 4
    plt.close("all")


def test_plot_loss_curve_takes_a_keras_history_object():
    class History:
        history = {"loss": [0.3, 0.2]}

    assert len(plot_loss_curve(History()).get_lines()) == 1
    plt.close("all")
