"""course_utils: the plumbing behind 'Autoencoders, a course'.

Data (:mod:`.data`), the model (:mod:`.models`), training and the trained-model cache
(:mod:`.training`) and figures and diagrams (:mod:`.plots`, :mod:`.diagrams`), and the latent explorer
(:mod:`.widgets` in a kernel, :mod:`.web_explorer` in the static book), so that the chapters show ideas.
"""

import os

# Keep TensorFlow's start-up log lines (CPU features, XLA) off the chapters' pages.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from .book import glue
from .data import MnistUnavailableError, cache_dir, fetch_mnist, load_mnist
from .diagrams import draw_autoencoder
from .models import architecture_table, build_autoencoder, split_autoencoder
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
    save_to_cache,
    train,
    trained_autoencoder,
)
from .web_explorer import StaticLatentExplorer, static_latent_explorer
from .widgets import LatentExplorer, latent_explorer

__all__ = [
    "DEFAULT_RECIPE", "REFERENCE_RECIPE", "MnistUnavailableError", "Recipe", "TrainedAutoencoder", "architecture_table",
    "build_autoencoder", "cache_dir", "draw_autoencoder", "fetch_mnist", "glue", "load_mnist", "plot_latent_scatter",
    "plot_loss_curve", "show_digit", "show_digits", "show_manifold", "show_reconstructions",
    "split_autoencoder", "reconstruction_mse", "save_to_cache", "train", "trained_autoencoder",
    "LatentExplorer", "StaticLatentExplorer", "latent_explorer", "static_latent_explorer",
]
