"""The course's autoencoder: a dense encoder 784→500→300→latent and its mirror-image decoder."""

from __future__ import annotations

import keras


def build_autoencoder(latent_dim=2, input_dim=784, hidden=(500, 300), output_activation=None):
    """Build ``(encoder, decoder, autoencoder)``.

    The encoder maps an image ``x`` to its code ``z = f(x)`` through ReLU layers of
    sizes ``hidden`` and a linear layer of size ``latent_dim``; the decoder maps ``z``
    back through the same sizes in reverse to ``x̂ = g(z)``. The autoencoder is ``g(f(x))``.
    ``output_activation`` is the decoder's last activation (``None`` for linear,
    ``"sigmoid"`` to keep pixels in [0, 1]).

    Shown in chapter 2, which writes these layers in Keras on the page; tests/test_models.py
    proves the two build the same layers.
    """
    encoder = keras.Sequential(
        [keras.Input(shape=(input_dim,), name="image")]
        + [
            keras.layers.Dense(units, activation="relu", name=f"hidden_{index}")
            for index, units in enumerate(hidden, start=1)
        ]
        + [keras.layers.Dense(latent_dim, name="code")],
        name="encoder",
    )
    decoder = keras.Sequential(
        [keras.Input(shape=(latent_dim,), name="code")]
        + [
            keras.layers.Dense(units, activation="relu", name=f"hidden_{index}")
            for index, units in enumerate(reversed(hidden), start=1)
        ]
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
