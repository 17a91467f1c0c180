"""Command line: prepare a machine ahead of time, so that no chapter downloads or waits.

    python -m course_utils data    # fetch and verify MNIST into the cache
    python -m course_utils model   # also train the chapters' models into the model cache: the
                                   # autoencoder, the VAE and the digit classifier (chapter 5),
                                   # the code-size sweep and convolutional models (chapter 7)

Each command imports what it needs when it runs, so ``--help`` answers at once and TensorFlow
loads only for ``model``.
"""

import argparse


def fetch_mnist():
    """:func:`course_utils.data.fetch_mnist` (numpy and pooch load when a command needs them)."""
    from .data import fetch_mnist

    return fetch_mnist()


def fetch_data() -> None:
    from .data import MnistUnavailableError

    try:
        fetched = fetch_mnist()
    except MnistUnavailableError as error:
        raise SystemExit(f"error: {error}") from None
    for file_path in fetched.values():
        print(f"verified {file_path} ({file_path.stat().st_size:,} bytes)")


def cache_models() -> None:
    """Train the chapters' models into the model cache, unless they are there already: the
    autoencoder, chapter 5's VAE and the digit classifier, chapter 7's autoencoders. (The
    one-epoch VAEs of chapter 5 and chapter 6's denoisers are trained on their page, with
    cached_fit, by the chapter's first run.)"""
    import numpy as np

    from .classifier import trained_classifier
    from .data import load_mnist_test
    from .model_store import model_cache_dir
    from .training import reconstruction_mse, trained_autoencoder
    from .vae import trained_vae

    fetch_data()
    x_test, y_test = load_mnist_test((1, 5, 6))
    autoencoder = trained_autoencoder(verbose=2)
    mse = reconstruction_mse(autoencoder.autoencoder, x_test)
    print(f"default recipe: test MSE {mse:.4f}, cached in {model_cache_dir()}")
    vae = trained_vae(verbose=2)
    z_mean, _ = vae.encoder(x_test, training=False)
    vae_mse = float(np.mean((np.asarray(vae.decoder(z_mean, training=False)) - x_test) ** 2))
    print(f"VAE: test MSE {vae_mse:.4f} (decoding the mean), cached in {model_cache_dir()}")
    classifier = trained_classifier(verbose=2)
    print(
        f"digit classifier: test accuracy {classifier.accuracy(x_test, y_test):.4f}, "
        f"cached in {model_cache_dir()}"
    )
    cache_chapter_7_models()


def cache_chapter_7_models() -> None:
    """Chapter 7's dense autoencoders (the code-size sweep and its control) and convolutional
    autoencoders, trained into the model cache unless already there."""
    from .code_size import chapter_7_models, trained_sweep_autoencoder
    from .model_store import model_cache_dir

    models = chapter_7_models()
    for network, recipe in models:  # each training first frees the models made before it
        trained_sweep_autoencoder(network, recipe)
    print(f"{len(models)} autoencoders of chapter 7, cached in {model_cache_dir()}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m course_utils", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("data", help="fetch and verify MNIST into the cache")
    commands.add_parser(
        "model", help="fetch MNIST and train the chapters' models into the model cache"
    )
    arguments = parser.parse_args(argv)
    {"data": fetch_data, "model": cache_models}[arguments.command]()


if __name__ == "__main__":
    main()
