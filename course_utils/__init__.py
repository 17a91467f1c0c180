"""course_utils: the plumbing behind 'Autoencoders, a course'.

Data (:mod:`.data`), the model (:mod:`.models`), training and the trained-model cache
(:mod:`.training`), the PCA baseline (:mod:`.baselines`), figures and diagrams (:mod:`.plots`,
:mod:`.diagrams`), numbers quoted in the prose (:mod:`.book`) and the latent explorer
(:mod:`.widgets` in a kernel, :mod:`.web_explorer` on the static website), chapter 5's VAE
(:mod:`.vae`), digit classifier (:mod:`.classifier`) and measure of generated samples
(:mod:`.sample_quality`), so that the chapters show ideas. ``python -m course_utils data|model`` prepares a machine ahead of time.
"""

import os

# Keep TensorFlow's start-up log lines (CPU features, XLA) off the chapters' pages.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from .baselines import pca_test_mse
from .book import glue
from .data import MnistUnavailableError, cache_dir, fetch_mnist, load_mnist, split_validation
from .diagrams import draw_autoencoder
from .models import architecture_table, build_autoencoder, split_autoencoder
from .plots import (
    DIGIT_COLORS,
    plot_latent_scatter,
    plot_loss_curve,
    show_digit,
    show_digits,
    show_manifold,
    show_reconstructions,
)
from .training import (
    DEFAULT_RECIPE,
    FusedAdam,
    REFERENCE_RECIPE,
    Recipe,
    TrainedAutoencoder,
    reconstruction_mse,
    save_to_cache,
    train,
    trained_autoencoder,
)
from .vae import (
    VAE,
    VAE_RECIPE,
    Sampling,
    TrainedVAE,
    VAERecipe,
    build_vae,
    load_vae_from_cache,
    save_vae_to_cache,
    train_vae,
    trained_vae,
)
from .classifier import CLASSIFIER_RECIPE, ClassifierRecipe, TrainedClassifier, trained_classifier
from .sample_quality import SampleQuality, nearest_distances, sample_quality
from .web_explorer import StaticLatentExplorer, static_latent_explorer
from .widgets import LatentExplorer, latent_explorer

__all__ = [
    "DEFAULT_RECIPE", "DIGIT_COLORS", "FusedAdam", "LatentExplorer", "MnistUnavailableError", "REFERENCE_RECIPE", "Recipe",
    "StaticLatentExplorer", "TrainedAutoencoder", "architecture_table", "build_autoencoder",
    "cache_dir", "draw_autoencoder", "fetch_mnist", "glue", "latent_explorer", "load_mnist",
    "pca_test_mse", "plot_latent_scatter", "plot_loss_curve", "reconstruction_mse",
    "save_to_cache", "show_digit", "show_digits", "show_manifold", "show_reconstructions",
    "split_autoencoder", "split_validation", "static_latent_explorer", "train", "trained_autoencoder",
    # chapter 5: the VAE, the digit classifier and the measure of generated samples
    "CLASSIFIER_RECIPE", "ClassifierRecipe", "SampleQuality", "Sampling", "TrainedClassifier",
    "TrainedVAE", "VAE", "VAERecipe", "VAE_RECIPE", "build_vae", "load_vae_from_cache",
    "nearest_distances", "sample_quality", "save_vae_to_cache", "train_vae", "trained_classifier",
    "trained_vae",
]
