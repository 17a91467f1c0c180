"""Train the reference recipe and the course's default recipe side by side; print time and test MSE.

Run: .venv/bin/python benchmarks/training.py   (or `make benchmarks`)
Goal: the default reaches a test MSE no worse than the reference's in at most half its wall time.
"""

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from course_utils import DEFAULT_RECIPE, REFERENCE_RECIPE, load_mnist, reconstruction_mse, train  # noqa: E402


def measure(recipe, x_train, x_test):
    start = time.perf_counter()
    trained = train(recipe, x_train, verbose=0)
    seconds = time.perf_counter() - start
    return seconds, reconstruction_mse(trained.autoencoder, x_test)


def main():
    (x_train, _), (x_test, _) = load_mnist(digits=DEFAULT_RECIPE.digits)
    results = {}
    for name, recipe in (("seed", REFERENCE_RECIPE), ("default", DEFAULT_RECIPE)):
        seconds, mse = measure(recipe, x_train, x_test)
        results[name] = (seconds, mse)
        print(f"{name:8s} {seconds:6.1f} s  test MSE {mse:.4f}  {recipe}", flush=True)
    (seed_s, seed_mse), (default_s, default_mse) = results["seed"], results["default"]
    print(f"default/seed time ratio {default_s / seed_s:.2f} (goal <= 0.5); "
          f"MSE {'<=' if default_mse <= seed_mse else '>'} reference")
    print(f"seed_s={seed_s:.1f} seed_mse={seed_mse:.4f} default_s={default_s:.1f} default_mse={default_mse:.4f}")


if __name__ == "__main__":
    main()
