"""course_utils: the plumbing behind 'Autoencoders, a course'.

Data (:mod:`.data`), the model (:mod:`.models`), training and the trained-model cache
(:mod:`.training`), the PCA baseline (:mod:`.baselines`), figures (:mod:`.plots`) and the
encoder/decoder diagram (:mod:`.diagrams`), numbers quoted in the prose (:mod:`.prose`) and the
latent explorer (:mod:`.explorer`: in a kernel, and on the static website), chapter 5's VAE
(:mod:`.vae`), digit classifier (:mod:`.classifier`) and measure of generated samples
(:mod:`.sample_quality`), chapter 7's code-size sweep and convolutional autoencoder
(:mod:`.code_size`), so that the chapters show ideas. ``python -m course_utils data|model``
prepares a machine ahead of time.

Importing the package is cheap: each name below loads its module (and TensorFlow, Keras,
ipywidgets or matplotlib, if that module needs them) the first time it is used (PEP 562).
"""

import importlib
import os

# Keep TensorFlow's start-up log lines (CPU features, XLA) off the chapters' pages.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

_HOMES = {  # public name -> the module that defines it
    "pca_test_mse": "baselines",
    "MnistUnavailableError": "data",
    "cache_dir": "data",
    "fetch_mnist": "data",
    "load_mnist": "data",
    "load_mnist_test": "data",
    "split_validation": "data",
    "draw_autoencoder": "diagrams",
    "LatentExplorer": "explorer",
    "StaticLatentExplorer": "explorer",
    "latent_explorer": "explorer",
    "static_latent_explorer": "explorer",
    "DrawExplorer": "explorer",
    "draw_explorer": "explorer",
    "preprocess_drawing": "explorer",
    "CacheWarning": "model_store",
    "cached_fit": "model_store",
    "architecture_table": "models",
    "build_autoencoder": "models",
    "split_autoencoder": "models",
    "DIGIT_COLORS": "plots",
    "plot_latent_scatter": "plots",
    "plot_loss_curve": "plots",
    "show_digit": "plots",
    "show_digits": "plots",
    "show_manifold": "plots",
    "show_reconstructions": "plots",
    "glue": "prose",
    "DEFAULT_RECIPE": "training",
    "FusedAdam": "training",
    "REFERENCE_RECIPE": "training",
    "Recipe": "training",
    "TrainedAutoencoder": "training",
    "reconstruction_mse": "training",
    "save_to_cache": "training",
    "train": "training",
    "trained_autoencoder": "training",
    "VAE": "vae",
    "VAE_RECIPE": "vae",
    "Sampling": "vae",
    "TrainedVAE": "vae",
    "VAERecipe": "vae",
    "build_vae": "vae",
    "load_vae_from_cache": "vae",
    "save_vae_to_cache": "vae",
    "train_vae": "vae",
    "trained_vae": "vae",
    "CLASSIFIER_RECIPE": "classifier",
    "ClassifierRecipe": "classifier",
    "TrainedClassifier": "classifier",
    "trained_classifier": "classifier",
    "CODE_SIZES": "code_size",
    "CONV_CODE_SIZES": "code_size",
    "SEEDS": "code_size",
    "SWEEP_RECIPE": "code_size",
    "SweepAutoencoder": "code_size",
    "build_conv_autoencoder": "code_size",
    "sweep_recipe": "code_size",
    "sweep_recipes": "code_size",
    "train_sweep_autoencoder": "code_size",
    "trained_sweep_autoencoder": "code_size",
    "SampleQuality": "sample_quality",
    "nearest_distances": "sample_quality",
    "sample_quality": "sample_quality",
}

# What the chapters import, and `train`, which chapter 4 and the README point readers to.
# Every name of _HOMES stays importable.
__all__ = [
    "DEFAULT_RECIPE",
    "DIGIT_COLORS",
    "FusedAdam",
    "architecture_table",
    "build_autoencoder",
    "cached_fit",
    "draw_autoencoder",
    "draw_explorer",
    "glue",
    "latent_explorer",
    "load_mnist",
    "load_mnist_test",
    "pca_test_mse",
    "plot_latent_scatter",
    "plot_loss_curve",
    "reconstruction_mse",
    "save_to_cache",
    "show_digit",
    "show_digits",
    "show_manifold",
    "show_reconstructions",
    "split_validation",
    "static_latent_explorer",
    "train",
    "trained_autoencoder",
    "trained_classifier",
    "save_vae_to_cache",
    "sample_quality",
    "load_vae_from_cache",
    "VAE_RECIPE",
    "trained_vae",
]


def __getattr__(name):
    if name == "__version__":  # the installed distribution's, so that it has one source
        return _version()
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    globals()[name] = value  # the next use is a plain attribute lookup
    return value


def __dir__():
    return sorted(set(globals()) | set(_HOMES) | {"__version__"})


def _version() -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version("course-utils")
    except importlib.metadata.PackageNotFoundError:  # imported from a source tree, not installed
        return "0+unknown"
