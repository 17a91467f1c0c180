"""course_utils: the plumbing behind 'Autoencoders, a course'.

Data (:mod:`.data`), the model (:mod:`.models`), training and the trained-model cache
(:mod:`.training`) and figures (:mod:`.plots`), so that the chapters show ideas.
"""

from .data import MnistUnavailableError, cache_dir, fetch_mnist, load_mnist
from .models import build_autoencoder, split_autoencoder
from .plots import (
    plot_latent_scatter,
    plot_loss_curve,
    show_digit,
    show_digits,
    show_manifold,
    show_reconstructions,
)
from .training import (
    DEFAULT_RECIPE,
    REFERENCE_RECIPE,
    Recipe,
    TrainedAutoencoder,
    reconstruction_mse,
    train,
    trained_autoencoder,
)

__all__ = [
    "DEFAULT_RECIPE", "REFERENCE_RECIPE", "MnistUnavailableError", "Recipe", "TrainedAutoencoder",
    "build_autoencoder", "cache_dir", "fetch_mnist", "load_mnist", "plot_latent_scatter",
    "plot_loss_curve", "show_digit", "show_digits", "show_manifold", "show_reconstructions",
    "split_autoencoder", "reconstruction_mse", "train", "trained_autoencoder",
]
