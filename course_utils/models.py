"""The course's networks in Keras, as the chapters write them on their pages.

- the autoencoder (chapter 2): a dense encoder 784→500→300→latent and its mirror-image decoder;
- the VAE (chapter 5): the same sizes with a mean and a log-variance code, the :class:`Sampling`
  layer (the reparameterisation trick) and a :class:`VAE` model trained on reconstruction + KL;
- the digit classifier (chapter 5) that judges generated images.

Tests build the chapters' code and these functions side by side and prove they are the same.
"""

from __future__ import annotations

import keras
from keras import ops

from . import checks
from .images import IMAGE_PIXELS


def _dense_stack(sizes, name_prefix="hidden"):
    """ReLU layers of ``sizes``, named ``hidden_1``, ``hidden_2``, …"""
    return [
        keras.layers.Dense(units, activation="relu", name=f"{name_prefix}_{index}")
        for index, units in enumerate(sizes, start=1)
    ]


def _checked_sizes(latent_dim, input_dim, hidden):
    checks.whole_number("latent_dim", latent_dim, 1)
    checks.whole_number("input_dim", input_dim, 1)
    return checks.layer_sizes("hidden", hidden)


def build_autoencoder(
    latent_dim=2, input_dim=IMAGE_PIXELS, hidden=(500, 300), output_activation=None
):
    """Build ``(encoder, decoder, autoencoder)``.

    The encoder maps an image ``x`` to its code ``z = f(x)`` through ReLU layers of
    sizes ``hidden`` and a linear layer of size ``latent_dim``; the decoder maps ``z``
    back through the same sizes in reverse to ``x̂ = g(z)``. The autoencoder is ``g(f(x))``.
    ``output_activation`` is the decoder's last activation (``None`` for linear,
    ``"sigmoid"`` to keep pixels in [0, 1]). Refuses sizes that are not whole numbers ≥ 1.
    """
    hidden = _checked_sizes(latent_dim, input_dim, hidden)
    encoder = keras.Sequential(
        [keras.Input(shape=(input_dim,), name="image")]
        + _dense_stack(hidden)
        + [keras.layers.Dense(latent_dim, name="code")],
        name="encoder",
    )
    decoder = keras.Sequential(
        [keras.Input(shape=(latent_dim,), name="code")]
        + _dense_stack(reversed(hidden))
        + [keras.layers.Dense(input_dim, activation=output_activation, name="reconstruction")],
        name="decoder",
    )
    image = keras.Input(shape=(input_dim,), name="image")
    autoencoder = keras.Model(image, decoder(encoder(image)), name="autoencoder")
    return encoder, decoder, autoencoder


def split_autoencoder(autoencoder):
    """The ``(encoder, decoder)`` inside an autoencoder built by :func:`build_autoencoder`."""
    return autoencoder.get_layer("encoder"), autoencoder.get_layer("decoder")


