"""Command line: prepare a machine ahead of time, so that no chapter downloads or waits.

    python -m course_utils data    # fetch and verify MNIST into the cache
    python -m course_utils model   # also train the chapters' default model into the model cache

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


def cache_default_model() -> None:
    from .data import load_mnist
    from .training import model_cache_dir, reconstruction_mse, trained_autoencoder

    fetch_data()
    model = trained_autoencoder(verbose=2)
    (_, _), (x_test, _) = load_mnist(model.recipe.digits)
    print(
        f"default recipe: test MSE {reconstruction_mse(model.autoencoder, x_test):.4f}, "
        f"cached in {model_cache_dir()}"
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m course_utils", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("data", help="fetch and verify MNIST into the cache")
    commands.add_parser(
        "model", help="fetch MNIST and train the default model into the model cache"
    )
    arguments = parser.parse_args(argv)
    {"data": fetch_data, "model": cache_default_model}[arguments.command]()


if __name__ == "__main__":
    main()
