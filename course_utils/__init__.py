"""course_utils: the plumbing behind 'Autoencoders, a course'.

Data (:mod:`.data`), the course's networks (:mod:`.models`), recipes (:mod:`.recipes`), their
optimiser (:mod:`.optim`), training and the autoencoder's cache (:mod:`.training`), chapter 5's
VAE (:mod:`.vae`), digit classifier (:mod:`.classifier`) and measure of generated samples
(:mod:`.sample_quality`), chapter 7's code-size sweep and convolutional autoencoder
(:mod:`.code_size`), the model cache (:mod:`.model_store`), the PCA baseline
(:mod:`.baselines`), figures (:mod:`.plots`, :mod:`.diagrams`), numbers quoted in the prose
(:mod:`.prose`) and the latent explorer (:mod:`.explorer`: in a kernel, and on the static
website), so that the chapters show ideas. ``python -m course_utils data|model`` prepares a
machine ahead of time.

Importing the package is cheap: each public name loads its module (and TensorFlow, Keras,
ipywidgets or matplotlib, if that module needs them) the first time it is used. The names and
their modules are listed once, in ``__init__.pyi``, which editors read for "go to definition"
and which lazy_loader reads here.
"""

import os

import lazy_loader

# Keep TensorFlow's start-up log lines (CPU features, XLA) off the chapters' pages.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

_load_on_first_use, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)


def __getattr__(name):
    if name == "__version__":  # the installed distribution's, so that it has one source
        return _version()
    return _load_on_first_use(name)


def _version() -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version("course-utils")
    except importlib.metadata.PackageNotFoundError:  # imported from a source tree, not installed
        return "0+unknown"