def architecture_table(*models):
    """An HTML table of the dense layers of ``models``: units, activation and parameter count.

    The counts come from the models themselves, so the table always matches the code. Names
    (models, layers, activations) are HTML-escaped: a name is shown as text, never run as markup.
    """
    from html import escape

    from IPython.display import HTML

    cell = "padding: 0.2em 0.9em; border-bottom: 1px solid #ddd;"
    number = cell + " text-align: right; font-variant-numeric: tabular-nums;"
    rows = []
    for model in models:
        model_name = escape(model.name)
        for layer in model.layers:
            activation = escape(getattr(layer.activation, "__name__", "linear"))
            rows.append(
                f"<tr><td style='{cell}'>{model_name}</td>"
                f"<td style='{cell}'>{escape(layer.name)}</td>"
                f"<td style='{number}'>{int(layer.units)}</td>"
                f"<td style='{cell}'>{activation}</td>"
                f"<td style='{number}'>{layer.count_params():,}</td></tr>"
            )
        rows.append(
            f"<tr><th scope='row' colspan='4' style='{cell} text-align: left;'>"
            f"{model_name} total</th>"
            f"<td style='{number}'><strong>{model.count_params():,}</strong></td></tr>"
        )
    header = "".join(
        f"<th scope='col' style='{cell} text-align: {align};'>{name}</th>"
        for name, align in (
            ("part", "left"),
            ("layer", "left"),
            ("units", "right"),
            ("activation", "left"),
            ("parameters", "right"),
        )
    )
    return HTML(
        f"<table class='architecture-table' style='border-collapse: collapse; margin: 0.5em 0;'>"
        f"<caption>Layers of the autoencoder and their parameters (weights and biases)</caption>"
        f"<thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


class Sampling(keras.layers.Layer):
    """The reparameterisation trick: ``z = mean + exp(log_var / 2) * epsilon``, with
    epsilon ~ N(0, I) drawn anew at every call."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator()

    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


def kl_divergence(z_mean, z_log_var):
    """KL(N(mean, diag(exp(log_var))) ‖ N(0, I)) per example, in closed form (summed over axes)."""
    return -0.5 * ops.sum(1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=1)


def reconstruction_loss(x, x_hat):
    """−log p(x | z) for Bernoulli pixels per example: binary cross-entropy summed over pixels."""
    return ops.sum(ops.binary_crossentropy(x, x_hat), axis=1)


class VAE(keras.Model):
    """Encoder, sampling and decoder, trained on reconstruction + ``kl_weight`` × KL (chapter 5).

    Calling it on images returns ``(x_hat, z_mean, z_log_var)``; ``fit(x)`` needs no target. Its
    metrics are the loss's two terms, ``reconstruction`` and ``kl``.
    """

    def __init__(self, encoder, decoder, kl_weight=1.0, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.kl_weight = kl_weight
        self.sampling = Sampling()
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")

    def call(self, x):
        z_mean, z_log_var = self.encoder(x)
        z = self.sampling([z_mean, z_log_var])
        return self.decoder(z), z_mean, z_log_var

    def compute_loss(self, x, y=None, y_pred=None, sample_weight=None, training=True):
        x_hat, z_mean, z_log_var = y_pred
        reconstruction = ops.mean(reconstruction_loss(x, x_hat))
        kl = ops.mean(kl_divergence(z_mean, z_log_var))
        self.reconstruction_tracker.update_state(reconstruction)
        self.kl_tracker.update_state(kl)
        return reconstruction + self.kl_weight * kl


def build_vae(latent_dim=2, input_dim=IMAGE_PIXELS, hidden=(500, 300), kl_weight=1.0):
    """``(encoder, decoder, vae)``: chapter 5's layers, the autoencoder's sizes with two code
    outputs.

    The encoder maps an image to ``[z_mean, z_log_var]`` (ReLU layers of sizes ``hidden``, then
    two linear layers of size ``latent_dim``); the decoder maps ``z`` back through the sizes in
    reverse to ``input_dim`` sigmoid pixels. Refuses sizes that are not whole numbers ≥ 1 and a
    ``kl_weight`` that is not a finite number ≥ 0.
    """
    hidden = _checked_sizes(latent_dim, input_dim, hidden)
    kl_weight = checks.finite_number("kl_weight", kl_weight, 0)
    image = keras.Input(shape=(input_dim,), name="image")
    features = image
    for layer in _dense_stack(hidden):
        features = layer(features)
    z_mean = keras.layers.Dense(latent_dim, name="z_mean")(features)
    z_log_var = keras.layers.Dense(latent_dim, name="z_log_var")(features)
    encoder = keras.Model(image, [z_mean, z_log_var], name="encoder")
    decoder = keras.Sequential(
        [keras.Input(shape=(latent_dim,), name="code")]
        + _dense_stack(reversed(hidden))
        + [keras.layers.Dense(input_dim, activation="sigmoid", name="reconstruction")],
        name="decoder",
    )
    return encoder, decoder, VAE(encoder, decoder, kl_weight=kl_weight)


def build_classifier(classes, hidden=(256,), input_dim=IMAGE_PIXELS):
    """The digit classifier (chapter 5): ReLU layers of sizes ``hidden``, then a softmax over
    ``classes`` (a whole number ≥ 2) outputs."""
    checks.whole_number("classes", classes, 2)
    hidden = _checked_sizes(1, input_dim, hidden)
    return keras.Sequential(
        [keras.Input(shape=(input_dim,), name="image")]
        + _dense_stack(hidden)
        + [keras.layers.Dense(classes, activation="softmax", name="digit")],
        name="classifier",
    )
